//! The main job end to end: `plan` → `apply` → `plan` says "No changes", with the built binary
//! against one sandbox seeded from the example organisation, and the example policies.

use offboard_core::outcome::OutcomeResult;
use offboard_core::plan::SkipReason;
use offboard_core::{ApiRequest, Grant, Plan};
use offboard_sandbox::{Faults, LoggedRequest};
use offboard_tests::access::{assert_removed_exactly, grants, planned_removals};
use offboard_tests::cli::{Run, bare_offboard, workspace_root};
use offboard_tests::journal;
use offboard_tests::policy_repo::read_plan;
use offboard_tests::sandbox::TestSandbox;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every operation offboard may call: reads and the four removals. Anything else (a create, an
/// update, an operation of another service) would be a bug, and would need a wider IAM policy.
const ALLOWED: &[(&str, &str)] = &[
    ("identitystore", "GetUserId"),
    ("identitystore", "GetGroupId"),
    ("identitystore", "DescribeUser"),
    ("identitystore", "DescribeGroup"),
    ("identitystore", "ListGroupMembershipsForMember"),
    ("identitystore", "ListUsers"),
    ("identitystore", "ListGroups"),
    ("identitystore", "ListGroupMemberships"),
    ("identitystore", "DeleteGroupMembership"),
    ("sso-admin", "ListInstances"),
    ("sso-admin", "ListPermissionSets"),
    ("sso-admin", "DescribePermissionSet"),
    ("sso-admin", "ListAccountAssignmentsForPrincipal"),
    ("sso-admin", "ListAccountAssignments"),
    ("sso-admin", "ListAccountsForProvisionedPermissionSet"),
    ("sso-admin", "DeleteAccountAssignment"),
    ("sso-admin", "DescribeAccountAssignmentDeletionStatus"),
    ("sso-admin", "ListAccountAssignmentDeletionStatus"),
    ("appstream", "DescribeStacks"),
    ("appstream", "DescribeUserStackAssociations"),
    ("appstream", "BatchDisassociateUserStack"),
    ("kendra", "DescribeIndex"),
    ("kendra", "DescribeDataSource"),
    ("kendra", "ListEntityPersonas"),
    ("kendra", "ListExperienceEntities"),
    ("kendra", "DescribePrincipalMapping"),
    ("kendra", "DisassociatePersonasFromEntities"),
    ("kendra", "DisassociateEntitiesFromExperience"),
    ("kendra", "DeletePrincipalMapping"),
];

fn root() -> std::path::PathBuf {
    workspace_root()
}

/// The user name or group display name a plan gives a principal.
fn principal_plan<'a>(plan: &'a Plan, name: &str) -> &'a offboard_core::plan::PrincipalPlan {
    plan.principals
        .iter()
        .find(|p| p.principal.to_string().contains(name))
        .unwrap_or_else(|| panic!("the plan has no principal {name}"))
}

