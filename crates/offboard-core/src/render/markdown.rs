//! The plan as Markdown, for a pull-request comment or a CI job summary that an approver reads.
//!
//! Layout: a heading, the summary line, warnings, a table with one row per principal and a
//! totals row, the digests that tie the comment to the `plan.json` artifact, then one collapsed
//! `<details>` per principal with its access diff in a ```diff block.
//!
//! GitHub rejects comments over 65,536 characters, and a silently truncated plan is worse than
//! none, so the output is kept within [`MarkdownOptions::max_chars`]: first the per-principal
//! details are dropped (the table and the digest still let an approver match the artifact),
//! then table rows are cut with an "… and N more principals" row; the totals always cover the
//! whole plan.
//!
//! Every string from a policy file or AWS goes through [`super::escape`]: table cells cannot be
//! split by `|` or newlines, and nothing can open HTML, close a `<details>` or a code fence, and
//! so hide part of the plan from the approver.

use super::access_diff::access_diff;
use super::drift;
use super::escape::{clean, code_fence, code_span, html, markdown as md};
use super::{
    cut_by_group, name_behind_id, principal_counts, principal_status, principal_summary, remains_by_group,
    summary_line, warnings,
};
use crate::drift::RemovalHistory;
use crate::plan::{Plan, PrincipalPlan, Summary};
use crate::state::Resolution;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarkdownOptions {
    /// Upper bound on the output, in characters (GitHub counts characters, not bytes).
    pub max_chars: usize,
}

impl MarkdownOptions {
    /// Below GitHub's 65,536-character comment limit, leaving room for text a CI job wraps
    /// around the plan.
    pub const DEFAULT_MAX_CHARS: usize = 60_000;
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        Self { max_chars: Self::DEFAULT_MAX_CHARS }
    }
}

pub fn render(plan: &Plan, options: &MarkdownOptions) -> String {
    render_with_history(plan, options, &RemovalHistory::default())
}

/// [`render`], with grants the journal shows were removed before marked as regained (listed in
/// the head, so the list survives the size fallback, and annotated in each diff).
pub fn render_with_history(plan: &Plan, options: &MarkdownOptions, history: &RemovalHistory) -> String {
    let summary = plan.summary();
    let mut head = head(plan, &summary);
    head.push_str(&drift::markdown_block(plan, history));
    let rows: Vec<String> = plan.principals.iter().map(table_row).collect();
    // Hashing serializes the whole plan: do it once.
    let digest = plan.digest();
    let meta = meta(plan, &digest);

    let mut full = head.clone();
    push_table(&mut full, &rows, None, &summary);
    full.push_str(&meta);
    if !plan.principals.is_empty() {
        full.push_str("\n### Access before → after\n");
        for p in &plan.principals {
            full.push_str(&details(plan, p, history));
        }
    }
    let max = options.max_chars;
    if chars(&full) <= max {
        return full;
    }

    let note = format!(
        "\n> [!NOTE]\n> The full plan is too large for a comment: see the plan.json artifact (digest {}).\n",
        code_span(&digest)
    );
    let fixed = chars(&head) + chars(&meta) + chars(&note);
    let shown = rows_that_fit(&rows, max.saturating_sub(fixed), &summary);
    let Some(shown) = shown else {
        // Not even the totals fit: say only where the plan is.
        let mut out = head;
        out.push_str(&note);
        return truncate_chars(out, max);
    };
    let mut out = head;
    push_table(&mut out, &rows[..shown], Some(rows.len() - shown), &summary);
    out.push_str(&meta);
    out.push_str(&note);
    out
}

fn head(plan: &Plan, summary: &Summary) -> String {
    let title =
        if summary.to_remove == 0 { "no changes".to_owned() } else { format!("{} to remove", summary.to_remove) };
    let mut out = format!("## offboard plan: {title}\n\n**{}**\n", summary_line(summary));
    for warning in warnings(plan) {
        // Our own sentences with numbers in them: nothing to escape.
        out.push_str(&format!("\n> [!WARNING]\n> {warning}\n"));
    }
    out
}

const TABLE_HEADER: &str = "\n| principal | reason | groups | sso | appstream | kendra | skipped (protected) | remain through groups | status |\n\
                            |:--|:--|--:|--:|--:|--:|--:|--:|:--|\n";

fn table_row(p: &PrincipalPlan) -> String {
    let s = principal_summary(p);
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        md(&p.principal.to_string()),
        md(&p.reason),
        s.memberships,
        s.sso,
        s.appstream,
        s.kendra,
        skipped_cell(&s),
        s.remain_through_groups,
        md(&principal_status(p)),
    )
}

fn skipped_cell(s: &Summary) -> String {
    if s.protected > 0 { format!("{} ({} protected)", s.skipped, s.protected) } else { s.skipped.to_string() }
}

