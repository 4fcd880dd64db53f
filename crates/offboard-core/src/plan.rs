//! The plan: what `offboard plan` decided and `offboard apply` will do, as data.
//!
//! A plan is versioned JSON (`format_version`) and deterministic: the same policy, observed state
//! and clock give byte-identical output. It carries everything `apply` needs and nothing secret:
//! digests of the policy and of the observed state, the paths it was made from, the per-principal
//! view a reviewer reads, and the ordered actions with the exact AWS request each will send.
//! The schema is documented in `docs/plan-format.md`.

use crate::edge;
use crate::grant::{Grant, Labels, Service};
use crate::principal::PrincipalRef;
use crate::state::Resolution;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Bumped on any incompatible change of the JSON layout; `apply` and `show` refuse other values.
pub const PLAN_FORMAT_VERSION: u32 = 3;

/// AppStream `BatchDisassociateUserStack` and Kendra `DisassociatePersonasFromEntities` take at
/// most 25 items per call.
pub const MAX_BATCH: usize = 25;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub format_version: u32,
    /// When the plan was made (RFC 3339, UTC), from the injected clock.
    pub created_at: String,
    /// Paths of the config and the policy inputs, relative to the working directory the plan was
    /// made in, so `offboard apply plan.json` from the same directory needs nothing else.
    pub config_path: String,
    pub policy_paths: Vec<String>,
    pub policy_digest: String,
    pub state_digest: String,
    /// Kendra `OrderingId` of every `DeletePrincipalMapping` in this plan: milliseconds since the
    /// epoch at plan time. Fixed here so re-applying the same plan is idempotent and a mapping
    /// PUT after the plan was made (a newer id) is never overridden by it.
    pub ordering_id: i64,
    /// The guardrail in force when the plan was made.
    pub max_removals: u32,
    /// Where the plan looked; `apply` refuses to act anywhere else.
    pub location: Location,
    /// Per principal: what it has, what goes, what stays and why. Policy order.
    pub principals: Vec<PrincipalPlan>,
    /// The actions, in execution order (phases in [`Phase`] order, deterministic inside).
    pub actions: Vec<Action>,
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
}

/// Where a plan looked: the AWS account the credentials belong to (STS `GetCallerIdentity`,
/// which needs no permission), the region, and the Identity Center instance with its identity
/// store. A plan made with one profile or region and applied with another would read every
/// grant as "already removed" there; `apply` compares this with where it is now and refuses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub account_id: String,
    pub region: String,
    /// `None` when the config has no `sso` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_store_id: Option<String>,
}

impl Location {
    /// Each part that differs: (what, in the plan, now).
    pub fn differences<'a>(&'a self, now: &'a Location) -> Vec<(&'static str, &'a str, &'a str)> {
        let opt = |o: &'a Option<String>| o.as_deref().unwrap_or("none");
        [
            ("AWS account", self.account_id.as_str(), now.account_id.as_str()),
            ("region", self.region.as_str(), now.region.as_str()),
            ("Identity Center instance", opt(&self.instance_arn), opt(&now.instance_arn)),
            ("identity store", opt(&self.identity_store_id), opt(&now.identity_store_id)),
        ]
        .into_iter()
        .filter(|(_, planned, current)| planned != current)
        .collect()
    }
}

impl fmt::Display for Location {
    /// `account 111111111111, region us-east-1, instance arn:…, identity store d-…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "account {}, region {}", self.account_id, self.region)?;
        if let Some(arn) = &self.instance_arn {
            write!(f, ", instance {arn}")?;
        }
        if let Some(store) = &self.identity_store_id {
            write!(f, ", identity store {store}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrincipalPlan {
    pub principal: PrincipalRef,
    pub reason: String,
    pub resolution: Resolution,
    /// Every grant observed, sorted.
    pub before: Vec<Grant>,
    /// The grants this plan removes, sorted (a subset of `before`).
    pub remove: Vec<Grant>,
    /// Grants that stay although the principal is a leaver, each with the reason.
    pub skipped: Vec<Skipped>,
    /// Users: the access that still reaches them after the plan through groups they stay a
    /// member of, one entry per (grant, group). Grants this plan removes from the group itself
    /// (a group leaver) are not listed: they do not remain.
    #[serde(default)]
    pub remains: Vec<Remaining>,
    /// Users: the access of the groups whose membership this plan removes, one entry per
    /// (grant, group): what the user loses through them. Grants this plan removes from the
    /// group itself are listed under the group leaver instead.
    #[serde(default)]
    pub cut: Vec<Cut>,
}

/// A grant of a group that a user leaver loses with its membership of the group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cut {
    /// The group's grant (its principal is the group).
    pub grant: Grant,
    /// The group whose membership the plan removes; its display name is in the plan's `labels`.
    pub group_id: String,
}

/// A grant of a group that a user leaver keeps through its membership of the group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Remaining {
    /// The group's grant (its principal is the group).
    pub grant: Grant,
    /// The group it comes through; its display name is in the plan's `labels`.
    pub group_id: String,
    /// Why the membership stays: `not_managed` when the identity provider owns memberships,
    /// `protected`, `kept`, `out_of_scope`, `not_yet_effective`, ….
    pub membership: SkipReason,
}

