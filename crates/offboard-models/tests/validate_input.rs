//! Request validation against the embedded models, on the operations offboard sends.

use offboard_models::{Service, ViolationKind, Violations};
use serde_json::{Value, json};

const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-1234567890abcdef";
const PERMISSION_SET: &str = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef";
const USER_ID: &str = "906761e3d0-1b7d4e4c-4a8f-4b6f-9b7e-2f1d6c5e4a3b";
const INDEX_ID: &str = "0f3a7c2e-5b1d-4e8f-9a6c-1d2e3f4a5b6c";

fn err(service: Service, op: &str, body: Value) -> Violations {
    service.model().validate_input(op, &body).expect_err("the request should be rejected")
}

fn paths(v: &Violations) -> Vec<&str> {
    v.0.iter().map(|v| v.path.as_str()).collect()
}

fn delete_assignment() -> Value {
    json!({
        "InstanceArn": INSTANCE,
        "TargetId": "123456789012",
        "TargetType": "AWS_ACCOUNT",
        "PermissionSetArn": PERMISSION_SET,
        "PrincipalType": "USER",
        "PrincipalId": USER_ID,
    })
}

#[test]
fn delete_account_assignment_valid() {
    let sso = Service::SsoAdmin.model();
    assert_eq!(sso.validate_input("DeleteAccountAssignment", &delete_assignment()), Ok(()));
    // A bare UUID principal id (the other branch of the pattern) is valid too.
    let mut body = delete_assignment();
    body["PrincipalId"] = json!("1b7d4e4c-4a8f-4b6f-9b7e-2f1d6c5e4a3b");
    assert_eq!(sso.validate_input("DeleteAccountAssignment", &body), Ok(()));
}

#[test]
fn delete_account_assignment_missing_members_are_null() {
    let mut body = delete_assignment();
    let obj = body.as_object_mut().unwrap();
    obj.remove("InstanceArn");
    obj.insert("PrincipalType".into(), Value::Null);
    let v = err(Service::SsoAdmin, "DeleteAccountAssignment", body);
    assert_eq!(v.error_code(), "ValidationException");
    assert_eq!(
        v.aws_message(),
        "2 validation errors detected: Value null at 'instanceArn' failed to satisfy constraint: \
         Member must not be null; Value null at 'principalType' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[test]
fn delete_account_assignment_bad_values() {
    let mut body = delete_assignment();
    body["TargetId"] = json!("12345678901x");
    body["TargetType"] = json!("AWS_OU");
    body["PrincipalType"] = json!("ROLE");
    body["InstanceArn"] = json!(format!("{INSTANCE}-extra"));
    let v = err(Service::SsoAdmin, "DeleteAccountAssignment", body);
    assert_eq!(paths(&v), ["instanceArn", "principalType", "targetId", "targetType"]);
    let messages: Vec<&str> = v.0.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(
        messages[0],
        "Member must satisfy regular expression pattern: \
         arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}"
    );
    assert_eq!(messages[1], "Member must satisfy enum value set: [USER, GROUP]");
    assert_eq!(messages[2], r"Member must satisfy regular expression pattern: \d{12}");
    assert_eq!(messages[3], "Member must satisfy enum value set: [AWS_ACCOUNT]");
    assert!(
        v.aws_message().contains("Value '12345678901x' at 'targetId' failed to satisfy constraint"),
        "{}",
        v.aws_message()
    );
}

#[test]
fn delete_account_assignment_short_account_fails_length_and_pattern() {
    let mut body = delete_assignment();
    body["TargetId"] = json!("12345");
    let v = err(Service::SsoAdmin, "DeleteAccountAssignment", body);
    let messages: Vec<&str> = v.0.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Member must have length greater than or equal to 12",
            r"Member must satisfy regular expression pattern: \d{12}"
        ]
    );
}

#[test]
fn wrong_json_type_is_a_serialization_error() {
    let mut body = delete_assignment();
    body["TargetId"] = json!(123456789012_u64);
    let v = err(Service::SsoAdmin, "DeleteAccountAssignment", body);
    assert_eq!(v.error_code(), "SerializationException");
    assert_eq!(v.0.len(), 1);
    assert_eq!(v.0[0].kind, ViolationKind::Serialization);
    assert_eq!(v.0[0].path, "targetId");
    assert!(v.aws_message().contains("expected a string"), "{}", v.aws_message());
}

#[test]
fn unknown_request_members_are_ignored_but_reported_separately() {
    let sso = Service::SsoAdmin.model();
    let mut body = delete_assignment();
    body["Force"] = json!(true);
    assert_eq!(sso.validate_input("DeleteAccountAssignment", &body), Ok(()));
    assert_eq!(sso.unknown_input_members("DeleteAccountAssignment", &body), ["force"]);
}

#[test]
fn unknown_operation_is_reported() {
    let v = err(Service::SsoAdmin, "DeleteEverything", json!({}));
    assert_eq!(v.error_code(), "UnknownOperationException");
    assert!(v.aws_message().contains("DeleteEverything"));
}

