//! IAM Identity Center admin (`SWBExternalService`): instances, permission sets and account
//! assignments, with asynchronous deletion.
//!
//! Behaviour where AWS documents little (chosen, not observed):
//! - `DeleteAccountAssignment` of an assignment that does not exist: `ResourceNotFoundException`
//!   (the API lists it; moto does the same; real-world clients treat it as "already deleted").
//! - A second `DeleteAccountAssignment` (or a `CreateAccountAssignment`) while a deletion of the
//!   same assignment is `IN_PROGRESS`: `ConflictException` (409).
//! - `DeleteAccountAssignment` always answers `IN_PROGRESS`; the deletion completes after
//!   [`crate::Faults::deletion_delay_ms`] (default 0: by the next request), as `SUCCEEDED` (the
//!   assignment is gone) or `FAILED` with a `FailureReason` when the principal is in
//!   [`crate::Faults::fail_deletions`] (the assignment stays).
//! - `CreateAccountAssignment` completes synchronously: it answers `SUCCEEDED` and the
//!   assignment exists at once; creating an existing assignment succeeds without change.
//! - Unknown instance ARN or permission set: `ResourceNotFoundException`. An account the
//!   fixture does not list has no assignments (lists are empty); creating one there is
//!   `ResourceNotFoundException`.
//! - `ListAccountAssignmentDeletionStatus` lists requests oldest first; `Filter.Status` keeps
//!   those with that status (a deletion failed by the fault is `FAILED`).
//! - With [`crate::Faults::max_outstanding_operations`] set to N, a `DeleteAccountAssignment` or
//!   `CreateAccountAssignment` arriving while N deletions are `IN_PROGRESS` is refused with
//!   `ConflictException` (409) naming the limit, and nothing changes. AWS documents a quota of
//!   outstanding asynchronous account-assignment operations (10, not raisable) but not the error
//!   beyond it; `ConflictException` is our best guess (`CreateAccountAssignment` also declares
//!   `ServiceQuotaExceededException`, `DeleteAccountAssignment` does not, so one error for both).
//!   A creation counts against the limit although it completes at once here, as it would be one
//!   more outstanding operation on AWS.
//! - `ListAccountsForProvisionedPermissionSet`: the sandbox has no provisioning step, so a
//!   permission set counts as provisioned (at its latest version) to every account where it has,
//!   or had during this sandbox's life, an assignment: the fixture's, those created by requests,
//!   and those whose deletion was requested. `LATEST_PERMISSION_SET_NOT_PROVISIONED` lists none.

use serde_json::{Map, Value, json};

use super::{Ctx, not_emulated, put_opt, required_str};
use crate::api_error::ApiError;
use crate::fixture::{Assignment, Org, PrincipalType};
use crate::pagination::Pager;
use crate::service::AwsService;
use crate::world::{Deletion, DeletionStatus, FIXTURE_EPOCH, World, timestamp};

pub(super) const OPERATIONS: &[&str] = &[
    "ListInstances",
    "ListPermissionSets",
    "DescribePermissionSet",
    "ListAccountAssignments",
    "ListAccountAssignmentsForPrincipal",
    "DeleteAccountAssignment",
    "DescribeAccountAssignmentDeletionStatus",
    "ListAccountAssignmentDeletionStatus",
    "CreateAccountAssignment",
    "ListAccountsForProvisionedPermissionSet",
];

/// Model maximum of `MaxResults` for every SSO Admin list operation, used as the default too.
const PAGE: usize = 100;

pub(super) fn handle(world: &mut World, ctx: &Ctx<'_>, operation: &str, input: &Value) -> Result<Value, ApiError> {
    if operation != "ListInstances" {
        check_instance(&world.org, input)?;
    }
    match operation {
        "ListInstances" => list_instances(&world.org, input),
        "ListPermissionSets" => list_permission_sets(&world.org, input),
        "DescribePermissionSet" => describe_permission_set(&world.org, input),
        "ListAccountAssignments" => list_account_assignments(world, input),
        "ListAccountAssignmentsForPrincipal" => list_for_principal(world, input),
        "DeleteAccountAssignment" => delete_assignment(world, ctx, input),
        "DescribeAccountAssignmentDeletionStatus" => describe_deletion(world, input),
        "ListAccountAssignmentDeletionStatus" => list_deletions(world, input),
        "CreateAccountAssignment" => create_assignment(world, ctx, input),
        "ListAccountsForProvisionedPermissionSet" => list_provisioned_accounts(world, input),
        other => Err(not_emulated(AwsService::SsoAdmin, other)),
    }
}

