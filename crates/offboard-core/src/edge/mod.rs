//! Access edges: one module per kind of access offboard can see and remove.
//!
//! An edge module holds everything the pure core knows about one kind of access: the grant's
//! data (the exact ids the AWS API deletes it by), its [`Phase`], who it belongs to, how a
//! leaver's `keep` spares it, how removal requests are built from planned items, and the check
//! that a request (read back from a plan file) touches exactly its items. [`Grant`],
//! [`ApiRequest`] and [`Phase`] are thin sums over these modules: their methods only dispatch.
//!
//! | edge | grant | request | phase |
//! |---|---|---|---|
//! | [`group_membership`] | [`GroupMembership`] | `DeleteGroupMembership` | [`Phase::GroupMemberships`] |
//! | [`sso_assignment`] | [`SsoAssignment`] | `DeleteAccountAssignment` | [`Phase::SsoAssignments`] |
//! | [`appstream_association`] | [`AppstreamAssociation`] | `BatchDisassociateUserStack` | [`Phase::AppstreamAssociations`] |
//! | [`kendra_persona`] | [`KendraPersona`] | `DisassociatePersonasFromEntities` | [`Phase::KendraPersonas`] |
//! | [`kendra_experience_entity`] | [`KendraExperienceEntity`] | `DisassociateEntitiesFromExperience` | [`Phase::KendraExperienceEntities`] |
//! | [`kendra_group_mapping`] | [`KendraGroupMapping`] | `DeletePrincipalMapping` | [`Phase::KendraGroupMappings`] |
//!
//! Adding an edge: a module here implementing [`Edge`], a variant in `Grant`, `ApiRequest` and
//! `Phase`, and one line in each of the two dispatch macros below. Every `match` over those
//! enums is exhaustive (there is no `_ =>` arm over an edge anywhere), so the compiler lists
//! every other place that must learn about the new edge. `docs/architecture.md` walks through it.

pub mod appstream_association;
pub mod group_membership;
pub mod kendra_experience_entity;
pub mod kendra_group_mapping;
pub mod kendra_persona;
pub mod sso_assignment;

pub use appstream_association::AppstreamAssociation;
pub use group_membership::GroupMembership;
pub use kendra_experience_entity::KendraExperienceEntity;
pub use kendra_group_mapping::KendraGroupMapping;
pub use kendra_persona::{KendraPersona, Persona};
pub use sso_assignment::SsoAssignment;

use crate::grant::Id;
use crate::grant::{Grant, Labels, Service};
use crate::plan::{Action, ActionItem, ApiRequest};
use crate::policy::{Config, Keep, Leaver};
use crate::state::Resolution;
use serde::{Deserialize, Serialize};

/// What every access edge provides to the planner and to `apply`'s checks.
pub trait Edge: Sized {
    /// When `apply` removes this kind of access (phases run in [`Phase`] order).
    const PHASE: Phase;
    /// The `scope` entry of a leaver that covers this edge.
    const SERVICE: Service;
    /// The removal request this edge sends (one variant of [`ApiRequest`]).
    type Request;

    /// This edge's data, if `grant` is of this edge.
    fn of(grant: &Grant) -> Option<&Self>;

    /// One line for plans and diffs (see [`Grant::describe`]).
    fn describe(&self, labels: &Labels) -> String;

    /// The AWS account the grant lives in, where the edge names one (guardrails and `keep`).
    fn account_id(&self) -> Option<&str> {
        None
    }

    /// The Identity Store group the grant is a membership of, where it is one: the planner
    /// applies `guardrails.protected_groups` and `keep.groups` to it by id and display name.
    fn group_id(&self) -> Option<&str> {
        None
    }

    /// Defence in depth against an adapter bug: whether the grant names this leaver, as the
    /// Identity Store resolved it. A leaver it does not know (`NotFound`) can only own grants
    /// that name it without an Identity Store id.
    fn belongs_to(&self, leaver: &Leaver, resolution: &Resolution) -> bool;

    /// Why the grant, although it names the leaver, is not one the leaver's declaration covers
    /// (e.g. a Kendra entity of another type than declared); `None` when it is.
    fn identity_conflict(&self, _leaver: &Leaver) -> Option<String> {
        None
    }

    /// Whether the leaver's `keep` spares this grant.
    fn kept(&self, keep: &Keep) -> bool;

    /// `Err(why)` when the grant lives somewhere the environment config does not name (another
    /// stack selection, index, experience or data source). Plans only ever hold grants read in
    /// configured places, so this only refuses a plan file that was edited.
    fn configured(&self, config: &Config) -> Result<(), String>;

