//! Drift annotation (`plan --journal`): grants the plan removes that an earlier apply's journal
//! shows were removed are marked "regained since <date>", in text and Markdown, never in JSON.

mod render_common;

use offboard_core::drift::RemovalHistory;
use offboard_core::grant::{Grant, Persona};
use offboard_core::outcome::{Outcome, OutcomeResult};
use offboard_core::principal::{PrincipalKind, PrincipalRef};
use offboard_core::render::render_with_history;
use offboard_core::render::{self, Format, MarkdownOptions, RenderOptions};
use render_common::*;

fn removal(time: &str, grant: Grant, result: OutcomeResult, request: Option<&str>) -> Outcome {
    Outcome {
        time: time.into(),
        action_id: "sso-1".into(),
        operation: "DeleteAccountAssignment".into(),
        principal: PrincipalRef::user_name("alice.wong@northwind.example"),
        reason: "HR-4211".into(),
        grant,
        request_id: request.map(Into::into),
        deletion_request_id: None,
        result,
        attempts: 1,
        plan_digest: None,
        policy_digest: None,
    }
}

fn alice_read_only() -> Grant {
    sso("222222222222", READ_ONLY, PrincipalKind::User, ALICE_ID)
}

fn history() -> RemovalHistory {
    RemovalHistory::from_outcomes(&[
        removal("2026-11-21T09:14:03.120Z", alice_read_only(), OutcomeResult::Removed, Some("req-1")),
        // Failures are no removal: this persona is not "regained".
        removal(
            "2026-11-21T09:14:04Z",
            persona("support-portal", ALICE_ID, Persona::Viewer),
            OutcomeResult::Failed { error: "boom".into() },
            None,
        ),
        // A protected grant the plan skips: never annotated, whatever the journal says.
        removal(
            "2026-11-21T09:14:05Z",
            sso("111111111111", ADMIN, PrincipalKind::User, ALICE_ID),
            OutcomeResult::Removed,
            Some("req-3"),
        ),
    ])
}

fn text(plan: &offboard_core::Plan, history: &RemovalHistory) -> String {
    render_with_history(plan, Format::Text, &RenderOptions::default(), history)
}

#[test]
fn regained_grants_are_annotated_under_their_removal_line() {
    let out = text(&small_plan(), &history());
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("- sso        account Shared Services (222222222222)"))
        .unwrap_or_else(|| panic!("the removal line is there:\n{out}"));
    assert_eq!(
        lines[at + 1].trim(),
        "# regained since 2026-11-21 (removed 2026-11-21T09:14:03.120Z, request req-1)",
        "{out}"
    );
    assert_eq!(out.matches("regained since").count(), 2, "one annotation and one line in the drift list:\n{out}");
    assert!(out.contains("Drift: 1 grant removed by an earlier apply (per the journal) is back:"), "{out}");
    assert!(
        !out.contains(
            "experience support-portal  VIEWER  (index 4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c)\n      # regained"
        )
    );
}

#[test]
fn text_with_drift_snapshot() {
    insta::assert_snapshot!(text(&small_plan(), &history()));
}

#[test]
fn without_a_journal_the_plan_reads_as_before() {
    let plan = small_plan();
    let options = RenderOptions::default();
    for format in Format::ALL {
        assert_eq!(
            render_with_history(&plan, format, &options, &RemovalHistory::default()),
            render::render(&plan, format, &options),
            "{format}"
        );
    }
}

#[test]
fn json_is_the_plan_artifact_and_never_annotated() {
    let plan = small_plan();
    let out = render_with_history(&plan, Format::Json, &RenderOptions::default(), &history());
    assert_eq!(out, plan.to_json());
}

#[test]
fn markdown_lists_drift_at_the_top_and_annotates_the_diff() {
    let out = render_with_history(&small_plan(), Format::Markdown, &RenderOptions::default(), &history());
    let caution = out.find("> [!CAUTION]").expect("a caution block");
    let table = out.find("| principal |").expect("the table");
    assert!(caution < table, "drift comes before the table:\n{out}");
    assert!(
        out.contains("ReadOnlyAccess` regained since 2026-11-21 (removed 2026-11-21T09:14:03.120Z, request req-1)"),
        "{out}"
    );
    let diff_note = "\n    # regained since 2026-11-21 (removed 2026-11-21T09:14:03.120Z, request req-1)\n";
    assert!(out.contains(diff_note), "annotated inside the diff block:\n{out}");
}

#[test]
fn markdown_drift_survives_the_size_fallback() {
    let options = RenderOptions { markdown: MarkdownOptions { max_chars: 3_000 }, ..RenderOptions::default() };
    let out = render_with_history(&small_plan(), Format::Markdown, &options, &history());
    assert!(out.chars().count() <= 3_000);
    assert!(out.contains("> [!CAUTION]"), "{out}");
    assert!(!out.contains("<details>"), "the details were dropped:\n{out}");
}

#[test]
fn the_latest_removal_is_the_one_regained_since() {
    let h = RemovalHistory::from_outcomes(&[
        removal("2026-11-21T09:00:00Z", alice_read_only(), OutcomeResult::Removed, Some("req-1")),
        removal("2026-12-02T08:00:00Z", alice_read_only(), OutcomeResult::AlreadyRemoved, None),
        removal("2026-12-03T08:00:00Z", alice_read_only(), OutcomeResult::Failed { error: "x".into() }, None),
    ]);
    let r = h.get(&alice_read_only()).unwrap();
    assert_eq!(r.date(), "2026-12-02");
    assert_eq!(r.annotation(), "regained since 2026-12-02 (found already removed 2026-12-02T08:00:00Z)");
}

#[test]
fn a_time_that_is_not_rfc3339_is_shown_as_written() {
    let h = RemovalHistory::from_outcomes(&[removal("yesterday", alice_read_only(), OutcomeResult::Removed, None)]);
    assert_eq!(h.get(&alice_read_only()).unwrap().annotation(), "regained since yesterday (removed yesterday)");
}

#[test]
fn grants_match_by_ids_not_by_how_the_principal_was_named() {
    let mut o = removal("2026-11-21T09:00:00Z", alice_read_only(), OutcomeResult::Removed, None);
    o.principal = PrincipalRef::user_id(ALICE_ID);
    let h = RemovalHistory::from_outcomes(&[o]);
    let plan = small_plan();
    let regained = h.regained(&plan);
    assert_eq!(regained.len(), 1);
    assert_eq!(regained[0].principal, &PrincipalRef::user_name("alice.wong@northwind.example"));
}

/// `render::write` (what `offboard plan` prints, a part at a time) writes exactly what
/// `render_with_history` returns, in every format, with and without a history, for plans of
/// one principal, several, none, and hostile strings; in colour too.
#[test]
fn writing_a_plan_gives_the_rendered_text_byte_for_byte() {
    let mut colour = RenderOptions::default();
    colour.text.color = true;
    for plan in [small_plan(), empty_plan(), hostile_plan(), doc_example_plan()] {
        for history in [RemovalHistory::default(), history()] {
            for options in [RenderOptions::default(), colour] {
                for format in Format::ALL {
                    let mut written = Vec::new();
                    render::write(&plan, format, &options, &history, &mut written).expect("writing to a Vec");
                    assert_eq!(
                        String::from_utf8(written).expect("UTF-8"),
                        render_with_history(&plan, format, &options, &history),
                        "{format}, {} principals",
                        plan.principals.len()
                    );
                }
            }
        }
    }
}