fn check_instance(org: &Org, input: &Value) -> Result<(), ApiError> {
    let arn = required_str(input, "InstanceArn")?;
    if arn == org.sso.arn {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("Instance {arn} does not exist or is not accessible")))
    }
}

fn identity_store_arn(org: &Org) -> String {
    format!("arn:aws:identitystore::{}:identitystore/{}", org.sso.owner_account_id, org.identity_store.id)
}

fn list_instances(org: &Org, input: &Value) -> Result<Value, ApiError> {
    let pager = Pager::new("ListInstances", input, 10, PAGE)?;
    let mut instance = Map::new();
    instance.insert("InstanceArn".to_owned(), json!(org.sso.arn));
    instance.insert("IdentityStoreId".to_owned(), json!(org.identity_store.id));
    instance.insert("IdentityStoreArn".to_owned(), json!(identity_store_arn(org)));
    instance.insert("OwnerAccountId".to_owned(), json!(org.sso.owner_account_id));
    put_opt(&mut instance, "Name", org.sso.name.clone());
    instance.insert("CreatedDate".to_owned(), timestamp(FIXTURE_EPOCH));
    instance.insert("Status".to_owned(), json!("ACTIVE"));
    instance.insert("PrimaryRegion".to_owned(), json!(org.region));
    Ok(pager.list_output("Instances", vec![(org.sso.arn.clone(), Value::Object(instance))]))
}

fn list_permission_sets(org: &Org, input: &Value) -> Result<Value, ApiError> {
    let pager = Pager::new("ListPermissionSets", input, PAGE, PAGE)?;
    let items = org.sso.permission_sets.iter().map(|p| (p.arn.clone(), json!(p.arn))).collect();
    Ok(pager.list_output("PermissionSets", items))
}

fn permission_set_exists(org: &Org, arn: &str) -> Result<(), ApiError> {
    if org.permission_set_by_arn(arn).is_some() {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("Could not find PermissionSet with PermissionSetArn {arn}")))
    }
}

fn describe_permission_set(org: &Org, input: &Value) -> Result<Value, ApiError> {
    let arn = required_str(input, "PermissionSetArn")?;
    permission_set_exists(org, arn)?;
    let Some(ps) = org.permission_set_by_arn(arn) else {
        return Err(ApiError::not_found(format!("Could not find PermissionSet with PermissionSetArn {arn}")));
    };
    let mut set = Map::new();
    set.insert("Name".to_owned(), json!(ps.name));
    set.insert("PermissionSetArn".to_owned(), json!(ps.arn));
    put_opt(&mut set, "Description", ps.description.clone());
    set.insert("CreatedDate".to_owned(), timestamp(FIXTURE_EPOCH));
    set.insert("SessionDuration".to_owned(), json!(ps.session_duration));
    Ok(json!({"PermissionSet": set}))
}

fn assignment_key(a: &Assignment) -> String {
    format!("{}|{}|{}|{}", a.account_id, a.permission_set_arn, a.principal_type.as_str(), a.principal_id)
}

fn list_account_assignments(world: &World, input: &Value) -> Result<Value, ApiError> {
    let account = required_str(input, "AccountId")?;
    let ps = required_str(input, "PermissionSetArn")?;
    permission_set_exists(&world.org, ps)?;
    let pager = Pager::new("ListAccountAssignments", input, PAGE, PAGE)?;
    // Only this container's rows are read (a range of the ordered set), and only one page of
    // them is turned into JSON.
    let (page, next) =
        pager.page(world.assignments.of_container(account, ps).map(|a| (assignment_key(a), a)).collect());
    let page = page
        .into_iter()
        .map(|a| {
            json!({
                "AccountId": a.account_id,
                "PermissionSetArn": a.permission_set_arn,
                "PrincipalType": a.principal_type.as_str(),
                "PrincipalId": a.principal_id,
            })
        })
        .collect();
    Ok(Pager::output("AccountAssignments", page, next))
}

