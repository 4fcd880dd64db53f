//! `apply` takes its authority from the policy on the machine that applies, never from the plan
//! file. Each test edits a real plan of the example policies the way an attacker (or a broken
//! job) could — a self-consistent action whose request matches its items — and shows that the
//! built binary refuses the whole file with exit 1, names the item and the rule it breaks, sends
//! no removal at all, and leaves the target's access in place.

use offboard_core::grant::SsoAssignment;
use offboard_core::plan::{Action, ActionItem, ApiRequest, Plan, PrincipalPlan};
use offboard_core::state::Resolution;
use offboard_core::{Grant, PrincipalKind, PrincipalRef};
use offboard_sandbox::{Faults, StateSnapshot};
use offboard_tests::access::grants;
use offboard_tests::cli::Run;
use offboard_tests::policy_repo::PolicyRepo;
use offboard_tests::sandbox::TestSandbox;

const REMOVALS: &[&str] = &[
    "DeleteAccountAssignment",
    "BatchDisassociateUserStack",
    "DisassociatePersonasFromEntities",
    "DeletePrincipalMapping",
];

/// The example repository with a fresh plan of it in `plan.json`.
fn planned() -> (TestSandbox, PolicyRepo, Plan) {
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"])).expect_code(0);
    let plan = repo.plan("plan.json");
    (sandbox, repo, plan)
}

/// The Identity Center assignment of `principal_name` on `account` (with `permission_set`).
fn assignment(snapshot: &StateSnapshot, principal_name: &str, account: &str, permission_set: &str) -> Grant {
    let a = snapshot
        .sso_assignments
        .iter()
        .find(|a| {
            a.principal_name == principal_name && a.account_id == account && a.permission_set_name == permission_set
        })
        .unwrap_or_else(|| panic!("the example org gives {principal_name} {permission_set} on {account}"));
    Grant::SsoAssignment(SsoAssignment {
        account_id: a.account_id.clone().into(),
        permission_set_arn: a.permission_set_arn.clone().into(),
        principal_type: if a.principal_type == "GROUP" { PrincipalKind::Group } else { PrincipalKind::User },
        principal_id: a.principal_id.clone().into(),
    })
}

/// Add a removal of `grant` for `principal` to the plan: in `before` and `remove` of the
/// principal (added if the plan does not name it) and as an action whose request matches it.
fn inject(plan: &mut Plan, principal: PrincipalRef, grant: Grant) {
    let Grant::SsoAssignment(g) = &grant else { panic!("inject takes an SSO assignment") };
    let instance_arn = plan
        .actions
        .iter()
        .find_map(|a| match &a.request {
            ApiRequest::DeleteAccountAssignment(r) => Some(r.instance_arn.clone()),
            _ => None,
        })
        .expect("the example plan has SSO actions");
    let request = ApiRequest::DeleteAccountAssignment(
        offboard_core::edge::sso_assignment::DeleteAccountAssignment::of(&instance_arn, g),
    );
    let item = ActionItem { principal: principal.clone(), reason: "edited in".into(), grant: grant.clone() };
    plan.actions.insert(
        0,
        Action { id: "sso-99".into(), phase: offboard_core::Phase::SsoAssignments, items: vec![item], request },
    );
    match plan.principals.iter_mut().find(|p| p.principal == principal) {
        Some(p) => {
            p.before.push(grant.clone());
            p.remove.push(grant);
        }
        None => plan.principals.push(PrincipalPlan {
            principal,
            reason: "edited in".into(),
            resolution: Resolution::Found { id: g.principal_id.clone().to_string(), name: None, email: None },
            before: vec![grant.clone()],
            remove: vec![grant],
            skipped: Vec::new(),
            remains: Vec::new(),
            cut: Vec::new(),
        }),
    }
}

/// Apply the edited plan: exit 1, `needle` on stderr, no removal sent, nothing changed, and
/// `kept` (the target) still present.
fn refused(sandbox: &TestSandbox, repo: &PolicyRepo, plan: &Plan, extra: &[&str], needle: &str, kept: Option<&Grant>) {
    repo.write("plan.json", &plan.to_json());
    let before = sandbox.snapshot();
    sandbox.clear_request_log();
    let run = Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"]).args(extra))
        .expect_code(1)
        .expect_stderr(needle);
    let removals: Vec<_> =
        sandbox.request_log().into_iter().filter(|r| REMOVALS.contains(&r.operation.as_str())).collect();
    assert!(removals.is_empty(), "a refused plan sends no removal: {removals:#?}\n{run}");
    assert_eq!(sandbox.snapshot(), before, "a refused plan changes nothing\n{run}");
    if let Some(g) = kept {
        assert!(grants(&sandbox.snapshot()).contains(g), "the target keeps its access: {g:?}");
    }
}

fn user(name: &str) -> PrincipalRef {
    PrincipalRef::user_name(name)
}

#[test]
fn a_removal_for_someone_who_is_not_a_leaver_is_refused() {
    let (sandbox, repo, mut plan) = planned();
    let target = assignment(&sandbox.snapshot(), "Platform Engineering", "444444444444", "PowerUserAccess");
    inject(&mut plan, PrincipalRef::group_name("Platform Engineering"), target.clone());
    refused(&sandbox, &repo, &plan, &[], "refused: sso-99: group Platform Engineering", Some(&target));
    refused(&sandbox, &repo, &plan, &[], "is not a declared leaver in the policy", Some(&target));
}

