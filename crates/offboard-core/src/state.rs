//! What the adapter saw in AWS for the principals a policy names.
//!
//! The adapter fills this in (resolving names, reading only the grants the policy needs) and the
//! planner takes it as plain data. Tests and benchmarks build it by hand.

use crate::grant::{Grant, Labels};
use crate::principal::PrincipalRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How a declared principal resolved in the Identity Store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Resolution {
    /// Found: its Identity Store id, and its name (userName / displayName) when known, which
    /// lets the planner apply `protected_users`/`protected_groups` to leavers declared by id.
    Found { id: String, name: Option<String> },
    /// The Identity Store has no such principal: a finding ("not found: nothing to remove"),
    /// not an error, because a leaver who was already deleted upstream has no access left
    /// through Identity Center.
    NotFound,
}

/// One declared principal and every grant of it that was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedPrincipal {
    pub principal: PrincipalRef,
    pub resolution: Resolution,
    pub grants: BTreeSet<Grant>,
}

/// Everything observed. Order does not matter to the planner (it sorts), but the digest is
/// computed over a canonical form so equal states give equal digests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedState {
    pub principals: Vec<ObservedPrincipal>,
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
        crate::digest::sha256_json(&principals)
    }
}
