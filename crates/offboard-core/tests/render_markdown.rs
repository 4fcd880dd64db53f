//! The Markdown renderer (PR comments, job summaries): snapshots are the spec of the layout; the
//! assertions pin the size limit, the digest an approver matches, and the escaping.

mod render_common;

use offboard_core::Plan;
use offboard_core::render::{self, MarkdownOptions};
use render_common::*;

fn md(plan: &Plan, max_chars: usize) -> String {
    render::markdown::render(plan, &MarkdownOptions { max_chars })
}

fn md_default(plan: &Plan) -> String {
    render::markdown::render(plan, &MarkdownOptions::default())
}

/// Cells of a GFM table row: split on `|` not escaped by a backslash.
fn cells(row: &str) -> usize {
    let mut n: usize = 0;
    let mut escaped = false;
    for c in row.chars() {
        if c == '|' && !escaped {
            n += 1;
        }
        escaped = c == '\\' && !escaped;
    }
    n.saturating_sub(1)
}

/// The document with fenced code blocks removed (a fence closes only with at least as many
/// backticks as opened it).
fn outside_code_blocks(out: &str) -> String {
    let mut prose = String::new();
    let mut open: Option<usize> = None;
    for line in out.lines() {
        let ticks = line.chars().take_while(|c| *c == '`').count();
        match open {
            None if ticks >= 3 => open = Some(ticks),
            None => {
                prose.push_str(line);
                prose.push('\n');
            }
            Some(n) if ticks >= n && line[ticks..].trim().is_empty() => open = None,
            Some(_) => {}
        }
    }
    assert_eq!(open, None, "every code block is closed");
    prose
}

/// Raw HTML tags in Markdown prose: a `<` not escaped by a backslash, up to the next `>`.
fn html_tags(prose: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let chars: Vec<char> = prose.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == '<' && (i == 0 || chars[i - 1] != '\\') {
            let end = chars[i..].iter().position(|c| *c == '>').map_or(chars.len(), |e| i + e + 1);
            tags.push(chars[i..end].iter().collect());
        }
    }
    tags
}

fn table_rows(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with('|')).collect()
}

fn assert_table_well_formed(out: &str) {
    let rows = table_rows(out);
    assert!(rows.len() >= 3, "header, separator and totals at least:\n{out}");
    for row in &rows {
        assert_eq!(cells(row), 9, "every row has the 9 columns: {row}");
    }
}

#[test]
fn small_plan_markdown() {
    let out = md_default(&small_plan());
    assert_table_well_formed(&out);
    insta::assert_snapshot!(out);
}

#[test]
fn empty_plan_markdown() {
    let out = md_default(&empty_plan());
    assert_table_well_formed(&out);
    insta::assert_snapshot!(out);
}

#[test]
fn markdown_names_the_plan_digest_and_creation_time() {
    let plan = small_plan();
    let out = md_default(&plan);
    assert!(out.contains(&format!("Plan digest: `{}`", plan.digest())));
    assert!(out.contains(&format!("Policy digest: `{}`", plan.policy_digest)));
    assert!(out.contains("Created at: 2026-11-21T09:00:00Z"));
}

#[test]
fn one_collapsed_diff_per_principal() {
    let plan = small_plan();
    let out = md_default(&plan);
    assert_eq!(out.matches("<details><summary>").count(), plan.principals.len());
    assert_eq!(out.matches("</details>").count(), plan.principals.len());
    assert!(out.contains(
        "```diff\n  sso        account Shared Services (222222222222)  permission set ReadOnlyAccess\n    # skipped: kept by policy\n- sso        account Data Platform (333333333333)  permission set PowerUserAccess\n```\n"
    ));
}

#[test]
fn huge_plan_falls_back_to_a_truncated_table_within_the_default_limit() {
    let plan = huge_plan(2_000);
    let out = md_default(&plan);
    let n = out.chars().count();
    assert!(n <= MarkdownOptions::DEFAULT_MAX_CHARS, "{n} characters");
    assert!(n > MarkdownOptions::DEFAULT_MAX_CHARS - 1_000, "uses the room it has: {n} characters");
    assert!(out.contains(&format!(
        "The full plan is too large for a comment: see the plan.json artifact (digest `{}`)",
        plan.digest()
    )));
    assert!(!out.contains("<details>"));
    assert_table_well_formed(&out);
    // Shown rows + the hidden count cover every principal; the totals row covers the whole plan.
    let shown = table_rows(&out).len() - 4; // header, separator, "… and N more", totals
    let more = format!("| … and {} more principals", 2_000 - shown);
    assert!(out.contains(&more), "expected {more:?}");
    assert!(out.contains(
        "| **total: 2000 principals** | | **0** | **3600** | **1800** | **1800** | **0** | **0** | **200 not found** |"
    ));
}

#[test]
fn huge_plan_fallback_markdown() {
    let out = md(&huge_plan(2_000), 3_000);
    assert!(out.chars().count() <= 3_000);
    insta::assert_snapshot!(out);
}

#[test]
fn too_large_for_details_keeps_the_whole_table() {
    let plan = small_plan();
    let full = md_default(&plan);
    let limit = full.chars().count() - 1;
    let out = md(&plan, limit);
    assert!(out.chars().count() <= limit);
    assert!(!out.contains("<details>"));
    assert!(!out.contains("more principals"));
    assert_eq!(table_rows(&out).len(), plan.principals.len() + 3);
    assert!(out.contains(&plan.digest()));
    insta::assert_snapshot!(out);
}

#[test]
fn exactly_at_the_limit_is_not_truncated() {
    let plan = small_plan();
    let full = md_default(&plan);
    assert_eq!(md(&plan, full.chars().count()), full);
}

#[test]
fn any_limit_is_respected() {
    let plan = huge_plan(50);
    for limit in [0, 10, 100, 300, 600, 1_000, 2_500, 10_000] {
        let out = md(&plan, limit);
        assert!(out.chars().count() <= limit, "limit {limit}: {} characters", out.chars().count());
    }
}

#[test]
fn pipes_newlines_html_and_fences_are_escaped() {
    let plan = hostile_plan();
    let out = md_default(&plan);
    // The reason stays inside its cell.
    assert!(out.contains("| HR-4211 \\| left\\\\u{a}\\| injected \\| row \\| \\</details\\>"), "{out}");
    assert_table_well_formed(&out);
    // Outside code blocks, the only HTML is ours: no comment, script or stray `</details>`.
    let prose = outside_code_blocks(&out);
    assert_eq!(html_tags(&prose), ["<details>", "<summary>", "</summary>", "</details>"].repeat(plan.principals.len()));
    // The label with a fence is inside a longer fence, so it cannot close the block.
    assert!(out.contains("````diff\n"));
    assert!(out.contains("permission set Power```\\u{a}</details>\\u{a}```User\n"));
    insta::assert_snapshot!(out);
}

#[test]
fn plan_without_principals() {
    let out = md_default(&plan_of(vec![]));
    assert!(out.starts_with("## offboard plan: no changes\n\n**No changes. No leaver has access left to remove.**\n"));
    assert!(out.contains("This plan names no principals."));
    assert!(!out.contains("| principal |"));
}

#[test]
fn guardrail_warning_is_an_alert() {
    let mut plan = small_plan();
    plan.max_removals = 3;
    let out = md_default(&plan);
    assert!(out.contains("> [!WARNING]\n> This plan removes 11 grants, more than guardrails.max_removals (3)"));
}