#[test]
fn plan_apply_then_plan_says_no_changes_and_only_planned_grants_are_gone() {
    let sandbox = TestSandbox::example(Faults::none());
    let out = tempfile::tempdir().unwrap();
    let plan_file = out.path().join("plan.json");
    let journal_file = out.path().join("journal.jsonl");
    let before = grants(&sandbox.snapshot());

    // Drift detection before apply: there is something to remove.
    Run::of(sandbox.offboard(&root()).args(["plan", "policies", "--detailed-exitcode"]))
        .expect_code(2)
        .expect_stdout("Plan: 27 to remove");
    Run::of(sandbox.offboard(&root()).args(["plan", "policies", "--out"]).arg(&plan_file))
        .expect_code(0)
        .expect_stdout(
            "Plan: 27 to remove (groups 4, sso 8, appstream 3, kendra 12), 9 skipped, 5 remain through groups.",
        );
    assert_eq!(grants(&sandbox.snapshot()), before, "planning must not change anything");

    let plan = read_plan(&plan_file);
    let planned = planned_removals(&plan);
    assert_eq!(planned.len(), 27, "one planned removal per grant: {planned:#?}");
    assert!(planned.is_subset(&before), "the plan removes only grants that exist");
    // The plan's guardrails, checked at the plan: what must stay is in `skipped`, with its reason.
    let alice = principal_plan(&plan, "alice.wong");
    assert!(
        alice.skipped.iter().any(|s| s.grant.account_id() == Some("111111111111")
            && matches!(&s.why, SkipReason::Protected { what } if what.contains("111111111111"))),
        "alice's assignment in the protected account is skipped as protected: {:#?}",
        alice.skipped
    );
    let bob = principal_plan(&plan, "bob.martin");
    assert!(
        bob.skipped.iter().any(|s| s.grant.account_id() == Some("222222222222") && matches!(s.why, SkipReason::Kept)),
        "bob keeps 222222222222: {:#?}",
        bob.skipped
    );

    let applied =
        Run::of(sandbox.offboard(&root()).args(["apply"]).arg(&plan_file).arg("--journal").arg(&journal_file))
            .expect_code(0)
            .expect_stdout("Apply complete: 27 removed, 0 already removed, 0 failed.");

    // The state: exactly the planned grants are gone, everything else is untouched.
    let snapshot = sandbox.snapshot();
    let after = grants(&snapshot);
    assert_removed_exactly(&before, &after, &planned);
    // The same, spelled out for the cases the example organisation was built to trip.
    let has_assignment =
        |who: &str, account: &str| snapshot.assignments_of(who).iter().any(|a| a.account_id == account);
    assert!(has_assignment("alice.wong@northwind.example", "111111111111"), "protected account kept");
    assert!(has_assignment("bob.martin@northwind.example", "222222222222"), "bob's kept account kept");
    assert!(has_assignment("breakglass@northwind.example", "111111111111"), "protected user kept");
    assert!(has_assignment("AWSControlTowerAdmins", "777777777777"), "protected group kept");
    assert!(has_assignment("Platform Engineering", "444444444444"), "non-leaver group kept");
    assert!(has_assignment("dave.kim@northwind.example", "888888888888"), "non-leaver user kept");
    assert!(
        snapshot.associations_of("carol.diaz@northwind.example").iter().any(|a| a.stack_name == "analytics-workbench"),
        "carol's AppStream association stays: her scope excludes appstream"
    );
    assert!(snapshot.assignments_of("alice.wong@northwind.example").len() == 1, "alice keeps only the protected one");
    assert!(snapshot.group_mappings_of("platform-engineering").iter().all(|m| m.present));
    assert!(snapshot.group_mappings_of("summer-interns").iter().all(|m| !m.present));
    // Erin's removal is not effective yet: whatever the plan skipped (for any reason) is still there.
    for p in &plan.principals {
        for s in &p.skipped {
            assert!(after.contains(&s.grant), "{} skipped {:?} ({:?}) but it is gone", p.principal, s.grant, s.why);
        }
    }

    // The journal: one complete line per planned grant, each removed, with the AWS request id
    // the sandbox logged for the call that removed it.
    let outcomes = journal::read(&journal_file);
    assert_eq!(outcomes.len(), planned.len(), "one journal line per planned item");
    let journaled: BTreeSet<Grant> = outcomes.iter().map(|o| o.grant.clone()).collect();
    assert_eq!(journaled, planned, "the journal names exactly the planned grants");
    let answered: BTreeMap<String, LoggedRequest> =
        sandbox.request_log().into_iter().map(|r| (r.request_id.clone(), r)).collect();
    for o in &outcomes {
        assert_eq!(o.result, OutcomeResult::Removed, "{o:?}");
        let id = o.request_id.as_deref().unwrap_or_else(|| panic!("no request id in {o:?}"));
        let logged = answered.get(id).unwrap_or_else(|| panic!("request id {id} of {o:?} is not in the sandbox log"));
        assert_eq!(logged.operation, o.operation, "the journal names the operation that was sent");
        assert_eq!(logged.status, 200, "{logged:?}");
        assert!(applied.stdout.contains(id), "the result line shows the request id {id}");
    }

    // Converged: the next plan is empty, and drift detection says so.
    Run::of(sandbox.offboard(&root()).args(["plan", "policies"])).expect_code(0).expect_stdout("No changes");
    Run::of(sandbox.offboard(&root()).args(["plan", "policies", "--detailed-exitcode"]))
        .expect_code(0)
        .expect_stdout("No changes");

    // Re-applying the same reviewed plan is a no-op that says so item by item.
    Run::of(sandbox.offboard(&root()).args(["apply"]).arg(&plan_file).arg("--journal").arg(&journal_file))
        .expect_code(0)
        .expect_stdout("Apply complete: 0 removed, 27 already removed, 0 failed.");
    assert_eq!(grants(&sandbox.snapshot()), after, "a second apply changes nothing");
    let outcomes = journal::read(&journal_file);
    assert_eq!(outcomes.len(), 54, "the journal is appended to, never rewritten");
    assert!(outcomes[27..].iter().all(journal::is_already_removed), "{:#?}", &outcomes[27..]);
}

