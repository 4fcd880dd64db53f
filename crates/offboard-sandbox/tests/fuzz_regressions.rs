//! Inputs the fuzz targets in `fuzz/` found (docs/fuzzing.md), kept as ordinary tests so CI
//! keeps them fixed without running a fuzzer. Each names its target and what was wrong.

use offboard_sandbox::Org;
use offboard_sandbox::fuzz_api::Dispatcher;
use serde_json::{Value, json};

fn sandbox() -> Dispatcher {
    Dispatcher::new(Org::from_path("../../examples/sandbox/org.yaml").expect("the example org loads"))
}

/// `sandbox_dispatch`: an association with a member the model does not have (`SendEmailon`)
/// and a user not in the user pool. AWS skips the unknown member; the sandbox did too when
/// validating, but echoed the association as sent into `errors[].UserStackAssociation`, an
/// answer its own conformance check rejects (`shape UserStackAssociation has no member
/// SendEmailon`). The error now echoes the modelled members only.
#[test]
fn batch_error_echoes_only_modelled_members_of_the_association() {
    let body = br#"{"UserStackAssociations": [{"StackName": "support-desktop", "UserName": "alice.wong@ngrthwind.example", "AuthenticationType": "USERPOOL", "SendEmailon": false}]}"#;
    for (path, target) in [
        ("/", Some("PhotonAdminProxyService.BatchDisassociateUserStack")),
        ("/", Some("PhotonAdminProxyService.BatchAssociateUserStack")),
    ] {
        let sandbox = sandbox();
        let (status, answer) = sandbox.request("POST", path, target, body).expect("answered");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        let answer: Value = serde_json::from_slice(&answer).expect("a JSON answer");
        assert_eq!(
            answer["errors"][0]["UserStackAssociation"],
            json!({"StackName": "support-desktop", "UserName": "alice.wong@ngrthwind.example", "AuthenticationType": "USERPOOL"})
        );
        assert_eq!(answer["errors"][0]["ErrorCode"], "USER_NAME_NOT_FOUND");
        let log = sandbox.request_log();
        assert_eq!(log.len(), 1);
        assert!(log[0].conformance.is_empty(), "{:?}", log[0].conformance);
    }
}

/// The modelled optional member is still echoed as sent.
#[test]
fn batch_error_still_echoes_send_email_notification() {
    let body = br#"{"UserStackAssociations": [{"StackName": "no-such-stack", "UserName": "alice.wong@northwind.example", "AuthenticationType": "USERPOOL", "SendEmailNotification": true}]}"#;
    let sandbox = sandbox();
    let (status, answer) = sandbox
        .request("POST", "/", Some("PhotonAdminProxyService.BatchDisassociateUserStack"), body)
        .expect("answered");
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_slice(&answer).expect("a JSON answer");
    assert_eq!(answer["errors"][0]["UserStackAssociation"]["SendEmailNotification"], true);
    assert_eq!(answer["errors"][0]["ErrorCode"], "STACK_NOT_FOUND");
    assert!(sandbox.request_log()[0].conformance.is_empty());
}
