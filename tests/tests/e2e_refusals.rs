//! What `apply` must refuse, and what it must leave alone: a stale plan, an old plan, a plan
//! larger than the guardrail, a bad policy file, and access granted after the plan was made.
//! Every refusal is checked on the sandbox too: nothing was removed, and nothing was even sent.

use aws_sdk_kendra::types::{GroupMembers, MemberUser};
use aws_sdk_ssoadmin::types::PrincipalType;
use offboard_core::Grant;
use offboard_core::grant::KendraGroupMapping;
use offboard_sandbox::{Faults, LoggedRequest};
use offboard_tests::access::{assert_removed_exactly, grants, planned_removals};
use offboard_tests::cli::Run;
use offboard_tests::policy_repo::PolicyRepo;
use offboard_tests::sandbox::TestSandbox;
use offboard_tests::sso::{AccountAssignment, resolved_id};
use std::collections::BTreeSet;

const REMOVALS: &[&str] = &[
    "DeleteAccountAssignment",
    "BatchDisassociateUserStack",
    "DisassociatePersonasFromEntities",
    "DeletePrincipalMapping",
];

fn removal_requests(log: &[LoggedRequest]) -> Vec<&LoggedRequest> {
    log.iter().filter(|r| REMOVALS.contains(&r.operation.as_str())).collect()
}

/// Plans in `repo` into `plan.json` and returns how many grants it removes.
fn plan(sandbox: &TestSandbox, repo: &PolicyRepo) -> usize {
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"])).expect_code(0);
    repo.plan("plan.json").removal_count()
}

/// The example sandbox and a copy of the example policies, planned into `plan.json`.
fn planned_example() -> (TestSandbox, PolicyRepo) {
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    plan(&sandbox, &repo);
    (sandbox, repo)
}

#[test]
fn a_plan_made_from_other_policy_files_is_refused() {
    let (sandbox, repo) = planned_example();
    let before = sandbox.snapshot();
    // A reviewer-invisible change after planning: one leaver's reason is edited.
    repo.edit("policies/leavers/2026-11-alice-wong.yaml", "HR-4211 left", "HR-4212 left");
    sandbox.clear_request_log();

    let run = Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"]))
        .expect_code(1)
        .expect_stderr("policy changed");
    assert!(run.stderr.contains(&repo.plan("plan.json").policy_digest), "names the plan's digest\n{run}");
    assert_eq!(sandbox.snapshot(), before, "a refused plan removes nothing");
    assert!(sandbox.request_log().is_empty(), "refused before any AWS call: {:#?}", sandbox.request_log());

    // Undoing the edit makes the same plan acceptable again: the refusal was about the digest.
    repo.edit("policies/leavers/2026-11-alice-wong.yaml", "HR-4212 left", "HR-4211 left");
    Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"])).expect_code(0);
}

#[test]
fn a_plan_older_than_max_plan_age_is_refused() {
    let (sandbox, repo) = planned_example();
    // Backdate the plan instead of waiting: apply checks the policy digest, not the plan's own
    // digest, so editing created_at keeps it otherwise valid.
    let mut json: serde_json::Value = serde_json::from_str(&repo.read("plan.json")).unwrap();
    json["created_at"] = serde_json::json!("2000-01-01T00:00:00Z");
    repo.write("plan.json", &serde_json::to_string_pretty(&json).unwrap());
    let before = sandbox.snapshot();
    sandbox.clear_request_log();

    for extra in [&[][..], &["--max-plan-age", "7d"][..]] {
        Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"]).args(extra))
            .expect_code(1)
            .expect_stderr("--max-plan-age")
            .expect_stderr("2000-01-01T00:00:00Z");
    }
    assert_eq!(sandbox.snapshot(), before);
    assert!(sandbox.request_log().is_empty(), "refused before any AWS call");

    // A generous limit accepts the same file: the age was the only reason.
    Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json", "--max-plan-age", "100000d"]))
        .expect_code(0)
        .expect_stdout("27 removed");
}

#[test]
fn more_removals_than_max_removals_need_allow_large() {
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    repo.edit("policies/offboard.yaml", "max_removals: 500", "max_removals: 2");
    let count = plan(&sandbox, &repo);
    assert!(count > 2, "the example plan removes {count} grants");
    let before = sandbox.snapshot();
    sandbox.clear_request_log();

    Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"]))
        .expect_code(1)
        .expect_stderr("max_removals")
        .expect_stderr("--allow-large");
    Run::of(sandbox.offboard(repo.root()).args(["apply", "--auto-approve", "policies"]))
        .expect_code(1)
        .expect_stderr("max_removals");
    assert_eq!(sandbox.snapshot(), before, "a refused plan removes nothing");
    assert!(removal_requests(&sandbox.request_log()).is_empty(), "no removal was sent");

    let planned = planned_removals(&repo.plan("plan.json"));
    let before = grants(&before);
    Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json", "--allow-large"]))
        .expect_code(0)
        .expect_stdout(&format!("Apply complete: {count} removed"));
    assert_removed_exactly(&before, &grants(&sandbox.snapshot()), &planned);
}

