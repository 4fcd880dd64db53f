//! IAM Identity Center (sso-admin): instances, account assignments, asynchronous deletions.

use offboard_core::grant::SsoAssignment;
use crate::call::{Answer, Api, Session};
use crate::error::CallFailure;
use aws_sdk_ssoadmin::types::{OperationStatusFilter, PrincipalType, StatusValues, TargetType};
use offboard_core::grant::Grant;
use offboard_core::principal::PrincipalKind;
use std::collections::{BTreeSet, HashSet};

/// An Identity Center instance: its ARN and its Identity Store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Instance {
    pub instance_arn: String,
    pub identity_store_id: String,
}

pub(crate) async fn list_instances(s: &Session<'_>) -> Result<Vec<Instance>, CallFailure> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s
            .call(Api::Sso, "ListInstances", || s.clients.sso.list_instances().set_next_token(token.clone()).send())
            .await?
            .value;
        out.extend(page.instances().iter().filter_map(|i| {
            Some(Instance {
                instance_arn: i.instance_arn()?.to_owned(),
                identity_store_id: i.identity_store_id()?.to_owned(),
            })
        }));
        token = next(page.next_token());
        if token.is_none() {
            return Ok(out);
        }
    }
}

fn principal_type(kind: PrincipalKind) -> PrincipalType {
    match kind {
        PrincipalKind::User => PrincipalType::User,
        PrincipalKind::Group => PrincipalType::Group,
    }
}

/// A page token, treating an empty string as "no more pages" (some emulators send `""`).
pub(crate) fn next(token: Option<&str>) -> Option<String> {
    token.filter(|t| !t.is_empty()).map(str::to_owned)
}

/// The account assignments made *directly* to this principal.
///
/// For a user, `ListAccountAssignmentsForPrincipal` also lists the assignments it inherits
/// through its groups, tagged with the group as principal. Those are not the user's to lose:
/// deleting one would take access away from every member of the group. Only rows whose
/// principal is exactly this one are kept.
pub(crate) async fn assignments_of(
    s: &Session<'_>,
    instance_arn: &str,
    kind: PrincipalKind,
    principal_id: &str,
) -> Result<BTreeSet<Grant>, CallFailure> {
    let mut out = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let page = s
            .call(Api::Sso, "ListAccountAssignmentsForPrincipal", || {
                s.clients
                    .sso
                    .list_account_assignments_for_principal()
                    .instance_arn(instance_arn)
                    .principal_type(principal_type(kind))
                    .principal_id(principal_id)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?
            .value;
        for a in page.account_assignments() {
            let same_principal =
                a.principal_id() == Some(principal_id) && a.principal_type() == Some(&principal_type(kind));
            if let (true, Some(account_id), Some(ps)) = (same_principal, a.account_id(), a.permission_set_arn()) {
                out.insert(Grant::SsoAssignment(SsoAssignment {
                    account_id: account_id.to_owned(),
                    permission_set_arn: ps.to_owned(),
                    principal_type: kind,
                    principal_id: principal_id.to_owned(),
                }));
            }
        }
        token = next(page.next_token());
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// The permission set's name, for labels.
pub(crate) async fn permission_set_name(
    s: &Session<'_>,
    instance_arn: &str,
    permission_set_arn: &str,
) -> Result<Option<String>, CallFailure> {
    let out = s
        .call(Api::Sso, "DescribePermissionSet", || {
            s.clients
                .sso
                .describe_permission_set()
                .instance_arn(instance_arn)
                .permission_set_arn(permission_set_arn)
                .send()
        })
        .await?
        .value;
    Ok(out.permission_set().and_then(|p| p.name()).map(str::to_owned))
}

/// Where an asynchronous deletion stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DeletionState {
    InProgress,
    Succeeded,
    Failed { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Deletion {
    pub state: DeletionState,
    /// The deletion's own id (`AccountAssignmentDeletionRequestId`).
    pub deletion_id: Option<String>,
}

fn deletion_from(status: Option<&aws_sdk_ssoadmin::types::AccountAssignmentOperationStatus>) -> Deletion {
    let deletion_id = status.and_then(|s| s.request_id()).map(str::to_owned);
    let state = match status.and_then(|s| s.status()) {
        Some(StatusValues::Succeeded) => DeletionState::Succeeded,
        Some(StatusValues::Failed) => DeletionState::Failed {
            reason: status
                .and_then(|s| s.failure_reason())
                .unwrap_or("Identity Center gave no FailureReason")
                .to_owned(),
        },
        // IN_PROGRESS, or a status this SDK does not know yet: keep polling; the deletion
        // timeout bounds it.
        _ => DeletionState::InProgress,
    };
    Deletion { state, deletion_id }
}

/// The assignment to delete: exactly the plan's `DeleteAccountAssignment` input.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct AssignmentRef {
    pub instance_arn: String,
    pub account_id: String,
    pub permission_set_arn: String,
    pub principal_type: PrincipalKind,
    pub principal_id: String,
}

pub(crate) async fn delete_assignment(s: &Session<'_>, a: &AssignmentRef) -> Result<Answer<Deletion>, CallFailure> {
    let answer = s
        .call(Api::Sso, "DeleteAccountAssignment", || {
            s.clients
                .sso
                .delete_account_assignment()
                .instance_arn(&a.instance_arn)
                .target_id(&a.account_id)
                .target_type(TargetType::AwsAccount)
                .permission_set_arn(&a.permission_set_arn)
                .principal_type(principal_type(a.principal_type))
                .principal_id(&a.principal_id)
                .send()
        })
        .await?;
    let value = deletion_from(answer.value.account_assignment_deletion_status());
    Ok(Answer { value, request_id: answer.request_id, attempts: answer.attempts })
}

/// One deletion's status, with retries.
pub(crate) async fn deletion_status(
    s: &Session<'_>,
    instance_arn: &str,
    deletion_id: &str,
) -> Result<Deletion, CallFailure> {
    let out = s
        .call(Api::Sso, "DescribeAccountAssignmentDeletionStatus", || {
            s.clients
                .sso
                .describe_account_assignment_deletion_status()
                .instance_arn(instance_arn)
                .account_assignment_deletion_request_id(deletion_id)
                .send()
        })
        .await?
        .value;
    Ok(deletion_from(out.account_assignment_deletion_status()))
}

/// The ids of all deletions of the instance still IN_PROGRESS, in one (paged) listing: one call
/// answers for every deletion in flight. Each page is tried once: the poll loop repeats anyway,
/// and the caller falls back to per-deletion polling if this fails.
pub(crate) async fn deletions_in_progress(s: &Session<'_>, instance_arn: &str) -> Result<HashSet<String>, CallFailure> {
    let mut out = HashSet::new();
    let mut token: Option<String> = None;
    loop {
        let page = s
            .call_once(Api::Sso, "ListAccountAssignmentDeletionStatus", || {
                s.clients
                    .sso
                    .list_account_assignment_deletion_status()
                    .instance_arn(instance_arn)
                    .filter(OperationStatusFilter::builder().status(StatusValues::InProgress).build())
                    .set_next_token(token.clone())
                    .send()
            })
            .await?
            .value;
        out.extend(
            page.account_assignments_deletion_status()
                .iter()
                .filter(|d| d.status().is_none_or(|st| *st == StatusValues::InProgress))
                .filter_map(|d| d.request_id().map(str::to_owned)),
        );
        token = next(page.next_token());
        if token.is_none() {
            return Ok(out);
        }
    }
}
