//! Per-container reads (issue 11): listing every user or group of the store, every account a
//! permission set is provisioned to, one container's assignments, memberships or associations,
//! page by page, against an org generated large enough for several pages of each.

use aws_sdk_ssoadmin::types::{PrincipalType, ProvisioningStatus};
use offboard_sandbox::{Faults, Org, RunningSandbox, Sandbox};
use serde_json::{Value, json};

use crate::common::*;

const USERS: usize = 230;
const GROUPS: usize = 120;
const PERMISSION_SETS: usize = 120;
const STACKS: usize = 30;
const ACCOUNT_A: &str = "210000000001";
const ACCOUNT_B: &str = "210000000002";
const ACCOUNT_C: &str = "210000000003";

fn user_name(i: usize) -> String {
    format!("user{i:03}@bench.example")
}

/// 230 users (all in group `Everyone`, plus 120 small teams), 120 permission sets: `PS000` on
/// account A for every user and five teams, `PS001` on accounts A and B for one user; 30 stacks,
/// the first with every user.
fn generated_org() -> Org {
    let mut y = String::from("version: 1\nidentity_store:\n  id: d-906700a1b2\n  users:\n");
    for i in 0..USERS {
        y.push_str(&format!("    - {{ user_name: {}, given_name: U{i}, family_name: Bench }}\n", user_name(i)));
    }
    y.push_str("  groups:\n    - display_name: Everyone\n      members:\n");
    for i in 0..USERS {
        y.push_str(&format!("        - {}\n", user_name(i)));
    }
    for g in 0..GROUPS - 1 {
        y.push_str(&format!("    - {{ display_name: team-{g:03}, members: [{}] }}\n", user_name(g)));
    }
    y.push_str("sso:\n  instance_arn: arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6\n  accounts:\n");
    for (id, name) in [(ACCOUNT_A, "a"), (ACCOUNT_B, "b"), (ACCOUNT_C, "c")] {
        y.push_str(&format!("    - {{ id: \"{id}\", name: {name} }}\n"));
    }
    y.push_str("  permission_sets:\n");
    for p in 0..PERMISSION_SETS {
        y.push_str(&format!("    - {{ name: PS{p:03} }}\n"));
    }
    y.push_str(&format!(
        "  assignments:\n    - permission_set: PS000\n      accounts: [\"{ACCOUNT_A}\"]\n      users:\n"
    ));
    for i in 0..USERS {
        y.push_str(&format!("        - {}\n", user_name(i)));
    }
    y.push_str("      groups: [team-000, team-001, team-002, team-003, team-004]\n");
    y.push_str(&format!(
        "    - {{ permission_set: PS001, accounts: [\"{ACCOUNT_A}\", \"{ACCOUNT_B}\"], users: [{}] }}\n",
        user_name(0)
    ));
    y.push_str("appstream:\n  stacks:\n");
    for s in 0..STACKS {
        y.push_str(&format!("    - {{ name: stack-{s:02} }}\n"));
    }
    y.push_str("  associations:\n    - stack: stack-00\n      users:\n");
    for i in 0..USERS {
        y.push_str(&format!("        - {}\n", user_name(i)));
    }
    Org::from_yaml_str(&y, "generated.yaml").unwrap()
}

async fn start_generated(faults: Faults) -> RunningSandbox {
    Sandbox::start(generated_org(), faults).await.unwrap()
}

/// Every page of a raw awsJson1_1 list request, following `NextToken`.
async fn pages(sandbox: &RunningSandbox, target: &str, request: Value, member: &str) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    let mut body = request;
    loop {
        let answer = post_json(sandbox, target, &body).await;
        assert_eq!(answer.status, 200, "{target}: {}", String::from_utf8_lossy(&answer.body));
        let json = answer.json();
        out.push(json.get(member).and_then(Value::as_array).cloned().unwrap_or_default());
        match json.get("NextToken").and_then(Value::as_str) {
            Some(token) => body["NextToken"] = json!(token),
            None => return out,
        }
    }
}

fn sizes(pages: &[Vec<Value>]) -> Vec<usize> {
    pages.iter().map(Vec::len).collect()
}

/// The error code and HTTP status of a raw answer.
fn error_of(answer: &Raw) -> (u16, String) {
    (answer.status, answer.json()["__type"].as_str().unwrap_or_default().rsplit('#').next().unwrap().to_owned())
}

