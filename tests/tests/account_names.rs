//! Account names from AWS Organizations `ListAccounts`: shown in plans, used for
//! `guardrails.protected_accounts` given by name at plan and at apply time, and left out (ids
//! only, one info line) when the role may not call it.

use offboard_core::plan::SkipReason;
use offboard_sandbox::Faults;
use offboard_tests::cli::Run;
use offboard_tests::policy_repo::PolicyRepo;
use offboard_tests::sandbox::TestSandbox;

const PROTECTED: &str = r#"protected_accounts: ["111111111111"]"#;

#[test]
fn plans_name_accounts_and_fall_back_to_ids_without_permission() {
    let repo = PolicyRepo::example();
    let sandbox = TestSandbox::example(Faults::none());
    let run = Run::of(sandbox.offboard(repo.root()).args(["plan", "policies", "--out", "plan.json"])).expect_code(0);
    assert!(run.stdout.contains("account production (333333333333)"), "{run}");
    let plan = repo.plan("plan.json");
    assert_eq!(plan.labels.get("333333333333").map(String::as_str), Some("production"));
    let markdown = Run::of(sandbox.offboard(repo.root()).args(["plan", "policies", "--format", "markdown"]));
    assert!(markdown.stdout.contains("production (333333333333)"), "{markdown}");

    sandbox.set_faults(Faults::none().with_organizations_denied());
    let denied = Run::of(sandbox.offboard(repo.root()).args(["-v", "plan", "policies", "--out", "ids.json"]))
        .expect_code(0)
        .expect_stdout("account 333333333333  permission set");
    assert!(!denied.stdout.contains("production"), "no names without ListAccounts\n{denied}");
    let info: Vec<&str> = denied.stderr.lines().filter(|l| l.contains("account names not shown")).collect();
    assert_eq!(info.len(), 1, "one info line\n{denied}");
    assert!(info[0].contains("INFO") && info[0].contains("AccessDenied"), "{denied}");
    // The same removals either way: names are labels only.
    let removals = |p: &offboard_core::Plan| -> Vec<offboard_core::Grant> {
        p.actions.iter().flat_map(|a| &a.items).map(|i| i.grant.clone()).collect()
    };
    assert_eq!(removals(&repo.plan("ids.json")), removals(&plan));
    assert!(!repo.plan("ids.json").labels.contains_key("333333333333"));
}

#[test]
fn an_account_protected_by_name_is_protected_at_plan_and_apply() {
    let repo = PolicyRepo::example();
    let sandbox = TestSandbox::example(Faults::none());
    repo.edit("policies/offboard.yaml", PROTECTED, r#"protected_accounts: ["111111111111", production]"#);
    Run::of(sandbox.offboard(repo.root()).args(["plan", "policies", "--out", "plan.json"])).expect_code(0);
    let plan = repo.plan("plan.json");
    let protected: Vec<_> = plan
        .principals
        .iter()
        .flat_map(|p| &p.skipped)
        .filter(|s| s.why == SkipReason::Protected { what: "account 333333333333".into() })
        .collect();
    assert!(!protected.is_empty(), "production's assignments are protected: {:#?}", plan.principals);
    assert!(
        plan.actions.iter().flat_map(|a| &a.items).all(|i| i.grant.account_id() != Some("333333333333")),
        "nothing in production is removed"
    );

    // apply reads the names too; when it cannot, it refuses rather than guess.
    sandbox.set_faults(Faults::none().with_organizations_denied());
    let refused = Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"])).expect_code(1);
    assert!(refused.stderr.contains("\"production\" by name"), "{refused}");
    assert!(refused.stderr.contains("organizations:ListAccounts"), "{refused}");
    Run::of(sandbox.offboard(repo.root()).args(["plan", "policies"]))
        .expect_code(1)
        .expect_stderr("cannot be read from AWS Organizations");

    // With the names readable again, the same plan is carried out.
    sandbox.set_faults(Faults::none());
    Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"])).expect_code(0);
    let left = sandbox.snapshot();
    assert!(left.sso_assignments.iter().any(|a| a.account_id == "333333333333"), "production keeps its assignments");
}

#[test]
fn a_name_that_matches_no_account_is_an_error() {
    let repo = PolicyRepo::example();
    let sandbox = TestSandbox::example(Faults::none());
    repo.edit("policies/offboard.yaml", PROTECTED, r#"protected_accounts: ["111111111111", prod]"#);
    let run = Run::of(sandbox.offboard(repo.root()).args(["plan", "policies"])).expect_code(1);
    assert!(run.stderr.contains("names \"prod\" but no account in AWS Organizations has that name"), "{run}");
    assert!(run.stderr.contains("production (333333333333)"), "the message lists the accounts\n{run}");
    // validate (no AWS) takes the name: it is well formed.
    Run::of(offboard_tests::cli::bare_offboard(repo.root()).args(["validate", "policies"])).expect_code(0);
}
