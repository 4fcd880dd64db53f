//! The control paths under `/_sandbox/`, as a test driving a separate process would use them.

use offboard_sandbox::{Faults, LoggedRequest, StateSnapshot};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn state_log_and_faults_over_http() {
    let sandbox = start(Faults::none()).await;
    let addr = sandbox.addr();
    let state: StateSnapshot =
        serde_json::from_value(raw(addr, "GET", "/_sandbox/state", &[], b"").await.unwrap().json()).unwrap();
    assert_eq!(state, sandbox.snapshot());
    assert_eq!(state.assignments_of(ALICE).len(), 3);

    post_json(&sandbox, "AWSKendraFrontendService.DescribeIndex", &json!({"Id": INDEX_ID})).await;
    let log: Vec<LoggedRequest> =
        serde_json::from_value(raw(addr, "GET", "/_sandbox/requests", &[], b"").await.unwrap().json()).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].operation, "DescribeIndex");
    assert_eq!(log[0].params, json!({"Id": INDEX_ID}));
    assert_eq!(log[0].status, 200);
    let cleared = raw(addr, "DELETE", "/_sandbox/requests", &[], b"").await.unwrap();
    assert_eq!(cleared.status, 200);
    assert!(sandbox.request_log().is_empty());

    let put = raw(addr, "PUT", "/_sandbox/faults", &[], br#"{"error_rate": 1.0, "seed": 5, "fail_entities": ["x"]}"#)
        .await
        .unwrap();
    assert_eq!(put.status, 200);
    let expected = Faults::none().with_error_rate(1.0).with_seed(5).with_failing_entity("x");
    assert_eq!(sandbox.faults(), expected);
    let got: Faults =
        serde_json::from_value(raw(addr, "GET", "/_sandbox/faults", &[], b"").await.unwrap().json()).unwrap();
    assert_eq!(got, expected);
    let failing = post_json(&sandbox, "AWSKendraFrontendService.DescribeIndex", &json!({"Id": INDEX_ID})).await;
    assert!(failing.status >= 500);

    let bad = raw(addr, "PUT", "/_sandbox/faults", &[], br#"{"error_rate": 3}"#).await.unwrap();
    assert_eq!(bad.status, 400);
    assert!(bad.json()["message"].as_str().unwrap().contains("error_rate"));
    let typo = raw(addr, "PUT", "/_sandbox/faults", &[], br#"{"eror_rate": 0.1}"#).await.unwrap();
    assert_eq!(typo.status, 400);
    assert_eq!(sandbox.faults(), expected, "refused settings leave the old ones in place");
}

#[tokio::test]
async fn org_and_unknown_control_paths() {
    let sandbox = start(Faults::none()).await;
    let org = raw(sandbox.addr(), "GET", "/_sandbox/org", &[], b"").await.unwrap().json();
    assert_eq!(org["identity_store"]["id"], STORE_ID);
    let alice = org["identity_store"]["users"].as_array().unwrap().iter().find(|u| u["user_name"] == ALICE).unwrap();
    assert_eq!(alice["id"].as_str().unwrap(), user_id(&sandbox, ALICE));
    let missing = raw(sandbox.addr(), "GET", "/_sandbox/nothing", &[], b"").await.unwrap();
    assert_eq!(missing.status, 404);
    assert!(missing.json()["message"].as_str().unwrap().contains("expected"));
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sandbox = start(Faults::none()).await;
    let addr = sandbox.addr();
    assert_eq!(raw(addr, "GET", "/_sandbox/state", &[], b"").await.unwrap().status, 200);
    sandbox.shutdown().await;
    assert!(raw(addr, "GET", "/_sandbox/state", &[], b"").await.is_err());
}
