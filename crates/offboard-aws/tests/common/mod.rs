//! Helpers shared by the adapter's integration tests.
#![allow(dead_code)] // each test binary uses a subset

use offboard_aws::{ApplyReport, Clients, Limits, RetryPolicy};
use offboard_core::outcome::{Outcome, OutcomeResult};
use offboard_core::plan::Plan;
use offboard_core::planner::{PlanInputs, plan};
use offboard_core::policy::{Policy, Source, load};
use offboard_core::state::ObservedState;
use std::time::Duration;
use time::OffsetDateTime;

pub fn policy(config: &str, leavers: &[(&str, &str)]) -> Policy {
    let config = Source { path: "offboard.yaml".into(), text: config.into() };
    let files: Vec<Source> =
        leavers.iter().map(|(path, text)| Source { path: (*path).into(), text: (*text).into() }).collect();
    match load(&config, &files) {
        Ok(p) => p,
        Err(e) => panic!("test policy does not load: {e:?}"),
    }
}

/// The example org fixture of the workspace (`examples/sandbox/org.yaml`).
pub fn example_org() -> offboard_sandbox::Org {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sandbox/org.yaml");
    offboard_sandbox::Org::from_path(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A sandbox serving `org` with `faults` over HTTP, and clients pointed at it.
pub async fn start_sandbox(
    org: offboard_sandbox::Org,
    faults: offboard_sandbox::Faults,
) -> (offboard_sandbox::RunningSandbox, Clients) {
    let sandbox = offboard_sandbox::Sandbox::start(org, faults).await.expect("sandbox starts");
    let clients = Clients::connect(&offboard_aws::ConnectOptions {
        endpoint_url: Some(sandbox.url()),
        region: Some("us-east-1".into()),
        profile: None,
        static_credentials: true,
    })
    .await
    .expect("clients for the sandbox");
    (sandbox, clients)
}

/// The example policy repository of the workspace (`policies/`).
pub fn example_policy() -> Policy {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    let config = Source { path: "policies/offboard.yaml".into(), text: read(&root.join("offboard.yaml")) };
    let mut files = Vec::new();
    for dir in ["groups", "leavers"] {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(dir)).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            files.push(Source {
                path: format!("policies/{dir}/{}", path.file_name().unwrap().to_string_lossy()),
                text: read(&path),
            });
        }
    }
    load(&config, &files).unwrap_or_else(|e| panic!("example policy does not load: {e:?}"))
}

/// A fixed planning clock (after every `effective:` date of the example policies but one).
pub fn make_plan(policy: &Policy, state: &ObservedState) -> Plan {
    let now = OffsetDateTime::parse("2026-11-21T09:00:00Z", &time::format_description::well_known::Rfc3339).unwrap();
    plan(
        policy,
        state.clone(),
        &PlanInputs { now, config_path: "offboard.yaml".into(), policy_paths: vec!["leavers".into()] },
    )
}

/// Fast limits for tests: no client-side rate limit, quick polls, a generous retry budget.
pub fn fast_limits() -> Limits {
    Limits {
        tps: offboard_aws::Tps::unlimited(),
        poll_interval: Duration::from_millis(20),
        deletion_timeout: Duration::from_secs(20),
        retry: RetryPolicy {
            max_attempts: 12,
            base: Duration::from_millis(5),
            max_backoff: Duration::from_millis(100),
            max_total_wait: Duration::from_secs(10),
        },
        ..Limits::default()
    }
}

/// Apply, collecting what the sink saw, and check the sink saw exactly the report's outcomes,
/// each one of a sent call (it has a request id) after an intent record for its item.
pub async fn apply_collect(clients: &Clients, plan: &Plan, limits: &Limits) -> ApplyReport {
    let mut seen: Vec<Outcome> = Vec::new();
    let report = offboard_aws::apply(clients, plan, limits, &mut |o: &Outcome| {
        seen.push(o.clone());
        Ok(())
    })
    .await;
    for (n, o) in seen.iter().enumerate().filter(|(_, o)| o.request_id.is_some()) {
        assert!(
            seen[..n].iter().any(|i| i.result.is_intent() && i.grant == o.grant && i.action_id == o.action_id),
            "an outcome of a sent call without an intent before it: {o:?}"
        );
    }
    let outcomes: Vec<Outcome> = seen.into_iter().filter(|o| !o.result.is_intent()).collect();
    assert_eq!(outcomes, report.outcomes, "the sink sees every outcome, in report order");
    report
}

pub fn results(report: &ApplyReport) -> Vec<&OutcomeResult> {
    report.outcomes.iter().map(|o| &o.result).collect()
}