#[test]
fn apply_auto_approve_removes_what_plan_shows_and_converges() {
    let sandbox = TestSandbox::example(Faults::none());
    let out = tempfile::tempdir().unwrap();
    let plan_file = out.path().join("plan.json");
    Run::of(sandbox.offboard(&root()).args(["plan", "policies", "--out"]).arg(&plan_file)).expect_code(0);
    let planned = planned_removals(&read_plan(&plan_file));
    let before = grants(&sandbox.snapshot());

    let run = Run::of(sandbox.offboard(&root()).args(["apply", "--auto-approve", "policies"]))
        .expect_code(0)
        .expect_stdout("Apply complete: 27 removed, 0 already removed, 0 failed.");
    // It shows the plan it executes before the results.
    let plan_at = run.stdout.find("Plan: 27 to remove").expect("the plan is printed");
    let results_at = run.stdout.find("Apply complete").expect("the summary is printed");
    assert!(plan_at < results_at, "{run}");

    assert_removed_exactly(&before, &grants(&sandbox.snapshot()), &planned);
    Run::of(sandbox.offboard(&root()).args(["plan", "policies", "--detailed-exitcode"]))
        .expect_code(0)
        .expect_stdout("No changes");
    Run::of(sandbox.offboard(&root()).args(["apply", "--auto-approve", "policies"]))
        .expect_code(0)
        .expect_stdout("No changes");
}

#[test]
fn show_renders_a_saved_plan_in_every_format() {
    let out = tempfile::tempdir().unwrap();
    let plan_file = out.path().join("plan.json");
    Run::of(
        bare_offboard(&root())
            .arg("--sandbox")
            .arg(root().join("examples/sandbox/org.yaml"))
            .arg("--sandbox-state")
            .arg(out.path().join("sandbox-state.json"))
            .args(["plan", "policies", "--out"])
            .arg(&plan_file),
    )
    .expect_code(0);
    let bytes = std::fs::read(&plan_file).unwrap();
    let plan = read_plan(&plan_file);
    let show = |format: &str| {
        Run::of(bare_offboard(Path::new("/")).arg("show").arg(&plan_file).args(["--format", format])).expect_code(0)
    };

    // JSON: the plan file itself, byte for byte (the plan digest stays verifiable).
    let json = show("json");
    assert_eq!(json.stdout.as_bytes(), bytes.as_slice(), "show --format json reproduces the file");

    // Markdown: a PR comment naming the digest of this very file, every principal and the summary.
    let markdown = show("markdown");
    let digest = plan.digest();
    assert!(markdown.stdout.contains(&digest), "the comment names the plan digest {digest}\n{markdown}");
    assert!(markdown.stdout.contains(&plan.policy_digest), "{markdown}");
    assert!(markdown.stdout.contains("Plan: 27 to remove"), "{markdown}");
    assert!(markdown.stdout.contains("```diff"), "before → after diffs\n{markdown}");

    // Text: one block per principal with its reason, each removal as a `-` line, the summary last.
    let text = show("text");
    for p in &plan.principals {
        assert!(text.stdout.contains(&p.reason), "text names {}'s reason\n{text}", p.principal);
    }
    let minus_lines = text.stdout.lines().filter(|l| l.trim_start().starts_with("- ")).count();
    assert_eq!(minus_lines, plan.removal_count(), "one `-` line per removal\n{text}");
    assert!(
        text.stdout.trim_end().ends_with(
            "Plan: 27 to remove (groups 4, sso 8, appstream 3, kendra 12), 9 skipped, 5 remain through groups."
        ),
        "{text}"
    );
    assert!(!text.stdout.contains('\u{1b}'), "no colour when stdout is not a terminal");

    // Not a plan: refused with a reason, not a panic.
    let bogus = out.path().join("bogus.json");
    std::fs::write(&bogus, "{\"hello\": 1}\n").unwrap();
    Run::of(bare_offboard(Path::new("/")).arg("show").arg(&bogus)).expect_code(1).expect_stderr("format_version");
}

/// Counts of requests by (service, operation).
fn count_by_operation(log: &[LoggedRequest]) -> BTreeMap<(String, String), usize> {
    let mut counts = BTreeMap::new();
    for r in log {
        *counts.entry((r.service.clone(), r.operation.clone())).or_insert(0) += 1;
    }
    counts
}

