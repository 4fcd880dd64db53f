//! The planner: policy × observed state → plan.
//!
//! For every leaver it walks the grants the adapter observed and decides, grant by grant, to
//! remove it or to keep it with a reason. The checks run in a fixed order, safest first:
//! guardrails (protected principals and accounts) before scope, `keep` and `effective`, so no
//! later rule can ever re-enable a removal a guardrail forbade. Removals then become actions
//! grouped into phases and, where the API batches, into calls of at most 25 items.
//!
//! The function is total and deterministic: no I/O, no clock (the caller passes `now`), and the
//! output depends only on the inputs' content, not on the order the adapter observed things in.

use crate::grant::{Grant, Service};
use crate::plan::{
    Action, ActionItem, ApiRequest, MAX_BATCH, PLAN_FORMAT_VERSION, Phase, Plan, PrincipalPlan, SkipReason, Skipped,
    UserStackAssociation,
};
use crate::policy::{Leaver, Policy};
use crate::principal::{PrincipalKind, PrincipalRef, Selector};
use crate::state::{ObservedPrincipal, ObservedState, Resolution};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The largest Kendra `OrderingId` AWS accepts (the model's `PrincipalOrderingId` range).
pub const MAX_ORDERING_ID: i64 = 32_535_158_400_000;

/// Inputs of planning besides the policy and the state: the injected clock and the paths to
/// record in the plan.
#[derive(Clone, Debug)]
pub struct PlanInputs {
    pub now: OffsetDateTime,
    pub config_path: String,
    pub policy_paths: Vec<String>,
}

pub fn plan(policy: &Policy, state: &ObservedState, inputs: &PlanInputs) -> Plan {
    let now = inputs.now.to_offset(time::UtcOffset::UTC);
    let ordering_id = ((now.unix_timestamp_nanos() / 1_000_000) as i64).clamp(0, MAX_ORDERING_ID);

    // Index the observations once: looking each leaver up by scanning would make planning
    // quadratic in the number of leavers. The first observation of a principal wins.
    let mut observed: BTreeMap<&PrincipalRef, &ObservedPrincipal> = BTreeMap::new();
    for o in &state.principals {
        observed.entry(&o.principal).or_insert(o);
    }
    let rules = Rules::new(policy, now);

    // Each grant is removed once, for the first leaver that plans it. Borrowed, not cloned:
    // at 100,000 grants, copying strings is most of the planner's time.
    let mut planned: BTreeMap<&Grant, &Leaver> = BTreeMap::new();
    let mut principals = Vec::with_capacity(policy.leavers.len());
    for leaver in &policy.leavers {
        let o = observed.get(&leaver.principal).copied();
        principals.push(plan_principal(&rules, o, leaver, &mut planned));
    }

    let instance_arn = policy.config.sso.as_ref().map(|s| s.instance_arn.as_str()).unwrap_or_default();
    let items = planned.into_iter().map(|(grant, leaver)| ActionItem {
        principal: leaver.principal.clone(),
        reason: leaver.reason.clone(),
        grant: grant.clone(),
    });
    let actions = build_actions(items, instance_arn, ordering_id);

    let mentioned: BTreeSet<&str> = principals
        .iter()
        .flat_map(|p| p.before.iter())
        .filter_map(|g| match g {
            Grant::SsoAssignment { account_id, permission_set_arn, .. } => {
                Some([account_id.as_str(), permission_set_arn])
            }
            _ => None,
        })
        .flatten()
        .collect();
    let labels = state
        .labels
        .iter()
        .filter(|(k, _)| mentioned.contains(k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();

    Plan {
        format_version: PLAN_FORMAT_VERSION,
        created_at: now.format(&Rfc3339).unwrap_or_default(),
        config_path: inputs.config_path.clone(),
        policy_paths: inputs.policy_paths.clone(),
        policy_digest: policy.digest(),
        state_digest: state.digest(),
        ordering_id,
        max_removals: policy.config.guardrails.max_removals,
        principals,
        actions,
        labels,
    }
}

/// What the policy says about every grant, computed once per plan rather than once per grant.
struct Rules<'a> {
    policy: &'a Policy,
    configured: BTreeSet<Service>,
    today: time::Date,
}

impl<'a> Rules<'a> {
    fn new(policy: &'a Policy, now: OffsetDateTime) -> Self {
        Self { policy, configured: policy.config.configured_services(), today: now.date() }
    }
}

fn plan_principal<'a>(
    rules: &Rules<'_>,
    observed: Option<&'a ObservedPrincipal>,
    leaver: &'a Leaver,
    planned: &mut BTreeMap<&'a Grant, &'a Leaver>,
) -> PrincipalPlan {
    // A leaver the adapter did not report is treated as not found: there is nothing we saw, so
    // there is nothing we may remove.
    let resolution = observed.map(|o| o.resolution.clone()).unwrap_or(Resolution::NotFound);
    let before: Vec<&'a Grant> = match (&resolution, observed) {
        (Resolution::Found { id, .. }, Some(o)) => o.grants.iter().filter(|g| belongs_to(g, leaver, id)).collect(),
        _ => Vec::new(),
    };

    let protected = protected_principal(rules.policy, leaver, &resolution);
    let mut remove = Vec::new();
    let mut skipped = Vec::new();
    for &grant in &before {
        match decide(rules, leaver, grant, protected.as_deref()) {
            Some(why) => skipped.push(Skipped { grant: grant.clone(), why }),
            None => match planned.get(grant) {
                Some(first) => skipped.push(Skipped {
                    grant: grant.clone(),
                    why: SkipReason::Duplicate { of: first.principal.to_string() },
                }),
                None => {
                    planned.insert(grant, leaver);
                    remove.push(grant.clone());
                }
            },
        }
    }
    let before = before.into_iter().cloned().collect();

    PrincipalPlan {
        principal: leaver.principal.clone(),
        reason: leaver.reason.clone(),
        resolution,
        before,
        remove,
        skipped,
    }
}

