//! IAM Identity Center account assignments: (account, permission set, principal), removed with
//! `DeleteAccountAssignment`, one call per assignment (Identity Center has no batch delete, and
//! finishes each deletion asynchronously).

use super::{Edge, Phase, RequestContext, single};
use crate::grant::Id;
use crate::grant::{Grant, Labels, Service};
use crate::plan::ActionItem;
use crate::policy::{Config, Keep, Leaver};
use crate::principal::PrincipalKind;
use crate::state::Resolution;
use serde::{Deserialize, Serialize};

/// The one `TargetType` offboard deletes at, shared by every request.
static AWS_ACCOUNT: std::sync::LazyLock<Id> = std::sync::LazyLock::new(|| "AWS_ACCOUNT".into());

/// An account assignment, named by exactly the ids `DeleteAccountAssignment` takes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoAssignment {
    pub account_id: Id,
    pub permission_set_arn: Id,
    pub principal_type: PrincipalKind,
    pub principal_id: Id,
}

/// The `DeleteAccountAssignment` input, with AWS's member names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DeleteAccountAssignment {
    pub instance_arn: Id,
    pub target_id: Id,
    /// Always `AWS_ACCOUNT`.
    pub target_type: Id,
    pub permission_set_arn: Id,
    /// `USER` or `GROUP`.
    pub principal_type: Id,
    pub principal_id: Id,
}

impl DeleteAccountAssignment {
    pub const OPERATION: &'static str = "DeleteAccountAssignment";

    /// The request that deletes `g` in the Identity Center instance `instance_arn`.
    pub fn of(instance_arn: &Id, g: &SsoAssignment) -> Self {
        DeleteAccountAssignment {
            instance_arn: instance_arn.clone(),
            target_id: g.account_id.clone(),
            target_type: AWS_ACCOUNT.clone(),
            permission_set_arn: g.permission_set_arn.clone(),
            principal_type: g.principal_type.as_aws_id(),
            principal_id: g.principal_id.clone(),
        }
    }
}

impl Edge for SsoAssignment {
    const PHASE: Phase = Phase::SsoAssignments;
    const SERVICE: Service = Service::Sso;
    type Request = DeleteAccountAssignment;

    fn of(grant: &Grant) -> Option<&Self> {
        if let Grant::SsoAssignment(g) = grant { Some(g) } else { None }
    }

    fn describe(&self, labels: &Labels) -> String {
        let account = labels
            .get(&*self.account_id)
            .map(|name| format!("{name} ({})", self.account_id))
            .unwrap_or_else(|| self.account_id.to_string());
        let ps = labels.get(&*self.permission_set_arn).cloned().unwrap_or_else(|| self.permission_set_arn.to_string());
        format!("sso        account {account}  permission set {ps}")
    }

    fn account_id(&self) -> Option<&str> {
        Some(&self.account_id)
    }

    fn belongs_to(&self, leaver: &Leaver, resolution: &Resolution) -> bool {
        self.principal_type == leaver.principal.kind && resolution.id() == Some(self.principal_id.as_ref())
    }

    fn kept(&self, keep: &Keep) -> bool {
        keep.sso_accounts.iter().any(|a| **a == *self.account_id)
    }

    /// Any account: the instance is checked on the request (`DeleteAccountAssignment`).
    fn configured(&self, config: &Config) -> Result<(), String> {
        match &config.sso {
            Some(_) => Ok(()),
            None => Err("offboard.yaml has no `sso` section".into()),
        }
    }

    fn requests(items: Vec<ActionItem>, ctx: &RequestContext) -> Vec<(Vec<ActionItem>, DeleteAccountAssignment)> {
        items
            .into_iter()
            .filter_map(|item| {
                let request = DeleteAccountAssignment::of(&ctx.instance_arn, Self::of(&item.grant)?);
                Some((vec![item], request))
            })
            .collect()
    }

    fn check(r: &DeleteAccountAssignment, items: &[&Self]) -> Result<(), String> {
        let expected = SsoAssignment {
            account_id: r.target_id.clone(),
            permission_set_arn: r.permission_set_arn.clone(),
            principal_type: match r.principal_type.as_ref() {
                "USER" => PrincipalKind::User,
                "GROUP" => PrincipalKind::Group,
                other => return Err(format!("PrincipalType {other:?} is neither USER nor GROUP")),
            },
            principal_id: r.principal_id.clone(),
        };
        if &*r.target_type != "AWS_ACCOUNT" {
            return Err(format!("TargetType {:?} is not AWS_ACCOUNT", r.target_type));
        }
        if single(items)? != &expected {
            return Err("the request names another assignment than the item".into());
        }
        Ok(())
    }
}