/// Prints the table of API calls for plan and apply of the example policies on the example
/// organisation (the numbers for the issue note), and checks that every call was one offboard is
/// allowed to make, well-formed, and — for removals — one the plan contains.
#[test]
fn api_calls_of_plan_and_apply_are_allowed_and_match_the_plan() {
    let sandbox = TestSandbox::example(Faults::none());
    let out = tempfile::tempdir().unwrap();
    let plan_file = out.path().join("plan.json");

    sandbox.clear_request_log();
    Run::of(sandbox.offboard(&root()).args(["plan", "policies", "--out"]).arg(&plan_file)).expect_code(0);
    let plan_log = sandbox.request_log();
    sandbox.clear_request_log();
    Run::of(sandbox.offboard(&root()).args(["apply"]).arg(&plan_file)).expect_code(0);
    let apply_log = sandbox.request_log();
    let plan = read_plan(&plan_file);

    let plan_counts = count_by_operation(&plan_log);
    let apply_counts = count_by_operation(&apply_log);
    let keys: BTreeSet<_> = plan_counts.keys().chain(apply_counts.keys()).cloned().collect();
    println!("\n| service | operation | plan | apply |\n|---|---|--:|--:|");
    for key in &keys {
        let (service, op) = key;
        let p = plan_counts.get(key).copied().unwrap_or(0);
        let a = apply_counts.get(key).copied().unwrap_or(0);
        println!("| {service} | {op} | {p} | {a} |");
    }
    println!("| **total** | | **{}** | **{}** |\n", plan_log.len(), apply_log.len());

    let allowed: BTreeSet<(String, String)> = ALLOWED.iter().map(|(s, o)| ((*s).to_owned(), (*o).to_owned())).collect();
    for r in plan_log.iter().chain(&apply_log) {
        assert!(
            allowed.contains(&(r.service.clone(), r.operation.clone())),
            "offboard called {} {}, which it must never need: {r:?}",
            r.service,
            r.operation
        );
        // Without faults nothing should fail, and every answer must match the official model.
        assert!(r.status < 500 && r.fault.is_none(), "{r:?}");
        assert!(
            !matches!(
                r.error.as_deref(),
                Some("ValidationException" | "SerializationException" | "UnknownOperationException")
            ),
            "a malformed request: {r:?}"
        );
        assert!(r.conformance.is_empty(), "an answer that breaks the model: {r:?}");
    }
    for r in &plan_log {
        assert!(
            ![
                "DeleteAccountAssignment",
                "BatchDisassociateUserStack",
                "DisassociatePersonasFromEntities",
                "DeletePrincipalMapping"
            ]
            .contains(&r.operation.as_str()),
            "plan must only read: {r:?}"
        );
    }

    // Every removal request in the log is one of the plan's requests, and each planned request was
    // sent exactly once (no faults, so no retries).
    let planned_inputs: Vec<(String, serde_json::Value)> =
        plan.actions.iter().map(|a| (a.request.operation().to_owned(), request_input(&a.request))).collect();
    let removals: Vec<&LoggedRequest> =
        apply_log.iter().filter(|r| planned_inputs.iter().any(|(op, _)| *op == r.operation)).collect();
    for r in &removals {
        let matching =
            planned_inputs.iter().filter(|(op, input)| *op == r.operation && same_members(input, &r.params)).count();
        assert_eq!(matching, 1, "a removal that is not (exactly one of) the plan's requests: {r:?}");
    }
    assert_eq!(removals.len(), plan.actions.len(), "each planned request sent once");
    for r in apply_log.iter().filter(|r| r.operation == "DeletePrincipalMapping") {
        assert_eq!(r.params["OrderingId"], plan.ordering_id, "the plan's OrderingId is sent: {r:?}");
    }
}

/// The `input` of a planned request, as the JSON members AWS receives.
fn request_input(request: &ApiRequest) -> serde_json::Value {
    let value = serde_json::to_value(request).unwrap();
    value.get("input").cloned().unwrap_or_else(|| panic!("a planned request without `input`: {value}"))
}

/// Whether the request sent is exactly the planned one: the same members with the same values
/// (list order inside batch calls included), nothing added, nothing left out.
fn same_members(planned: &serde_json::Value, sent: &serde_json::Value) -> bool {
    planned.is_object() && planned == sent
}
