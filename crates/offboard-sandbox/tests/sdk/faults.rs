//! Fault injection, observed through the SDKs and the request log. Outcomes only, never timings.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_sdk_ssoadmin::types::PrincipalType;
use offboard_sandbox::{AwsService, Faults};

use crate::common::*;

async fn delete_alice_power_user(
    c: &Clients,
    sandbox: &offboard_sandbox::RunningSandbox,
) -> Result<String, Option<String>> {
    let alice = user_id(sandbox, ALICE);
    let ps = permission_set_arn(sandbox, "PowerUserAccess");
    delete(c, "333333333333", &ps, PrincipalType::User, &alice)
        .await
        .map(|o| o.account_assignment_deletion_status().unwrap().request_id().unwrap().to_owned())
        .map_err(|e| code(&e))
}

#[tokio::test]
async fn rate_limit_throttles_without_changing_state() {
    let sandbox = start(Faults::none().with_tps(AwsService::SsoAdmin, 1.0)).await;
    let c = clients(&sandbox).await;
    let before = sandbox.snapshot();
    // The first request takes the only token; the burst that follows is throttled.
    c.sso.list_instances().send().await.unwrap();
    let err = delete_alice_power_user(&c, &sandbox).await.unwrap_err();
    assert_eq!(err.as_deref(), Some("ThrottlingException"));
    assert_eq!(sandbox.snapshot(), before, "a throttled request must not change state");
    let throttled: Vec<_> =
        sandbox.request_log().into_iter().filter(|r| r.fault.as_deref() == Some("throttled")).collect();
    assert_eq!(throttled.len(), 1);
    assert_eq!(throttled[0].status, 429);
    assert_eq!(throttled[0].operation, "DeleteAccountAssignment");
    // Other services have no limit.
    c.kendra.describe_index().id(INDEX_ID).send().await.unwrap();
    c.kendra.describe_index().id(INDEX_ID).send().await.unwrap();
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn appstream_throttling_uses_its_own_error_shape() {
    let sandbox = start(Faults::none().with_tps(AwsService::AppStream, 1.0)).await;
    let c = clients(&sandbox).await;
    c.appstream.describe_stacks().send().await.unwrap();
    let err = c.appstream.describe_stacks().send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ThrottlingException"));
    let log = sandbox.request_log();
    assert_eq!(log[1].status, 400, "AppStream's common ThrottlingException is a 400");
}

#[tokio::test]
async fn server_errors_change_nothing() {
    let sandbox = start(Faults::none().with_error_rate(1.0)).await;
    let c = clients(&sandbox).await;
    let before = sandbox.snapshot();
    let err = delete_alice_power_user(&c, &sandbox).await.unwrap_err();
    assert!(matches!(err.as_deref(), Some("InternalServerException" | "ServiceUnavailableException")), "{err:?}");
    let err = c.appstream.describe_stacks().send().await.unwrap_err();
    assert!(matches!(code(&err).as_deref(), Some("InternalFailure" | "ServiceUnavailableException")), "{err:?}");
    assert_eq!(sandbox.snapshot(), before);
    let log = sandbox.request_log();
    assert!(log.iter().all(|r| r.fault.as_deref() == Some("server_error") && r.status >= 500), "{log:#?}");
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    async fn pattern(seed: u64) -> Vec<Option<String>> {
        let sandbox = start(Faults::none().with_seed(seed).with_error_rate(0.4)).await;
        let c = clients(&sandbox).await;
        let mut out = Vec::new();
        for _ in 0..20 {
            out.push(c.kendra.describe_index().id(INDEX_ID).send().await.err().and_then(|e| code(&e)));
        }
        out
    }
    let a = pattern(7).await;
    assert_eq!(a, pattern(7).await);
    assert!(a.iter().any(Option::is_some) && a.iter().any(Option::is_none), "{a:?}");
    assert_ne!(a, pattern(8).await);
}

#[tokio::test]
async fn sdk_retries_ride_out_server_errors() {
    let sandbox = start(Faults::none().with_seed(3).with_error_rate(0.3)).await;
    let c = clients_with(
        &sandbox,
        RetryConfig::standard().with_max_attempts(10).with_initial_backoff(Duration::from_millis(1)),
    )
    .await;
    for _ in 0..10 {
        c.sso.list_instances().send().await.unwrap();
    }
    let log = sandbox.request_log();
    assert!(log.iter().any(|r| r.fault.is_some()), "seed 3 at 30% injects something in 10+ requests");
    assert_eq!(log.iter().filter(|r| r.fault.is_none()).count(), 10);
}

#[tokio::test]
async fn dropped_connection_happens_after_the_request_was_applied() {
    let sandbox = start(Faults::none().with_drop_rate(1.0)).await;
    let c = clients(&sandbox).await;
    let err = delete_alice_power_user(&c, &sandbox).await.unwrap_err();
    assert_eq!(err, None, "no answer, so no error code");
    let log = sandbox.request_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].fault.as_deref(), Some("dropped_connection"));
    assert_eq!(log[0].status, 200);
    // The deletion took effect although the client never heard of it.
    sandbox.set_faults(Faults::none()).unwrap();
    let snapshot = sandbox.snapshot();
    assert_eq!(snapshot.sso_deletions.len(), 1);
    assert_eq!(snapshot.sso_deletions[0].status, "SUCCEEDED");
    // The client's retry meets the new state.
    assert_eq!(delete_alice_power_user(&c, &sandbox).await.unwrap_err().as_deref(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn retries_get_through_dropped_connections() {
    let sandbox = start(Faults::none().with_seed(11).with_drop_rate(0.5)).await;
    let c = clients_with(
        &sandbox,
        RetryConfig::standard().with_max_attempts(10).with_initial_backoff(Duration::from_millis(1)),
    )
    .await;
    for _ in 0..5 {
        c.kendra.list_experiences().index_id(INDEX_ID).send().await.unwrap();
    }
    let log = sandbox.request_log();
    assert!(log.iter().any(|r| r.fault.as_deref() == Some("dropped_connection")));
    assert_eq!(log.iter().filter(|r| r.fault.is_none()).count(), 5);
}

#[tokio::test]
async fn latency_delays_but_answers() {
    let sandbox =
        start(Faults::none().with_seed(1).with_latency(Duration::from_millis(2), Duration::from_millis(3))).await;
    let c = clients(&sandbox).await;
    let out = c.sso.list_instances().send().await.unwrap();
    assert_eq!(out.instances().len(), 1);
    assert!(sandbox.request_log().iter().all(|r| r.status == 200 && r.fault.is_none()));
}

#[tokio::test]
async fn invalid_fault_settings_are_refused() {
    let sandbox = start(Faults::none()).await;
    let err = sandbox.set_faults(Faults::none().with_drop_rate(2.0)).unwrap_err();
    assert!(err.to_string().contains("drop_rate"), "{err}");
    assert_eq!(sandbox.faults(), Faults::none());
    let err = offboard_sandbox::Sandbox::start(example_org(), Faults::none().with_error_rate(-0.1)).await.unwrap_err();
    assert!(err.to_string().contains("error_rate"), "{err}");
}
