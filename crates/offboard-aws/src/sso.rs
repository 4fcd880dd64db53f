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
