//! Policy v1: the environment (`offboard.yaml`) and the leavers (any number of leaver files).
//!
//! The types in this module are the *validated* policy: every identifier in them has passed
//! [`crate::ids`], every leaver has a reason, no principal is declared twice. They are produced
//! only by [`load`], which turns source text into a `Policy` or into located errors.
//! Source locations are kept (`Origin`) so later checks can point at the right line too.

pub mod error;
pub mod load;
mod raw;
pub mod schema;

pub use error::{PolicyError, PolicyErrors};
pub use load::{Source, load};

use crate::grant::Service;
use crate::principal::PrincipalRef;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use time::Date;

/// Where something was written: `path:line:column` (1-based).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Origin {
    pub path: String,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path, self.line, self.column)
    }
}

/// The whole validated policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub config: Config,
    /// Leavers in a deterministic order: the order of the files as given (directories walked
    /// sorted), then the order inside each file.
    pub leavers: Vec<Leaver>,
}

impl Policy {
    /// Digest of the policy's meaning (`sha256:…`): comments, formatting and file layout do not
    /// change it; any change to what would be removed does. `apply` refuses a plan whose digest
    /// differs from the files it is run next to.
    pub fn digest(&self) -> String {
        #[derive(Serialize)]
        struct Canonical<'a> {
            config: &'a Config,
            leavers: Vec<CanonicalLeaver<'a>>,
        }
        #[derive(Serialize)]
        struct CanonicalLeaver<'a> {
            principal: &'a PrincipalRef,
            reason: &'a str,
            effective: Option<String>,
            scope: &'a BTreeSet<Service>,
            keep: &'a Keep,
            kendra_group_id: &'a Option<String>,
        }
        let mut leavers: Vec<CanonicalLeaver<'_>> = self
            .leavers
            .iter()
            .map(|l| CanonicalLeaver {
                principal: &l.principal,
                reason: &l.reason,
                effective: l.effective.map(|d| d.to_string()),
                scope: &l.scope,
                keep: &l.keep,
                kendra_group_id: &l.kendra_group_id,
            })
            .collect();
        leavers.sort_by(|a, b| a.principal.cmp(b.principal));
        crate::digest::sha256_json(&Canonical { config: &self.config, leavers })
    }
}

/// `offboard.yaml`: where to look, and what is protected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Config {
    pub sso: Option<SsoConfig>,
    pub appstream: Option<AppstreamConfig>,
    pub kendra: Option<KendraConfig>,
    /// `identity_store:`: whether offboard removes leavers' group memberships.
    pub identity_store: Option<IdentityStoreConfig>,
    pub guardrails: Guardrails,
}

impl Config {
    /// Whether offboard removes group memberships (`identity_store.manage_memberships`). When
    /// it does not, the identity provider owns them and plans only show what they still grant.
    pub fn manages_memberships(&self) -> bool {
        self.identity_store.as_ref().is_some_and(|i| i.manage_memberships)
    }

