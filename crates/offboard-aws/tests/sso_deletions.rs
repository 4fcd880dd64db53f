//! Identity Center deletions against the sandbox, counted call by call: a removal costs its
//! `DeleteAccountAssignment` and a share of the bulk status listings; only a deletion that ended
//! FAILED is described (for its `FailureReason`). Assertions are on call counts, never on time.

mod common;

use common::*;
use offboard_aws::{ApplyReport, Clients, Limits};
use offboard_core::grant::Grant;
use offboard_core::outcome::OutcomeResult;
use offboard_sandbox::{Faults, LoggedRequest, Org, RunningSandbox};
use std::fmt::Write;
use std::time::Duration;

const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-1234567890abcdef";
const STORE: &str = "d-906700a1b2";
const PERMISSION_SETS: [&str; 5] = ["Admin", "PowerUser", "ReadOnly", "Billing", "DataScientist"];

/// An org where `leaver` holds one assignment on each of `accounts` accounts × 5 permission
/// sets (all on different (account, permission set) keys, so none waits for another), and
/// `failing` holds one more that a fault can make end FAILED. `stays` keeps one of each.
fn org(accounts: usize) -> Org {
    let account_ids: Vec<String> = (1..=accounts).map(|n| format!("{:012}", 100_000_000_000u64 + n as u64)).collect();
    let mut yaml = format!(
        "version: 1\nidentity_store:\n  id: {STORE}\n  users:\n    - user_name: leaver@example.com\n    - user_name: failing@example.com\n    - user_name: stays@example.com\nsso:\n  instance_arn: {INSTANCE}\n  accounts:\n"
    );
    for id in &account_ids {
        writeln!(yaml, "    - {{ id: \"{id}\", name: acct-{id} }}").unwrap();
    }
    yaml.push_str("  permission_sets:\n");
    for ps in PERMISSION_SETS {
        writeln!(yaml, "    - name: {ps}").unwrap();
    }
    yaml.push_str("  assignments:\n");
    let accounts_list = account_ids.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ");
    for ps in PERMISSION_SETS {
        writeln!(
            yaml,
            "    - permission_set: {ps}\n      accounts: [{accounts_list}]\n      users: [leaver@example.com]"
        )
        .unwrap();
    }
    writeln!(
        yaml,
        "    - permission_set: Admin\n      accounts: [\"{}\"]\n      users: [failing@example.com, stays@example.com]",
        account_ids[0]
    )
    .unwrap();
    Org::from_yaml_str(&yaml, "test-org.yaml").unwrap_or_else(|e| panic!("test fixture: {e}"))
}

async fn start(org: Org) -> (RunningSandbox, Clients) {
    start_sandbox(org, Faults::none()).await
}

/// Plan the removal of `leavers`' access, then apply it under `faults`.
async fn apply(accounts: usize, leavers: &[&str], faults: Faults, limits: &Limits) -> (ApplyReport, RunningSandbox) {
    let (sandbox, clients) = start(org(accounts)).await;
    let config = format!(
        "version: 1\nsso:\n  instance_arn: {INSTANCE}\n  identity_store_id: {STORE}\nguardrails:\n  max_removals: 1000\n"
    );
    let mut file = String::from("version: 1\nusers:\n");
    for l in leavers {
        writeln!(file, "  - user: {l}\n    reason: TEST-1 left").unwrap();
    }
    let policy = policy(&config, &[("leavers.yaml", &file)]);
    let state = offboard_aws::read_state(&clients, &policy, limits).await.expect("read_state");
    let plan = make_plan(&policy, &state);
    sandbox.set_faults(faults).unwrap();
    let report = apply_collect(&clients, &plan, limits).await;
    sandbox.set_faults(Faults::none()).unwrap();
    assert_eq!(report.outcomes.len(), plan.removal_count(), "one outcome per planned item");
    (report, sandbox)
}

/// The status filter of each `ListAccountAssignmentDeletionStatus` the sandbox saw.
fn listings(sandbox: &RunningSandbox, status: &str) -> usize {
    let filter = |r: &LoggedRequest| r.params.pointer("/Filter/Status").and_then(|v| v.as_str()).map(str::to_owned);
    sandbox
        .request_log()
        .iter()
        .filter(|r| r.operation == "ListAccountAssignmentDeletionStatus" && filter(r).as_deref() == Some(status))
        .count()
}

fn limits() -> Limits {
    // The default Identity Center rate (20 TPS), as in production: bursts of ten deletions.
    Limits { tps: offboard_aws::Tps::default(), ..fast_limits() }
}