fn association(user: &str) -> Value {
    json!({"StackName": "stack-1", "UserName": user, "AuthenticationType": "USERPOOL"})
}

#[test]
fn batch_disassociate_user_stack_valid() {
    let body = json!({"UserStackAssociations": [association("alice@example.com"), association("bob@example.com")]});
    assert_eq!(Service::AppStream.model().validate_input("BatchDisassociateUserStack", &body), Ok(()));
}

#[test]
fn batch_disassociate_user_stack_too_many_items() {
    let items: Vec<Value> = (0..26).map(|i| association(&format!("user{i}@example.com"))).collect();
    let v = err(Service::AppStream, "BatchDisassociateUserStack", json!({ "UserStackAssociations": items }));
    assert_eq!(paths(&v), ["userStackAssociations"]);
    assert_eq!(v.0[0].message, "Member must have length less than or equal to 25");
    let empty = err(Service::AppStream, "BatchDisassociateUserStack", json!({ "UserStackAssociations": [] }));
    assert_eq!(
        empty.aws_message(),
        "1 validation error detected: Value '[]' at 'userStackAssociations' failed to satisfy \
         constraint: Member must have length greater than or equal to 1"
    );
}

#[test]
fn batch_disassociate_user_stack_long_user_name() {
    let long = "a".repeat(129);
    let ok = "b".repeat(128);
    let v = err(
        Service::AppStream,
        "BatchDisassociateUserStack",
        json!({ "UserStackAssociations": [association(&ok), association(&long)] }),
    );
    // Username is @sensitive, so AWS leaves the value out of the message.
    assert_eq!(
        v.aws_message(),
        "1 validation error detected: Value at 'userStackAssociations.2.member.userName' failed \
         to satisfy constraint: Member must have length less than or equal to 128"
    );
}

#[test]
fn batch_disassociate_user_stack_nested_required_and_enum() {
    let v = err(
        Service::AppStream,
        "BatchDisassociateUserStack",
        json!({ "UserStackAssociations": [
            {"StackName": "s", "UserName": "u"},
            {"StackName": "", "UserName": "u", "AuthenticationType": "OIDC"}
        ]}),
    );
    assert_eq!(
        v.aws_message(),
        "3 validation errors detected: \
         Value null at 'userStackAssociations.1.member.authenticationType' failed to satisfy \
         constraint: Member must not be null; \
         Value 'OIDC' at 'userStackAssociations.2.member.authenticationType' failed to satisfy \
         constraint: Member must satisfy enum value set: [API, SAML, USERPOOL, AWS_AD]; \
         Value '' at 'userStackAssociations.2.member.stackName' failed to satisfy constraint: \
         Member must have length greater than or equal to 1"
    );
}

fn disassociate_personas(entity_ids: Vec<String>) -> Value {
    json!({"Id": "experience-1", "IndexId": INDEX_ID, "EntityIds": entity_ids})
}

#[test]
fn disassociate_personas_from_entities() {
    let kendra = Service::Kendra.model();
    let ok = disassociate_personas(vec![USER_ID.to_owned()]);
    assert_eq!(kendra.validate_input("DisassociatePersonasFromEntities", &ok), Ok(()));

    let v = err(
        Service::Kendra,
        "DisassociatePersonasFromEntities",
        disassociate_personas(vec![USER_ID.to_owned(), "alice".to_owned()]),
    );
    assert_eq!(paths(&v), ["entityIds.2.member"]);
    assert!(v.0[0].message.starts_with("Member must satisfy regular expression pattern: "));

    let too_many = (0..26).map(|_| USER_ID.to_owned()).collect();
    let v = err(Service::Kendra, "DisassociatePersonasFromEntities", disassociate_personas(too_many));
    assert_eq!(paths(&v), ["entityIds"]);

    let mut short_index = disassociate_personas(vec![USER_ID.to_owned()]);
    short_index["IndexId"] = json!("abc");
    let v = err(Service::Kendra, "DisassociatePersonasFromEntities", short_index);
    assert_eq!(
        v.aws_message(),
        "1 validation error detected: Value 'abc' at 'indexId' failed to satisfy constraint: \
         Member must have length greater than or equal to 36"
    );
}

#[test]
fn delete_principal_mapping_ordering_id_range() {
    let kendra = Service::Kendra.model();
    let body = |ordering: Value| json!({"IndexId": INDEX_ID, "GroupId": "team-a", "OrderingId": ordering});
    assert_eq!(kendra.validate_input("DeletePrincipalMapping", &body(json!(0))), Ok(()));
    assert_eq!(kendra.validate_input("DeletePrincipalMapping", &body(json!(32_535_158_400_000_i64))), Ok(()));
    let high = err(Service::Kendra, "DeletePrincipalMapping", body(json!(32_535_158_400_001_i64)));
    assert_eq!(
        high.aws_message(),
        "1 validation error detected: Value '32535158400001' at 'orderingId' failed to satisfy \
         constraint: Member must have value less than or equal to 32535158400000"
    );
    let negative = err(Service::Kendra, "DeletePrincipalMapping", body(json!(-1)));
    assert_eq!(negative.0[0].message, "Member must have value greater than or equal to 0");
    let fractional = err(Service::Kendra, "DeletePrincipalMapping", body(json!(1.5)));
    assert_eq!(fractional.error_code(), "SerializationException");
}