fn principal(input: &Value) -> Result<(PrincipalType, &str), ApiError> {
    let kind = required_str(input, "PrincipalType")?;
    let id = required_str(input, "PrincipalId")?;
    let kind = PrincipalType::parse(kind).ok_or_else(|| {
        ApiError::validation(format!(
            "1 validation error detected: Value '{kind}' at 'principalType' failed to satisfy constraint: Member must satisfy enum value set: [USER, GROUP]"
        ))
    })?;
    Ok((kind, id))
}

fn list_for_principal(world: &World, input: &Value) -> Result<Value, ApiError> {
    let (kind, id) = principal(input)?;
    let account_filter = input.get("Filter").and_then(|f| f.get("AccountId")).and_then(Value::as_str);
    let pager = Pager::new("ListAccountAssignmentsForPrincipal", input, PAGE, PAGE)?;
    let rows = world
        .assignments
        .of_principal(kind, id)
        .filter(|a| account_filter.is_none_or(|acc| a.account_id == acc))
        .map(|a| (assignment_key(a), a))
        .collect();
    let (page, next) = pager.page(rows);
    let page = page
        .into_iter()
        .map(|a| {
            json!({
                "AccountId": a.account_id,
                "PermissionSetArn": a.permission_set_arn,
                "PrincipalId": a.principal_id,
                "PrincipalType": a.principal_type.as_str(),
            })
        })
        .collect();
    Ok(Pager::output("AccountAssignments", page, next))
}

/// The assignment a Create/Delete request names.
fn requested_assignment(org: &Org, input: &Value) -> Result<Assignment, ApiError> {
    let account = required_str(input, "TargetId")?;
    let target_type = required_str(input, "TargetType")?;
    if target_type != "AWS_ACCOUNT" {
        return Err(ApiError::validation(format!("TargetType {target_type} is not supported; use AWS_ACCOUNT")));
    }
    let ps = required_str(input, "PermissionSetArn")?;
    permission_set_exists(org, ps)?;
    let (kind, id) = principal(input)?;
    Ok(Assignment {
        account_id: account.to_owned(),
        permission_set_arn: ps.to_owned(),
        principal_type: kind,
        principal_id: id.to_owned(),
    })
}

fn pending_deletion<'a>(world: &'a World, assignment: &Assignment) -> Option<&'a Deletion> {
    world.deletions.pending_for(assignment)
}

/// Refuses a new account-assignment operation when `max_outstanding_operations` are in progress
/// already (see the module documentation: the error is our guess).
fn check_outstanding(world: &World, ctx: &Ctx<'_>) -> Result<(), ApiError> {
    let Some(cap) = ctx.faults.max_outstanding_operations else {
        return Ok(());
    };
    let outstanding = world.deletions.outstanding();
    if outstanding >= cap as usize {
        return Err(ApiError::conflict(format!(
            "Too many account assignment operations are in progress: {outstanding} of at most {cap} outstanding \
             asynchronous operations per instance. Wait for some to complete and try again."
        )));
    }
    Ok(())
}

fn operation_status(status: &str, request_id: &str, a: &Assignment, created: f64, failure: Option<String>) -> Value {
    let mut out = Map::new();
    out.insert("Status".to_owned(), json!(status));
    out.insert("RequestId".to_owned(), json!(request_id));
    put_opt(&mut out, "FailureReason", failure);
    out.insert("TargetId".to_owned(), json!(a.account_id));
    out.insert("TargetType".to_owned(), json!("AWS_ACCOUNT"));
    out.insert("PermissionSetArn".to_owned(), json!(a.permission_set_arn));
    out.insert("PrincipalType".to_owned(), json!(a.principal_type.as_str()));
    out.insert("PrincipalId".to_owned(), json!(a.principal_id));
    out.insert("CreatedDate".to_owned(), timestamp(created));
    Value::Object(out)
}