#[tokio::test]
async fn sixty_deletions_cost_one_call_each_plus_a_status_page_per_batch() {
    for delay in [Duration::ZERO, Duration::from_millis(200)] {
        let (report, sandbox) =
            apply(12, &["leaver@example.com"], Faults::none().with_deletion_delay(delay), &limits()).await;
        assert!(report.is_complete(), "{delay:?}: {:#?}", report.failed().collect::<Vec<_>>());
        assert_eq!(report.counts().removed, 60);
        let calls = &report.calls;
        let in_progress = listings(&sandbox, "IN_PROGRESS");
        let failed = listings(&sandbox, "FAILED");
        eprintln!("deletion delay {delay:?}: {in_progress} IN_PROGRESS pages, {failed} FAILED pages\n{calls}");
        assert_eq!(calls.get("sso:DeleteAccountAssignment"), 60, "{calls}");
        assert_eq!(calls.get("sso:DescribeAccountAssignmentDeletionStatus"), 0, "{calls}");
        // ⌈60/10⌉ = 6 batches. Deletions that take no time cost nothing to learn: the first
        // poll (after all ten answers) finds them done. 200 ms ones cost up to three polls that
        // find nothing while the first batch backs off from the 100 ms first estimate, and up to
        // two while bisection narrows the estimate; one more for the scheduler's whims.
        let learning = if delay.is_zero() { 0 } else { 6 };
        assert!(in_progress <= 6 + learning, "{delay:?}: {in_progress} IN_PROGRESS polls\n{calls}");
        // Classified in bulk: once when 50 await it, once before returning.
        assert!(failed <= 2, "{delay:?}: {failed} FAILED listings\n{calls}");
        assert_eq!(calls.get("sso:ListAccountAssignmentDeletionStatus") as usize, in_progress + failed);
    }
}

#[tokio::test]
async fn a_failed_deletion_is_found_in_the_failed_listing_and_only_it_is_described() {
    let faults =
        Faults::none().with_failing_deletion("failing@example.com").with_deletion_delay(Duration::from_millis(50));
    let (report, sandbox) = apply(2, &["leaver@example.com", "failing@example.com"], faults, &limits()).await;
    let failed: Vec<_> = report.failed().collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    let OutcomeResult::Failed { error } = &failed[0].result else { unreachable!() };
    assert!(error.contains("FAILED") && error.contains("injected fault"), "AWS's FailureReason is kept: {error}");
    assert!(failed[0].deletion_request_id.is_some(), "{:?}", failed[0]);
    let Grant::SsoAssignment(g) = &failed[0].grant else { panic!("{:?}", failed[0]) };
    assert_eq!(sandbox.snapshot().assignments_of("failing@example.com").len(), 1, "the failed one stays: {g:?}");
    let removed = report.outcomes.iter().filter(|o| o.result == OutcomeResult::Removed).count();
    assert_eq!(removed, 10, "the leaver's ten are removed");
    assert!(sandbox.snapshot().assignments_of("leaver@example.com").is_empty());

    let calls = &report.calls;
    eprintln!("one FAILED among 11:\n{calls}");
    assert_eq!(calls.get("sso:DescribeAccountAssignmentDeletionStatus"), 1, "only the FAILED one: {calls}");
    let described: Vec<_> = sandbox
        .request_log()
        .into_iter()
        .filter(|r| r.operation == "DescribeAccountAssignmentDeletionStatus")
        .map(|r| r.params["AccountAssignmentDeletionRequestId"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(described, vec![failed[0].deletion_request_id.clone()]);
    assert!(listings(&sandbox, "FAILED") >= 1);
}

#[tokio::test]
async fn one_deletion_slot_still_costs_about_one_call_per_deletion() {
    // Deletions one at a time (as with --max-in-flight 1), each taking 100 ms: once the clock has
    // learnt that, a poll per deletion.
    let limits = Limits { max_in_flight_deletions: 1, ..limits() };
    let faults = Faults::none().with_deletion_delay(Duration::from_millis(100));
    let (report, sandbox) = apply(2, &["leaver@example.com"], faults, &limits).await;
    assert!(report.is_complete(), "{:#?}", report.failed().collect::<Vec<_>>());
    let calls = &report.calls;
    assert_eq!(calls.get("sso:DeleteAccountAssignment"), 10, "{calls}");
    assert_eq!(calls.get("sso:DescribeAccountAssignmentDeletionStatus"), 0, "{calls}");
    let in_progress = listings(&sandbox, "IN_PROGRESS");
    eprintln!("one slot, 10 × 100 ms: {in_progress} IN_PROGRESS polls\n{calls}");
    assert!(in_progress <= 10 + 4, "{in_progress} IN_PROGRESS polls for 10 deletions\n{calls}");
    assert_eq!(listings(&sandbox, "FAILED"), 1, "{calls}");
}
