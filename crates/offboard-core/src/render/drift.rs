//! How drift is shown: every grant the plan removes that the journal ([`RemovalHistory`]) shows
//! as removed before is annotated "regained since <date of removal>" in the text and Markdown
//! plans, and listed once more at the top, so the scheduled drift job that fails on
//! `--detailed-exitcode` names what came back. The JSON plan is untouched: it is the artifact
//! `apply` runs and must not depend on a journal.

use super::access_diff::{DiffLine, LineKind};
use super::escape::{clean, code_span, markdown as md};
use crate::drift::RemovalHistory;
use crate::grant::Labels;
use crate::plan::{Plan, PrincipalPlan};
use std::collections::BTreeMap;

/// `lines` (a principal's access diff) with an annotation line under each removed grant that
/// the history shows was removed before. The annotation is painted like the removal it
/// belongs to.
pub(crate) fn annotate(
    lines: Vec<DiffLine>,
    p: &PrincipalPlan,
    labels: &Labels,
    history: &RemovalHistory,
) -> Vec<DiffLine> {
    if history.is_empty() {
        return lines;
    }
    // Diff lines carry the grant's description, not the grant; inside one principal the
    // description names the grant uniquely.
    let notes: BTreeMap<String, String> = p
        .remove
        .iter()
        .filter_map(|g| history.get(g).map(|r| (clean(&g.describe(labels)).into_owned(), r.annotation())))
        .collect();
    if notes.is_empty() {
        return lines;
    }
    let mut out = Vec::with_capacity(lines.len() + notes.len());
    for line in lines {
        let note = (line.kind == LineKind::Removed).then(|| notes.get(&line.text)).flatten().cloned();
        out.push(line);
        if let Some(note) = note {
            out.push(DiffLine { kind: LineKind::Removed, marker: ' ', text: format!("  # {}", clean(&note)) });
        }
    }
    out
}

/// The plain-text drift block printed before the summary line; empty without drift.
pub(crate) fn text_block(plan: &Plan, history: &RemovalHistory) -> Vec<String> {
    let regained = history.regained(plan);
    if regained.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![headline(regained.len())];
    for r in &regained {
        lines.push(format!(
            "  {}  {}  {}",
            clean(&r.principal.to_string()),
            clean(&r.grant.describe(&plan.labels)),
            clean(&r.removal.annotation())
        ));
    }
    lines
}

/// At most this many regained grants are listed at the top of a Markdown plan; each is also
/// annotated in its principal's details.
const MARKDOWN_LISTED: usize = 20;

/// A `> [!CAUTION]` block for the top of a Markdown plan; empty without drift.
pub(crate) fn markdown_block(plan: &Plan, history: &RemovalHistory) -> String {
    let regained = history.regained(plan);
    if regained.is_empty() {
        return String::new();
    }
    let mut out = format!("\n> [!CAUTION]\n> **{}**\n>\n", headline(regained.len()));
    for r in regained.iter().take(MARKDOWN_LISTED) {
        out.push_str(&format!(
            "> - {}: {} {}\n",
            md(&r.principal.to_string()),
            code_span(&r.grant.describe(&plan.labels)),
            md(&r.removal.annotation())
        ));
    }
    if regained.len() > MARKDOWN_LISTED {
        out.push_str(&format!("> - … and {} more\n", regained.len() - MARKDOWN_LISTED));
    }
    out
}

fn headline(n: usize) -> String {
    if n == 1 {
        "Drift: 1 grant removed by an earlier apply (per the journal) is back:".to_owned()
    } else {
        format!("Drift: {n} grants removed by an earlier apply (per the journal) are back:")
    }
}