fn more_row(hidden: usize) -> String {
    format!("| … and {hidden} more principals (counted in the total) | | | | | | | | |\n")
}

fn totals_row(s: &Summary) -> String {
    let noun = if s.principals == 1 { "principal" } else { "principals" };
    let status = if s.not_found > 0 { format!("**{} not found**", s.not_found) } else { String::new() };
    format!(
        "| **total: {} {noun}** | | **{}** | **{}** | **{}** | **{}** | **{}** | **{}** | {status} |\n",
        s.principals,
        s.memberships,
        s.sso,
        s.appstream,
        s.kendra,
        skipped_cell(s),
        s.remain_through_groups
    )
}

/// The table, with a "… and N more" row when `hidden` rows were cut.
fn push_table(out: &mut String, rows: &[String], hidden: Option<usize>, summary: &Summary) {
    if summary.principals == 0 {
        out.push_str("\nThis plan names no principals.\n");
        return;
    }
    out.push_str(TABLE_HEADER);
    for row in rows {
        out.push_str(row);
    }
    if let Some(hidden) = hidden.filter(|h| *h > 0) {
        out.push_str(&more_row(hidden));
    }
    out.push_str(&totals_row(summary));
}

/// The most leading rows whose table (header, rows, "… and N more", totals) fits in `budget`
/// characters; `None` when not even an empty table does.
fn rows_that_fit(rows: &[String], budget: usize, summary: &Summary) -> Option<usize> {
    let frame = chars(TABLE_HEADER) + chars(&totals_row(summary));
    let mut best = None;
    let mut used = frame;
    for shown in 0..=rows.len() {
        if shown > 0 {
            used += chars(&rows[shown - 1]);
        }
        let hidden = rows.len() - shown;
        let extra = if hidden > 0 { chars(&more_row(hidden)) } else { 0 };
        if used + extra <= budget {
            best = Some(shown);
        } else if used > budget {
            break;
        }
    }
    best
}

fn meta(plan: &Plan, digest: &str) -> String {
    format!(
        "\n- Plan digest: {} (the `plan.json` this comment was made from)\n\
         - Policy digest: {}\n\
         - State digest: {}\n\
         - Created at: {}\n\
         - Read in: {} (apply refuses to act anywhere else)\n",
        code_span(digest),
        code_span(&plan.policy_digest),
        code_span(&plan.state_digest),
        md(&plan.created_at),
        md(&plan.location.to_string()),
    )
}

fn details(plan: &Plan, p: &PrincipalPlan, history: &RemovalHistory) -> String {
    let mut out = format!(
        "\n<details><summary>{} — {}</summary>\n\n**Reason:** {}",
        html(&p.principal.to_string()),
        html(&principal_counts(p)),
        md(&p.reason)
    );
    match &p.resolution {
        Resolution::Found { id, .. } => {
            let name = name_behind_id(p).map(|n| format!(" ({})", md(n))).unwrap_or_default();
            out.push_str(&format!(" · **Identity Store id:** {}{name}\n", code_span(id)));
        }
        Resolution::NotFound if p.before.is_empty() => {
            out.push_str(" · not found in the Identity Store: nothing to remove\n")
        }
        Resolution::NotFound => out.push_str(
            " · not found in the Identity Store; access that names it without an Identity Store id is below\n",
        ),
    }
    let lines = drift::annotate(access_diff(p, &plan.labels), p, &plan.labels, history);
    if lines.is_empty() {
        if p.resolution != Resolution::NotFound {
            out.push_str("\nNo access found.\n");
        }
    } else {
        let mut body = String::new();
        for l in &lines {
            body.push(l.marker);
            body.push(' ');
            body.push_str(&l.text);
            body.push('\n');
        }
        // What goes and what stays through groups, in the same block: every string in it is
        // inside the fence, which is longer than any backtick run it holds.
        let sections = [
            ("lost with the removed memberships (access through groups):", '-', cut_by_group(p, &plan.labels)),
            (
                "remains (access that stays through groups; apply does not remove it):",
                ' ',
                remains_by_group(p, &plan.labels),
            ),
        ];
        for (title, marker, groups) in sections {
            if groups.is_empty() {
                continue;
            }
            body.push_str(&format!("  # {title}\n"));
            for (heading, grants) in groups {
                body.push_str(&format!("  #   {}\n", clean(&heading)));
                for g in grants {
                    body.push_str(&format!("{marker}     {}\n", clean(&g)));
                }
            }
        }
        let fence = code_fence(&body);
        out.push_str(&format!("\n{fence}diff\n{body}{fence}\n"));
    }
    out.push_str("\n</details>\n");
    out
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn truncate_chars(mut s: String, max: usize) -> String {
    if let Some((i, _)) = s.char_indices().nth(max) {
        s.truncate(i);
    }
    s
}