#[test]
fn delete_principal_mapping_group_id_rejects_control_characters() {
    let v = err(Service::Kendra, "DeletePrincipalMapping", json!({"IndexId": INDEX_ID, "GroupId": "team\u{7}a"}));
    assert_eq!(paths(&v), ["groupId"]);
    assert_eq!(v.0[0].message, r"Member must satisfy regular expression pattern: ^\P{C}*$");
}

fn get_user_id(alternate: Value) -> Value {
    json!({"IdentityStoreId": "d-1234567890", "AlternateIdentifier": alternate})
}

#[test]
fn get_user_id_union_with_one_member() {
    let ids = Service::IdentityStore.model();
    let by_name = get_user_id(json!({"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "alice"}}));
    assert_eq!(ids.validate_input("GetUserId", &by_name), Ok(()));
    let by_external = get_user_id(json!({"ExternalId": {"Issuer": "okta", "Id": "00u1"}}));
    assert_eq!(ids.validate_input("GetUserId", &by_external), Ok(()));
}

#[test]
fn get_user_id_union_with_two_members_is_rejected() {
    let v = err(
        Service::IdentityStore,
        "GetUserId",
        get_user_id(json!({
            "UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "alice"},
            "ExternalId": {"Issuer": "okta", "Id": "00u1"}
        })),
    );
    assert_eq!(v.error_code(), "SerializationException");
    assert_eq!(paths(&v), ["alternateIdentifier"]);
    assert!(
        v.0[0].message.contains("exactly one member set") && v.0[0].message.contains("2 are set"),
        "{}",
        v.0[0].message
    );
}

#[test]
fn get_user_id_union_with_no_member_is_rejected() {
    let v = err(Service::IdentityStore, "GetUserId", get_user_id(json!({})));
    assert_eq!(paths(&v), ["alternateIdentifier"]);
    assert!(v.0[0].message.contains("but 0 are set"), "{}", v.0[0].message);
}

#[test]
fn get_user_id_nested_union_member_is_validated() {
    let v = err(
        Service::IdentityStore,
        "GetUserId",
        get_user_id(json!({"UniqueAttribute": {"AttributePath": "user name!"}})),
    );
    assert_eq!(
        paths(&v),
        ["alternateIdentifier.uniqueAttribute.attributePath", "alternateIdentifier.uniqueAttribute.attributeValue"]
    );
}

#[test]
fn identity_store_id_accepts_id_or_arn_only() {
    let ids = Service::IdentityStore.model();
    let body = |store: &str| json!({"IdentityStoreId": store, "MemberId": {"UserId": USER_ID}});
    for good in ["d-1234567890", "arn:aws:identitystore::123456789012:identitystore/d-1234567890"] {
        assert_eq!(ids.validate_input("ListGroupMembershipsForMember", &body(good)), Ok(()), "{good}");
    }
    let v = err(Service::IdentityStore, "ListGroupMembershipsForMember", body("d-123"));
    assert_eq!(paths(&v), ["identityStoreId"]);
}

#[test]
fn max_results_range_and_empty_body() {
    let sso = Service::SsoAdmin.model();
    assert_eq!(sso.validate_input("ListInstances", &json!({})), Ok(()));
    assert_eq!(sso.validate_input("ListInstances", &Value::Null), Ok(()));
    let v = err(Service::SsoAdmin, "ListInstances", json!({"MaxResults": 0}));
    assert_eq!(
        v.aws_message(),
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    let v = err(Service::SsoAdmin, "ListInstances", json!({"MaxResults": 3_000_000_000_u64}));
    assert_eq!(v.error_code(), "SerializationException", "beyond a 32-bit integer");
    let v = err(Service::SsoAdmin, "ListInstances", json!([]));
    assert_eq!(v.error_code(), "SerializationException");
}

#[test]
fn map_entries_keys_and_values_are_checked() {
    let apps = Service::AppStream.model();
    let arn = "arn:aws:appstream:us-east-1:123456789012:stack/s";
    let ok = json!({"ResourceArn": arn, "Tags": {"team": "core"}});
    assert_eq!(apps.validate_input("TagResource", &ok), Ok(()));

    let long_key = "k".repeat(129);
    let bad = json!({"ResourceArn": arn, "Tags": {long_key.clone(): "v", "team": "x!"}});
    let v = err(Service::AppStream, "TagResource", bad);
    // The key is reported at the map, the value under its key.
    assert_eq!(paths(&v), ["tags", "tags.team"]);
    assert_eq!(v.0[0].message, "Member must have length less than or equal to 128");
    assert!(v.0[1].message.starts_with("Member must satisfy regular expression pattern"));

    let too_many: serde_json::Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let v = err(Service::AppStream, "TagResource", json!({"ResourceArn": arn, "Tags": too_many}));
    assert_eq!(paths(&v), ["tags"]);
    assert_eq!(v.0[0].message, "Member must have length less than or equal to 50");
}
