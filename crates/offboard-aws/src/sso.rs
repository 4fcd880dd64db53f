//! IAM Identity Center (sso-admin) outside the account-assignment edge: the instance and its
//! Identity Store, and permission set names for labels. Assignments themselves live in
//! `edge/sso_assignment.rs`.

use crate::call::Session;
use crate::error::CallFailure;
use crate::paginate::Retry;
use offboard_models::Service;

/// An Identity Center instance: its ARN and its Identity Store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Instance {
    pub instance_arn: String,
    pub identity_store_id: String,
}

pub(crate) async fn list_instances(s: &Session<'_>) -> Result<Vec<Instance>, CallFailure> {
    let rows = s
        .pages(
            Service::SsoAdmin,
            "ListInstances",
            Retry::Yes,
            |token| s.clients.sso.list_instances().set_next_token(token).send(),
            |page| (page.instances.unwrap_or_default(), page.next_token),
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|i| {
            Some(Instance {
                instance_arn: i.instance_arn()?.to_owned(),
                identity_store_id: i.identity_store_id()?.to_owned(),
            })
        })
        .collect())
}

/// The permission set's name, for labels.
pub(crate) async fn permission_set_name(
    s: &Session<'_>,
    instance_arn: &str,
    permission_set_arn: &str,
) -> Result<Option<String>, CallFailure> {
    let out = s
        .call(Service::SsoAdmin, "DescribePermissionSet", || {
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

/// Every account assignment of the instance, listed per container: `ListPermissionSets`, then
/// the accounts each set is provisioned to (`ListAccountsForProvisionedPermissionSet`), then
/// each (account, set)'s assignments (`ListAccountAssignments`, 100 per page; direct
/// assignments only, users and groups). The rows are keyed by principal.
///
/// The cost is learned step by step; `None` as soon as it reaches `budget` calls (the
/// per-principal reads would be no dearer). Also returns the calls the listing costs (an
/// estimate counting one page per (account, set)) or had cost when it was abandoned.
pub(crate) async fn assignments_by_container(
    s: &Session<'_>,
    instance_arn: &str,
    budget: usize,
) -> Result<(Option<ByPrincipal>, usize), CallFailure> {
    if budget == 0 {
        return Ok((None, 0));
    }
    let sets = s
        .pages_up_to(
            budget,
            Service::SsoAdmin,
            "ListPermissionSets",
            Retry::Yes,
            |token| {
                s.clients
                    .sso
                    .list_permission_sets()
                    .instance_arn(instance_arn)
                    .max_results(100)
                    .set_next_token(token)
                    .send()
            },
            |page| (page.permission_sets.unwrap_or_default(), page.next_token),
        )
        .await?;
    let mut spent = sets.pages;
    // Each set costs at least one more call.
    if !sets.complete || spent.saturating_add(sets.items.len()) >= budget {
        return Ok((None, spent));
    }
    let reads = sets.items.iter().map(|ps| accounts_of(s, instance_arn, ps)).collect();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (ps, listed) in sets.items.iter().zip(crate::call::bounded(reads, s.limits.concurrency).await) {
        let listed = listed?;
        spent += listed.pages;
        pairs.extend(listed.items.into_iter().map(|account| (account, ps.clone())));
    }
    if spent.saturating_add(pairs.len()) >= budget {
        return Ok((None, spent));
    }
    spent += pairs.len();
    let reads = pairs.iter().map(|(account, ps)| assignments_at(s, instance_arn, account, ps)).collect();
    let mut by_principal = ByPrincipal::new();
    for rows in crate::call::bounded(reads, s.limits.concurrency).await {
        for a in rows? {
            by_principal.entry((a.principal_type, a.principal_id.to_string())).or_default().insert(a);
        }
    }
    Ok((Some(by_principal), spent))
}

/// Direct account assignments keyed by (principal type, principal id).
pub(crate) type ByPrincipal = std::collections::HashMap<
    (offboard_core::principal::PrincipalKind, String),
    std::collections::BTreeSet<offboard_core::grant::SsoAssignment>,
>;

/// The accounts `permission_set_arn` is provisioned to (all pages).
async fn accounts_of(
    s: &Session<'_>,
    instance_arn: &str,
    permission_set_arn: &str,
) -> Result<crate::paginate::Listed<String>, CallFailure> {
    s.pages_up_to(
        usize::MAX,
        Service::SsoAdmin,
        "ListAccountsForProvisionedPermissionSet",
        Retry::Yes,
        |token| {
            s.clients
                .sso
                .list_accounts_for_provisioned_permission_set()
                .instance_arn(instance_arn)
                .permission_set_arn(permission_set_arn)
                .max_results(100)
                .set_next_token(token)
                .send()
        },
        |page| (page.account_ids.unwrap_or_default(), page.next_token),
    )
    .await
}

/// The direct assignments of one (account, permission set), users and groups (all pages of
/// `ListAccountAssignments`). Rows of another account or set, or of an unknown principal type,
/// are dropped: an endpoint that ignores the filter must not make them look like these.
pub(crate) async fn assignments_at(
    s: &Session<'_>,
    instance_arn: &str,
    account_id: &str,
    permission_set_arn: &str,
) -> Result<Vec<offboard_core::grant::SsoAssignment>, CallFailure> {
    use aws_sdk_ssoadmin::types::PrincipalType;
    use offboard_core::principal::PrincipalKind;
    let rows = s
        .pages(
            Service::SsoAdmin,
            "ListAccountAssignments",
            Retry::Yes,
            |token| {
                s.clients
                    .sso
                    .list_account_assignments()
                    .instance_arn(instance_arn)
                    .account_id(account_id)
                    .permission_set_arn(permission_set_arn)
                    .max_results(100)
                    .set_next_token(token)
                    .send()
            },
            |page| (page.account_assignments.unwrap_or_default(), page.next_token),
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter(|a| a.account_id() == Some(account_id) && a.permission_set_arn() == Some(permission_set_arn))
        .filter_map(|a| {
            let principal_type = match a.principal_type()? {
                PrincipalType::User => PrincipalKind::User,
                PrincipalType::Group => PrincipalKind::Group,
                _ => return None,
            };
            Some(offboard_core::grant::SsoAssignment {
                account_id: account_id.into(),
                permission_set_arn: permission_set_arn.into(),
                principal_type,
                principal_id: a.principal_id?.into(),
            })
        })
        .collect())
}
