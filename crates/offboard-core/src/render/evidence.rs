//! The evidence report (`offboard report`) as Markdown, for a CI job summary or an audit ticket;
//! its JSON form is [`Report::to_json`].
//!
//! Layout: a heading with the counts, where the evidence comes from (journal, commit, plan and
//! policy digests per run), warnings (grants not removed, truncated records), a table per
//! principal of who lost what and when with the AWS request ids, then the failures.
//!
//! GitHub caps a job summary at 1 MiB. A report over [`EvidenceOptions::max_chars`] keeps the
//! head, the per-principal totals and the failures, drops the per-item tables and says that
//! the complete evidence is in the journal (and `--format json`): evidence is never cut
//! silently.

use super::escape::{code_span, markdown as md};
use crate::outcome::{OutcomeCounts, OutcomeResult};
use crate::report::{Evidence, Report};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvidenceOptions {
    /// Upper bound on the output, in characters, before per-item tables are dropped.
    pub max_chars: usize,
}

impl EvidenceOptions {
    /// Below GitHub's 1 MiB job-summary limit, with room for other steps' summaries.
    pub const DEFAULT_MAX_CHARS: usize = 900_000;
}

impl Default for EvidenceOptions {
    fn default() -> Self {
        Self { max_chars: Self::DEFAULT_MAX_CHARS }
    }
}

pub fn markdown(report: &Report, options: &EvidenceOptions) -> String {
    let mut head = head(report);
    let mut tail = String::new();
    if !report.failures.is_empty() {
        tail.push_str("\n### Failures\n");
        tail.push_str(&items_table(&report.failures, true));
    }
    let still: Vec<Evidence> =
        report.not_removed.iter().filter(|e| e.result == OutcomeResult::StillPresent).cloned().collect();
    if !still.is_empty() {
        tail.push_str("\n### Still present after apply\n\nThe verification re-read these grants after the removals and found them there.\n");
        tail.push_str(&items_table(&still, true));
    }
    if !report.in_flight.is_empty() {
        tail.push_str("\n### In flight when a run stopped\n\nThe removal call was about to be sent, or was on the wire, when the run stopped; no outcome followed. Whether it took effect is unknown until the next `offboard plan`.\n");
        tail.push_str(&items_table(&report.in_flight, true));
    }

    let mut items = String::new();
    for p in &report.principals {
        items.push_str(&format!("\n### {}\n\n", md(&p.name)));
        items.push_str(&format!("Reason: {}\n", p.reasons.iter().map(|r| md(r)).collect::<Vec<_>>().join(" · ")));
        items.push_str(&items_table(&p.entries, false));
    }
    if head.chars().count() + items.chars().count() + tail.chars().count() <= options.max_chars {
        head.push_str(&items);
    } else {
        head.push_str(&format!(
            "\n> [!NOTE]\n> The per-item evidence is too large for this page: every item, with its time and AWS request id, is in the journal {} and in `offboard report --format json`.\n",
            code_span(&report.journal)
        ));
    }
    head.push_str(&tail);
    head
}

