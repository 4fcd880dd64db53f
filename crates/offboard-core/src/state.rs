//! What the adapter saw in AWS for the principals a policy names.
//!
//! The adapter fills this in (resolving names, reading only the grants the policy needs) and the
//! planner takes it as plain data. Tests and benchmarks build it by hand.

use crate::grant::{Grant, Labels};
use crate::principal::PrincipalRef;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How a declared principal resolved in the Identity Store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Resolution {
    /// Found: its Identity Store id, and its name (userName / displayName) when known, which
    /// lets the planner apply `protected_users`/`protected_groups` to leavers declared by id.
    /// For users, also the primary email: AppStream user names are often the email, and it
    /// differs from the userName in many directories.
    Found {
        id: String,
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        email: Option<String>,
    },
    /// The Identity Store has no such principal: a finding, not an error, because a leaver
    /// who was already deleted upstream has no access left through Identity Center. Access
    /// that does not go through an Identity Store id is still read for it: AppStream
    /// associations of the declared user name, Kendra mappings of a declared `kendra_group_id`.
    NotFound,
}

impl Resolution {
    /// A found principal with its id and name (no email).
    pub fn found(id: impl Into<String>, name: Option<&str>) -> Resolution {
        Resolution::Found { id: id.into(), name: name.map(str::to_owned), email: None }
    }

    /// The Identity Store id, when found.
    pub fn id(&self) -> Option<&str> {
        match self {
            Resolution::Found { id, .. } => Some(id),
            Resolution::NotFound => None,
        }
    }

    /// The names the Identity Store gives the principal: userName / displayName, primary email.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let (name, email) = match self {
            Resolution::Found { name, email, .. } => (name.as_deref(), email.as_deref()),
            Resolution::NotFound => (None, None),
        };
        name.into_iter().chain(email)
    }
}

/// One declared principal and every grant of it that was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedPrincipal {
    pub principal: PrincipalRef,
    pub resolution: Resolution,
    pub grants: BTreeSet<Grant>,
    /// Kendra group mappings among `grants`: the `OrderingId` of the mapping's latest change
    /// that took effect, which a delete must not be older than.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub latest_ordering_ids: Vec<(Grant, i64)>,
}

/// A group that user leavers are members of, read once however many leavers share it: its
/// display name (group rules match it) and its own access, which reaches every member.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedGroup {
    /// `None` when the Identity Store no longer knows the group.
    pub name: Option<String>,
    /// The group's grants in the configured services: Identity Center assignments, Kendra
    /// personas and experience access (the edges a group can hold).
    pub grants: BTreeSet<Grant>,
}

/// Everything observed. Order does not matter to the planner (it sorts), but the digest is
/// computed over a canonical form so equal states give equal digests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedState {
    pub principals: Vec<ObservedPrincipal>,
    /// The groups of the user leavers' memberships, by group id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, ObservedGroup>,
    /// Where it was read. Not part of the state digest (the plan records it apart).
    #[serde(default)]
    pub location: crate::plan::Location,
    /// Display names for ids (permission sets, accounts). Not part of the state digest.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
}

impl ObservedState {
    pub fn get(&self, principal: &PrincipalRef) -> Option<&ObservedPrincipal> {
        self.principals.iter().find(|p| &p.principal == principal)
    }

    /// Canonical digest of what was observed (`sha256:…`), labels excluded: the plan records
    /// it so a reviewer can tell two plans saw the same AWS state.
    pub fn digest(&self) -> String {
        let mut principals: Vec<&ObservedPrincipal> = self.principals.iter().collect();
        principals.sort_by(|a, b| a.principal.cmp(&b.principal));
        crate::digest::sha256_json(&(principals, &self.groups))
    }
}