    /// Planned removals of this edge (sorted by grant) → the calls that remove them.
    fn requests(items: Vec<ActionItem>, ctx: &RequestContext) -> Vec<(Vec<ActionItem>, Self::Request)>;

    /// Whether `request` touches exactly `items` (all of this edge).
    fn check(request: &Self::Request, items: &[&Self]) -> Result<(), String>;
}

/// What requests need beyond their items: fixed once per plan.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The Identity Center instance of every `DeleteAccountAssignment` (one string, shared).
    pub instance_arn: Id,
    /// The Kendra `OrderingId` of every `DeletePrincipalMapping`.
    pub ordering_id: i64,
    /// The identity store of every `DeleteGroupMembership`: the one the plan read.
    pub identity_store_id: Id,
}

/// Execution phases, in the order `apply` runs them: the most powerful access goes first.
/// One phase per edge.
///
/// Group memberships come first: one removal cuts every grant that reached the user through
/// that group. A Kendra persona goes before the entity's access to the experience: removing the
/// persona first leaves each call's precondition true (the entity is still listed when its
/// persona is removed), and a failure between the two leaves the entity with plain access and
/// no OWNER persona, never the other way round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    GroupMemberships,
    SsoAssignments,
    AppstreamAssociations,
    KendraPersonas,
    KendraExperienceEntities,
    KendraGroupMappings,
}

/// `match` on a [`Phase`] with `$E` bound to the edge's type: `for_phase!(p, E => E::SERVICE)`.
/// The one place (with [`for_grant!`]) that lists the edges; exhaustive on purpose.
#[macro_export]
#[doc(hidden)]
macro_rules! for_phase {
    ($phase:expr, $E:ident => $body:expr) => {
        match $phase {
            $crate::edge::Phase::GroupMemberships => {
                type $E = $crate::edge::GroupMembership;
                $body
            }
            $crate::edge::Phase::SsoAssignments => {
                type $E = $crate::edge::SsoAssignment;
                $body
            }
            $crate::edge::Phase::AppstreamAssociations => {
                type $E = $crate::edge::AppstreamAssociation;
                $body
            }
            $crate::edge::Phase::KendraPersonas => {
                type $E = $crate::edge::KendraPersona;
                $body
            }
            $crate::edge::Phase::KendraExperienceEntities => {
                type $E = $crate::edge::KendraExperienceEntity;
                $body
            }
            $crate::edge::Phase::KendraGroupMappings => {
                type $E = $crate::edge::KendraGroupMapping;
                $body
            }
        }
    };
}

/// `match` on a [`Grant`] with `$g` bound to the edge's data: `for_grant!(g, x => x.describe(l))`.
#[macro_export]
#[doc(hidden)]
macro_rules! for_grant {
    ($grant:expr, $g:ident => $body:expr) => {
        match $grant {
            $crate::grant::Grant::GroupMembership($g) => $body,
            $crate::grant::Grant::SsoAssignment($g) => $body,
            $crate::grant::Grant::AppstreamAssociation($g) => $body,
            $crate::grant::Grant::KendraPersona($g) => $body,
            $crate::grant::Grant::KendraExperienceEntity($g) => $body,
            $crate::grant::Grant::KendraGroupMapping($g) => $body,
        }
    };
}

impl Phase {
    pub const ALL: [Phase; 6] = [
        Phase::GroupMemberships,
        Phase::SsoAssignments,
        Phase::AppstreamAssociations,
        Phase::KendraPersonas,
        Phase::KendraExperienceEntities,
        Phase::KendraGroupMappings,
    ];

    pub fn of(grant: &Grant) -> Phase {
        fn phase<E: Edge>(_: &E) -> Phase {
            E::PHASE
        }
        for_grant!(grant, g => phase(g))
    }

    /// The `scope` entry that covers this phase's edge.
    pub fn service(self) -> Service {
        for_phase!(self, E => E::SERVICE)
    }

    /// The prefix of action ids in this phase: `sso-3`, `kendra-persona-1`.
    pub fn slug(self) -> &'static str {
        match self {
            Phase::GroupMemberships => "membership",
            Phase::SsoAssignments => "sso",
            Phase::AppstreamAssociations => "appstream",
            Phase::KendraPersonas => "kendra-persona",
            Phase::KendraExperienceEntities => "kendra-entity",
            Phase::KendraGroupMappings => "kendra-mapping",
        }
    }
}

