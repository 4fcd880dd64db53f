//! A grant: one access edge between a principal and a resource, of any kind.
//!
//! [`Grant`] is a thin sum over the edge modules in [`crate::edge`], which hold each kind's data
//! and rules; its methods only dispatch. A grant is named by exactly the ids the AWS API uses to
//! delete it. Values here come back from AWS and are data, not input: they are never validated
//! against the model patterns (AWS may hand us shapes newer than our model).

pub use crate::edge::{
    AppstreamAssociation, GroupMembership, KendraExperienceEntity, KendraGroupMapping, KendraPersona, Persona,
    SsoAssignment,
};

use crate::edge::Edge;
use crate::for_grant;
use crate::policy::{Config, Keep, Leaver};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The services a policy can scope a leaver to (`scope: [sso, appstream, kendra, identity_store]`).
/// `identity_store` is group memberships, and only configured where offboard manages them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Sso,
    Appstream,
    Kendra,
    IdentityStore,
}

impl Service {
    pub const ALL: [Service; 4] = [Service::Sso, Service::Appstream, Service::Kendra, Service::IdentityStore];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Sso => "sso",
            Service::Appstream => "appstream",
            Service::Kendra => "kendra",
            Service::IdentityStore => "identity_store",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One access edge. The derive order (`Ord`) is the deterministic order used everywhere inside a
/// phase: variants in phase order, then field by field.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Grant {
    /// Identity Store group membership of a user: the path to every grant of the group.
    GroupMembership(GroupMembership),
    /// IAM Identity Center account assignment: (account, permission set, principal).
    SsoAssignment(SsoAssignment),
    /// AppStream 2.0 user-stack association.
    AppstreamAssociation(AppstreamAssociation),
    /// Kendra experience persona of an Identity Center user or group.
    KendraPersona(KendraPersona),
    /// Kendra experience access of an Identity Center user or group.
    KendraExperienceEntity(KendraExperienceEntity),
    /// Kendra principal mapping of an ACL group, at a data source or (None) at index level.
    KendraGroupMapping(KendraGroupMapping),
}

/// An id or name inside a grant or a request (an ARN, an account id, a user name...). Shared,
/// not copied: a plan repeats each removed grant in the leaver's `before` and `remove` lists,
/// in its action's items and in the request's members, and with `String`s a 10,000-leaver plan
/// held four copies of every id (about a third of `offboard plan`'s peak memory). An `Arc<str>`
/// compares, orders, hashes and serializes exactly as the string it holds.
pub type Id = std::sync::Arc<str>;

/// Human-readable names for ids, gathered by the adapter (permission set names, account names,
/// stack display names). Rendering only: never part of a request.
pub type Labels = std::collections::BTreeMap<String, String>;

impl Grant {
    /// The `scope` entry that covers this grant.
    pub fn service(&self) -> Service {
        self.phase().service()
    }

    pub fn phase(&self) -> crate::edge::Phase {
        crate::edge::Phase::of(self)
    }

    /// The AWS account the grant lives in, where that is known (only Identity Center
    /// assignments name one). Used by `guardrails.protected_accounts` and `keep.sso_accounts`.
    pub fn account_id(&self) -> Option<&str> {
        for_grant!(self, g => g.account_id())
    }

    /// The group a membership grant joins; `None` for other grants.
    pub fn group_id(&self) -> Option<&str> {
        for_grant!(self, g => g.group_id())
    }

    /// One line describing the grant for plans and diffs, e.g.
    /// `sso        account Shared Services (222222222222)  permission set ReadOnlyAccess`.
    /// Stable and column-aligned so unified diffs of access read like a table.
    pub fn describe(&self, labels: &Labels) -> String {
        for_grant!(self, g => g.describe(labels))
    }

    /// Whether the grant names this leaver, as the Identity Store resolved it.
    pub fn belongs_to(&self, leaver: &Leaver, resolution: &crate::state::Resolution) -> bool {
        for_grant!(self, g => g.belongs_to(leaver, resolution))
    }

    /// Why the grant is not one the leaver's declaration covers although it names it.
    pub fn identity_conflict(&self, leaver: &Leaver) -> Option<String> {
        for_grant!(self, g => g.identity_conflict(leaver))
    }

    /// Whether the leaver's `keep` spares this grant.
    pub fn kept(&self, keep: &Keep) -> bool {
        for_grant!(self, g => g.kept(keep))
    }

    /// `Err(why)` when the grant lives outside what the environment config names.
    pub fn configured(&self, config: &Config) -> Result<(), String> {
        for_grant!(self, g => g.configured(config))
    }
}

impl From<SsoAssignment> for Grant {
    fn from(g: SsoAssignment) -> Self {
        Grant::SsoAssignment(g)
    }
}

impl From<AppstreamAssociation> for Grant {
    fn from(g: AppstreamAssociation) -> Self {
        Grant::AppstreamAssociation(g)
    }
}

impl From<KendraPersona> for Grant {
    fn from(g: KendraPersona) -> Self {
        Grant::KendraPersona(g)
    }
}

impl From<GroupMembership> for Grant {
    fn from(g: GroupMembership) -> Self {
        Grant::GroupMembership(g)
    }
}

impl From<KendraExperienceEntity> for Grant {
    fn from(g: KendraExperienceEntity) -> Self {
        Grant::KendraExperienceEntity(g)
    }
}

impl From<KendraGroupMapping> for Grant {
    fn from(g: KendraGroupMapping) -> Self {
        Grant::KendraGroupMapping(g)
    }
}