fn head(r: &Report) -> String {
    let c = &r.counts;
    let mut out = format!("## offboard evidence: {}\n\n", counts_phrase(c));
    out.push_str(&format!("- Journal: {}", code_span(&r.journal)));
    match (&r.first_time, &r.last_time) {
        (Some(first), Some(last)) => out.push_str(&format!(", outcomes from {} to {}\n", md(first), md(last))),
        _ => out.push_str(", no outcomes\n"),
    }
    out.push_str(&format!("- Git commit: {} (from {})\n", code_span(&r.commit.sha), md(&r.commit.source)));
    for run in &r.runs {
        let digest = |d: &Option<String>| d.as_deref().map_or_else(|| "not recorded".to_owned(), code_span);
        out.push_str(&format!(
            "- Plan digest: {} · policy digest: {} · {} outcome{} from {} to {}\n",
            digest(&run.plan_digest),
            digest(&run.policy_digest),
            run.outcomes,
            if run.outcomes == 1 { "" } else { "s" },
            md(&run.first_time),
            md(&run.last_time),
        ));
    }
    out.push_str(&format!("- Report made: {}\n", md(&r.generated_at)));

    if !r.not_removed.is_empty() {
        let n = r.not_removed.len();
        out.push_str(&format!(
            "\n> [!WARNING]\n> {n} grant{} not removed: {} last record in the journal is a failure or a verification that found {} still present (see below). Fix the cause and run `offboard plan` and `offboard apply` again.\n",
            if n == 1 { " is" } else { "s are" },
            if n == 1 { "its" } else { "their" },
            if n == 1 { "it" } else { "them" },
        ));
    }
    if !r.in_flight.is_empty() {
        let n = r.in_flight.len();
        out.push_str(&format!(
            "\n> [!WARNING]\n> {n} removal{} in flight when a run stopped: the journal has the intent but no outcome, so whether {} took effect is unknown. Run `offboard plan` to see what remains.\n",
            if n == 1 { " was" } else { "s were" },
            if n == 1 { "it" } else { "they" },
        ));
    }
    for t in &r.truncated_lines {
        out.push_str(&format!(
            "\n> [!WARNING]\n> {}:{} is a truncated record (a run was stopped while writing it): that item's outcome is unknown. Run `offboard plan` to see whether any access remains. The line starts {}\n",
            md(&r.journal),
            t.line,
            code_span(&t.start),
        ));
    }

    if r.principals.is_empty() {
        out.push_str("\nThe journal records no outcomes: nothing was removed.\n");
        return out;
    }
    out.push_str("\n### Who lost what\n\n| principal | reason | removed | already removed | failed | not removed |\n|:--|:--|--:|--:|--:|--:|\n");
    for p in &r.principals {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            md(&p.name),
            p.reasons.iter().map(|r| md(r)).collect::<Vec<_>>().join(" · "),
            p.counts.removed,
            p.counts.already_removed,
            p.counts.failed,
            p.not_removed,
        ));
    }
    out.push_str(&format!(
        "| **total: {} principal{}** | | **{}** | **{}** | **{}** | **{}** |\n",
        r.principals.len(),
        if r.principals.len() == 1 { "" } else { "s" },
        c.removed,
        c.already_removed,
        c.failed,
        r.not_removed.len(),
    ));
    out
}

fn counts_phrase(c: &OutcomeCounts) -> String {
    let mut phrase = format!("{} removed, {} already removed, {} failed", c.removed, c.already_removed, c.failed);
    if c.still_present > 0 {
        phrase.push_str(&format!(", {} still present", c.still_present));
    }
    phrase
}

/// One row per journal line. Failures also name the principal (they are listed apart from it).
fn items_table(items: &[Evidence], with_principal: bool) -> String {
    let mut out = String::from(if with_principal {
        "\n| time (UTC) | principal | access | result | AWS request id | attempts | line |\n|:--|:--|:--|:--|:--|--:|--:|\n"
    } else {
        "\n| time (UTC) | access | result | AWS request id | attempts | line |\n|:--|:--|:--|:--|--:|--:|\n"
    });
    for e in items {
        let principal = if with_principal { format!(" {} |", md(&e.principal)) } else { String::new() };
        out.push_str(&format!(
            "| {} |{principal} {} | {} | {} | {} | {} |\n",
            md(&e.time),
            md(&e.access),
            md(&result_cell(&e.result)),
            md(&request_cell(e)),
            e.attempts,
            e.line,
        ));
    }
    out
}

fn result_cell(r: &OutcomeResult) -> String {
    match r {
        OutcomeResult::Failed { error } => format!("failed: {error}"),
        other => other.label().to_owned(),
    }
}

fn request_cell(e: &Evidence) -> String {
    match (&e.request_id, &e.deletion_request_id) {
        (Some(r), Some(d)) => format!("{r} (deletion {d})"),
        (Some(r), None) => r.clone(),
        (None, Some(d)) => format!("deletion {d}"),
        (None, None) if e.result == OutcomeResult::StillPresent => "none (re-read after apply)".to_owned(),
        (None, None) if e.result.is_success() => "none (no call needed)".to_owned(),
        (None, None) => "none (no AWS answer)".to_owned(),
    }
}