    /// The services this environment is configured for; the default `scope` of a leaver.
    pub fn configured_services(&self) -> BTreeSet<Service> {
        let mut s = BTreeSet::new();
        if self.sso.is_some() {
            s.insert(Service::Sso);
        }
        if self.appstream.is_some() {
            s.insert(Service::Appstream);
        }
        if self.kendra.is_some() {
            s.insert(Service::Kendra);
        }
        if self.manages_memberships() {
            s.insert(Service::IdentityStore);
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SsoConfig {
    pub instance_arn: String,
    /// Discovered with `ListInstances` when absent.
    pub identity_store_id: Option<String>,
}

/// `identity_store: { manage_memberships: true }`. Off by default: where groups are synced from
/// an external identity provider over SCIM, the provider owns memberships and would add a
/// removed one back at its next sync, so removing them there only pretends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdentityStoreConfig {
    pub manage_memberships: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppstreamConfig {
    /// `USERPOOL` (default), `SAML`, `API` or `AWS_AD`.
    pub authentication_type: String,
    pub stacks: StackSelection,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StackSelection {
    /// `["*"]`: every stack, listed with `DescribeStacks`.
    All,
    Named(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KendraConfig {
    pub indexes: Vec<KendraIndexConfig>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KendraIndexConfig {
    pub id: String,
    pub experiences: Vec<String>,
    /// Data sources whose group mappings are read; empty means the index level only.
    pub data_sources: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Guardrails {
    pub protected_users: Vec<String>,
    pub protected_groups: Vec<String>,
    pub protected_accounts: Vec<String>,
    /// `apply` refuses a plan with more removals unless `--allow-large`.
    pub max_removals: u32,
    /// `plan` fails (exit 1) while any leaver would keep access that the policy does not keep
    /// on purpose (see [`crate::plan::Plan::incomplete`]).
    pub require_complete: bool,
    /// The account ids of the `protected_accounts` given by name, as AWS Organizations names
    /// them now ([`Guardrails::resolve_account_names`]). Read from AWS, not written in the
    /// policy, so not part of its digest.
    #[serde(skip)]
    pub resolved_account_names: BTreeMap<String, BTreeSet<String>>,
}

/// `guardrails.protected_accounts` names an account that AWS Organizations does not have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "guardrails.protected_accounts names {} but no account in AWS Organizations has that name; \
     write the name exactly as Organizations shows it, or the 12-digit account id (accounts: {})",
    quoted(.unknown),
    .known.join(", ")
)]
pub struct UnknownAccountNames {
    pub unknown: Vec<String>,
    /// `name (id)` of every account read, for the message.
    pub known: Vec<String>,
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
}

/// Whether a `protected_accounts` entry is an account id (digits only; the loader checked
/// there are 12) rather than an account name.
pub fn is_account_id(entry: &str) -> bool {
    entry.chars().all(|c| c.is_ascii_digit())
}

impl Guardrails {
    /// The `protected_accounts` given by name rather than id.
    pub fn protected_account_names(&self) -> impl Iterator<Item = &str> {
        self.protected_accounts.iter().map(String::as_str).filter(|a| !is_account_id(a))
    }

    /// Resolves the accounts protected by name, from the accounts AWS Organizations lists
    /// (`accounts`: id → name). Every account of a matching name is protected (Organizations
    /// allows two accounts one name). A name that matches no account is an error.
    pub fn resolve_account_names(&mut self, accounts: &BTreeMap<String, String>) -> Result<(), UnknownAccountNames> {
        let mut resolved: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut unknown = Vec::new();
        for name in self.protected_account_names() {
            let ids: BTreeSet<String> =
                accounts.iter().filter(|(_, n)| n.as_str() == name).map(|(id, _)| id.clone()).collect();
            if ids.is_empty() {
                unknown.push(name.to_owned());
            } else {
                resolved.insert(name.to_owned(), ids);
            }
        }
        if !unknown.is_empty() {
            let known = accounts.iter().map(|(id, name)| format!("{name} ({id})")).collect();
            return Err(UnknownAccountNames { unknown, known });
        }
        self.resolved_account_names = resolved;
        Ok(())
    }

    /// Whether `account_id` is protected: listed by id, or by a name resolved to it. While any
    /// name is not resolved, every account is protected (fail closed): the planner, and so
    /// `apply`'s authority check, then keeps every account assignment.
    pub fn protects_account(&self, account_id: &str) -> bool {
        self.protected_accounts.iter().any(|a| a == account_id)
            || self
                .protected_account_names()
                .any(|name| self.resolved_account_names.get(name).is_none_or(|ids| ids.contains(account_id)))
    }
}

impl Default for Guardrails {
    fn default() -> Self {
        Self {
            protected_users: Vec::new(),
            protected_groups: Vec::new(),
            protected_accounts: Vec::new(),
            max_removals: DEFAULT_MAX_REMOVALS,
            require_complete: false,
            resolved_account_names: BTreeMap::new(),
        }
    }
}

pub const DEFAULT_MAX_REMOVALS: u32 = 500;

/// One declared leaver: a user or a group to take access away from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Leaver {
    pub principal: PrincipalRef,
    /// Required and non-empty: shown in plans and written to the journal.
    pub reason: String,
    /// Not removed before this date (UTC).
    pub effective: Option<Date>,
    /// Services to remove access from; defaults to every configured service.
    pub scope: BTreeSet<Service>,
    pub keep: Keep,
    /// Groups only: the ACL group id used in Kendra principal mappings.
    pub kendra_group_id: Option<String>,
    /// Where the leaver entry starts, for messages.
    pub origin: Origin,
}

impl Leaver {
    /// The names a user leaver may have in AppStream, which names users by user name: the name
    /// as declared, the Identity Store `userName` and the primary email, without repeats
    /// (compared case-insensitively). Empty for groups.
    pub fn user_names<'a>(&'a self, resolution: &'a crate::state::Resolution) -> Vec<&'a str> {
        if self.principal.kind != crate::principal::PrincipalKind::User {
            return Vec::new();
        }
        let declared = match &self.principal.selector {
            crate::principal::Selector::Name(n) => Some(n.as_str()),
            crate::principal::Selector::Id(_) => None,
        };
        let mut names: Vec<&str> = Vec::new();
        for n in declared.into_iter().chain(resolution.names()) {
            if !names.iter().any(|k| k.eq_ignore_ascii_case(n)) {
                names.push(n);
            }
        }
        names
    }
}

/// Exceptions: access a leaver keeps for now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Keep {
    pub sso_accounts: Vec<String>,
    pub appstream_stacks: Vec<String>,
    pub kendra_experiences: Vec<String>,
    /// Groups whose membership the leaver keeps, by display name or group id.
    pub groups: Vec<String>,
}
