//! The evidence report (`offboard report`): reading journals (bad lines located, truncated
//! records survived), what the report states, and its Markdown and JSON layouts (snapshots).

mod render_common;

use offboard_core::grant::{Grant, Persona};
use offboard_core::outcome::{Outcome, OutcomeResult};
use offboard_core::principal::{PrincipalKind, PrincipalRef};
use offboard_core::render::evidence::{self, EvidenceOptions};
use offboard_core::report::{Commit, Report, ReportContext, parse_journal};
use proptest::prelude::*;
use render_common::*;

const PLAN_DIGEST: &str = "sha256:82c7675c7b1d12431bd5d885297e5043b30c8ebf085de91bfeb9e44b41704819";
const PLAN_DIGEST_2: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const POLICY_DIGEST: &str = "sha256:823412d1eacb67956220e532959f0104603057c88704863ca38e7cd188fda812";

fn context() -> ReportContext {
    ReportContext {
        journal: "journal.jsonl".into(),
        commit: Commit { sha: "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49".into(), source: "GITHUB_SHA".into() },
        generated_at: "2026-11-21T10:00:00Z".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn outcome(
    time: &str,
    action_id: &str,
    operation: &str,
    principal: PrincipalRef,
    reason: &str,
    grant: Grant,
    request: Option<&str>,
    result: OutcomeResult,
    plan_digest: Option<&str>,
) -> Outcome {
    Outcome {
        time: time.into(),
        action_id: action_id.into(),
        operation: operation.into(),
        principal,
        reason: reason.into(),
        grant,
        request_id: request.map(Into::into),
        deletion_request_id: (operation == "DeleteAccountAssignment" && request.is_some())
            .then(|| format!("del-{}", request.unwrap_or_default())),
        result,
        attempts: 1,
        plan_digest: plan_digest.map(Into::into),
        policy_digest: plan_digest.map(|_| POLICY_DIGEST.into()),
    }
}

fn alice() -> PrincipalRef {
    PrincipalRef::user_name("alice.wong@northwind.example")
}
fn interns() -> PrincipalRef {
    PrincipalRef::group_name("Summer Interns")
}
const ALICE_REASON: &str = "HR-4211 left the company 2026-11-20";
const INTERNS_REASON: &str = "OPS-77 internship programme 2026 ended";

/// Two runs: the first removes most of it and fails on a Kendra persona and a group mapping;
/// the second (a new plan) removes the persona. The group mapping stays failed.
fn journal_outcomes() -> Vec<Outcome> {
    let sso_a = sso("222222222222", READ_ONLY, PrincipalKind::User, ALICE_ID);
    let sso_i = sso("333333333333", READ_ONLY, PrincipalKind::Group, INTERNS_ID);
    let viewer = persona("support-portal", ALICE_ID, Persona::Viewer);
    let map = mapping(Some("confluence-wiki"), "summer-interns");
    let p1 = Some(PLAN_DIGEST);
    vec![
        outcome(
            "2026-11-21T09:14:03.120Z",
            "sso-1",
            "DeleteAccountAssignment",
            alice(),
            ALICE_REASON,
            sso_a,
            Some("0b6f2c1e-aaaa-4bbb-8ccc-000000000001"),
            OutcomeResult::Removed,
            p1,
        ),
        outcome(
            "2026-11-21T09:14:04.500Z",
            "sso-2",
            "DeleteAccountAssignment",
            interns(),
            INTERNS_REASON,
            sso_i,
            None,
            OutcomeResult::AlreadyRemoved,
            p1,
        ),
        outcome(
            "2026-11-21T09:14:05.010Z",
            "appstream-1",
            "BatchDisassociateUserStack",
            alice(),
            ALICE_REASON,
            stack("analytics-desktop", "alice.wong@northwind.example"),
            Some("0b6f2c1e-aaaa-4bbb-8ccc-000000000002"),
            OutcomeResult::Removed,
            p1,
        ),
        outcome(
            "2026-11-21T09:14:06.000Z",
            "kendra-persona-1",
            "DisassociatePersonasFromEntities",
            alice(),
            ALICE_REASON,
            viewer.clone(),
            Some("0b6f2c1e-aaaa-4bbb-8ccc-000000000003"),
            OutcomeResult::Failed { error: "ThrottlingException: Rate exceeded (after 5 attempts)".into() },
            p1,
        ),
        outcome(
            "2026-11-21T09:14:07.000Z",
            "kendra-mapping-1",
            "DeletePrincipalMapping",
            interns(),
            INTERNS_REASON,
            map,
            None,
            OutcomeResult::Failed {
                error: "AccessDeniedException: not authorized | check the role's kendra:DeletePrincipalMapping".into(),
            },
            p1,
        ),
        outcome(
            "2026-11-21T09:40:00Z",
            "kendra-persona-1",
            "DisassociatePersonasFromEntities",
            alice(),
            ALICE_REASON,
            viewer,
            Some("0b6f2c1e-aaaa-4bbb-8ccc-000000000004"),
            OutcomeResult::Removed,
            Some(PLAN_DIGEST_2),
        ),
    ]
}

fn journal_text() -> String {
    journal_outcomes().iter().map(|o| o.to_json_line() + "\n").collect()
}

fn report_of(text: &str) -> Report {
    Report::build(&parse_journal("journal.jsonl", text).unwrap(), &context())
}

#[test]
fn report_markdown() {
    let out = evidence::markdown(&report_of(&journal_text()), &EvidenceOptions::default());
    insta::assert_snapshot!(out);
}

#[test]
fn report_json() {
    let out = report_of(&journal_text()).to_json();
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["format_version"], 1);
    insta::assert_snapshot!(out);
}

#[test]
fn report_states_who_lost_what_with_request_ids_and_failures() {
    let r = report_of(&journal_text());
    assert_eq!((r.counts.removed, r.counts.already_removed, r.counts.failed), (3, 1, 2));
    assert_eq!(r.principals.len(), 2);
    let alice = &r.principals[0];
    assert_eq!(alice.name, "user alice.wong@northwind.example");
    assert_eq!(alice.not_removed, 0, "the failed persona was removed by the second run");
    assert_eq!(alice.entries[0].request_id.as_deref(), Some("0b6f2c1e-aaaa-4bbb-8ccc-000000000001"));
    assert_eq!(alice.entries[0].deletion_request_id.as_deref(), Some("del-0b6f2c1e-aaaa-4bbb-8ccc-000000000001"));
    let interns = &r.principals[1];
    assert_eq!(interns.not_removed, 1, "the group mapping's only outcome is a failure");
    assert_eq!(r.not_removed.len(), 1);
    assert!(r.not_removed[0].access.contains("group mapping summer-interns"));
    assert_eq!(r.failures.len(), 2);
    assert_eq!(r.runs.len(), 2, "two plans were applied");
    assert_eq!(r.runs[0].plan_digest.as_deref(), Some(PLAN_DIGEST));
    assert_eq!(r.runs[0].outcomes, 5);
    assert_eq!(r.runs[1].plan_digest.as_deref(), Some(PLAN_DIGEST_2));
    assert_eq!(r.first_time.as_deref(), Some("2026-11-21T09:14:03.120Z"));
    assert_eq!(r.last_time.as_deref(), Some("2026-11-21T09:40:00Z"));

    let md = evidence::markdown(&r, &EvidenceOptions::default());
    for needle in [
        "0b6f2c1e-aaaa-4bbb-8ccc-000000000001",
        "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49",
        PLAN_DIGEST,
        POLICY_DIGEST,
        "1 grant is not removed",
        "failed: AccessDeniedException",
    ] {
        assert!(md.contains(needle), "markdown names {needle}:\n{md}");
    }
}

#[test]
fn journals_from_before_digests_were_recorded_say_so() {
    let mut o = journal_outcomes().remove(0);
    o.plan_digest = None;
    o.policy_digest = None;
    let md = evidence::markdown(&report_of(&o.to_json_line()), &EvidenceOptions::default());
    assert!(md.contains("Plan digest: not recorded · policy digest: not recorded"), "{md}");
}

#[test]
fn an_empty_journal_reports_that_nothing_was_removed() {
    let r = report_of("\n\n");
    assert!(r.principals.is_empty());
    let md = evidence::markdown(&r, &EvidenceOptions::default());
    assert!(md.contains("records no outcomes"), "{md}");
}

#[test]
fn a_bad_line_is_an_error_naming_file_and_line() {
    let mut lines: Vec<String> = journal_text().lines().map(str::to_owned).collect();
    lines[2] = r#"{"time":"2026-11-21T09:14:05Z","action_id":"x"}"#.to_owned();
    lines.insert(4, "this is not json".to_owned());
    let text = lines.join("\n") + "\n";
    let err = parse_journal("journal.jsonl", &text).unwrap_err();
    assert_eq!(err.errors.len(), 2);
    assert_eq!(err.errors[0].line, 3);
    assert_eq!(err.errors[1].line, 5);
    let shown = err.to_string();
    assert!(shown.contains("journal.jsonl:3: not an apply outcome: missing field"), "{shown}");
    assert!(shown.contains("journal.jsonl:5: not a JSON object"), "{shown}");
    assert!(shown.contains("written by `offboard apply --journal`"), "{shown}");
}

#[test]
fn many_bad_lines_are_counted_beyond_the_listed_ones() {
    let text = "nope\n".repeat(50);
    let err = parse_journal("j.jsonl", &text).unwrap_err();
    assert_eq!(err.errors.len() + err.unlisted, 50);
    assert!(err.to_string().contains("… and 30 more"), "{err}");
}

#[test]
fn a_truncated_last_line_is_reported_not_fatal() {
    let full = journal_text();
    let last = journal_outcomes().last().unwrap().to_json_line();
    // Cut the last record in half, as a run killed mid-write leaves it (no newline).
    let cut = &full[..full.len() - 1 - last.len() / 2];
    let journal = parse_journal("journal.jsonl", cut).unwrap();
    assert_eq!(journal.entries.len(), 5, "every whole line is kept");
    assert_eq!(journal.truncated.len(), 1);
    assert_eq!(journal.truncated[0].line, 6);
    let md = evidence::markdown(&Report::build(&journal, &context()), &EvidenceOptions::default());
    assert!(md.contains("journal.jsonl:6 is a truncated record"), "{md}");
}

#[test]
fn a_truncated_line_followed_by_a_new_run_keeps_the_new_runs_record() {
    let outcomes = journal_outcomes();
    let first = outcomes[0].to_json_line();
    let second = outcomes[1].to_json_line();
    let text = format!("{}{}\n", &first[..40], second);
    let journal = parse_journal("journal.jsonl", &text).unwrap();
    assert_eq!(journal.truncated.len(), 1);
    assert_eq!(journal.truncated[0].line, 1);
    assert_eq!(journal.entries.len(), 1);
    assert_eq!(journal.entries[0].outcome, outcomes[1]);
}

#[test]
fn a_truncated_line_in_the_middle_without_a_record_after_it_is_an_error() {
    let outcomes = journal_outcomes();
    let first = outcomes[0].to_json_line();
    let text = format!("{}\n{}\n", &first[..40], outcomes[1].to_json_line());
    let err = parse_journal("journal.jsonl", &text).unwrap_err();
    assert_eq!(err.errors[0].line, 1);
}

#[test]
fn crlf_journals_read_like_lf_journals() {
    let crlf = journal_text().replace('\n', "\r\n");
    assert_eq!(parse_journal("j", &crlf).unwrap(), parse_journal("j", &journal_text()).unwrap());
}

#[test]
fn a_report_too_large_for_a_page_keeps_the_totals_and_failures_and_says_where_the_rest_is() {
    let r = report_of(&journal_text());
    let full = evidence::markdown(&r, &EvidenceOptions::default());
    let small = evidence::markdown(&r, &EvidenceOptions { max_chars: full.chars().count() - 1 });
    assert!(small.contains("### Who lost what"), "{small}");
    assert!(small.contains("### Failures"), "{small}");
    assert!(small.contains("too large for this page"), "{small}");
    assert!(!small.contains("### user alice"), "per-principal tables are dropped:\n{small}");
    assert!(full.contains("### user alice"), "{full}");
}

#[test]
fn untrusted_text_cannot_break_the_tables() {
    let mut o = journal_outcomes().remove(3);
    o.result = OutcomeResult::Failed { error: "a | b\n</details><script>x</script>".into() };
    let md = evidence::markdown(&report_of(&o.to_json_line()), &EvidenceOptions::default());
    for row in md.lines().filter(|l| l.starts_with("| 2026")) {
        let unescaped = row.match_indices('|').filter(|(i, _)| *i == 0 || &row[i - 1..*i] != "\\").count();
        assert!(unescaped == 7 || unescaped == 8, "cells are intact: {row}");
    }
    assert!(!md.contains("<script>"), "{md}");
    assert!(!md.contains("\n</details>"), "{md}");
}

proptest! {
    #[test]
    fn any_text_never_panics(text in "(\\PC|\n|\\{\"time\":){0,200}") {
        if let Ok(journal) = parse_journal("j.jsonl", &text) {
            let r = Report::build(&journal, &context());
            let _ = evidence::markdown(&r, &EvidenceOptions { max_chars: 100 });
            let _ = r.to_json();
        }
    }

    #[test]
    fn a_journal_cut_anywhere_keeps_every_whole_line(cut in 0usize..2000) {
        let full = journal_text();
        let cut = cut.min(full.len());
        let prefix = &full[..cut];
        let whole = prefix.matches('\n').count();
        // A cut right after a record's `}` leaves a whole record without its newline.
        let tail = prefix.rsplit('\n').next().unwrap_or_default();
        let complete = Outcome::from_json_line(tail).is_ok();
        let journal = parse_journal("j.jsonl", prefix).unwrap();
        prop_assert_eq!(journal.entries.len(), whole + usize::from(complete));
        prop_assert_eq!(journal.truncated.len(), usize::from(!tail.is_empty() && !complete));
    }
}

/// Intents (written before each call) are not outcomes: one followed by its outcome leaves no
/// trace in the counts, one with nothing after it is a call in flight when a run stopped. A
/// verification finding overrides the removal before it.
#[test]
fn intents_without_an_outcome_are_in_flight_and_still_present_is_not_removed() {
    let sso_a = sso("222222222222", READ_ONLY, PrincipalKind::User, ALICE_ID);
    let desk = stack("analytics-desktop", "alice.wong@northwind.example");
    let viewer = persona("support-portal", ALICE_ID, Persona::Viewer);
    let p1 = Some(PLAN_DIGEST);
    let at = |t: &str, id: &str, op: &str, g: &Grant, r: OutcomeResult| {
        outcome(t, id, op, alice(), ALICE_REASON, g.clone(), None, r, p1)
    };
    let lines: Vec<String> = [
        at("2026-11-21T09:14:03Z", "sso-1", "DeleteAccountAssignment", &sso_a, OutcomeResult::Sending),
        at("2026-11-21T09:14:04Z", "sso-1", "DeleteAccountAssignment", &sso_a, OutcomeResult::Removed),
        at("2026-11-21T09:14:05Z", "appstream-1", "BatchDisassociateUserStack", &desk, OutcomeResult::Sending),
        at("2026-11-21T09:14:05Z", "appstream-1", "BatchDisassociateUserStack", &desk, OutcomeResult::Removed),
        at("2026-11-21T09:14:06Z", "appstream-1", "BatchDisassociateUserStack", &desk, OutcomeResult::StillPresent),
        at(
            "2026-11-21T09:14:07Z",
            "kendra-persona-1",
            "DisassociatePersonasFromEntities",
            &viewer,
            OutcomeResult::Sending,
        ),
    ]
    .iter()
    .map(Outcome::to_json_line)
    .collect();
    let parsed = parse_journal("journal.jsonl", &lines.join("\n")).unwrap();
    let r = Report::build(&parsed, &context());
    assert_eq!((r.counts.removed, r.counts.failed, r.counts.still_present), (2, 0, 1));
    assert_eq!(r.runs[0].outcomes, 3, "intents are not outcomes");
    assert_eq!(r.in_flight.len(), 1);
    assert_eq!(r.in_flight[0].grant, viewer);
    assert_eq!(r.not_removed.len(), 1);
    assert_eq!(r.not_removed[0].grant, desk);
    let alice = &r.principals[0];
    assert_eq!((alice.in_flight, alice.not_removed, alice.entries.len()), (1, 1, 3));
    let md = evidence::markdown(&r, &EvidenceOptions::default());
    assert!(md.contains("1 removal was in flight when a run stopped"), "{md}");
    assert!(md.contains("### Still present after apply"), "{md}");
    assert!(md.contains("### In flight when a run stopped"), "{md}");
    assert!(md.contains("2 removed, 0 already removed, 0 failed, 1 still present"), "{md}");
}
