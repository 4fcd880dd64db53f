//! Where offboard looks, and what it sees there: a plan records the account, region, instance
//! and identity store it read, and `apply` refuses to act anywhere else; a leaver the Identity
//! Store does not know still loses the access that names it without an Identity Store id.

use offboard_core::Grant;
use offboard_core::grant::{AppstreamAssociation, KendraGroupMapping};
use offboard_core::state::Resolution;
use offboard_sandbox::{Faults, Org};
use offboard_tests::access::{assert_removed_exactly, grants, planned_removals};
use offboard_tests::cli::{Run, bare_offboard};
use offboard_tests::policy_repo::PolicyRepo;
use offboard_tests::sandbox::TestSandbox;
use std::collections::BTreeSet;

#[test]
fn a_plan_made_in_another_region_is_refused_and_nothing_is_removed() {
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"])).expect_code(0);
    let plan = repo.plan("plan.json");
    assert_eq!(plan.location.region, "us-east-1");
    assert_eq!(plan.location.account_id, sandbox.org().sso.owner_account_id, "the credentials' account (STS)");
    assert_eq!(plan.location.identity_store_id.as_deref(), Some("d-906700a1b2"));
    assert!(plan.location.instance_arn.is_some());
    let before = grants(&sandbox.snapshot());
    sandbox.clear_request_log();

    let mut elsewhere = bare_offboard(repo.root());
    elsewhere.env("AWS_ACCESS_KEY_ID", "test").env("AWS_SECRET_ACCESS_KEY", "test").args([
        "--endpoint-url",
        &sandbox.url(),
        "--region",
        "eu-west-1",
    ]);
    Run::of(elsewhere.args(["apply", "plan.json"]))
        .expect_code(1)
        .expect_stderr("this plan was made in account")
        .expect_stderr("region us-east-1 in the plan, eu-west-1 now");
    assert_eq!(grants(&sandbox.snapshot()), before, "nothing was removed");
    let removals = sandbox
        .request_log()
        .iter()
        .filter(|r| {
            r.operation.starts_with("Delete")
                || r.operation.starts_with("Batch")
                || r.operation.starts_with("Disassociate")
        })
        .count();
    assert_eq!(removals, 0, "no removal call was sent");
}

#[test]
fn a_plan_whose_location_was_edited_is_refused() {
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"])).expect_code(0);
    let owner = sandbox.org().sso.owner_account_id;
    repo.edit(
        "plan.json",
        &format!("\"account_id\": \"{owner}\",\n    \"region\""),
        "\"account_id\": \"999999999999\",\n    \"region\"",
    );
    let before = grants(&sandbox.snapshot());
    Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"]))
        .expect_code(1)
        .expect_stderr(&format!("AWS account 999999999999 in the plan, {owner} now"));
    assert_eq!(grants(&sandbox.snapshot()), before);
}

/// The example organisation plus a contractor who is only in the AppStream user pool (never in
/// the Identity Store) and a Kendra ACL group whose Identity Store group was deleted.
fn org_with_leavers_outside_the_identity_store() -> Org {
    let path = offboard_tests::cli::example_fixture();
    let text = std::fs::read_to_string(&path).unwrap();
    let edits = [
        (
            "appstream:\n  account_id: \"222222222222\"\n",
            "appstream:\n  account_id: \"222222222222\"\n  user_pool: [contractor@partner.example]\n",
        ),
        (
            "        - leo.tanaka@northwind.example\n    - stack: engineering-tools\n",
            "        - leo.tanaka@northwind.example\n        - contractor@partner.example\n    - stack: engineering-tools\n",
        ),
        (
            "      group_mappings:\n",
            "      group_mappings:\n        - group_id: old-team\n          data_source: confluence-wiki\n          member_users: [contractor@partner.example]\n",
        ),
    ];
    let mut text = text;
    for (from, to) in edits {
        assert!(text.contains(from), "the example fixture has {from:?}");
        text = text.replacen(from, to, 1);
    }
    Org::from_yaml_str(&text, "org.yaml").unwrap_or_else(|e| panic!("the edited fixture loads: {e}"))
}

#[test]
fn a_leaver_missing_from_the_identity_store_still_loses_appstream_and_kendra_mappings() {
    let sandbox = TestSandbox::start(org_with_leavers_outside_the_identity_store(), Faults::none());
    let repo = PolicyRepo::example();
    repo.write(
        "policies/leavers/2026-11-outside.yaml",
        "version: 1\nusers:\n  - user: contractor@partner.example\n    reason: SUP-9 contract ended\ngroups:\n  - group: Old Team\n    kendra_group_id: old-team\n    reason: OPS-90 team dissolved\n",
    );
    let run = Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"]))
        .expect_code(0)
        .expect_stdout("not found in the Identity Store; access that names it without an Identity Store id");
    let plan = repo.plan("plan.json");
    let of = |name: &str| {
        plan.principals
            .iter()
            .find(|p| p.principal.label() == name)
            .unwrap_or_else(|| panic!("{name} in the plan\n{run}"))
    };
    let contractor = of("contractor@partner.example");
    assert_eq!(contractor.resolution, Resolution::NotFound);
    let association = Grant::AppstreamAssociation(AppstreamAssociation {
        stack_name: "analytics-workbench".into(),
        user_name: "contractor@partner.example".into(),
        authentication_type: "USERPOOL".into(),
    });
    assert_eq!(contractor.remove, vec![association.clone()], "{run}");
    let old_team = of("Old Team");
    assert_eq!(old_team.resolution, Resolution::NotFound);
    let mapping = Grant::KendraGroupMapping(KendraGroupMapping {
        index_id: "4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c".into(),
        data_source_id: Some("confluence-wiki".into()),
        group_id: "old-team".into(),
    });
    assert_eq!(old_team.remove, vec![mapping.clone()], "{run}");

    // apply re-derives both from the policy (the principals are still not found) and removes them.
    let before = grants(&sandbox.snapshot());
    Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"])).expect_code(0);
    let after = grants(&sandbox.snapshot());
    assert_removed_exactly(&before, &after, &planned_removals(&plan));
    assert!(!after.contains(&association) && !after.contains(&mapping));
    let planned: BTreeSet<Grant> = planned_removals(&plan);
    assert!(planned.contains(&association) && planned.contains(&mapping));
}