fn delete_assignment(world: &mut World, ctx: &Ctx<'_>, input: &Value) -> Result<Value, ApiError> {
    let assignment = requested_assignment(&world.org, input)?;
    if let Some(d) = pending_deletion(world, &assignment) {
        return Err(ApiError::conflict(format!(
            "An account assignment deletion for this principal, permission set and account is already in progress (request {}). Wait for it to complete.",
            d.request_id
        )));
    }
    if !world.assignments.contains(&assignment) {
        return Err(ApiError::not_found(format!(
            "The account assignment of PermissionSet {} on account {} for {} {} does not exist",
            assignment.permission_set_arn,
            assignment.account_id,
            assignment.principal_type.as_str(),
            assignment.principal_id
        )));
    }
    let name = world.org.principal_name(assignment.principal_type, &assignment.principal_id).unwrap_or_default();
    let failure = ctx.faults.deletion_fails(&[&assignment.principal_id, name]).then(|| {
        format!(
            "Request failed: the account assignment could not be removed from account {} (injected fault)",
            assignment.account_id
        )
    });
    check_outstanding(world, ctx)?;
    let request_id = uuid::Uuid::new_v4().to_string();
    let status = operation_status("IN_PROGRESS", &request_id, &assignment, ctx.now.epoch, None);
    world.deletions.push(Deletion {
        request_id,
        assignment,
        created_epoch: ctx.now.epoch,
        received: ctx.now.instant,
        status: DeletionStatus::InProgress { failure },
    });
    Ok(json!({"AccountAssignmentDeletionStatus": status}))
}

fn describe_deletion(world: &World, input: &Value) -> Result<Value, ApiError> {
    let id = required_str(input, "AccountAssignmentDeletionRequestId")?;
    let Some(d) = world.deletions.get(id) else {
        return Err(ApiError::not_found(format!("Could not find an account assignment deletion request with id {id}")));
    };
    let (status, failure) = d.status_parts();
    Ok(json!({
        "AccountAssignmentDeletionStatus":
            operation_status(status, &d.request_id, &d.assignment, d.created_epoch, failure)
    }))
}

fn list_deletions(world: &World, input: &Value) -> Result<Value, ApiError> {
    let filter = input.get("Filter").and_then(|f| f.get("Status")).and_then(Value::as_str);
    let pager = Pager::new("ListAccountAssignmentDeletionStatus", input, PAGE, PAGE)?;
    // Keys are positions in the request log, zero-padded so that text order is arrival order;
    // a later page starts reading right after the previous page's last request.
    let start = pager.after().and_then(|key| key.parse::<usize>().ok()).map_or(0, |last| last + 1);
    let rows = world
        .deletions
        .all()
        .iter()
        .enumerate()
        .skip(start)
        .filter(|(_, d)| filter.is_none_or(|f| f == d.status_parts().0))
        .map(|(seq, d)| (format!("{seq:012}"), d));
    let (page, next) = pager.page_sorted(rows);
    let page = page
        .into_iter()
        .map(|d| {
            json!({
                "Status": d.status_parts().0,
                "RequestId": d.request_id,
                "CreatedDate": timestamp(d.created_epoch),
            })
        })
        .collect();
    Ok(Pager::output("AccountAssignmentsDeletionStatus", page, next))
}

fn create_assignment(world: &mut World, ctx: &Ctx<'_>, input: &Value) -> Result<Value, ApiError> {
    let assignment = requested_assignment(&world.org, input)?;
    if world.org.account(&assignment.account_id).is_none() {
        return Err(ApiError::not_found(format!(
            "Account {} is not a member of the organization",
            assignment.account_id
        )));
    }
    if world.org.principal_name(assignment.principal_type, &assignment.principal_id).is_none() {
        return Err(ApiError::not_found(format!(
            "{} {} does not exist in the identity store",
            assignment.principal_type.as_str(),
            assignment.principal_id
        )));
    }
    if let Some(d) = pending_deletion(world, &assignment) {
        return Err(ApiError::conflict(format!(
            "An account assignment deletion for this principal, permission set and account is in progress (request {}). Wait for it to complete.",
            d.request_id
        )));
    }
    check_outstanding(world, ctx)?;
    let request_id = uuid::Uuid::new_v4().to_string();
    let status = operation_status("SUCCEEDED", &request_id, &assignment, ctx.now.epoch, None);
    world.assignments.insert(assignment);
    Ok(json!({"AccountAssignmentCreationStatus": status}))
}

