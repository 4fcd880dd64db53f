//! AppStream through aws-sdk-appstream, which speaks rpcv2Cbor by default, and over awsJson1_1
//! (the SDK's protocol override and raw requests).

use aws_sdk_appstream::types::{AuthenticationType, UserStackAssociation, UserStackAssociationErrorCode};
use aws_smithy_json::protocol::aws_json_rpc::AwsJsonRpcProtocol;
use ciborium::Value as Cbor;
use offboard_sandbox::{Faults, RunningSandbox};
use serde_json::json;

use crate::common::*;

fn association(stack: &str, user: &str) -> UserStackAssociation {
    UserStackAssociation::builder()
        .stack_name(stack)
        .user_name(user)
        .authentication_type(AuthenticationType::Userpool)
        .build()
}

/// An AppStream client that speaks awsJson1_1 instead of CBOR.
async fn json_client(sandbox: &RunningSandbox) -> aws_sdk_appstream::Client {
    let config = sdk_config(&sandbox.url(), aws_config::retry::RetryConfig::disabled()).await;
    let config = aws_sdk_appstream::config::Builder::from(&config).protocol(AwsJsonRpcProtocol::aws_json_1_1()).build();
    aws_sdk_appstream::Client::from_conf(config)
}

async fn all_associations(
    client: &aws_sdk_appstream::Client,
    stack: Option<&str>,
    user: Option<&str>,
    max: Option<i32>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .describe_user_stack_associations()
            .set_stack_name(stack.map(str::to_owned))
            .set_user_name(user.map(str::to_owned))
            .set_authentication_type(user.map(|_| AuthenticationType::Userpool))
            .set_max_results(max)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for a in page.user_stack_associations() {
            out.push((a.stack_name().unwrap().to_owned(), a.user_name().unwrap().to_owned()));
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return out;
        }
    }
}

