//! Identity Store group memberships through aws-sdk-identitystore: reading them by group and by
//! member, resolving a membership id, deleting one, and the faults that make deletion fail.

use aws_sdk_identitystore::error::ProvideErrorMetadata;
use aws_sdk_identitystore::types::{ConflictExceptionReason, GroupMembership, MemberId, ResourceType};
use aws_sdk_ssoadmin::types::PrincipalType;
use offboard_sandbox::{AwsService, Faults, RunningSandbox};
use regex::Regex;
use serde_json::json;

use crate::common::*;

const PLATFORM: &str = "Platform Engineering";
const DATA_SCIENCE: &str = "Data Science";

/// Every membership of a group, through the paginator with pages of `page`.
async fn members_of_group(c: &Clients, group: &str, page: i32) -> Vec<GroupMembership> {
    c.ids
        .list_group_memberships()
        .identity_store_id(STORE_ID)
        .group_id(group)
        .max_results(page)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
}

/// Group ids of every membership of a user.
async fn groups_of(c: &Clients, user: &str) -> Vec<String> {
    let items = c
        .ids
        .list_group_memberships_for_member()
        .identity_store_id(STORE_ID)
        .member_id(MemberId::UserId(user.to_owned()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let mut groups: Vec<String> = items.iter().map(|m| m.group_id().unwrap().to_owned()).collect();
    groups.sort();
    groups
}

async fn membership_id(c: &Clients, group: &str, user: &str) -> Result<String, (Option<String>, Option<String>)> {
    c.ids
        .get_group_membership_id()
        .identity_store_id(STORE_ID)
        .group_id(group)
        .member_id(MemberId::UserId(user.to_owned()))
        .send()
        .await
        .map(|o| o.membership_id().to_owned())
        .map_err(|e| {
            let e = e.into_service_error();
            let resource_type = match &e {
                aws_sdk_identitystore::operation::get_group_membership_id::GetGroupMembershipIdError::ResourceNotFoundException(nf) => {
                    nf.resource_type().map(|t| t.as_str().to_owned())
                }
                _ => None,
            };
            (e.code().map(str::to_owned), resource_type)
        })
}

/// `DeleteGroupMembership`: `Ok` or (error code, `ResourceType` or conflict `Reason`).
async fn delete_membership(c: &Clients, membership: &str) -> Result<(), (Option<String>, Option<String>)> {
    use aws_sdk_identitystore::operation::delete_group_membership::DeleteGroupMembershipError as E;
    c.ids
        .delete_group_membership()
        .identity_store_id(STORE_ID)
        .membership_id(membership)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let e = e.into_service_error();
            let detail = match &e {
                E::ResourceNotFoundException(nf) => nf.resource_type().map(|t| t.as_str().to_owned()),
                E::ConflictException(c) => c.reason().map(|r| r.as_str().to_owned()),
                _ => None,
            };
            (e.code().map(str::to_owned), detail)
        })
}

fn membership_of(sandbox: &RunningSandbox, group: &str, user: &str) -> String {
    let org = sandbox.org();
    let (g, u) = (group_id(sandbox, group), user_id(sandbox, user));
    org.identity_store.memberships.iter().find(|m| m.group_id == g && m.user_id == u).unwrap().id.clone()
}