/// Defence in depth against an adapter bug: a grant is only this leaver's if it names the
/// leaver's resolved id (or, for Kendra group mappings, its declared ACL group id). AppStream
/// associations name a user by user name, which the adapter looked up for this very user.
fn belongs_to(grant: &Grant, leaver: &Leaver, id: &str) -> bool {
    let kind = leaver.principal.kind;
    match grant {
        Grant::SsoAssignment { principal_type, principal_id, .. } => *principal_type == kind && principal_id == id,
        Grant::AppstreamAssociation { .. } => kind == PrincipalKind::User,
        Grant::KendraPersona { entity_id, .. } => entity_id == id,
        Grant::KendraGroupMapping { group_id, .. } => {
            kind == PrincipalKind::Group && leaver.kendra_group_id.as_deref() == Some(group_id.as_str())
        }
    }
}

/// `Some(description)` when a guardrail protects this principal. Names compare
/// case-insensitively: Identity Store user names are, and erring towards protection is safe.
fn protected_principal(policy: &Policy, leaver: &Leaver, resolution: &Resolution) -> Option<String> {
    let g = &policy.config.guardrails;
    let list = match leaver.principal.kind {
        PrincipalKind::User => &g.protected_users,
        PrincipalKind::Group => &g.protected_groups,
    };
    let mut names: Vec<&str> = Vec::new();
    if let Selector::Name(n) = &leaver.principal.selector {
        names.push(n);
    }
    if let Resolution::Found { name: Some(n), .. } = resolution {
        names.push(n);
    }
    names
        .into_iter()
        .find(|n| list.iter().any(|p| p.eq_ignore_ascii_case(n)))
        .map(|n| format!("{} {n}", leaver.principal.kind.noun()))
}

/// Why a grant stays, or `None` if it goes. Order matters: guardrails first.
fn decide(rules: &Rules<'_>, leaver: &Leaver, grant: &Grant, protected: Option<&str>) -> Option<SkipReason> {
    if let Some(what) = protected {
        return Some(SkipReason::Protected { what: what.to_owned() });
    }
    if let Some(account) = grant.account_id()
        && rules.policy.config.guardrails.protected_accounts.iter().any(|a| a == account)
    {
        return Some(SkipReason::Protected { what: format!("account {account}") });
    }
    let service = grant.service();
    if !leaver.scope.contains(&service) || !rules.configured.contains(&service) {
        return Some(SkipReason::OutOfScope);
    }
    if kept(leaver, grant) {
        return Some(SkipReason::Kept);
    }
    if let Some(effective) = leaver.effective
        && rules.today < effective
    {
        return Some(SkipReason::NotYetEffective { effective: effective.to_string() });
    }
    None
}

fn kept(leaver: &Leaver, grant: &Grant) -> bool {
    let keep = &leaver.keep;
    match grant {
        Grant::SsoAssignment { account_id, .. } => keep.sso_accounts.contains(account_id),
        Grant::AppstreamAssociation { stack_name, .. } => keep.appstream_stacks.contains(stack_name),
        Grant::KendraPersona { experience_id, .. } => keep.kendra_experiences.contains(experience_id),
        Grant::KendraGroupMapping { .. } => false,
    }
}

