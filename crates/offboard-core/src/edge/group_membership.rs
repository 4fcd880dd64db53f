//! Identity Store group memberships of user leavers, removed with `DeleteGroupMembership`, one
//! synchronous call per membership.
//!
//! A membership is the path through which a user holds every grant of its group: Identity Center
//! assignments of the group, Kendra personas and experience access of the group. Removing it cuts
//! all of them at once, so it runs first ([`Phase::GroupMemberships`]). offboard only removes
//! memberships when `identity_store.manage_memberships` is on: where an identity provider syncs
//! groups over SCIM it owns them, and a removal here would be undone at its next sync.
//!
//! Group rules (`guardrails.protected_groups`, a leaver's `keep.groups`) match a group by its id
//! or its display name, and names are not part of the grant: the planner, which knows the names
//! the Identity Store gives now, applies them (see [`Edge::group_id`]).

use super::{Edge, Phase, RequestContext, single};
use crate::grant::Id;
use crate::grant::{Grant, Labels, Service};
use crate::plan::ActionItem;
use crate::policy::{Config, Keep, Leaver};
use crate::principal::PrincipalKind;
use crate::state::Resolution;
use serde::{Deserialize, Serialize};

/// A user's membership of a group, named by the id `DeleteGroupMembership` takes and the two
/// ids it joins (which `apply` re-reads: the membership must still join exactly these).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMembership {
    pub group_id: Id,
    /// The member's Identity Store user id.
    pub member_id: Id,
    pub membership_id: Id,
}

/// The `DeleteGroupMembership` input, with AWS's member names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DeleteGroupMembership {
    pub identity_store_id: Id,
    pub membership_id: Id,
}

impl DeleteGroupMembership {
    pub const OPERATION: &'static str = "DeleteGroupMembership";
}

impl Edge for GroupMembership {
    const PHASE: Phase = Phase::GroupMemberships;
    const SERVICE: Service = Service::IdentityStore;
    type Request = DeleteGroupMembership;

    fn of(grant: &Grant) -> Option<&Self> {
        if let Grant::GroupMembership(g) = grant { Some(g) } else { None }
    }

    fn describe(&self, labels: &Labels) -> String {
        let group = labels
            .get(&*self.group_id)
            .map(|name| format!("{name} ({})", self.group_id))
            .unwrap_or_else(|| self.group_id.to_string());
        format!("group      member of {group}")
    }

    fn group_id(&self) -> Option<&str> {
        Some(&self.group_id)
    }

    /// Only users are members (Identity Store groups do not nest).
    fn belongs_to(&self, leaver: &Leaver, resolution: &Resolution) -> bool {
        leaver.principal.kind == PrincipalKind::User && resolution.id() == Some(self.member_id.as_ref())
    }

    /// `keep.groups` names groups by id or display name; the planner matches both. By id here,
    /// so the rule holds wherever only the grant is known.
    fn kept(&self, keep: &Keep) -> bool {
        keep.groups.iter().any(|g| **g == *self.group_id)
    }

    fn configured(&self, config: &Config) -> Result<(), String> {
        if config.manages_memberships() {
            Ok(())
        } else {
            Err("offboard.yaml does not set identity_store.manage_memberships: true".into())
        }
    }

    fn requests(items: Vec<ActionItem>, ctx: &RequestContext) -> Vec<(Vec<ActionItem>, DeleteGroupMembership)> {
        items
            .into_iter()
            .filter_map(|item| {
                let request = DeleteGroupMembership {
                    identity_store_id: ctx.identity_store_id.clone(),
                    membership_id: Self::of(&item.grant)?.membership_id.clone(),
                };
                Some((vec![item], request))
            })
            .collect()
    }

    fn check(r: &DeleteGroupMembership, items: &[&Self]) -> Result<(), String> {
        if single(items)?.membership_id != r.membership_id {
            return Err("the request names another membership than the item".into());
        }
        Ok(())
    }
}
