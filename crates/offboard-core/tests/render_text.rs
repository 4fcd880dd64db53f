//! The text renderer: snapshots are the spec of the terminal layout; the assertions pin the
//! parts scripts and people rely on (summary line wording, colour only when asked, escaping).

mod render_common;

use offboard_core::plan::Summary;
use offboard_core::render::{self, TextOptions, summary_line};
use render_common::*;

fn text(plan: &offboard_core::Plan, color: bool) -> String {
    render::text::render(plan, &TextOptions { color })
}

#[test]
fn small_plan_text() {
    insta::assert_snapshot!(text(&small_plan(), false));
}

#[test]
fn small_plan_text_in_colour() {
    // Escapes made visible so the snapshot reads; the raw bytes are checked below.
    insta::assert_snapshot!(text(&small_plan(), true).replace('\x1b', "\\e"));
}

#[test]
fn colour_wraps_each_line_and_changes_nothing_else() {
    let plain = text(&small_plan(), false);
    let colour = text(&small_plan(), true);
    assert!(!plain.contains('\x1b'), "no escapes unless asked");
    assert_eq!(strip_ansi(&colour), plain);
    assert!(colour.contains("\x1b[31m  - sso        account Shared Services (222222222222)"), "removed lines are red");
    assert!(colour.contains("\x1b[33m      # skipped: protected (account 111111111111)\x1b[0m\n"), "skips are yellow");
    assert!(colour.contains("\x1b[2m  (no access found)\x1b[0m\n"), "context is dim");
    for line in colour.lines() {
        assert_eq!(line.matches("\x1b[").count() % 2, 0, "every painted line resets: {line:?}");
    }
}

#[test]
fn empty_plan_text() {
    insta::assert_snapshot!(text(&empty_plan(), false));
}

#[test]
fn plan_without_principals_is_just_the_summary() {
    assert_eq!(text(&plan_of(vec![]), false), "No changes. No leaver has access left to remove.\n");
}

#[test]
fn summary_line_wording() {
    let mut s = Summary {
        principals: 2,
        to_remove: 7,
        memberships: 0,
        sso: 4,
        appstream: 2,
        kendra: 1,
        skipped: 1,
        remain_through_groups: 0,
        protected: 1,
        not_found: 0,
    };
    assert_eq!(
        summary_line(&s),
        "Plan: 7 to remove (groups 0, sso 4, appstream 2, kendra 1), 1 skipped, 0 remain through groups."
    );
    s.not_found = 2;
    s.remain_through_groups = 5;
    s.memberships = 1;
    assert_eq!(
        summary_line(&s),
        "Plan: 7 to remove (groups 1, sso 4, appstream 2, kendra 1), 1 skipped, 5 remain through groups, 2 not found."
    );
    let none = Summary::default();
    assert_eq!(summary_line(&none), "No changes. No leaver has access left to remove.");
    let converged = Summary { skipped: 3, not_found: 1, ..Summary::default() };
    assert_eq!(summary_line(&converged), "No changes. No leaver has access left to remove. 3 skipped, 1 not found.");
    let through_groups = Summary { remain_through_groups: 2, ..converged };
    assert_eq!(
        summary_line(&through_groups),
        "No changes. No leaver has access left to remove. 3 skipped, 2 remain through groups, 1 not found."
    );
}

#[test]
fn small_plan_summary_counts_every_service() {
    let out = text(&small_plan(), false);
    assert!(
        out.ends_with(
            "Plan: 11 to remove (groups 1, sso 5, appstream 2, kendra 3), 4 skipped, 2 remain through groups, 1 not found.\n"
        ),
        "{out}"
    );
}

#[test]
fn hostile_strings_cannot_forge_lines_or_escape_the_terminal() {
    let plan = hostile_plan();
    let plain = text(&plan, false);
    assert!(!plain.contains('\x1b'), "a reason's ESC is shown, not sent");
    assert!(plain.contains("HR-4211 | left\\u{a}| injected |"), "newline made visible: {plain}");
    assert!(plain.contains("permission set Power```\\u{a}</details>\\u{a}```User"));
    // One line per principal header, resolution, diff line and annotation: the hostile plan has
    // exactly as many lines as the well-behaved one.
    assert_eq!(plain.lines().count(), text(&small_plan(), false).lines().count());
}

#[test]
fn over_the_removal_guardrail_warns() {
    let mut plan = small_plan();
    plan.max_removals = 3;
    let out = text(&plan, false);
    assert!(out.contains(
        "Warning: This plan removes 11 grants, more than guardrails.max_removals (3): apply refuses it without --allow-large."
    ));
    assert!(!text(&small_plan(), false).contains("guardrails.max_removals"));
}

#[test]
fn actions_that_disagree_with_the_principals_are_flagged() {
    let mut plan = small_plan();
    // An action removed from the file: the principal view still lists the grant.
    plan.actions.remove(0);
    let out = text(&plan, false);
    assert!(out.contains("disagree on 1 grant(s)"), "{out}");

    let mut plan = small_plan();
    // A grant slipped into an action that no principal lists.
    let extra = plan.actions[0].items[0].clone();
    plan.actions[0].items.push(extra);
    assert!(text(&plan, false).contains("disagree on 1 grant(s)"));
}