/// Removals of one phase → its actions, numbered `<slug>-<n>` in order. `items` are sorted by
/// grant and all of this phase.
///
/// Appended to `out`: at 10,000 leavers a phase is tens of thousands of actions, and collecting
/// them into vectors of their own, then joining those, held every action twice at the plan's
/// peak memory.
pub(crate) fn phase_actions(phase: Phase, items: Vec<ActionItem>, ctx: &RequestContext, out: &mut Vec<Action>) {
    fn calls<E: Edge>(phase: Phase, items: Vec<ActionItem>, ctx: &RequestContext, out: &mut Vec<Action>)
    where
        ApiRequest: From<E::Request>,
    {
        out.extend(E::requests(items, ctx).into_iter().enumerate().map(|(n, (items, r))| Action {
            id: format!("{}-{}", phase.slug(), n + 1),
            phase,
            items,
            request: ApiRequest::from(r),
        }));
    }
    for_phase!(phase, E => calls::<E>(phase, items, ctx, out))
}

/// Why an action's request does not match its items: the plan file was edited so that the
/// request would touch something its items do not say.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct RequestMismatch {
    pub detail: String,
}

impl From<String> for RequestMismatch {
    fn from(detail: String) -> Self {
        RequestMismatch { detail }
    }
}

/// Check that an action's request touches exactly its items' grants, and that items, request and
/// phase agree. `apply` refuses an action that fails this (the plan file was changed).
pub fn check_action(a: &Action) -> Result<(), RequestMismatch> {
    if a.items.is_empty() {
        return Err("it has no items".to_owned().into());
    }
    if let Some(i) = a.items.iter().find(|i| Phase::of(&i.grant) != a.phase) {
        return Err(format!("item {} is not a {:?} grant", i.grant.describe(&Default::default()), a.phase).into());
    }
    if a.request.phase() != a.phase {
        return Err(format!("a {} request in phase {:?}", a.request.operation(), a.phase).into());
    }
    fn check<E: Edge>(request: &E::Request, a: &Action) -> Result<(), String> {
        let items: Vec<&E> = a.items.iter().filter_map(|i| E::of(&i.grant)).collect();
        E::check(request, &items)
    }
    match &a.request {
        ApiRequest::DeleteGroupMembership(r) => check::<GroupMembership>(r, a),
        ApiRequest::DeleteAccountAssignment(r) => check::<SsoAssignment>(r, a),
        ApiRequest::BatchDisassociateUserStack(r) => check::<AppstreamAssociation>(r, a),
        ApiRequest::DisassociatePersonasFromEntities(r) => check::<KendraPersona>(r, a),
        ApiRequest::DisassociateEntitiesFromExperience(r) => check::<KendraExperienceEntity>(r, a),
        ApiRequest::DeletePrincipalMapping(r) => check::<KendraGroupMapping>(r, a),
    }
    .map_err(RequestMismatch::from)
}

/// The single item of a single-target call, or why there is not exactly one.
pub(crate) fn single<'a, E>(items: &[&'a E]) -> Result<&'a E, String> {
    match items {
        [one] => Ok(one),
        _ => Err(format!("{} items in a single-target call", items.len())),
    }
}

