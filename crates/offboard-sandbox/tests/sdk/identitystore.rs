//! Identity Store through aws-sdk-identitystore.

use aws_sdk_identitystore::operation::get_user_id::{GetUserIdError, GetUserIdOutput};
use aws_sdk_identitystore::types::{AlternateIdentifier, MemberId, UniqueAttribute};
use aws_smithy_types::Document;
use offboard_sandbox::Faults;
use serde_json::json;

use crate::common::*;

fn unique(path: &str, value: &str) -> AlternateIdentifier {
    AlternateIdentifier::UniqueAttribute(
        UniqueAttribute::builder()
            .attribute_path(path)
            .attribute_value(Document::String(value.into()))
            .build()
            .unwrap(),
    )
}

/// `GetUserId` by a unique attribute, with the service error unwrapped for assertions.
async fn get_user_id(c: &Clients, store: &str, path: &str, value: &str) -> Result<GetUserIdOutput, GetUserIdError> {
    c.ids
        .get_user_id()
        .identity_store_id(store)
        .alternate_identifier(unique(path, value))
        .send()
        .await
        .map_err(|e| e.into_service_error())
}

#[tokio::test]
async fn get_user_id_by_user_name_and_email() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let expected = user_id(&sandbox, ALICE);
    let out = get_user_id(&c, STORE_ID, "userName", ALICE).await.unwrap();
    assert_eq!(out.user_id(), expected);
    assert_eq!(out.identity_store_id(), STORE_ID);
    assert_eq!(out.user_arn(), format!("arn:aws:identitystore:::user/{expected}"));
    assert!(expected.starts_with("906700a1b2-"), "{expected}");

    let by_email = get_user_id(&c, STORE_ID, "emails.value", ALICE).await.unwrap();
    assert_eq!(by_email.user_id(), expected);
    let shouting = get_user_id(&c, STORE_ID, "userName", &ALICE.to_uppercase()).await.unwrap();
    assert_eq!(shouting.user_id(), expected, "user names match regardless of case");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn unknown_user_and_bad_path_are_aws_errors() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let err = get_user_id(&c, STORE_ID, "userName", "nobody@northwind.example").await.unwrap_err();
    assert!(err.is_resource_not_found_exception(), "{err:?}");

    let err = get_user_id(&c, STORE_ID, "displayName", "Alice Wong").await.unwrap_err();
    assert!(err.is_validation_exception(), "{err:?}");

    // The model's pattern rejects a malformed store id before anything else.
    let err = get_user_id(&c, "not-a-store", "userName", ALICE).await.unwrap_err();
    assert!(err.is_validation_exception(), "{err:?}");
    assert!(err.to_string().contains("identityStoreId"), "{err}");

    // A well-formed but unknown store.
    let err = get_user_id(&c, "d-0000000000", "userName", ALICE).await.unwrap_err();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn get_group_id_by_display_name() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let out = c
        .ids
        .get_group_id()
        .identity_store_id(STORE_ID)
        .alternate_identifier(unique("displayName", "Summer Interns"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.group_id(), group_id(&sandbox, "Summer Interns"));
    assert!(out.group_arn().starts_with("arn:aws:identitystore:::group/"));
    let err = c
        .ids
        .get_group_id()
        .identity_store_id(STORE_ID)
        .alternate_identifier(unique("displayName", "Nobody"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn memberships_page_through_every_group() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let alice = user_id(&sandbox, ALICE);
    // Alice is in Platform Engineering and Data Science: pages of one.
    let items: Vec<_> = c
        .ids
        .list_group_memberships_for_member()
        .identity_store_id(STORE_ID)
        .member_id(MemberId::UserId(alice.clone()))
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut groups: Vec<String> = items.iter().map(|m| m.group_id().unwrap().to_owned()).collect();
    groups.sort();
    let mut expected = vec![group_id(&sandbox, "Platform Engineering"), group_id(&sandbox, "Data Science")];
    expected.sort();
    assert_eq!(groups, expected);
    let pages = sandbox.request_log().iter().filter(|r| r.operation == "ListGroupMembershipsForMember").count();
    assert_eq!(pages, 2);

    let err = c
        .ids
        .list_group_memberships_for_member()
        .identity_store_id(STORE_ID)
        .member_id(MemberId::UserId(alice))
        .next_token("bm90LWEtdG9rZW4")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn describe_user() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let id = user_id(&sandbox, ALICE);
    let out = c.ids.describe_user().identity_store_id(STORE_ID).user_id(&id).send().await.unwrap();
    assert_eq!(out.user_name(), Some(ALICE));
    assert_eq!(out.display_name(), Some("Alice Wong"));
    assert_eq!(out.emails()[0].value(), Some(ALICE));
    assert_eq!(out.name().and_then(|n| n.family_name()), Some("Wong"));
    let err = c
        .ids
        .describe_user()
        .identity_store_id(STORE_ID)
        .user_id("906700a1b2-00000000-0000-4000-8000-000000000000")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn raw_json_answers_look_like_aws() {
    let sandbox = start(Faults::none()).await;
    let answer = post_json(
        &sandbox,
        "AWSIdentityStore.GetUserId",
        &json!({"IdentityStoreId": STORE_ID, "AlternateIdentifier": {"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "ghost"}}}),
    ).await;
    assert_eq!(answer.status, 404);
    let body = answer.json();
    assert_eq!(body["__type"], "ResourceNotFoundException");
    assert_eq!(body["ResourceType"], "USER");
    assert_eq!(body["RequestId"].as_str(), answer.header("x-amzn-RequestId"));
    let unknown = post_json(&sandbox, "AWSIdentityStore.CreateUser", &json!({})).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["__type"], "UnknownOperationException");
}
