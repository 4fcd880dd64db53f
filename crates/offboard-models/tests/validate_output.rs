//! Response and error conformance: member names, types, required members; no constraints.

use offboard_models::{Service, ViolationKind};
use serde_json::json;

#[test]
fn conforming_output_passes() {
    let sso = Service::SsoAdmin.model();
    let body = json!({"AccountAssignmentDeletionStatus": {
        "Status": "IN_PROGRESS",
        "RequestId": "8a6c1d2e-3f4a-4b5c-9d6e-7f8a9b0c1d2e",
        "CreatedDate": 1_700_000_000.123,
        "TargetId": "123456789012",
        "TargetType": "AWS_ACCOUNT",
        "PrincipalType": "USER",
    }});
    assert_eq!(sso.validate_output("DeleteAccountAssignment", &body), Ok(()));
}

#[test]
fn output_values_are_not_held_to_input_constraints() {
    // A status newer than the model and an over-long list are AWS's data, not our problem.
    let body = json!({"AccountAssignmentDeletionStatus": {"Status": "QUEUED", "TargetId": "1"}});
    assert_eq!(Service::SsoAdmin.model().validate_output("DeleteAccountAssignment", &body), Ok(()));
}

#[test]
fn unknown_output_member_is_caught() {
    let body = json!({"AccountAssignmentDeletionStatus": {"Status": "IN_PROGRESS", "State": "x"}});
    let v = Service::SsoAdmin.model().validate_output("DeleteAccountAssignment", &body).unwrap_err();
    assert_eq!(v.0.len(), 1);
    assert_eq!(v.0[0].kind, ViolationKind::UnknownMember);
    assert_eq!(v.0[0].path, "AccountAssignmentDeletionStatus.State");
    assert!(v.0[0].message.contains("has no member `State`"), "{}", v.0[0].message);
}

#[test]
fn missing_required_output_member_is_caught() {
    let ids = Service::IdentityStore.model();
    let complete = json!({
        "IdentityStoreId": "d-1234567890",
        "UserId": "1b7d4e4c-4a8f-4b6f-9b7e-2f1d6c5e4a3b",
        "UserArn": "arn:aws:identitystore:::user/1b7d4e4c-4a8f-4b6f-9b7e-2f1d6c5e4a3b",
    });
    assert_eq!(ids.validate_output("GetUserId", &complete), Ok(()));
    let mut missing = complete.clone();
    missing.as_object_mut().unwrap().remove("UserArn");
    let v = ids.validate_output("GetUserId", &missing).unwrap_err();
    assert_eq!(v.0.len(), 1);
    assert_eq!(v.0[0].path, "UserArn");
    assert_eq!(v.0[0].message, "Member must not be null");
}

#[test]
fn nested_list_items_are_checked_with_wire_paths() {
    let ids = Service::IdentityStore.model();
    let body = json!({"GroupMemberships": [
        {"IdentityStoreId": "d-1234567890", "MembershipId": "m1", "MembershipArn": "arn1",
         "MemberId": {"UserId": "u1"}, "CreatedAt": 1_700_000_000},
        {"IdentityStoreId": "d-1234567890", "MembershipId": "m2",
         "MemberId": {"UserId": "u1"}, "CreatedAt": "2024-01-01T00:00:00Z"}
    ]});
    let v = ids.validate_output("ListGroupMembershipsForMember", &body).unwrap_err();
    let found: Vec<(&str, ViolationKind)> = v.0.iter().map(|v| (v.path.as_str(), v.kind)).collect();
    assert_eq!(
        found,
        [
            ("GroupMemberships[1].CreatedAt", ViolationKind::Serialization),
            ("GroupMemberships[1].MembershipArn", ViolationKind::Constraint),
        ]
    );
}

#[test]
fn operation_without_output_accepts_only_an_empty_body() {
    let kendra = Service::Kendra.model();
    assert_eq!(kendra.validate_output("DeletePrincipalMapping", &json!({})), Ok(()));
    assert_eq!(kendra.validate_output("DeletePrincipalMapping", &serde_json::Value::Null), Ok(()));
    assert!(kendra.validate_output("DeletePrincipalMapping", &json!({"Status": "OK"})).is_err());
}

#[test]
fn appstream_lower_case_errors_member() {
    let apps = Service::AppStream.model();
    let ok = json!({"errors": [{"UserStackAssociation": {"StackName": "s", "UserName": "u",
        "AuthenticationType": "USERPOOL"}, "ErrorCode": "STACK_NOT_FOUND", "ErrorMessage": "no"}]});
    assert_eq!(apps.validate_output("BatchDisassociateUserStack", &ok), Ok(()));
    let wrong_case = json!({"Errors": []});
    let v = apps.validate_output("BatchDisassociateUserStack", &wrong_case).unwrap_err();
    assert_eq!(v.0[0].path, "Errors");
}

#[test]
fn error_bodies() {
    let sso = Service::SsoAdmin.model();
    let wire = json!({"__type": "ValidationException", "message": "1 validation error detected"});
    assert_eq!(sso.validate_error("ValidationException", &wire), Ok(()));
    let v = sso.validate_error("ValidationException", &json!({"Message": "m", "Code": 3})).unwrap_err();
    assert_eq!(v.0[0].path, "Code");
    assert_eq!(v.0[0].kind, ViolationKind::UnknownMember);
    let not_error = sso.validate_error("InstanceArn", &json!({})).unwrap_err();
    assert_eq!(not_error.0[0].kind, ViolationKind::UnknownOperation);
    assert!(sso.validate_error("NoSuchException", &json!({})).is_err());
}