/// Split into calls of at most `max` items, moving the items rather than copying them.
pub(crate) fn batches(items: Vec<ActionItem>, max: usize) -> Vec<Vec<ActionItem>> {
    let mut out = Vec::with_capacity(items.len().div_ceil(max));
    let mut it = items.into_iter().peekable();
    while it.peek().is_some() {
        out.push(it.by_ref().take(max).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principal::PrincipalRef;
    use appstream_association::{BatchDisassociateUserStack, UserStackAssociation};

    fn sample_action() -> Action {
        let grant = Grant::AppstreamAssociation(AppstreamAssociation {
            stack_name: "s1".into(),
            user_name: "alice".into(),
            authentication_type: "USERPOOL".into(),
        });
        Action {
            id: "appstream_associations-1".into(),
            phase: Phase::AppstreamAssociations,
            items: vec![ActionItem { principal: PrincipalRef::user_name("alice"), reason: "r".into(), grant }],
            request: ApiRequest::BatchDisassociateUserStack(BatchDisassociateUserStack {
                user_stack_associations: vec![UserStackAssociation {
                    stack_name: "s1".into(),
                    user_name: "alice".into(),
                    authentication_type: "USERPOOL".into(),
                }],
            }),
        }
    }

    /// `planner::build_actions` takes a phase's items as one run of the grant-sorted removals:
    /// that holds only if grants sort by phase first, i.e. `Grant`'s variants are declared in
    /// phase order. Field values here sort the other way round (a later phase's ids sort
    /// first), so only the variant order can put them in phase order.
    #[test]
    fn grant_order_is_phase_order() {
        let s = |n: &str| Id::from(n);
        let mut grants = [
            Grant::KendraGroupMapping(KendraGroupMapping { index_id: s("a"), data_source_id: None, group_id: s("a") }),
            Grant::KendraExperienceEntity(KendraExperienceEntity {
                index_id: s("b"),
                experience_id: s("b"),
                entity_id: s("b"),
                entity_type: crate::principal::PrincipalKind::User,
            }),
            Grant::KendraPersona(KendraPersona {
                index_id: s("c"),
                experience_id: s("c"),
                entity_id: s("c"),
                persona: Persona::Viewer,
                entity_type: None,
            }),
            Grant::AppstreamAssociation(AppstreamAssociation {
                stack_name: s("d"),
                user_name: s("d"),
                authentication_type: s("USERPOOL"),
            }),
            Grant::SsoAssignment(SsoAssignment {
                account_id: s("e"),
                permission_set_arn: s("e"),
                principal_type: crate::principal::PrincipalKind::User,
                principal_id: s("e"),
            }),
            Grant::GroupMembership(GroupMembership { group_id: s("f"), member_id: s("f"), membership_id: s("f") }),
        ];
        grants.sort();
        let phases: Vec<Phase> = grants.iter().map(Phase::of).collect();
        let mut sorted = phases.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(phases, sorted, "one grant of each phase, sorted by grant, must be in phase order");
        assert_eq!(phases.len(), 6, "every phase is covered");
    }

    #[test]
    fn check_action_accepts_a_consistent_action_and_refuses_edits() {
        let a = sample_action();
        assert_eq!(check_action(&a), Ok(()));

        let mut extra = a.clone();
        if let ApiRequest::BatchDisassociateUserStack(r) = &mut extra.request {
            r.user_stack_associations.push(UserStackAssociation {
                stack_name: "s2".into(),
                user_name: "bob".into(),
                authentication_type: "USERPOOL".into(),
            });
        }
        assert!(check_action(&extra).is_err(), "a request touching more than the items");

        let mut wrong_phase = a.clone();
        wrong_phase.phase = Phase::KendraPersonas;
        assert!(check_action(&wrong_phase).is_err());

        let mut empty = a;
        empty.items.clear();
        assert!(check_action(&empty).is_err());
    }

    #[test]
    fn a_single_target_request_must_name_its_one_item() {
        let grant = SsoAssignment {
            account_id: "222222222222".into(),
            permission_set_arn: "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef".into(),
            principal_type: crate::principal::PrincipalKind::User,
            principal_id: "u-1".into(),
        };
        let item = ActionItem {
            principal: PrincipalRef::user_id("u-1"),
            reason: "r".into(),
            grant: Grant::SsoAssignment(grant.clone()),
        };
        let ctx = RequestContext {
            instance_arn: "arn:aws:sso:::instance/ssoins-1234567890abcdef".into(),
            ordering_id: 1,
            identity_store_id: "d-1234567890".into(),
        };
        let mut actions = Vec::new();
        phase_actions(Phase::SsoAssignments, vec![item.clone()], &ctx, &mut actions);
        assert_eq!(actions.len(), 1);
        assert_eq!(actions[0].id, "sso-1");
        assert_eq!(check_action(&actions[0]), Ok(()));

        let mut other = actions[0].clone();
        if let ApiRequest::DeleteAccountAssignment(r) = &mut other.request {
            r.principal_id = "someone-else".into();
        }
        assert_eq!(check_action(&other).unwrap_err().detail, "the request names another assignment than the item");

        let a = &mut actions[0];
        a.items.push(item);
        assert_eq!(check_action(a).unwrap_err().detail, "2 items in a single-target call");
    }

    #[test]
    fn requests_in_a_plan_file_deny_unknown_fields() {
        let a = sample_action();
        let mut json = serde_json::to_value(&a).unwrap();
        assert_eq!(serde_json::from_value::<Action>(json.clone()).unwrap(), a);
        json["request"]["input"]["UserStackAssociations"][0]["Extra"] = serde_json::json!(1);
        assert!(serde_json::from_value::<Action>(json.clone()).is_err(), "unknown member of an entry");
        let mut json = serde_json::to_value(&a).unwrap();
        json["request"]["input"]["DryRun"] = serde_json::json!(true);
        assert!(serde_json::from_value::<Action>(json).is_err(), "unknown member of the input");
        let mut json = serde_json::to_value(&a).unwrap();
        json["request"]["region"] = serde_json::json!("us-east-1");
        assert!(serde_json::from_value::<Action>(json).is_err(), "unknown key beside operation and input");
    }
}