/// Access that would remain after a plan although the policy does not keep it on purpose:
/// what `guardrails.require_complete` refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incomplete<'a> {
    pub principal: &'a PrincipalRef,
    pub grant: &'a Grant,
    /// The group it comes through, for access through a group.
    pub group_id: Option<&'a str>,
    pub why: &'a SkipReason,
}

impl PrincipalPlan {
    /// What is left after the plan: `before` minus `remove`.
    pub fn after(&self) -> Vec<Grant> {
        self.before.iter().filter(|g| !self.remove.contains(g)).cloned().collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Skipped {
    pub grant: Grant,
    pub why: SkipReason,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SkipReason {
    /// A guardrail: protected account, user or group. Never planned.
    Protected { what: String },
    /// Listed under the leaver's `keep`.
    Kept,
    /// The leaver's `effective` date is still ahead.
    NotYetEffective { effective: String },
    /// The service is outside the leaver's `scope`.
    OutOfScope,
    /// The same grant is already removed by an earlier leaver's action (one principal declared
    /// twice, e.g. once by name and once by id).
    Duplicate { of: String },
    /// The grant names the leaver's id, but not as what the policy declares (a Kendra entity of
    /// another or an unknown type). Kept, and shown, rather than guessed.
    IdentityConflict { why: String },
    /// Kendra would ignore the removal: the mapping's latest change carries an `OrderingId`
    /// not older than this plan's, so a delete with the plan's id can never take effect.
    Unwinnable { latest_ordering_id: i64 },
    /// A group membership, and offboard does not manage memberships
    /// (`identity_store.manage_memberships` is off): the identity provider owns them.
    NotManaged,
}

impl SkipReason {
    /// Whether the policy keeps the grant on purpose: a guardrail protects it, the leaver's
    /// `keep` keeps it, or the leaver is not due yet. Everything else that stays is access a
    /// reviewer may not have meant to leave (`guardrails.require_complete` refuses it).
    pub fn deliberate(&self) -> bool {
        matches!(self, SkipReason::Protected { .. } | SkipReason::Kept | SkipReason::NotYetEffective { .. })
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Protected { what } => write!(f, "skipped: protected ({what})"),
            SkipReason::Kept => f.write_str("skipped: kept by policy"),
            SkipReason::NotYetEffective { effective } => write!(f, "skipped: not effective until {effective}"),
            SkipReason::OutOfScope => f.write_str("skipped: out of scope"),
            SkipReason::Duplicate { of } => write!(f, "skipped: already removed for {of}"),
            SkipReason::IdentityConflict { why } => write!(f, "skipped: {why}"),
            SkipReason::Unwinnable { latest_ordering_id } => write!(
                f,
                "skipped: cannot be removed by this plan: the mapping's latest OrderingId {latest_ordering_id} is not older than the plan's, so Kendra would ignore the delete; make the plan again after the mapping's owner stops writing future ids"
            ),
            SkipReason::NotManaged => f.write_str(
                "skipped: managed by your identity provider (offboard.yaml does not set identity_store.manage_memberships: true)",
            ),
        }
    }
}

pub use crate::edge::Phase;
pub use crate::edge::appstream_association::UserStackAssociation;

/// One API call `apply` will make, and the grants it removes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Stable within the plan: `<phase>-<n>`, e.g. `sso-3` or `kendra-persona-1`.
    pub id: String,
    pub phase: Phase,
    /// The grants removed by this call, each with its principal and reason. One item for
    /// single-target calls; up to [`MAX_BATCH`] for batch calls.
    pub items: Vec<ActionItem>,
    pub request: ApiRequest,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItem {
    pub principal: PrincipalRef,
    pub reason: String,
    pub grant: Grant,
}

/// The exact request an action sends, with AWS's member names, so a reviewer of the JSON sees
/// the wire request. Ids only; nothing secret. A thin sum over the edges' request types.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "operation", content = "input", deny_unknown_fields)]
pub enum ApiRequest {
    DeleteGroupMembership(edge::group_membership::DeleteGroupMembership),
    DeleteAccountAssignment(edge::sso_assignment::DeleteAccountAssignment),
    BatchDisassociateUserStack(edge::appstream_association::BatchDisassociateUserStack),
    DisassociatePersonasFromEntities(edge::kendra_persona::DisassociatePersonasFromEntities),
    DisassociateEntitiesFromExperience(edge::kendra_experience_entity::DisassociateEntitiesFromExperience),
    DeletePrincipalMapping(edge::kendra_group_mapping::DeletePrincipalMapping),
}

impl ApiRequest {
    /// The AWS operation name.
    pub fn operation(&self) -> &'static str {
        match self {
            ApiRequest::DeleteGroupMembership(_) => edge::group_membership::DeleteGroupMembership::OPERATION,
            ApiRequest::DeleteAccountAssignment(_) => edge::sso_assignment::DeleteAccountAssignment::OPERATION,
            ApiRequest::BatchDisassociateUserStack(_) => {
                edge::appstream_association::BatchDisassociateUserStack::OPERATION
            }
            ApiRequest::DisassociatePersonasFromEntities(_) => {
                edge::kendra_persona::DisassociatePersonasFromEntities::OPERATION
            }
            ApiRequest::DisassociateEntitiesFromExperience(_) => {
                edge::kendra_experience_entity::DisassociateEntitiesFromExperience::OPERATION
            }
            ApiRequest::DeletePrincipalMapping(_) => edge::kendra_group_mapping::DeletePrincipalMapping::OPERATION,
        }
    }

    /// The phase whose edge sends this request.
    pub fn phase(&self) -> Phase {
        match self {
            ApiRequest::DeleteGroupMembership(_) => Phase::GroupMemberships,
            ApiRequest::DeleteAccountAssignment(_) => Phase::SsoAssignments,
            ApiRequest::BatchDisassociateUserStack(_) => Phase::AppstreamAssociations,
            ApiRequest::DisassociatePersonasFromEntities(_) => Phase::KendraPersonas,
            ApiRequest::DisassociateEntitiesFromExperience(_) => Phase::KendraExperienceEntities,
            ApiRequest::DeletePrincipalMapping(_) => Phase::KendraGroupMappings,
        }
    }
}

impl From<edge::sso_assignment::DeleteAccountAssignment> for ApiRequest {
    fn from(r: edge::sso_assignment::DeleteAccountAssignment) -> Self {
        ApiRequest::DeleteAccountAssignment(r)
    }
}

impl From<edge::appstream_association::BatchDisassociateUserStack> for ApiRequest {
    fn from(r: edge::appstream_association::BatchDisassociateUserStack) -> Self {
        ApiRequest::BatchDisassociateUserStack(r)
    }
}

impl From<edge::kendra_persona::DisassociatePersonasFromEntities> for ApiRequest {
    fn from(r: edge::kendra_persona::DisassociatePersonasFromEntities) -> Self {
        ApiRequest::DisassociatePersonasFromEntities(r)
    }
}

impl From<edge::group_membership::DeleteGroupMembership> for ApiRequest {
    fn from(r: edge::group_membership::DeleteGroupMembership) -> Self {
        ApiRequest::DeleteGroupMembership(r)
    }
}

impl From<edge::kendra_experience_entity::DisassociateEntitiesFromExperience> for ApiRequest {
    fn from(r: edge::kendra_experience_entity::DisassociateEntitiesFromExperience) -> Self {
        ApiRequest::DisassociateEntitiesFromExperience(r)
    }
}

impl From<edge::kendra_group_mapping::DeletePrincipalMapping> for ApiRequest {
    fn from(r: edge::kendra_group_mapping::DeletePrincipalMapping) -> Self {
        ApiRequest::DeletePrincipalMapping(r)
    }
}

/// Counts for summary lines and tables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub principals: usize,
    pub to_remove: usize,
    pub sso: usize,
    pub appstream: usize,
    pub kendra: usize,
    /// Group memberships removed.
    pub memberships: usize,
    pub skipped: usize,
    /// Distinct (user, grant) pairs that remain through groups.
    pub remain_through_groups: usize,
    pub protected: usize,
    pub not_found: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary { principals: self.principals.len(), ..Summary::default() };
        for p in &self.principals {
            for g in &p.remove {
                s.to_remove += 1;
                match g.service() {
                    Service::Sso => s.sso += 1,
                    Service::Appstream => s.appstream += 1,
                    Service::Kendra => s.kendra += 1,
                    Service::IdentityStore => s.memberships += 1,
                }
            }
            s.skipped += p.skipped.len();
            let through: std::collections::BTreeSet<&Grant> = p.remains.iter().map(|r| &r.grant).collect();
            s.remain_through_groups += through.len();
            s.protected += p.skipped.iter().filter(|k| matches!(k.why, SkipReason::Protected { .. })).count();
            if p.resolution == Resolution::NotFound {
                s.not_found += 1;
            }
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Access that stays after this plan although the policy does not keep it on purpose (see
    /// [`SkipReason::deliberate`]): skipped grants and access through groups, in plan order. A
    /// grant skipped as a duplicate is removed under another leaver, so it is not listed.
    pub fn incomplete(&self) -> Vec<Incomplete<'_>> {
        let mut out = Vec::new();
        for p in &self.principals {
            for k in &p.skipped {
                if !k.why.deliberate() && !matches!(k.why, SkipReason::Duplicate { .. }) {
                    out.push(Incomplete { principal: &p.principal, grant: &k.grant, group_id: None, why: &k.why });
                }
            }
            for r in &p.remains {
                if !r.membership.deliberate() {
                    out.push(Incomplete {
                        principal: &p.principal,
                        grant: &r.grant,
                        group_id: Some(&r.group_id),
                        why: &r.membership,
                    });
                }
            }
        }
        out
    }

    /// Number of grants the plan removes (what `guardrails.max_removals` limits).
    pub fn removal_count(&self) -> usize {
        self.actions.iter().map(|a| a.items.len()).sum()
    }

    /// Deterministic JSON (pretty, trailing newline): the plan file.
    pub fn to_json(&self) -> String {
        let mut json = Vec::new();
        // Writing to a Vec cannot fail, and serde_json writes UTF-8.
        let _ = self.write_json(&mut json);
        String::from_utf8(json).unwrap_or_default()
    }

    /// Write [`Plan::to_json`]'s text to `out` as it is produced. A 10,000-leaver plan is about
    /// 150 MB of JSON: built in memory first, its buffer was most of the CLI's peak memory.
    pub fn write_json(&self, mut out: impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut out, self)?;
        out.write_all(b"\n")
    }

    /// Digest of the plan file as written by [`Plan::write_json`]: what a reviewer matches
    /// between the PR comment and the artifact.
    pub fn digest(&self) -> String {
        crate::digest::sha256_written(|out| self.write_json(out))
    }

    /// Parse a plan file, refusing other format versions with a message that says which.
    pub fn from_json(text: &str) -> Result<Plan, PlanFileError> {
        #[derive(Deserialize)]
        struct VersionProbe {
            format_version: Option<u32>,
        }
        let probe: VersionProbe = serde_json::from_str(text).map_err(|e| PlanFileError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        match probe.format_version {
            Some(PLAN_FORMAT_VERSION) => {}
            Some(v) => return Err(PlanFileError::Version { found: v }),
            None => return Err(PlanFileError::NotAPlan),
        }
        serde_json::from_str(text).map_err(|e| PlanFileError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanFileError {
    #[error("{line}:{column}: not a valid offboard plan: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error(
        "plan format_version {found} is not supported by this offboard (it reads version {PLAN_FORMAT_VERSION}); make the plan again with this version"
    )]
    Version { found: u32 },
    #[error("not an offboard plan: the JSON has no `format_version`; pass a file written by `offboard plan --out`")]
    NotAPlan,
}