#[test]
fn a_bad_policy_file_is_reported_with_its_location_before_any_aws_call() {
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    repo.write(
        "policies/leavers/2026-12-typo.yaml",
        "version: 1\nusers:\n  - user: dave.kim@northwind.example\n    resaon: HR-5000 left\n",
    );

    let validate = Run::of(sandbox.offboard(repo.root()).arg("validate")).expect_code(1);
    let planned = Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"])).expect_code(1);
    let applied = Run::of(sandbox.offboard(repo.root()).args(["apply", "--auto-approve"])).expect_code(1);
    for run in [validate, planned, applied] {
        // path:line:column, what is wrong and what would be right.
        let run = run.expect_stderr("policies/leavers/2026-12-typo.yaml:4:5:").expect_stderr("resaon");
        assert!(run.stderr.contains("reason"), "suggests the right key\n{run}");
        assert!(!run.stderr.contains("panicked"), "{run}");
    }
    assert!(!repo.path("plan.json").exists(), "no plan is written from a bad policy");
    assert!(sandbox.request_log().is_empty(), "no AWS call from a bad policy: {:#?}", sandbox.request_log());
}

#[test]
fn an_assignment_granted_after_planning_is_left_alone_until_the_next_plan() {
    let (sandbox, repo) = planned_example();
    let old_plan = repo.plan("plan.json");
    let planned = old_plan
        .actions
        .iter()
        .find_map(|a| AccountAssignment::deleted_by(&a.request))
        .expect("the plan removes an Identity Center assignment");

    // Someone gives Alice access again, in an account the plan never saw her in, with the
    // instance and a permission set from the plan.
    let regrant = AccountAssignment {
        account_id: "777777777777".to_owned(),
        principal_type: PrincipalType::User,
        principal_id: resolved_id(&old_plan, "alice.wong"),
        ..planned
    };
    sandbox.block_on(regrant.create(&sandbox.sso_admin())).expect("the sandbox creates the assignment");
    let regranted = regrant.grant();
    let before = grants(&sandbox.snapshot());
    assert!(before.contains(&regranted));

    // The reviewed plan runs exactly as reviewed: the new grant is not in it, so it stays.
    Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"]))
        .expect_code(0)
        .expect_stdout(&format!("Apply complete: {} removed", old_plan.removal_count()));
    let after = grants(&sandbox.snapshot());
    assert_removed_exactly(&before, &after, &planned_removals(&old_plan));
    assert!(after.contains(&regranted), "the grant made after planning is untouched");

    // The next plan finds it (drift), and only it.
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--detailed-exitcode", "--out", "next.json"])).expect_code(2);
    let next = repo.plan("next.json");
    assert_eq!(planned_removals(&next), BTreeSet::from([regranted.clone()]));
    Run::of(sandbox.offboard(repo.root()).args(["apply", "next.json"])).expect_code(0).expect_stdout("1 removed");
    assert!(!grants(&sandbox.snapshot()).contains(&regranted));
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--detailed-exitcode"])).expect_code(0);
}