#[tokio::test]
async fn memberships_of_a_group_page_and_have_the_aws_shape() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let platform = group_id(&sandbox, PLATFORM);
    let items = members_of_group(&c, &platform, 3).await;
    assert_eq!(items.len(), 8, "Platform Engineering has 8 members");
    let pages = sandbox.request_log().iter().filter(|r| r.operation == "ListGroupMemberships").count();
    assert_eq!(pages, 3, "8 members in pages of 3");
    let id_pattern =
        Regex::new(r"^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$")
            .unwrap();
    let mut users = Vec::new();
    for m in &items {
        assert_eq!(m.identity_store_id(), STORE_ID);
        assert!(id_pattern.is_match(m.membership_id()), "{m:?}");
        assert_eq!(m.membership_arn(), format!("arn:aws:identitystore:::membership/{}", m.membership_id()));
        assert_eq!(m.group_id(), Some(platform.as_str()));
        let Some(MemberId::UserId(user)) = m.member_id() else { panic!("no UserId in {m:?}") };
        users.push(user.clone());
    }
    users.sort();
    let org = sandbox.org();
    let mut expected: Vec<String> =
        org.identity_store.memberships.iter().filter(|m| m.group_id == platform).map(|m| m.user_id.clone()).collect();
    expected.sort();
    assert_eq!(users, expected);

    // The group's ARN works as its id, and the membership id resolves to the same membership.
    let by_arn = members_of_group(&c, &format!("arn:aws:identitystore:::group/{platform}"), 100).await;
    assert_eq!(by_arn.len(), 8);
    let alice = user_id(&sandbox, ALICE);
    let id = membership_id(&c, &platform, &alice).await.unwrap();
    assert_eq!(id, membership_of(&sandbox, PLATFORM, ALICE));
    assert!(items.iter().any(|m| m.membership_id() == id));
    let out = c
        .ids
        .get_group_membership_id()
        .identity_store_id(STORE_ID)
        .group_id(&platform)
        .member_id(MemberId::UserId(format!("arn:aws:identitystore:::user/{alice}")))
        .send()
        .await
        .unwrap();
    assert_eq!(out.membership_id(), id);
    assert_eq!(out.membership_arn(), format!("arn:aws:identitystore:::membership/{id}"));
    assert_eq!(out.identity_store_id(), STORE_ID);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn deleting_a_membership_removes_it_from_every_read() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let (alice, platform, science) =
        (user_id(&sandbox, ALICE), group_id(&sandbox, PLATFORM), group_id(&sandbox, DATA_SCIENCE));
    let assignments = |c: &Clients, alice: String| {
        let sso = c.sso.clone();
        async move {
            let rows = sso
                .list_account_assignments_for_principal()
                .instance_arn(INSTANCE_ARN)
                .principal_type(PrincipalType::User)
                .principal_id(alice)
                .send()
                .await
                .unwrap();
            let mut rows: Vec<String> = rows
                .account_assignments()
                .iter()
                .map(|r| format!("{:?} {:?} {:?}", r.account_id(), r.permission_set_arn(), r.principal_type()))
                .collect();
            rows.sort();
            rows
        }
    };
    let before = assignments(&c, alice.clone()).await;
    let id = membership_of(&sandbox, PLATFORM, ALICE);
    let mut expected = vec![platform.clone(), science.clone()];
    expected.sort();
    assert_eq!(groups_of(&c, &alice).await, expected);

    // The ARN form of the membership id is accepted; the answer is empty.
    delete_membership(&c, &format!("arn:aws:identitystore:::membership/{id}")).await.unwrap();

    assert_eq!(groups_of(&c, &alice).await, vec![science.clone()]);
    let remaining = members_of_group(&c, &platform, 100).await;
    assert_eq!(remaining.len(), 7);
    assert!(remaining.iter().all(|m| m.membership_id() != id));
    assert_eq!(
        membership_id(&c, &platform, &alice).await,
        Err((Some("ResourceNotFoundException".to_owned()), Some("GROUP_MEMBERSHIP".to_owned())))
    );
    let snap = sandbox.snapshot();
    let alices: Vec<_> = snap.memberships_of(ALICE).iter().map(|m| m.group_name.clone()).collect();
    assert_eq!(alices, [DATA_SCIENCE]);
    assert!(snap.group_memberships.iter().all(|m| m.membership_id != id));
    assert_eq!(snap.group_memberships.iter().filter(|m| m.group_name == PLATFORM).count(), 7);
    let mut sorted = snap.group_memberships.clone();
    sorted.sort();
    assert_eq!(sorted, snap.group_memberships, "the snapshot's list is sorted");
    // A user's assignment rows are direct ones only, so they neither had nor lose group rows.
    let after = assignments(&c, alice.clone()).await;
    assert_eq!(after, before);
    assert!(after.iter().all(|r| r.ends_with("Some(User)")), "{after:?}");

    // Deleting it again: the membership is gone.
    assert_eq!(
        delete_membership(&c, &id).await,
        Err((Some("ResourceNotFoundException".to_owned()), Some("GROUP_MEMBERSHIP".to_owned())))
    );
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn unknown_things_are_not_found_with_their_resource_type() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let (alice, bob, science) = (user_id(&sandbox, ALICE), user_id(&sandbox, BOB), group_id(&sandbox, DATA_SCIENCE));
    let ghost = "906700a1b2-00000000-0000-4000-8000-000000000000";
    let not_found = |t: &str| (Some("ResourceNotFoundException".to_owned()), Some(t.to_owned()));
    // Bob is not in Data Science.
    assert_eq!(membership_id(&c, &science, &bob).await, Err(not_found("GROUP_MEMBERSHIP")));
    assert_eq!(membership_id(&c, ghost, &alice).await, Err(not_found("GROUP")));
    assert_eq!(membership_id(&c, &science, ghost).await, Err(not_found("USER")));
    assert_eq!(delete_membership(&c, ghost).await, Err(not_found("GROUP_MEMBERSHIP")));
    // A group's ARN does not name a membership, even when the id is a membership's.
    let alices = membership_of(&sandbox, DATA_SCIENCE, ALICE);
    assert_eq!(
        delete_membership(&c, &format!("arn:aws:identitystore:::group/{alices}")).await,
        Err(not_found("GROUP_MEMBERSHIP"))
    );

    let err = c.ids.list_group_memberships().identity_store_id(STORE_ID).group_id(ghost).send().await.unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let aws_sdk_identitystore::operation::list_group_memberships::ListGroupMembershipsError::ResourceNotFoundException(
        nf,
    ) = &err
    else {
        unreachable!()
    };
    assert_eq!(nf.resource_type(), Some(&ResourceType::Group));
    assert_eq!(nf.resource_id(), Some(ghost));
    let err = c
        .ids
        .list_group_memberships()
        .identity_store_id("d-0000000000")
        .group_id(&science)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let aws_sdk_identitystore::operation::list_group_memberships::ListGroupMembershipsError::ResourceNotFoundException(
        nf,
    ) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(nf.resource_type(), Some(&ResourceType::IdentityStore));
    let err = c.ids.describe_group().identity_store_id(STORE_ID).group_id(ghost).send().await.unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
    assert_eq!(sandbox.snapshot().group_memberships.len(), sandbox.org().identity_store.memberships.len());
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn validation_errors_and_raw_answers() {
    let sandbox = start(Faults::none()).await;
    let science = group_id(&sandbox, DATA_SCIENCE);
    let alices = membership_of(&sandbox, DATA_SCIENCE, ALICE);
    let cases = [
        ("DeleteGroupMembership", json!({"IdentityStoreId": STORE_ID}), "membershipId"),
        ("DeleteGroupMembership", json!({"IdentityStoreId": STORE_ID, "MembershipId": "not-an-id"}), "membershipId"),
        ("ListGroupMemberships", json!({"IdentityStoreId": STORE_ID}), "groupId"),
        (
            "ListGroupMemberships",
            json!({"IdentityStoreId": STORE_ID, "GroupId": science, "MaxResults": 0}),
            "maxResults",
        ),
        (
            "ListGroupMemberships",
            json!({"IdentityStoreId": STORE_ID, "GroupId": science, "MaxResults": 101}),
            "maxResults",
        ),
        (
            "ListGroupMemberships",
            json!({"IdentityStoreId": STORE_ID, "GroupId": science, "NextToken": "abc"}),
            "NextToken",
        ),
        ("GetGroupMembershipId", json!({"IdentityStoreId": STORE_ID, "GroupId": science}), "memberId"),
    ];
    for (op, body, mentions) in cases {
        let answer = post_json(&sandbox, &format!("AWSIdentityStore.{op}"), &body).await;
        assert_eq!(answer.status, 400, "{op} {body}");
        let json = answer.json();
        assert_eq!(json["__type"], "ValidationException", "{op} {body}: {json}");
        let message = json["Message"].as_str().or(json["message"].as_str()).unwrap_or_default().to_owned();
        assert!(message.contains(mentions), "{op} {body}: {json}");
    }
    assert_eq!(sandbox.snapshot().group_memberships.len(), sandbox.org().identity_store.memberships.len());

    let answer = post_json(
        &sandbox,
        "AWSIdentityStore.DeleteGroupMembership",
        &json!({"IdentityStoreId": STORE_ID, "MembershipId": alices}),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({}), "DeleteGroupMembership answers an empty structure");
    let gone = post_json(
        &sandbox,
        "AWSIdentityStore.DeleteGroupMembership",
        &json!({"IdentityStoreId": STORE_ID, "MembershipId": alices}),
    )
    .await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json()["ResourceType"], "GROUP_MEMBERSHIP");
    assert_eq!(gone.json()["ResourceId"], json!(alices));
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn describe_group() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let interns = group_id(&sandbox, "Summer Interns");
    let out = c.ids.describe_group().identity_store_id(STORE_ID).group_id(&interns).send().await.unwrap();
    assert_eq!(out.group_id(), interns);
    assert_eq!(out.group_arn(), format!("arn:aws:identitystore:::group/{interns}"));
    assert_eq!(out.display_name(), Some("Summer Interns"));
    assert_eq!(out.description(), Some("2026 summer internship programme"));
    assert_eq!(out.identity_store_id(), STORE_ID);
    assert_eq!(out.revision(), "1");
    let platform = group_id(&sandbox, PLATFORM);
    let by_arn = c
        .ids
        .describe_group()
        .identity_store_id(format!("arn:aws:identitystore::111111111111:identitystore/{STORE_ID}"))
        .group_id(format!("arn:aws:identitystore:::group/{platform}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_arn.display_name(), Some(PLATFORM));
    assert_eq!(by_arn.description(), None);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn failing_membership_deletions_are_conflicts_that_change_nothing() {
    // By user name: every membership of Alice fails; by group name: every membership of Finance.
    let faults = Faults::none().with_failing_membership(ALICE).with_failing_membership("Finance");
    let sandbox = start(faults).await;
    let c = clients(&sandbox).await;
    let before = sandbox.snapshot();
    let conflict = Err((
        Some("ConflictException".to_owned()),
        Some(ConflictExceptionReason::ConcurrentModification.as_str().to_owned()),
    ));
    for (group, user) in [(PLATFORM, ALICE), (DATA_SCIENCE, ALICE), ("Finance", "tara.singh@northwind.example")] {
        assert_eq!(delete_membership(&c, &membership_of(&sandbox, group, user)).await, conflict, "{group} {user}");
    }
    assert_eq!(sandbox.snapshot(), before, "a refused deletion changes nothing");
    let conflicts = sandbox.request_log().iter().filter(|r| r.status == 409).count();
    assert_eq!(conflicts, 3);
    // Bob's membership is not named by the fault.
    delete_membership(&c, &membership_of(&sandbox, PLATFORM, BOB)).await.unwrap();
    assert!(sandbox.snapshot().memberships_of(BOB).is_empty());

    // Faults change at run time: by membership id and by group id, one membership each.
    let science = membership_of(&sandbox, DATA_SCIENCE, "jack.nguyen@northwind.example");
    sandbox.set_faults(Faults::none().with_failing_membership(&science)).unwrap();
    assert_eq!(delete_membership(&c, &science).await, conflict);
    delete_membership(&c, &membership_of(&sandbox, DATA_SCIENCE, ALICE)).await.unwrap();
    sandbox.set_faults(Faults::none().with_failing_membership(group_id(&sandbox, "Customer Support"))).unwrap();
    let support = membership_of(&sandbox, "Customer Support", "olivia.rossi@northwind.example");
    assert_eq!(delete_membership(&c, &support).await, conflict);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn throttling_and_server_errors_reach_the_membership_operations() {
    let sandbox = start(Faults::none().with_tps(AwsService::IdentityStore, 1.0)).await;
    let c = clients(&sandbox).await;
    let before = sandbox.snapshot();
    let platform = group_id(&sandbox, PLATFORM);
    c.ids.list_group_memberships().identity_store_id(STORE_ID).group_id(&platform).send().await.unwrap();
    let id = membership_of(&sandbox, PLATFORM, ALICE);
    assert_eq!(delete_membership(&c, &id).await.unwrap_err().0.as_deref(), Some("ThrottlingException"));
    assert_eq!(sandbox.snapshot(), before, "a throttled deletion changes nothing");
    let log = sandbox.request_log();
    let throttled: Vec<_> = log.iter().filter(|r| r.fault.as_deref() == Some("throttled")).collect();
    assert_eq!(throttled.len(), 1);
    assert_eq!((throttled[0].operation.as_str(), throttled[0].status), ("DeleteGroupMembership", 429));

    sandbox.set_faults(Faults::none().with_error_rate(1.0)).unwrap();
    for op in ["ListGroupMemberships", "GetGroupMembershipId", "DeleteGroupMembership", "DescribeGroup"] {
        let body = json!({"IdentityStoreId": STORE_ID, "GroupId": platform, "MembershipId": id,
            "MemberId": {"UserId": user_id(&sandbox, ALICE)}});
        let mut body = body.as_object().unwrap().clone();
        match op {
            "DeleteGroupMembership" => {
                body.remove("GroupId");
                body.remove("MemberId");
            }
            "GetGroupMembershipId" => {
                body.remove("MembershipId");
            }
            _ => {
                body.remove("MembershipId");
                body.remove("MemberId");
            }
        }
        let answer = post_json(&sandbox, &format!("AWSIdentityStore.{op}"), &serde_json::Value::Object(body)).await;
        assert!(answer.status >= 500, "{op}: {}", answer.status);
    }
    assert_eq!(sandbox.snapshot(), before, "server errors change nothing");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn deleting_between_pages_skips_no_survivor() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let platform = group_id(&sandbox, PLATFORM);
    let first = c
        .ids
        .list_group_memberships()
        .identity_store_id(STORE_ID)
        .group_id(&platform)
        .max_results(3)
        .send()
        .await
        .unwrap();
    assert_eq!(first.group_memberships().len(), 3);
    let token = first.next_token().unwrap().to_owned();
    // Delete the last membership of the first page and the first one the next page would hold.
    let all = members_of_group(&c, &platform, 100).await;
    let mut ids: Vec<&str> = all.iter().map(GroupMembership::membership_id).collect();
    ids.sort();
    delete_membership(&c, ids[2]).await.unwrap();
    delete_membership(&c, ids[3]).await.unwrap();
    let mut seen: Vec<String> = first.group_memberships().iter().map(|m| m.membership_id().to_owned()).collect();
    let mut next = Some(token);
    while let Some(token) = next {
        let page = c
            .ids
            .list_group_memberships()
            .identity_store_id(STORE_ID)
            .group_id(&platform)
            .max_results(3)
            .next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(page.group_memberships().iter().map(|m| m.membership_id().to_owned()));
        next = page.next_token().map(str::to_owned);
    }
    let expected: Vec<String> =
        ids.iter().enumerate().filter(|(i, _)| *i != 3).map(|(_, id)| (*id).to_owned()).collect();
    assert_eq!(seen, expected, "every survivor once, in id order (the first page was read before the deletions)");
    assert_conformant(&sandbox);
}
