//! The progress counters against the sandbox: every throttling answer the sandbox sends is
//! counted once, every attempt beyond a call's first is counted as a retry, and apply counts its
//! items. The sandbox's request log is the independent witness.

mod common;

use common::*;
use offboard_aws::{Clients, Limits, ProgressSnapshot};
use offboard_sandbox::{AwsService, Faults, RunningSandbox};

async fn start(faults: Faults) -> (RunningSandbox, Clients) {
    start_sandbox(example_org(), faults).await
}

/// Requests the sandbox logged, plus the STS calls it answers without logging them.
fn requests_seen(sandbox: &RunningSandbox, clients: &Clients) -> u64 {
    sandbox.request_log().len() as u64 + clients.call_stats().get("sts:GetCallerIdentity")
}

fn throttled_in_log(sandbox: &RunningSandbox) -> u64 {
    sandbox.request_log().iter().filter(|r| r.fault.as_deref() == Some("throttled")).count() as u64
}

#[tokio::test]
async fn throttling_answers_and_retries_are_counted_once_each() {
    // The sandbox allows 5 calls a second on Identity Center; we send up to 20: throttling
    // answers are certain, and (throttling being the only fault) each is retried to success.
    let faults =
        Faults::none().with_seed(5).with_tps(AwsService::SsoAdmin, 5.0).with_tps(AwsService::IdentityStore, 5.0);
    let (sandbox, clients) = start(faults).await;
    let limits = Limits { tps: offboard_aws::Tps::all(20.0), ..fast_limits() };
    let policy = example_policy();

    let state = offboard_aws::read_state(&clients, &policy, &limits).await.expect("reads retry through throttling");
    let read = clients.progress().snapshot();
    assert!(read.throttled > 0, "the test must meet throttling: {read:?}");
    assert_eq!(read.throttled, throttled_in_log(&sandbox), "one count per throttling answer");
    assert_eq!(read.retried, read.throttled, "reads retry every throttled call exactly once per answer");
    assert_eq!(read.calls, clients.call_stats().total(), "progress and CallStats count the same calls");
    assert_eq!(read.calls, requests_seen(&sandbox, &clients), "every request the sandbox saw, once");
    assert_eq!((read.items_done, read.items_total), (0, 0), "reads have no items");

    let plan = make_plan(&policy, &state);
    let report = apply_collect(&clients, &plan, &limits).await;
    assert!(report.is_complete(), "{:#?}", report.failed().collect::<Vec<_>>());
    let applied: ProgressSnapshot = clients.progress().snapshot().since(&read);
    assert_eq!(applied.items_total, plan.removal_count() as u64, "apply announces every item");
    assert_eq!(applied.items_done, report.outcomes.len() as u64, "and counts each outcome");
    assert_eq!((report.throttled, report.retried), (applied.throttled, applied.retried));
    assert_eq!(report.call_summary().calls, applied.calls);
    assert_eq!(read.throttled + applied.throttled, throttled_in_log(&sandbox));
    // Polls of deletion status are sent once (the next poll is their retry), so a throttled
    // poll is not retried: at most one retry per throttling answer.
    assert!(applied.retried <= applied.throttled, "{applied:?}");
}

#[tokio::test]
async fn a_run_without_faults_counts_calls_and_no_throttling() {
    let (sandbox, clients) = start(Faults::none()).await;
    let policy = example_policy();
    offboard_aws::read_state(&clients, &policy, &fast_limits()).await.unwrap();
    let read = clients.progress().snapshot();
    assert!(read.calls > 0);
    assert_eq!(read.calls, requests_seen(&sandbox, &clients));
    assert_eq!((read.throttled, read.retried), (0, 0));
    assert_eq!(read.call_summary().to_string(), format!("{} AWS calls (0 throttled, 0 retried)", read.calls));
}
