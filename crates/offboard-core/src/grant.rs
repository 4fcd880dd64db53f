//! Access edges: the four kinds of grant offboard can see and remove.
//!
//! A grant is one edge between a principal and a resource, named by exactly the ids the AWS API
//! uses to delete it. Values here come back from AWS and are data, not input: they are never
//! validated against the model patterns (AWS may hand us shapes newer than our model).

use crate::principal::PrincipalKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The services a policy can scope a leaver to (`scope: [sso, appstream, kendra]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Sso,
    Appstream,
    Kendra,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Sso, Service::Appstream, Service::Kendra];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Sso => "sso",
            Service::Appstream => "appstream",
            Service::Kendra => "kendra",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Kendra experience persona.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Persona {
    Owner,
    Viewer,
}

impl Persona {
    pub fn as_aws(self) -> &'static str {
        match self {
            Persona::Owner => "OWNER",
            Persona::Viewer => "VIEWER",
        }
    }
}

/// One access edge. The derive order (`Ord`) is the deterministic order used everywhere inside a
/// phase: variants in phase order, then field by field.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Grant {
    /// IAM Identity Center account assignment: (account, permission set, principal).
    SsoAssignment {
        account_id: String,
        permission_set_arn: String,
        principal_type: PrincipalKind,
        principal_id: String,
    },
    /// AppStream 2.0 user-stack association.
    AppstreamAssociation { stack_name: String, user_name: String, authentication_type: String },
    /// Kendra experience persona of an Identity Center user or group.
    KendraPersona { index_id: String, experience_id: String, entity_id: String, persona: Persona },
    /// Kendra principal mapping of an ACL group, at a data source or (None) at index level.
    KendraGroupMapping { index_id: String, data_source_id: Option<String>, group_id: String },
}

impl Grant {
    pub fn service(&self) -> Service {
        match self {
            Grant::SsoAssignment { .. } => Service::Sso,
            Grant::AppstreamAssociation { .. } => Service::Appstream,
            Grant::KendraPersona { .. } | Grant::KendraGroupMapping { .. } => Service::Kendra,
        }
    }

    /// The AWS account the grant lives in, where that is known (only Identity Center
    /// assignments name one). Used by `guardrails.protected_accounts` and `keep.sso_accounts`.
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Grant::SsoAssignment { account_id, .. } => Some(account_id),
            _ => None,
        }
    }
}

/// Human-readable names for ids, gathered by the adapter (permission set names, account names,
/// stack display names). Rendering only: never part of a request.
pub type Labels = std::collections::BTreeMap<String, String>;

impl Grant {
    /// One line describing the grant for plans and diffs, e.g.
    /// `sso        222222222222 (Shared Services)  ReadOnlyAccess`.
    /// Stable and column-aligned so unified diffs of access read like a table.
    pub fn describe(&self, labels: &Labels) -> String {
        let label = |id: &str| labels.get(id).map(|l| format!("{id} ({l})")).unwrap_or_else(|| id.to_owned());
        match self {
            Grant::SsoAssignment { account_id, permission_set_arn, .. } => {
                let ps = labels.get(permission_set_arn).cloned().unwrap_or_else(|| permission_set_arn.clone());
                format!("sso        account {}  permission set {}", label(account_id), ps)
            }
            Grant::AppstreamAssociation { stack_name, authentication_type, .. } => {
                format!("appstream  stack {stack_name}  ({authentication_type})")
            }
            Grant::KendraPersona { index_id, experience_id, persona, .. } => {
                format!("kendra     experience {experience_id}  {}  (index {index_id})", persona.as_aws())
            }
            Grant::KendraGroupMapping { index_id, data_source_id, group_id } => match data_source_id {
                Some(ds) => format!("kendra     group mapping {group_id}  data source {ds}  (index {index_id})"),
                None => format!("kendra     group mapping {group_id}  index level  (index {index_id})"),
            },
        }
    }
}