/// Removals → ordered actions. `items` arrive sorted by grant, and grants sort by phase first,
/// so each phase's actions come out in a deterministic order.
fn build_actions(items: impl Iterator<Item = ActionItem>, instance_arn: &str, ordering_id: i64) -> Vec<Action> {
    let mut by_phase: BTreeMap<Phase, Vec<ActionItem>> = BTreeMap::new();
    for item in items {
        by_phase.entry(Phase::of(&item.grant)).or_default().push(item);
    }

    let mut actions = Vec::new();
    for (phase, items) in by_phase {
        let mut calls: Vec<(Vec<ActionItem>, ApiRequest)> = Vec::new();
        match phase {
            Phase::SsoAssignments | Phase::KendraGroupMappings => {
                for item in items {
                    let request = single_request(&item.grant, instance_arn, ordering_id);
                    calls.push((vec![item], request));
                }
            }
            Phase::AppstreamAssociations => {
                for chunk in batches(items) {
                    let associations = chunk
                        .iter()
                        .filter_map(|i| match &i.grant {
                            Grant::AppstreamAssociation { stack_name, user_name, authentication_type } => {
                                Some(UserStackAssociation {
                                    stack_name: stack_name.clone(),
                                    user_name: user_name.clone(),
                                    authentication_type: authentication_type.clone(),
                                })
                            }
                            _ => None,
                        })
                        .collect();
                    calls.push((
                        chunk,
                        ApiRequest::BatchDisassociateUserStack { user_stack_associations: associations },
                    ));
                }
            }
            Phase::KendraPersonas => {
                // One call disassociates entities from one experience of one index.
                let mut by_experience: BTreeMap<(String, String), Vec<ActionItem>> = BTreeMap::new();
                for item in items {
                    if let Grant::KendraPersona { index_id, experience_id, .. } = &item.grant {
                        by_experience.entry((index_id.clone(), experience_id.clone())).or_default().push(item);
                    }
                }
                for ((index_id, experience_id), items) in by_experience {
                    for chunk in batches(items) {
                        let entity_ids = chunk
                            .iter()
                            .filter_map(|i| match &i.grant {
                                Grant::KendraPersona { entity_id, .. } => Some(entity_id.clone()),
                                _ => None,
                            })
                            .collect();
                        calls.push((
                            chunk,
                            ApiRequest::DisassociatePersonasFromEntities {
                                id: experience_id.clone(),
                                index_id: index_id.clone(),
                                entity_ids,
                            },
                        ));
                    }
                }
            }
        }
        for (n, (items, request)) in calls.into_iter().enumerate() {
            actions.push(Action { id: format!("{}-{}", phase_slug(phase), n + 1), phase, items, request });
        }
    }
    actions
}

/// Split into calls of at most [`MAX_BATCH`] items, moving the items rather than copying them.
fn batches(items: Vec<ActionItem>) -> Vec<Vec<ActionItem>> {
    let mut out = Vec::with_capacity(items.len().div_ceil(MAX_BATCH));
    let mut it = items.into_iter().peekable();
    while it.peek().is_some() {
        out.push(it.by_ref().take(MAX_BATCH).collect());
    }
    out
}

fn single_request(grant: &Grant, instance_arn: &str, ordering_id: i64) -> ApiRequest {
    match grant {
        Grant::SsoAssignment { account_id, permission_set_arn, principal_type, principal_id } => {
            ApiRequest::DeleteAccountAssignment {
                instance_arn: instance_arn.to_owned(),
                target_id: account_id.clone(),
                target_type: "AWS_ACCOUNT".to_owned(),
                permission_set_arn: permission_set_arn.clone(),
                principal_type: principal_type.as_aws().to_owned(),
                principal_id: principal_id.clone(),
            }
        }
        Grant::KendraGroupMapping { index_id, data_source_id, group_id } => ApiRequest::DeletePrincipalMapping {
            index_id: index_id.clone(),
            data_source_id: data_source_id.clone(),
            group_id: group_id.clone(),
            ordering_id,
        },
        // Batched kinds never reach here (see build_actions); map them to their batch request of
        // one so the function stays total.
        Grant::AppstreamAssociation { stack_name, user_name, authentication_type } => {
            ApiRequest::BatchDisassociateUserStack {
                user_stack_associations: vec![UserStackAssociation {
                    stack_name: stack_name.clone(),
                    user_name: user_name.clone(),
                    authentication_type: authentication_type.clone(),
                }],
            }
        }
        Grant::KendraPersona { index_id, experience_id, entity_id, .. } => {
            ApiRequest::DisassociatePersonasFromEntities {
                id: experience_id.clone(),
                index_id: index_id.clone(),
                entity_ids: vec![entity_id.clone()],
            }
        }
    }
}

fn phase_slug(phase: Phase) -> &'static str {
    match phase {
        Phase::SsoAssignments => "sso",
        Phase::AppstreamAssociations => "appstream",
        Phase::KendraPersonas => "kendra-persona",
        Phase::KendraGroupMappings => "kendra-mapping",
    }
}
