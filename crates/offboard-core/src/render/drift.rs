//! Drift: access that an earlier `offboard apply` removed and that is back.
//!
//! `offboard plan --journal FILE` reads the apply journal into a [`RemovalHistory`]; every grant
//! the new plan would remove that the journal shows as removed before is annotated
//! "regained since <date of removal>" in the text and Markdown plans, and listed once more at
//! the top, so the scheduled drift job that fails on `--detailed-exitcode` names what came back.
//! The JSON plan is untouched: it is the artifact `apply` runs and must not depend on a journal.
//!
//! A grant is matched by its AWS ids alone, not by how the policy named the principal: a leaver
//! re-declared by id instead of by name still regained the same assignment.

use super::access_diff::{DiffLine, LineKind};
use super::escape::{clean, code_span, markdown as md};
use super::{Format, RenderOptions, json, markdown, text};
use crate::grant::{Grant, Labels};
use crate::outcome::{Outcome, OutcomeResult};
use crate::plan::{Plan, PrincipalPlan};
use crate::principal::PrincipalRef;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The last time the journal saw each grant gone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemovalHistory {
    removed: BTreeMap<Grant, PastRemoval>,
}

/// When and how a grant was last seen removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastRemoval {
    /// The journal's time (RFC 3339).
    pub time: String,
    /// False when the run found it already gone (no call was made).
    pub removed_by_this_run: bool,
    pub request_id: Option<String>,
}

impl PastRemoval {
    /// The calendar date (UTC) of the removal, e.g. `2026-11-21`; the raw time when it does not
    /// parse (a hand-edited journal), so nothing is hidden.
    pub fn date(&self) -> String {
        OffsetDateTime::parse(&self.time, &Rfc3339)
            .map(|t| t.to_offset(time::UtcOffset::UTC).date().to_string())
            .unwrap_or_else(|_| self.time.clone())
    }

    /// `regained since 2026-11-21 (removed 2026-11-21T09:14:03Z, request 0b6f…)`.
    pub fn annotation(&self) -> String {
        let how = match (&self.removed_by_this_run, &self.request_id) {
            (true, Some(id)) => format!("removed {}, request {id}", self.time),
            (true, None) => format!("removed {}", self.time),
            (false, _) => format!("found already removed {}", self.time),
        };
        format!("regained since {} ({how})", self.date())
    }
}

/// A grant the plan removes again, with the earlier removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regained<'a> {
    pub principal: &'a PrincipalRef,
    pub grant: &'a Grant,
    pub removal: &'a PastRemoval,
}

impl RemovalHistory {
    /// From journal outcomes in the order they were written: a later success replaces an earlier
    /// one (the most recent time the grant was known to be gone); failures are no removal.
    pub fn from_outcomes<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Self {
        let mut removed = BTreeMap::new();
        for o in outcomes {
            let removed_by_this_run = match o.result {
                OutcomeResult::Removed => true,
                OutcomeResult::AlreadyRemoved => false,
                OutcomeResult::Failed { .. } => continue,
            };
            removed.insert(
                o.grant.clone(),
                PastRemoval { time: o.time.clone(), removed_by_this_run, request_id: o.request_id.clone() },
            );
        }
        RemovalHistory { removed }
    }

    pub fn is_empty(&self) -> bool {
        self.removed.is_empty()
    }

    pub fn get(&self, grant: &Grant) -> Option<&PastRemoval> {
        self.removed.get(grant)
    }

    /// Every grant the plan removes that was removed before, in plan order.
    pub fn regained<'a>(&'a self, plan: &'a Plan) -> Vec<Regained<'a>> {
        plan.principals
            .iter()
            .flat_map(|p| p.remove.iter().map(move |g| (&p.principal, g)))
            .filter_map(|(principal, grant)| self.get(grant).map(|removal| Regained { principal, grant, removal }))
            .collect()
    }
}

/// Render `plan` like [`super::render`], with every regained grant annotated. JSON is the plan
/// artifact itself and is never annotated.
pub fn render(plan: &Plan, format: Format, options: &RenderOptions, history: &RemovalHistory) -> String {
    match format {
        Format::Text => text::render_with_history(plan, &options.text, history),
        Format::Markdown => markdown::render_with_history(plan, &options.markdown, history),
        Format::Json => json::render(plan),
    }
}

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