#[test]
fn the_protected_break_glass_user_and_group_are_refused_under_any_name() {
    let (sandbox, repo, mut plan) = planned();
    let snapshot = sandbox.snapshot();
    // Declared as itself: not a leaver (the policy cannot even declare it).
    let breakglass = assignment(&snapshot, "breakglass@northwind.example", "222222222222", "AdministratorAccess");
    inject(&mut plan, user("breakglass@northwind.example"), breakglass.clone());
    refused(
        &sandbox,
        &repo,
        &plan,
        &[],
        "user breakglass@northwind.example is not a declared leaver",
        Some(&breakglass),
    );

    // Slipped under a leaver's name: not alice's access.
    let mut plan = sandbox_plan(&sandbox);
    inject(&mut plan, user("alice.wong@northwind.example"), breakglass.clone());
    refused(&sandbox, &repo, &plan, &[], "does not belong to this principal", Some(&breakglass));

    let admins = assignment(&snapshot, "AWSControlTowerAdmins", "777777777777", "AdministratorAccess");
    let mut plan = sandbox_plan(&sandbox);
    inject(&mut plan, PrincipalRef::group_name("AWSControlTowerAdmins"), admins.clone());
    refused(&sandbox, &repo, &plan, &[], "group AWSControlTowerAdmins is not a declared leaver", Some(&admins));
}

/// A fresh plan of the example policies (written into a scratch repository).
fn sandbox_plan(sandbox: &TestSandbox) -> Plan {
    let repo = PolicyRepo::example();
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"])).expect_code(0);
    repo.plan("plan.json")
}

#[test]
fn protected_accounts_kept_grants_and_future_leavers_are_refused() {
    let (sandbox, repo, plan) = planned();
    let snapshot = sandbox.snapshot();
    let cases = [
        (
            "alice.wong@northwind.example",
            "111111111111",
            "AdministratorAccess",
            "the policy protects it (account 111111111111)",
        ),
        ("bob.martin@northwind.example", "222222222222", "ReadOnlyAccess", "the leaver's `keep` keeps it"),
        ("erin.fox@northwind.example", "444444444444", "PowerUserAccess", "not effective until 2026-12-31"),
    ];
    for (who, account, ps, rule) in cases {
        let target = assignment(&snapshot, who, account, ps);
        let mut edited = plan.clone();
        inject(&mut edited, user(who), target.clone());
        refused(&sandbox, &repo, &edited, &[], rule, Some(&target));
    }
}

#[test]
fn another_instance_a_foreign_ordering_id_and_a_future_plan_are_refused() {
    let (sandbox, repo, plan) = planned();

    let mut edited = plan.clone();
    let a = edited.actions.iter_mut().find(|a| a.phase == offboard_core::Phase::SsoAssignments).unwrap();
    let target = a.items[0].grant.clone();
    if let ApiRequest::DeleteAccountAssignment(r) = &mut a.request {
        r.instance_arn = "arn:aws:sso:::instance/ssoins-ffffffffffffffff".into();
    }
    refused(&sandbox, &repo, &edited, &[], "not the configured sso.instance_arn", Some(&target));

    let mut edited = plan.clone();
    let a = edited.actions.iter_mut().find(|a| a.phase == offboard_core::Phase::KendraGroupMappings).unwrap();
    let target = a.items[0].grant.clone();
    if let ApiRequest::DeletePrincipalMapping(r) = &mut a.request {
        r.ordering_id -= 1;
    }
    refused(&sandbox, &repo, &edited, &[], "is not the plan's own", Some(&target));

    let mut edited = plan.clone();
    edited.created_at = "2099-01-01T00:00:00Z".into();
    refused(&sandbox, &repo, &edited, &[], "2099-01-01T00:00:00Z is in the future", None);
}

#[test]
fn actions_that_disagree_with_principals_remove_are_refused() {
    let (sandbox, repo, plan) = planned();
    let mut edited = plan.clone();
    let dropped = edited.principals[0].remove.remove(0);
    refused(&sandbox, &repo, &edited, &[], "not the one `offboard plan` builds", Some(&dropped));
}

#[test]
fn only_the_reviewed_file_is_applied_with_expect_plan_digest() {
    let (sandbox, repo, plan) = planned();
    let wrong = format!("sha256:{}", "0".repeat(64));
    refused(&sandbox, &repo, &plan, &["--expect-plan-digest", &wrong], "not the expected", None);
    // The digest the reviewed Markdown shows is the file's: it is accepted, prefix or not.
    let markdown = Run::of(sandbox.offboard(repo.root()).args(["show", "plan.json", "--format", "markdown"]))
        .expect_code(0)
        .stdout;
    let digest = plan.digest();
    assert!(markdown.contains(&digest), "the comment shows the plan digest");
    Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json", "--expect-plan-digest", &digest]))
        .expect_code(0)
        .expect_stdout("27 removed");
}

#[test]
fn a_refusal_is_journaled_for_every_item_and_nothing_is_sent() {
    let (sandbox, repo, mut plan) = planned();
    let target = assignment(&sandbox.snapshot(), "Platform Engineering", "444444444444", "PowerUserAccess");
    inject(&mut plan, PrincipalRef::group_name("Platform Engineering"), target.clone());
    refused(&sandbox, &repo, &plan, &["--journal", "journal.jsonl"], "is not a declared leaver", Some(&target));
    let journal = repo.read("journal.jsonl");
    let lines: Vec<serde_json::Value> = journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), plan.removal_count(), "one line per item:\n{journal}");
    assert!(lines.iter().all(|l| l["result"]["status"] == "failed"), "every item failed, none removed:\n{journal}");
    assert!(journal.contains("is not a declared leaver in the policy"), "the refused item names its rule:\n{journal}");
    assert!(journal.contains("refused as a whole"), "the other items say why they were not sent:\n{journal}");
}