#[tokio::test]
async fn describe_stacks_over_cbor() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let out = c.appstream.describe_stacks().send().await.unwrap();
    let mut names: Vec<_> = out.stacks().iter().map(|s| s.name().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, ["analytics-workbench", "engineering-tools", "support-desktop"]);
    let stack = &out.stacks()[0];
    assert!(stack.arn().unwrap().starts_with("arn:aws:appstream:us-east-1:222222222222:stack/"));
    assert_eq!(stack.created_time().map(|t| t.secs()), Some(1_735_689_600));
    assert!(sandbox.request_log().iter().all(|r| r.protocol == "rpcv2Cbor"));

    let err = c.appstream.describe_stacks().names("no-such-stack").send().await.unwrap_err().into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let named = c.appstream.describe_stacks().names("support-desktop").send().await.unwrap();
    assert_eq!(named.stacks().len(), 1);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn associations_by_stack_and_by_user_with_pages() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let by_stack = all_associations(&c.appstream, Some("engineering-tools"), None, Some(3)).await;
    assert_eq!(by_stack.len(), 8);
    assert!(sandbox.request_log().iter().filter(|r| r.operation == "DescribeUserStackAssociations").count() >= 3);
    let mine = all_associations(&c.appstream, None, Some(ALICE), None).await;
    assert_eq!(
        mine,
        [("analytics-workbench".to_owned(), ALICE.to_owned()), ("engineering-tools".to_owned(), ALICE.to_owned())]
    );
    assert!(all_associations(&c.appstream, Some("no-such-stack"), None, None).await.is_empty());
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn describe_associations_needs_a_stack_or_a_user_with_auth_type() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let err = c.appstream.describe_user_stack_associations().send().await.unwrap_err().into_service_error();
    assert!(err.is_invalid_parameter_combination_exception(), "{err:?}");
    let err =
        c.appstream.describe_user_stack_associations().user_name(ALICE).send().await.unwrap_err().into_service_error();
    assert!(err.is_invalid_parameter_combination_exception(), "{err:?}");
    let err = c
        .appstream
        .describe_user_stack_associations()
        .stack_name("support-desktop")
        .max_results(501)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ValidationException"));
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn batch_disassociate_reports_per_item_failures() {
    let sandbox = start(Faults::none().with_failing_entity("erin.fox@northwind.example")).await;
    let c = clients(&sandbox).await;
    let out = c
        .appstream
        .batch_disassociate_user_stack()
        .user_stack_associations(association("analytics-workbench", ALICE))
        .user_stack_associations(association("engineering-tools", ALICE))
        .user_stack_associations(association("no-such-stack", ALICE))
        .user_stack_associations(association("engineering-tools", "ghost@northwind.example"))
        .user_stack_associations(association("engineering-tools", "erin.fox@northwind.example"))
        .send()
        .await
        .unwrap();
    let errors: Vec<_> = out
        .errors()
        .iter()
        .map(|e| {
            (e.user_stack_association().unwrap().user_name().unwrap().to_owned(), e.error_code().cloned().unwrap())
        })
        .collect();
    assert_eq!(
        errors,
        [
            (ALICE.to_owned(), UserStackAssociationErrorCode::StackNotFound),
            ("ghost@northwind.example".to_owned(), UserStackAssociationErrorCode::UserNameNotFound),
            ("erin.fox@northwind.example".to_owned(), UserStackAssociationErrorCode::InternalError),
        ]
    );
    let snapshot = sandbox.snapshot();
    assert!(snapshot.associations_of(ALICE).is_empty());
    assert_eq!(snapshot.associations_of("erin.fox@northwind.example").len(), 2);

    // Removing what is already gone succeeds; re-associating brings it back.
    let again = c
        .appstream
        .batch_disassociate_user_stack()
        .user_stack_associations(association("engineering-tools", ALICE))
        .send()
        .await
        .unwrap();
    assert!(again.errors().is_empty());
    let added = c
        .appstream
        .batch_associate_user_stack()
        .user_stack_associations(association("engineering-tools", ALICE))
        .send()
        .await
        .unwrap();
    assert!(added.errors().is_empty());
    assert_eq!(sandbox.snapshot().associations_of(ALICE).len(), 1);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn batch_of_more_than_25_is_a_validation_error() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let items: Vec<_> =
        (0..26).map(|i| association("support-desktop", &format!("user{i}@northwind.example"))).collect();
    let err =
        c.appstream.batch_disassociate_user_stack().set_user_stack_associations(Some(items)).send().await.unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ValidationException"));
    assert_eq!(sandbox.snapshot().appstream_associations.len(), 21);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn the_same_operations_over_aws_json() {
    let sandbox = start(Faults::none()).await;
    let client = json_client(&sandbox).await;
    let stacks = client.describe_stacks().send().await.unwrap();
    assert_eq!(stacks.stacks().len(), 3);
    assert_eq!(all_associations(&client, None, Some(BOB), None).await.len(), 1);
    let out = client
        .batch_disassociate_user_stack()
        .user_stack_associations(association("engineering-tools", BOB))
        .send()
        .await
        .unwrap();
    assert!(out.errors().is_empty());
    assert!(sandbox.snapshot().associations_of(BOB).is_empty());
    let err = client.describe_user_stack_associations().send().await.unwrap_err().into_service_error();
    assert!(err.is_invalid_parameter_combination_exception(), "{err:?}");
    let log = sandbox.request_log();
    assert!(log.iter().all(|r| r.protocol == "awsJson1_1"), "{log:#?}");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn raw_aws_json_request() {
    let sandbox = start(Faults::none()).await;
    let answer = post_json(
        &sandbox,
        "PhotonAdminProxyService.DescribeUserStackAssociations",
        &json!({"StackName": "support-desktop"}),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["UserStackAssociations"].as_array().unwrap().len(), 6);
    let bad = post_json(&sandbox, "PhotonAdminProxyService.DescribeStacks", &json!({"Names": ["nope"]})).await;
    assert_eq!(bad.status, 404);
    assert_eq!(bad.json()["__type"], "ResourceNotFoundException");
}

#[tokio::test]
async fn raw_cbor_follows_the_rpcv2_spec() {
    let sandbox = start(Faults::none()).await;
    let (answer, body) = post_cbor(&sandbox, "DescribeStacks", &cbor_map(vec![])).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("smithy-protocol"), Some("rpc-v2-cbor"));
    assert_eq!(answer.header("content-type"), Some("application/cbor"));
    let Some(Cbor::Array(stacks)) = cbor_get(&body, "Stacks") else { panic!("{body:?}") };
    // Timestamps are tag 1 (epoch seconds).
    assert_eq!(cbor_get(&stacks[0], "CreatedTime"), Some(&Cbor::Tag(1, Box::new(Cbor::Integer(1_735_689_600.into())))));

    let (answer, body) =
        post_cbor(&sandbox, "DescribeUserStackAssociations", &cbor_map(vec![("UserName", Cbor::Text(ALICE.into()))]))
            .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        cbor_get(&body, "__type").and_then(Cbor::as_text),
        Some("com.amazonaws.appstream#InvalidParameterCombinationException")
    );
    assert!(cbor_get(&body, "Message").is_some());

    // Garbage is a SerializationException; an unknown operation an UnknownOperationException.
    let bad = raw(
        sandbox.addr(),
        "POST",
        "/service/PhotonAdminProxyService/operation/DescribeStacks",
        &[("smithy-protocol", "rpc-v2-cbor")],
        &[0xff, 0xff],
    )
    .await
    .unwrap();
    assert_eq!(bad.status, 400);
    let (unknown, body) = post_cbor(&sandbox, "CreateStack", &cbor_map(vec![])).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        cbor_get(&body, "__type").and_then(Cbor::as_text),
        Some("com.amazonaws.appstream#UnknownOperationException")
    );
}
