//! IAM Identity Center admin through aws-sdk-ssoadmin.

use std::time::Duration;

use aws_sdk_ssoadmin::types::{PrincipalType, StatusValues};
use offboard_sandbox::Faults;

use crate::common::*;

#[tokio::test]
async fn instances_and_permission_sets() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let instances = c.sso.list_instances().send().await.unwrap();
    let instance = &instances.instances()[0];
    assert_eq!(instance.instance_arn(), Some(INSTANCE_ARN));
    assert_eq!(instance.identity_store_id(), Some(STORE_ID));
    assert_eq!(instance.owner_account_id(), Some("111111111111"));

    // Five permission sets, two per page.
    let arns: Vec<String> = c
        .sso
        .list_permission_sets()
        .instance_arn(INSTANCE_ARN)
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(arns.len(), 5);
    let mut names = Vec::new();
    for arn in &arns {
        let ps =
            c.sso.describe_permission_set().instance_arn(INSTANCE_ARN).permission_set_arn(arn).send().await.unwrap();
        names.push(ps.permission_set().unwrap().name().unwrap().to_owned());
    }
    names.sort();
    assert_eq!(names, ["AdministratorAccess", "BillingViewer", "DataScientist", "PowerUserAccess", "ReadOnlyAccess"]);
    assert_eq!(sandbox.request_log().iter().filter(|r| r.operation == "ListPermissionSets").count(), 3);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn unknown_instance_and_permission_set_are_not_found() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let err = c
        .sso
        .list_permission_sets()
        .instance_arn("arn:aws:sso:::instance/ssoins-0000000000000000")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = c
        .sso
        .describe_permission_set()
        .instance_arn(INSTANCE_ARN)
        .permission_set_arn("arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/ps-0000000000000000")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    // The model rejects a malformed ARN first.
    let err = c
        .sso
        .list_permission_sets()
        .instance_arn("arn:aws:sso:::instance/x")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    assert!(err.to_string().contains("instanceArn"), "{err}");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn assignments_by_account_and_by_principal_page() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let admin = permission_set_arn(&sandbox, "AdministratorAccess");
    let on_mgmt: Vec<_> = c
        .sso
        .list_account_assignments()
        .instance_arn(INSTANCE_ARN)
        .account_id("111111111111")
        .permission_set_arn(&admin)
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    // breakglass, AWSControlTowerAdmins and alice.
    assert_eq!(on_mgmt.len(), 3);

    let alice = user_id(&sandbox, ALICE);
    let mine: Vec<_> = c
        .sso
        .list_account_assignments_for_principal()
        .instance_arn(INSTANCE_ARN)
        .principal_type(PrincipalType::User)
        .principal_id(&alice)
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut accounts: Vec<_> = mine.iter().map(|a| a.account_id().unwrap().to_owned()).collect();
    accounts.sort();
    assert_eq!(accounts, ["111111111111", "333333333333", "666666666666"]);

    let filtered = c
        .sso
        .list_account_assignments_for_principal()
        .instance_arn(INSTANCE_ARN)
        .principal_type(PrincipalType::User)
        .principal_id(&alice)
        .filter(aws_sdk_ssoadmin::types::ListAccountAssignmentsFilter::builder().account_id("333333333333").build())
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.account_assignments().len(), 1);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn deletion_goes_in_progress_then_succeeded() {
    let sandbox = start(Faults::none().with_deletion_delay(Duration::from_secs(3600))).await;
    let c = clients(&sandbox).await;
    let alice = user_id(&sandbox, ALICE);
    let ps = permission_set_arn(&sandbox, "PowerUserAccess");
    let status = delete(&c, "333333333333", &ps, PrincipalType::User, &alice).await.unwrap();
    let status = status.account_assignment_deletion_status().unwrap();
    assert_eq!(status.status(), Some(&StatusValues::InProgress));
    let request_id = status.request_id().unwrap().to_owned();
    assert_eq!(request_id.len(), 36);

    // Still in progress: the assignment is still there, a second delete conflicts.
    let described = c
        .sso
        .describe_account_assignment_deletion_status()
        .instance_arn(INSTANCE_ARN)
        .account_assignment_deletion_request_id(&request_id)
        .send()
        .await
        .unwrap();
    assert_eq!(described.account_assignment_deletion_status().unwrap().status(), Some(&StatusValues::InProgress));
    assert_eq!(sandbox.snapshot().assignments_of(ALICE).len(), 3);
    let err = delete(&c, "333333333333", &ps, PrincipalType::User, &alice).await.unwrap_err().into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    let in_progress = c
        .sso
        .list_account_assignment_deletion_status()
        .instance_arn(INSTANCE_ARN)
        .filter(aws_sdk_ssoadmin::types::OperationStatusFilter::builder().status(StatusValues::InProgress).build())
        .send()
        .await
        .unwrap();
    assert_eq!(in_progress.account_assignments_deletion_status().len(), 1);

    // The delay ends: SUCCEEDED, and the assignment is gone.
    sandbox.set_faults(Faults::none()).unwrap();
    let described = c
        .sso
        .describe_account_assignment_deletion_status()
        .instance_arn(INSTANCE_ARN)
        .account_assignment_deletion_request_id(&request_id)
        .send()
        .await
        .unwrap();
    let done = described.account_assignment_deletion_status().unwrap();
    assert_eq!(done.status(), Some(&StatusValues::Succeeded));
    assert_eq!(done.failure_reason(), None);
    let left: Vec<_> = sandbox.snapshot().assignments_of(ALICE).into_iter().map(|a| a.account_id.clone()).collect();
    assert_eq!(left, ["111111111111", "666666666666"]);

    // Deleting it again: it no longer exists.
    let err = delete(&c, "333333333333", &ps, PrincipalType::User, &alice).await.unwrap_err().into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let all = c.sso.list_account_assignment_deletion_status().instance_arn(INSTANCE_ARN).send().await.unwrap();
    assert_eq!(all.account_assignments_deletion_status().len(), 1);
    assert_eq!(all.account_assignments_deletion_status()[0].status(), Some(&StatusValues::Succeeded));
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn failing_deletion_ends_failed_with_a_reason_and_keeps_the_assignment() {
    let sandbox = start(Faults::none().with_failing_deletion(BOB)).await;
    let c = clients(&sandbox).await;
    let bob = user_id(&sandbox, BOB);
    let ps = permission_set_arn(&sandbox, "PowerUserAccess");
    let out = delete(&c, "444444444444", &ps, PrincipalType::User, &bob).await.unwrap();
    let request_id = out.account_assignment_deletion_status().unwrap().request_id().unwrap().to_owned();
    let described = c
        .sso
        .describe_account_assignment_deletion_status()
        .instance_arn(INSTANCE_ARN)
        .account_assignment_deletion_request_id(&request_id)
        .send()
        .await
        .unwrap();
    let status = described.account_assignment_deletion_status().unwrap();
    assert_eq!(status.status(), Some(&StatusValues::Failed));
    assert!(status.failure_reason().unwrap().contains("444444444444"));
    assert_eq!(sandbox.snapshot().assignments_of(BOB).len(), 3);
    // A failed deletion is not in progress: trying again is allowed (and fails again).
    assert!(delete(&c, "444444444444", &ps, PrincipalType::User, &bob).await.is_ok());
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn create_assignment_regrants_synchronously() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let interns = group_id(&sandbox, "Summer Interns");
    let ps = permission_set_arn(&sandbox, "ReadOnlyAccess");
    delete(&c, "555555555555", &ps, PrincipalType::Group, &interns).await.unwrap();
    assert_eq!(sandbox.snapshot().assignments_of("Summer Interns").len(), 1);
    let created = create(&c, "555555555555", &ps, PrincipalType::Group, &interns).await.unwrap();
    assert_eq!(created.account_assignment_creation_status().unwrap().status(), Some(&StatusValues::Succeeded));
    assert_eq!(sandbox.snapshot().assignments_of("Summer Interns").len(), 2);

    let err = create(&c, "999999999999", &ps, PrincipalType::Group, &interns).await.unwrap_err().into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn delete_validates_like_aws() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let ps = permission_set_arn(&sandbox, "PowerUserAccess");
    let err = delete(&c, "12345", &ps, PrincipalType::User, "not an id").await.unwrap_err().into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("3 validation errors detected"), "{message}");
    assert!(message.contains("targetId") && message.contains("principalId"), "{message}");
    assert!(sandbox.snapshot().sso_deletions.is_empty());
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn outstanding_operations_beyond_the_cap_are_refused_and_change_nothing() {
    let delay = Duration::from_secs(3600);
    let sandbox = start(Faults::none().with_deletion_delay(delay).with_max_outstanding_operations(2)).await;
    let c = clients(&sandbox).await;
    let (alice, bob) = (user_id(&sandbox, ALICE), user_id(&sandbox, BOB));
    let power = permission_set_arn(&sandbox, "PowerUserAccess");
    delete(&c, "333333333333", &power, PrincipalType::User, &alice).await.unwrap();
    delete(&c, "444444444444", &power, PrincipalType::User, &bob).await.unwrap();
    let before = sandbox.snapshot();

    // A third deletion, and a creation, would make three outstanding operations.
    let err =
        delete(&c, "111111111111", &permission_set_arn(&sandbox, "AdministratorAccess"), PrincipalType::User, &alice)
            .await
            .unwrap_err()
            .into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert!(err.to_string().contains("at most 2"), "the message names the limit: {err}");
    let err = create(&c, "333333333333", &permission_set_arn(&sandbox, "ReadOnlyAccess"), PrincipalType::User, &alice)
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert_eq!(sandbox.snapshot(), before, "a refused operation changes nothing");
    let refused = sandbox.request_log().into_iter().filter(|r| r.error.as_deref() == Some("ConflictException")).count();
    assert_eq!(refused, 2);
    assert_eq!(sandbox.request_log().last().map(|r| r.status), Some(409));

    // The pending deletions complete (the delay is lowered; the cap stays): accepted again.
    sandbox.set_faults(Faults::none().with_max_outstanding_operations(2)).unwrap();
    delete(&c, "111111111111", &permission_set_arn(&sandbox, "AdministratorAccess"), PrincipalType::User, &alice)
        .await
        .unwrap();
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn deletion_statuses_filter_by_status_and_page() {
    // Bob's deletions fail; the others stay in progress until the delay is lowered.
    let sandbox = start(Faults::none().with_failing_deletion(BOB).with_deletion_delay(Duration::from_secs(3600))).await;
    let c = clients(&sandbox).await;
    let (alice, bob) = (user_id(&sandbox, ALICE), user_id(&sandbox, BOB));
    let power = permission_set_arn(&sandbox, "PowerUserAccess");
    let admin = permission_set_arn(&sandbox, "AdministratorAccess");
    let first = delete(&c, "333333333333", &power, PrincipalType::User, &alice).await.unwrap();
    let failing = delete(&c, "444444444444", &power, PrincipalType::User, &bob).await.unwrap();
    let id = |o: &aws_sdk_ssoadmin::operation::delete_account_assignment::DeleteAccountAssignmentOutput| {
        o.account_assignment_deletion_status().unwrap().request_id().unwrap().to_owned()
    };
    let (first, failing) = (id(&first), id(&failing));
    // The first completes (delay lowered), then a third request stays in progress (delay raised).
    sandbox.set_faults(Faults::none().with_failing_deletion(BOB)).unwrap();
    sandbox.snapshot();
    sandbox
        .set_faults(Faults::none().with_failing_deletion(BOB).with_deletion_delay(Duration::from_secs(3600)))
        .unwrap();
    let third = id(&delete(&c, "111111111111", &admin, PrincipalType::User, &alice).await.unwrap());

    let listed = |status: Option<StatusValues>, max: i32| {
        let c = &c;
        async move {
            c.sso
                .list_account_assignment_deletion_status()
                .instance_arn(INSTANCE_ARN)
                .set_filter(status.map(|s| aws_sdk_ssoadmin::types::OperationStatusFilter::builder().status(s).build()))
                .max_results(max)
                .into_paginator()
                .items()
                .send()
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .map(|m| {
                    let m = m.unwrap();
                    (m.request_id().unwrap().to_owned(), m.status().unwrap().as_str().to_owned())
                })
                .collect::<Vec<_>>()
        }
    };
    let all = listed(None, 1).await;
    assert_eq!(
        all,
        [
            (first.clone(), "SUCCEEDED".into()),
            (failing.clone(), "FAILED".into()),
            (third.clone(), "IN_PROGRESS".into())
        ],
        "oldest first, one per page"
    );
    assert_eq!(listed(Some(StatusValues::Failed), 1).await, [(failing.clone(), "FAILED".to_owned())]);
    assert_eq!(listed(Some(StatusValues::Succeeded), 100).await, [(first, "SUCCEEDED".to_owned())]);
    assert_eq!(listed(Some(StatusValues::InProgress), 2).await, [(third, "IN_PROGRESS".to_owned())]);
    let described = c
        .sso
        .describe_account_assignment_deletion_status()
        .instance_arn(INSTANCE_ARN)
        .account_assignment_deletion_request_id(&failing)
        .send()
        .await
        .unwrap();
    let status = described.account_assignment_deletion_status().unwrap();
    assert_eq!(status.status(), Some(&StatusValues::Failed));
    assert!(status.failure_reason().unwrap().contains("444444444444"));
    assert_conformant(&sandbox);
}
