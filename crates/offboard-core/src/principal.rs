//! Who a leaver is: a user or a group of the Identity Store, named the way the policy author
//! named it (by name, or by id).

use serde::{Deserialize, Serialize};
use std::fmt;

/// User or group. Serialized in AWS's own spelling (`USER`, `GROUP`), because the same word goes
/// into `DeleteAccountAssignment.PrincipalType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PrincipalKind {
    User,
    Group,
}

impl PrincipalKind {
    pub fn as_aws(self) -> &'static str {
        match self {
            PrincipalKind::User => "USER",
            PrincipalKind::Group => "GROUP",
        }
    }

    /// [`PrincipalKind::as_aws`] as an [`Id`](crate::grant::Id) for a request member. One
    /// shared string per kind, not one per request: a large plan has tens of thousands.
    pub fn as_aws_id(self) -> crate::grant::Id {
        static USER: std::sync::LazyLock<crate::grant::Id> = std::sync::LazyLock::new(|| "USER".into());
        static GROUP: std::sync::LazyLock<crate::grant::Id> = std::sync::LazyLock::new(|| "GROUP".into());
        match self {
            PrincipalKind::User => USER.clone(),
            PrincipalKind::Group => GROUP.clone(),
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
        }
    }
}

/// How the policy names the principal. A name is the Identity Store `userName` (users) or
/// `displayName` (groups); an id is the Identity Store id and skips the lookup.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Selector {
    Name(String),
    Id(String),
}

/// A principal as declared in a leaver file. This is the key that ties a leaver to what the
/// adapter observed for it, so it must be exactly what the policy said.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PrincipalRef {
    pub kind: PrincipalKind,
    #[serde(flatten)]
    pub selector: Selector,
}

impl PrincipalRef {
    pub fn user_name(name: impl Into<String>) -> Self {
        Self { kind: PrincipalKind::User, selector: Selector::Name(name.into()) }
    }
    pub fn user_id(id: impl Into<String>) -> Self {
        Self { kind: PrincipalKind::User, selector: Selector::Id(id.into()) }
    }
    pub fn group_name(name: impl Into<String>) -> Self {
        Self { kind: PrincipalKind::Group, selector: Selector::Name(name.into()) }
    }
    pub fn group_id(id: impl Into<String>) -> Self {
        Self { kind: PrincipalKind::Group, selector: Selector::Id(id.into()) }
    }

    /// The name or id as written in the policy.
    pub fn label(&self) -> &str {
        match &self.selector {
            Selector::Name(s) | Selector::Id(s) => s,
        }
    }
}

impl fmt::Display for PrincipalRef {
    /// `user alice@example.com`, `group Summer Interns`, `user id 9067…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.selector {
            Selector::Name(n) => write!(f, "{} {}", self.kind.noun(), n),
            Selector::Id(i) => write!(f, "{} id {}", self.kind.noun(), i),
        }
    }
}