#[tokio::test]
async fn list_users_pages_every_user_exactly_as_describe_user_shows_them() {
    let sandbox = start_generated(Faults::none()).await;
    let target = "AWSIdentityStore.ListUsers";
    let listed = pages(&sandbox, target, json!({"IdentityStoreId": "d-906700a1b2", "MaxResults": 100}), "Users").await;
    assert_eq!(sizes(&listed), [100, 100, 30]);
    let users: Vec<Value> = listed.into_iter().flatten().collect();
    let mut ids: Vec<&str> = users.iter().map(|u| u["UserId"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), USERS, "every user once");
    // Without MaxResults: pages of 100 (the documented guess).
    let default = pages(&sandbox, target, json!({"IdentityStoreId": "d-906700a1b2"}), "Users").await;
    assert_eq!(sizes(&default), [100, 100, 30]);
    for user in users.iter().step_by(37) {
        let described = post_json(
            &sandbox,
            "AWSIdentityStore.DescribeUser",
            &json!({"IdentityStoreId": "d-906700a1b2", "UserId": user["UserId"]}),
        )
        .await
        .json();
        assert_eq!(user, &described);
        assert_eq!(user["Emails"][0]["Primary"], json!(true));
        assert_eq!(user["Name"]["FamilyName"], json!("Bench"));
    }

    // The deprecated filter: UserName, ignoring case like GetUserId.
    let filtered = pages(
        &sandbox,
        target,
        json!({"IdentityStoreId": "d-906700a1b2", "Filters": [{"AttributePath": "UserName", "AttributeValue": "USER007@bench.example"}]}),
        "Users",
    )
    .await;
    assert_eq!(filtered, [vec![users.iter().find(|u| u["UserName"] == json!(user_name(7))).unwrap().clone()]]);
    let none = pages(
        &sandbox,
        target,
        json!({"IdentityStoreId": "d-906700a1b2", "Filters": [{"AttributePath": "UserName", "AttributeValue": "nobody"}]}),
        "Users",
    )
    .await;
    assert_eq!(none, [Vec::<Value>::new()]);
    let bad_path = post_json(
        &sandbox,
        target,
        &json!({"IdentityStoreId": "d-906700a1b2", "Filters": [{"AttributePath": "Title", "AttributeValue": "x"}]}),
    )
    .await;
    assert_eq!(error_of(&bad_path), (400, "ValidationException".to_owned()));
    assert!(bad_path.json()["Message"].as_str().unwrap().contains("UserName"));

    // MaxResults outside 1..100, an unknown store: errors as for the other operations.
    for max in [0, 101] {
        let answer = post_json(&sandbox, target, &json!({"IdentityStoreId": "d-906700a1b2", "MaxResults": max})).await;
        assert_eq!(error_of(&answer), (400, "ValidationException".to_owned()), "MaxResults {max}");
    }
    let unknown = post_json(&sandbox, target, &json!({"IdentityStoreId": "d-0000000000"})).await;
    let describe_unknown = post_json(
        &sandbox,
        "AWSIdentityStore.DescribeUser",
        &json!({"IdentityStoreId": "d-0000000000", "UserId": users[0]["UserId"]}),
    )
    .await;
    assert_eq!(error_of(&unknown), (404, "ResourceNotFoundException".to_owned()));
    assert_eq!(unknown.json()["ResourceType"], describe_unknown.json()["ResourceType"]);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn list_groups_pages_every_group_exactly_as_describe_group_shows_them() {
    let sandbox = start_generated(Faults::none()).await;
    let c = clients(&sandbox).await;
    let target = "AWSIdentityStore.ListGroups";
    let listed = pages(&sandbox, target, json!({"IdentityStoreId": "d-906700a1b2", "MaxResults": 50}), "Groups").await;
    assert_eq!(sizes(&listed), [50, 50, 20]);
    let groups: Vec<Value> = listed.into_iter().flatten().collect();
    let everyone = groups.iter().find(|g| g["DisplayName"] == json!("Everyone")).unwrap();
    let described = post_json(
        &sandbox,
        "AWSIdentityStore.DescribeGroup",
        &json!({"IdentityStoreId": "d-906700a1b2", "GroupId": everyone["GroupId"]}),
    )
    .await
    .json();
    assert_eq!(everyone, &described);

    // Through the SDK's paginator, and the DisplayName filter.
    let via_sdk: Vec<_> = c
        .ids
        .list_groups()
        .identity_store_id(STORE_ID)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(via_sdk.len(), GROUPS);
    let filter = aws_sdk_identitystore::types::Filter::builder()
        .attribute_path("DisplayName")
        .attribute_value("team-042")
        .build()
        .unwrap();
    // Deprecated by AWS, still served: a client written against it must keep working.
    #[allow(deprecated)]
    let one = c.ids.list_groups().identity_store_id(STORE_ID).filters(filter).send().await.unwrap();
    assert_eq!(one.groups().len(), 1);
    assert_eq!(one.groups()[0].display_name(), Some("team-042"));
    let bad = post_json(
        &sandbox,
        target,
        &json!({"IdentityStoreId": "d-906700a1b2", "Filters": [{"AttributePath": "Description", "AttributeValue": "x"}]}),
    )
    .await;
    assert_eq!(error_of(&bad), (400, "ValidationException".to_owned()));
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn group_memberships_of_a_large_group_page_by_100() {
    let sandbox = start_generated(Faults::none()).await;
    let everyone = group_id(&sandbox, "Everyone");
    let target = "AWSIdentityStore.ListGroupMemberships";
    let request = json!({"IdentityStoreId": "d-906700a1b2", "GroupId": everyone, "MaxResults": 100});
    let listed = pages(&sandbox, target, request, "GroupMemberships").await;
    assert_eq!(sizes(&listed), [100, 100, 30]);
    let listed = pages(
        &sandbox,
        target,
        json!({"IdentityStoreId": "d-906700a1b2", "GroupId": everyone, "MaxResults": 7}),
        "GroupMemberships",
    )
    .await;
    assert_eq!(listed.len(), USERS.div_ceil(7));
    let mut users: Vec<&str> = listed.iter().flatten().map(|m| m["MemberId"]["UserId"].as_str().unwrap()).collect();
    users.sort();
    users.dedup();
    assert_eq!(users.len(), USERS);
    let answer = post_json(
        &sandbox,
        target,
        &json!({"IdentityStoreId": "d-906700a1b2", "GroupId": everyone, "MaxResults": 101}),
    )
    .await;
    assert_eq!(error_of(&answer), (400, "ValidationException".to_owned()));
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn permission_sets_and_one_containers_assignments_page() {
    let sandbox = start_generated(Faults::none()).await;
    let sets = pages(
        &sandbox,
        "SWBExternalService.ListPermissionSets",
        json!({"InstanceArn": INSTANCE_ARN, "MaxResults": 100}),
        "PermissionSets",
    )
    .await;
    assert_eq!(sizes(&sets), [100, 20]);
    let too_many = post_json(
        &sandbox,
        "SWBExternalService.ListPermissionSets",
        &json!({"InstanceArn": INSTANCE_ARN, "MaxResults": 101}),
    )
    .await;
    assert_eq!(error_of(&too_many), (400, "ValidationException".to_owned()));

    let ps000 = permission_set_arn(&sandbox, "PS000");
    let request =
        json!({"InstanceArn": INSTANCE_ARN, "AccountId": ACCOUNT_A, "PermissionSetArn": ps000, "MaxResults": 100});
    let rows = pages(&sandbox, "SWBExternalService.ListAccountAssignments", request, "AccountAssignments").await;
    assert_eq!(sizes(&rows), [100, 100, 35]);
    let rows: Vec<Value> = rows.into_iter().flatten().collect();
    let count = |kind: &str| rows.iter().filter(|r| r["PrincipalType"] == json!(kind)).count();
    assert_eq!((count("USER"), count("GROUP")), (USERS, 5));
    assert!(rows.iter().all(|r| r["AccountId"] == json!(ACCOUNT_A) && r["PermissionSetArn"] == json!(ps000)));
    // Another container of the same permission set is empty.
    let other = pages(
        &sandbox,
        "SWBExternalService.ListAccountAssignments",
        json!({"InstanceArn": INSTANCE_ARN, "AccountId": ACCOUNT_B, "PermissionSetArn": ps000}),
        "AccountAssignments",
    )
    .await;
    assert_eq!(other, [Vec::<Value>::new()]);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn accounts_for_a_provisioned_permission_set() {
    let sandbox = start_generated(Faults::none()).await;
    let c = clients(&sandbox).await;
    let ps001 = permission_set_arn(&sandbox, "PS001");
    let accounts = |ps: String, status: Option<ProvisioningStatus>, max: Option<i32>| {
        let c = &c;
        async move {
            c.sso
                .list_accounts_for_provisioned_permission_set()
                .instance_arn(INSTANCE_ARN)
                .permission_set_arn(ps)
                .set_provisioning_status(status)
                .set_max_results(max)
                .into_paginator()
                .items()
                .send()
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<Vec<String>, _>>()
                .unwrap()
        }
    };
    assert_eq!(accounts(ps001.clone(), None, None).await, [ACCOUNT_A, ACCOUNT_B]);
    // One per page.
    assert_eq!(accounts(ps001.clone(), None, Some(1)).await, [ACCOUNT_A, ACCOUNT_B]);
    let one_page = c
        .sso
        .list_accounts_for_provisioned_permission_set()
        .instance_arn(INSTANCE_ARN)
        .permission_set_arn(&ps001)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(one_page.account_ids(), [ACCOUNT_A]);
    assert!(one_page.next_token().is_some());
    assert_eq!(
        accounts(ps001.clone(), Some(ProvisioningStatus::LatestPermissionSetProvisioned), None).await,
        [ACCOUNT_A, ACCOUNT_B]
    );
    assert!(
        accounts(ps001.clone(), Some(ProvisioningStatus::LatestPermissionSetNotProvisioned), None).await.is_empty()
    );
    // Never assigned: provisioned nowhere.
    assert!(accounts(permission_set_arn(&sandbox, "PS077"), None, None).await.is_empty());

    // Deleting the assignment leaves the permission set provisioned; creating one provisions it.
    let user0 = user_id(&sandbox, &user_name(0));
    delete(&c, ACCOUNT_B, &ps001, PrincipalType::User, &user0).await.unwrap();
    assert!(sandbox.snapshot().sso_assignments.iter().all(|a| a.account_id != ACCOUNT_B));
    assert_eq!(accounts(ps001.clone(), None, None).await, [ACCOUNT_A, ACCOUNT_B]);
    create(&c, ACCOUNT_C, &ps001, PrincipalType::User, &user0).await.unwrap();
    assert_eq!(accounts(ps001.clone(), None, None).await, [ACCOUNT_A, ACCOUNT_B, ACCOUNT_C]);

    // An unknown permission set, a page size out of range.
    let err = c
        .sso
        .list_accounts_for_provisioned_permission_set()
        .instance_arn(INSTANCE_ARN)
        .permission_set_arn(format!("{}ps-ffffffffffffffff", ps001.rsplit_once("ps-").unwrap().0))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let answer = post_json(
        &sandbox,
        "SWBExternalService.ListAccountsForProvisionedPermissionSet",
        &json!({"InstanceArn": INSTANCE_ARN, "PermissionSetArn": ps001, "MaxResults": 101}),
    )
    .await;
    assert_eq!(error_of(&answer), (400, "ValidationException".to_owned()));
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn a_large_stacks_associations_and_all_stacks_page() {
    let sandbox = start_generated(Faults::none()).await;
    let c = clients(&sandbox).await;
    // MaxResults up to 500 is accepted; pages hold at most 25 (the model's output list bound).
    let mut seen = Vec::new();
    let mut token = None;
    let mut page_sizes = Vec::new();
    loop {
        let page = c
            .appstream
            .describe_user_stack_associations()
            .stack_name("stack-00")
            .max_results(500)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        page_sizes.push(page.user_stack_associations().len());
        seen.extend(page.user_stack_associations().iter().map(|a| a.user_name().unwrap().to_owned()));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(page_sizes.len(), USERS.div_ceil(25));
    assert!(page_sizes.iter().all(|&n| n <= 25));
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (USERS, USERS));
    let too_many = c.appstream.describe_user_stack_associations().stack_name("stack-00").max_results(501).send().await;
    assert!(too_many.is_err());
    // One user's associations come from the per-user index.
    let mine = c
        .appstream
        .describe_user_stack_associations()
        .user_name(user_name(5))
        .authentication_type(aws_sdk_appstream::types::AuthenticationType::Userpool)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.user_stack_associations().len(), 1);

    let mut stacks = Vec::new();
    let mut token = None;
    let mut stack_pages = 0;
    loop {
        let page = c.appstream.describe_stacks().set_next_token(token).send().await.unwrap();
        stack_pages += 1;
        stacks.extend(page.stacks().iter().map(|s| s.name().unwrap_or_default().to_owned()));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!((stacks.len(), stack_pages), (STACKS, 2), "pages of 25");
    assert_conformant(&sandbox);
}