#[test]
fn a_kendra_mapping_written_after_planning_is_not_overridden_by_the_old_plan() {
    let (sandbox, repo) = planned_example();
    let old_plan = repo.plan("plan.json");
    let index = "4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c";

    // After the plan was made, the identity sync re-PUTs the index-level summer-interns mapping
    // with a newer OrderingId. Kendra applies the newest action; the old plan's delete must not
    // undo this later decision.
    let newer = old_plan.ordering_id + 1;
    sandbox
        .block_on(
            sandbox
                .kendra()
                .put_principal_mapping()
                .index_id(index)
                .group_id("summer-interns")
                .group_members(
                    GroupMembers::builder()
                        .member_users(MemberUser::builder().user_id("priya.raman@northwind.example").build().unwrap())
                        .build(),
                )
                .ordering_id(newer)
                .send(),
        )
        .expect("the sandbox accepts the PUT");
    let before = grants(&sandbox.snapshot());
    let index_level = Grant::KendraGroupMapping(KendraGroupMapping {
        index_id: index.into(),
        data_source_id: None,
        group_id: "summer-interns".into(),
    });
    assert!(before.contains(&index_level));

    // The run names exactly that action as failed (exit 3), and everything else is removed.
    let run = Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json", "--journal", "journal.jsonl"]))
        .expect_code(3);
    let failed_lines: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("failed")).collect();
    assert_eq!(failed_lines.len(), 1, "{run}");
    assert!(failed_lines[0].contains("summer-interns") && failed_lines[0].contains("index level"), "{run}");
    assert!(failed_lines[0].contains("newer"), "says why\n{run}");
    let after = grants(&sandbox.snapshot());
    let mut removed = planned_removals(&old_plan);
    removed.remove(&index_level);
    assert_removed_exactly(&before, &after, &removed);
    let mapping = sandbox.snapshot();
    let mapping = mapping
        .kendra_group_mappings
        .iter()
        .find(|m| m.group_id == "summer-interns" && m.data_source_id.is_none())
        .expect("the index-level mapping");
    assert!(mapping.present);
    assert_eq!(mapping.ordering_id, u64::try_from(newer).unwrap(), "the newer PUT is still the latest action");
    let journal = offboard_tests::journal::read(&repo.path("journal.jsonl"));
    let failures: Vec<_> = journal.iter().filter(|o| offboard_tests::journal::failure(o).is_some()).collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].grant, index_level);

    // A new plan (a newer OrderingId) removes it.
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "next.json"])).expect_code(0);
    let next = repo.plan("next.json");
    assert!(next.ordering_id > newer, "a later plan has a later OrderingId");
    assert_eq!(planned_removals(&next), BTreeSet::from([index_level.clone()]));
    Run::of(sandbox.offboard(repo.root()).args(["apply", "next.json"])).expect_code(0);
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--detailed-exitcode"])).expect_code(0);
}

/// The index-level summer-interns mapping, re-PUT behind offboard's back with `ordering_id`.
fn put_interns_mapping(sandbox: &TestSandbox, ordering_id: i64) {
    sandbox
        .block_on(
            sandbox
                .kendra()
                .put_principal_mapping()
                .index_id("4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c")
                .group_id("summer-interns")
                .group_members(
                    GroupMembers::builder()
                        .member_users(MemberUser::builder().user_id("priya.raman@northwind.example").build().unwrap())
                        .build(),
                )
                .ordering_id(ordering_id)
                .send(),
        )
        .expect("the sandbox accepts the PUT");
}

fn interns_index_level() -> Grant {
    Grant::KendraGroupMapping(KendraGroupMapping {
        index_id: "4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c".into(),
        data_source_id: None,
        group_id: "summer-interns".into(),
    })
}

/// A writer may choose any `OrderingId`: a change received after the plan was made, even with
/// an id lower than the plan's, is a change the reviewer never saw, and the plan's delete (which
/// Kendra would apply, its id being higher) must not undo it.
#[test]
fn a_kendra_mapping_changed_after_planning_with_a_lower_ordering_id_is_not_removed() {
    let (sandbox, repo) = planned_example();
    let old_plan = repo.plan("plan.json");
    put_interns_mapping(&sandbox, old_plan.ordering_id - 60_000);
    let index_level = interns_index_level();
    let before = grants(&sandbox.snapshot());
    assert!(before.contains(&index_level));

    let run = Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"])).expect_code(3);
    let failed: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("failed")).collect();
    assert_eq!(failed.len(), 1, "{run}");
    assert!(failed[0].contains("index level") && failed[0].contains("changed after this plan was made"), "{run}");
    let after = grants(&sandbox.snapshot());
    assert!(after.contains(&index_level), "the later change stands");
    let mut removed = planned_removals(&old_plan);
    removed.remove(&index_level);
    assert_removed_exactly(&before, &after, &removed);
}

/// A mapping whose latest change carries an `OrderingId` from the future can never be removed
/// by a plan made now (Kendra ignores older deletes): `plan` says so instead of planning a
/// removal that would silently do nothing.
#[test]
fn a_kendra_mapping_no_plan_made_now_could_remove_is_reported_at_plan_time() {
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    let future = i64::try_from(now_ms).unwrap() + 30 * 86_400_000;
    put_interns_mapping(&sandbox, future);
    let run = Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"]))
        .expect_code(0)
        .expect_stdout(&format!("the mapping's latest OrderingId {future} is not older than the plan's"));
    let plan = repo.plan("plan.json");
    assert!(!planned_removals(&plan).contains(&interns_index_level()), "not planned\n{run}");
    let interns = plan.principals.iter().find(|p| p.principal.label() == "Summer Interns").unwrap();
    assert!(interns.skipped.iter().any(|k| k.grant == interns_index_level()), "shown as remaining\n{run}");
}