/// `ListAccountsForProvisionedPermissionSet`: the accounts a permission set is provisioned to.
/// The sandbox has no separate provisioning step: a permission set counts as provisioned (at its
/// latest version, since the sandbox never changes permission sets) to every account where it has,
/// or had at any time in this sandbox's life, an assignment. So `LATEST_PERMISSION_SET_PROVISIONED`
/// (or no filter) lists those accounts and `LATEST_PERMISSION_SET_NOT_PROVISIONED` lists none.
fn list_provisioned_accounts(world: &World, input: &Value) -> Result<Value, ApiError> {
    let ps = required_str(input, "PermissionSetArn")?;
    permission_set_exists(&world.org, ps)?;
    let pager = Pager::new("ListAccountsForProvisionedPermissionSet", input, PAGE, PAGE)?;
    let outdated_only = match input.get("ProvisioningStatus").and_then(Value::as_str) {
        None | Some("LATEST_PERMISSION_SET_PROVISIONED") => false,
        Some("LATEST_PERMISSION_SET_NOT_PROVISIONED") => true,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'provisioningStatus' failed to satisfy constraint: Member must satisfy enum value set: [LATEST_PERMISSION_SET_PROVISIONED, LATEST_PERMISSION_SET_NOT_PROVISIONED]"
            )));
        }
    };
    let accounts = world.assignments.provisioned_accounts(ps).filter(|_| !outdated_only);
    let (page, next) = pager.page_sorted(accounts.map(|id| (id.clone(), json!(id))));
    Ok(Pager::output("AccountIds", page, next))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::faults::Faults;
    use crate::world::Now;

    fn world() -> World {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/sandbox/org.yaml");
        World::new(Org::from_path(path).unwrap())
    }

    /// A delete request of `user`'s `ps` assignment on `account`, as the handler sees it.
    fn delete_request(world: &World, account: &str, ps: &str, user: &str) -> Value {
        json!({
            "InstanceArn": world.org.sso.arn,
            "TargetId": account,
            "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": world.org.permission_set_by_name(ps).unwrap().arn,
            "PrincipalType": "USER",
            "PrincipalId": world.org.user_by_name(user).unwrap().id,
        })
    }

    /// Settles and handles one request at `at` after `start`, the way the server does.
    fn call(
        world: &mut World,
        faults: &Faults,
        start: Instant,
        at: Duration,
        input: &Value,
    ) -> Result<Value, ApiError> {
        let now = Now { instant: start + at, epoch: 1_800_000_000.0 + at.as_secs_f64() };
        world.settle(faults, now);
        handle(world, &Ctx { faults, now }, "DeleteAccountAssignment", input)
    }

    #[test]
    fn the_cap_frees_a_slot_when_the_oldest_deletion_completes() {
        let d = Duration::from_secs(10);
        let faults = Faults::none().with_deletion_delay(d).with_max_outstanding_operations(2);
        let mut w = world();
        let start = Instant::now();
        let alice = "alice.wong@northwind.example";
        let bob = "bob.martin@northwind.example";
        let first = delete_request(&w, "333333333333", "PowerUserAccess", alice);
        let second = delete_request(&w, "444444444444", "PowerUserAccess", bob);
        let third = delete_request(&w, "111111111111", "AdministratorAccess", alice);
        call(&mut w, &faults, start, Duration::ZERO, &first).unwrap();
        call(&mut w, &faults, start, d / 2, &second).unwrap();
        let assignments_before: Vec<Assignment> = w.assignments.iter().cloned().collect();

        let refused = call(&mut w, &faults, start, d / 2, &third).unwrap_err();
        assert_eq!(refused.code, "ConflictException");
        assert!(refused.message.contains("at most 2"), "{}", refused.message);
        assert_eq!(w.deletions.all().len(), 2, "no request recorded");
        assert_eq!(w.assignments.iter().cloned().collect::<Vec<_>>(), assignments_before);

        // Just before the first completes: still full.
        assert!(call(&mut w, &faults, start, d - Duration::from_millis(1), &third).is_err());
        // The first has completed, the second has not: one slot is free, then none again.
        call(&mut w, &faults, start, d, &third).unwrap();
        assert_eq!(w.deletions.outstanding(), 2);
        let statuses: Vec<&str> = w.deletions.all().iter().map(|x| x.status_parts().0).collect();
        assert_eq!(statuses, ["SUCCEEDED", "IN_PROGRESS", "IN_PROGRESS"]);
        let fourth = delete_request(&w, "666666666666", "ReadOnlyAccess", alice);
        let again = call(&mut w, &faults, start, d, &fourth);
        assert_eq!(again.map_err(|e| e.code).err().as_deref(), Some("ConflictException"));
    }
}
