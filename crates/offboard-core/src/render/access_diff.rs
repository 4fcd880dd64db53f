//! A principal's access before → after the plan, as unified-diff lines.
//!
//! Text and Markdown show the same diff (one with colour, one in a ```diff block), so the lines
//! are computed once here and each renderer only decides how to paint them.

use super::escape::clean;
use crate::grant::Labels;
use crate::plan::PrincipalPlan;
use similar::{ChangeTag, TextDiff};

/// How a line reads: what happens to the grant on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// The plan removes this grant.
    Removed,
    /// The grant stays (context).
    Kept,
    /// The grant stays because the plan skips it; also used for the annotation under it.
    Skipped,
    /// In "after" but not "before". A plan made by `offboard plan` never has one, but a
    /// hand-edited file might, and a reviewer must see it rather than have it dropped.
    Added,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DiffLine {
    pub kind: LineKind,
    /// The unified-diff marker: `-`, `+` or a space.
    pub marker: char,
    /// Already made safe for terminals and code blocks.
    pub text: String,
}

/// The diff of `before` (every grant observed) against `after()` (what the plan leaves), each
/// grant described with [`crate::Grant::describe`]. Every skipped grant is followed by an
/// annotation line saying why it stays.
pub(crate) fn access_diff(p: &PrincipalPlan, labels: &Labels) -> Vec<DiffLine> {
    let after = p.after();
    let old: Vec<String> = p.before.iter().map(|g| clean(&g.describe(labels)).into_owned()).collect();
    let new: Vec<String> = after.iter().map(|g| clean(&g.describe(labels)).into_owned()).collect();
    let old_refs: Vec<&str> = old.iter().map(String::as_str).collect();
    let new_refs: Vec<&str> = new.iter().map(String::as_str).collect();
    let diff = TextDiff::from_slices(&old_refs, &new_refs);

    let mut lines = Vec::with_capacity(old.len() + p.skipped.len());
    for change in diff.iter_all_changes() {
        let text = change.value().to_owned();
        match change.tag() {
            ChangeTag::Delete => lines.push(DiffLine { kind: LineKind::Removed, marker: '-', text }),
            ChangeTag::Insert => lines.push(DiffLine { kind: LineKind::Added, marker: '+', text }),
            ChangeTag::Equal => {
                let grant = change.new_index().and_then(|i| after.get(i));
                let reasons: Vec<String> = p
                    .skipped
                    .iter()
                    .filter(|s| Some(&s.grant) == grant)
                    .map(|s| format!("  # {}", clean(&s.why.to_string())))
                    .collect();
                let kind = if reasons.is_empty() { LineKind::Kept } else { LineKind::Skipped };
                lines.push(DiffLine { kind, marker: ' ', text });
                lines.extend(reasons.into_iter().map(|text| DiffLine { kind: LineKind::Skipped, marker: ' ', text }));
            }
        }
    }
    lines
}
