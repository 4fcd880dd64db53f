//! Where `apply` takes its authority from: the policy on the machine that applies, never the plan
//! file.
//!
//! A plan file is made by one job (in CI, one that runs code from a pull request) and carried
//! out by another that holds the removal role. Its digests only tell that it is stale; they grant
//! nothing, because anyone who can write the file can also write its digests. So before the
//! first call, `apply` derives every removal again from the policy it loaded itself and the
//! principals as the Identity Store resolves them *now*, and refuses the whole file if a single
//! item is not exactly what that policy would plan:
//!
//! - the plan is well-formed: `created_at` is not in the future, the Kendra `OrderingId` is the
//!   plan's own (every request carries the plan's, and it is not later than now), every `remove` is in `before`, and the actions are exactly those built from
//!   `principals[].remove` (same ids, items and requests, with the configured instance);
//! - every removed grant lives where the config looks (configured stacks, index, experiences,
//!   data sources);
//! - the planner, run on the policy with the plan's own grants as the observed state and the
//!   principals resolved now, removes exactly the plan's grants for each principal: a
//!   non-leaver, a protected user, group or account, a kept or not-yet-effective grant, a
//!   service out of scope, or a grant whose principal id is not the one the Identity Store gives
//!   now, is refused with the rule it breaks.
//!
//! A file that was edited is not a plan to carry out in part: one refused item refuses all.

use crate::edge::RequestContext;
use crate::grant::Grant;
use crate::ids::ORDERING_ID_MAX;
use crate::plan::{ActionItem, ApiRequest, Plan, SkipReason};
use crate::planner::{self, PlanInputs};
use crate::policy::Policy;
use crate::principal::PrincipalRef;
use crate::state::{ObservedGroup, ObservedPrincipal, ObservedState, Resolution};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How far in the future a plan's `created_at` may be before it is refused: clocks of the
/// machine that planned and the one that applies may differ a little, not by more.
pub const MAX_CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// One refused part of a plan file, and the rule it breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unauthorized {
    /// The action the item belongs to, or `plan` for the file as a whole.
    pub action_id: String,
    /// The principal and grant, or what part of the file.
    pub what: String,
    pub rule: String,
    /// The item, for the journal; `None` for refusals of the file as a whole.
    pub item: Option<ActionItem>,
}

impl fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused: {}: {}: {}", self.action_id, self.what, self.rule)
    }
}

/// Check that the policy on this machine authorizes every removal of `plan`, now.
///
/// `resolved` is the Identity Store's current answer for each declared leaver the plan names
/// (the adapter reads it right before calling this); a principal missing from it counts as not
/// found. `group_names` are the display names the Identity Store gives now to the groups whose
/// memberships the plan removes (group rules match names too). Returns every refusal, in plan
/// order, so an operator sees all of them at once.
pub fn authorize(
    plan: &Plan,
    policy: &Policy,
    now: OffsetDateTime,
    resolved: &BTreeMap<PrincipalRef, Resolution>,
    group_names: &BTreeMap<String, String>,
) -> Result<(), Vec<Unauthorized>> {
    let mut refused = Vec::new();
    let mut refuse_file = |what: &str, rule: String| {
        refused.push(Unauthorized { action_id: "plan".into(), what: what.into(), rule, item: None })
    };

    match OffsetDateTime::parse(&plan.created_at, &Rfc3339) {
        Err(e) => refuse_file("created_at", format!("`{}` is not an RFC 3339 time ({e})", plan.created_at)),
        Ok(created) => {
            if created > now + MAX_CLOCK_SKEW {
                refuse_file(
                    "created_at",
                    format!("{} is in the future; a plan cannot be made after it is applied", plan.created_at),
                );
            }
        }
    }
    // Kendra ignores a delete whose OrderingId is older than a mapping's latest change; an
    // OrderingId from the future would override changes made after this apply. The plan's own
    // is its planning time, never later than now.
    let latest = ((now + MAX_CLOCK_SKEW).unix_timestamp_nanos() / 1_000_000) as i64;
    if !(0..=latest.min(ORDERING_ID_MAX)).contains(&plan.ordering_id) {
        refuse_file(
            "ordering_id",
            format!(
                "{} is not the plan's own OrderingId: it must be the planning time in milliseconds, not later than now ({latest})",
                plan.ordering_id
            ),
        );
    }

    // Which leaver's removal each grant is, as `principals[].remove` says.
    let mut owner: BTreeMap<&Grant, (&PrincipalRef, &str)> = BTreeMap::new();
    for p in &plan.principals {
        for g in &p.remove {
            let what = format!("{} {}", p.principal, g.describe(&plan.labels));
            if !p.before.contains(g) {
                refuse_file(&what, "the grant is in `remove` but not in `before`".into());
            }
            if owner.insert(g, (&p.principal, &p.reason)).is_some() {
                refuse_file(&what, "the grant is in the `remove` of two principals".into());
            }
        }
    }

    // The actions must be exactly those the planner builds from the removals, with the
    // configured instance and the plan's own OrderingId.
    let instance_arn = policy.config.sso.as_ref().map(|s| s.instance_arn.as_str()).unwrap_or_default();
    // The plan's identity store is where apply acts (the caller refused another location).
    let identity_store_id = plan.location.identity_store_id.as_deref().unwrap_or_default();
    let items = owner.iter().map(|(g, (principal, reason))| ActionItem {
        principal: (*principal).clone(),
        reason: (*reason).to_owned(),
        grant: (*g).clone(),
    });
    let ctx = RequestContext {
        instance_arn: instance_arn.into(),
        ordering_id: plan.ordering_id,
        identity_store_id: identity_store_id.into(),
    };
    let rebuilt = planner::build_actions(items, &ctx);
    for a in &plan.actions {
        // Compared without the id: numbering is cosmetic, what is sent is phase, items, request.
        let built = rebuilt.iter().any(|b| b.phase == a.phase && b.items == a.items && b.request == a.request);
        let rule = request_rule(&a.request, &ctx).or_else(|| {
            (!built).then(|| "the action is not the one `offboard plan` builds from `principals[].remove`".to_owned())
        });
        if let Some(rule) = rule {
            for item in &a.items {
                refused.push(refusal(&a.id, item, &plan.labels, rule.clone()));
            }
            if a.items.is_empty() {
                refused.push(Unauthorized { action_id: a.id.clone(), what: "the action".into(), rule, item: None });
            }
        }
    }
    let in_actions: BTreeSet<&Grant> = plan.actions.iter().flat_map(|a| a.items.iter().map(|i| &i.grant)).collect();
    for (g, (principal, _)) in &owner {
        if !in_actions.contains(g) {
            refused.push(Unauthorized {
                action_id: "plan".into(),
                what: format!("{principal} {}", g.describe(&plan.labels)),
                rule: "`principals[].remove` lists it, but no action removes it".into(),
                item: None,
            });
        }
    }

    // Every item must be what the policy plans now for its principal.
    let verdicts = replan(plan, policy, now, resolved, group_names);
    for a in &plan.actions {
        for item in &a.items {
            let rule = match item.grant.configured(&policy.config) {
                Err(why) => Some(format!("{why}: the grant is not where offboard.yaml looks")),
                Ok(()) => verdicts.get(&(&item.principal, &item.grant)).and_then(|v| v.clone()),
            };
            if let Some(rule) = rule {
                refused.push(refusal(&a.id, item, &plan.labels, rule));
            }
        }
    }

    if refused.is_empty() { Ok(()) } else { Err(refused) }
}

/// What a request itself may not say: another instance or identity store, another OrderingId.
fn request_rule(request: &ApiRequest, ctx: &RequestContext) -> Option<String> {
    match request {
        ApiRequest::DeleteGroupMembership(r) => (r.identity_store_id != ctx.identity_store_id).then(|| {
            format!(
                "the request acts on identity store {}, not the plan's {}",
                r.identity_store_id, ctx.identity_store_id
            )
        }),
        ApiRequest::DeleteAccountAssignment(r) => (r.instance_arn != ctx.instance_arn).then(|| {
            format!(
                "the request acts on instance {}, not the configured sso.instance_arn {}",
                r.instance_arn, ctx.instance_arn
            )
        }),
        ApiRequest::BatchDisassociateUserStack(_)
        | ApiRequest::DisassociatePersonasFromEntities(_)
        | ApiRequest::DisassociateEntitiesFromExperience(_) => None,
        ApiRequest::DeletePrincipalMapping(r) => (r.ordering_id != ctx.ordering_id)
            .then(|| format!("the request's OrderingId {} is not the plan's own ({})", r.ordering_id, ctx.ordering_id)),
    }
}

fn refusal(action_id: &str, item: &ActionItem, labels: &crate::grant::Labels, rule: String) -> Unauthorized {
    Unauthorized {
        action_id: action_id.to_owned(),
        what: format!("{} {}", item.principal, item.grant.describe(labels)),
        rule,
        item: Some(item.clone()),
    }
}

/// For every (principal, grant) an action of the plan removes: `None` when the policy plans that
/// very removal now, else why not.
fn replan<'p>(
    plan: &'p Plan,
    policy: &Policy,
    now: OffsetDateTime,
    resolved: &BTreeMap<PrincipalRef, Resolution>,
    group_names: &BTreeMap<String, String>,
) -> BTreeMap<(&'p PrincipalRef, &'p Grant), Option<String>> {
    // The plan's own items as the observed state: the planner decides about exactly them.
    let mut claimed: BTreeMap<&PrincipalRef, BTreeSet<Grant>> = BTreeMap::new();
    for a in &plan.actions {
        for i in &a.items {
            claimed.entry(&i.principal).or_default().insert(i.grant.clone());
        }
    }
    let leavers: BTreeSet<&PrincipalRef> = policy.leavers.iter().map(|l| &l.principal).collect();
    let state = ObservedState {
        principals: claimed
            .iter()
            .map(|(p, grants)| ObservedPrincipal {
                principal: (*p).clone(),
                resolution: resolved.get(*p).cloned().unwrap_or(Resolution::NotFound),
                grants: grants.clone(),
                latest_ordering_ids: Vec::new(),
            })
            .collect(),
        // Names only: group rules need them, and no access is derived from them here.
        groups: group_names
            .iter()
            .map(|(id, name)| (id.clone(), ObservedGroup { name: Some(name.clone()), grants: Default::default() }))
            .collect(),
        labels: Default::default(),
        location: Default::default(),
    };
    let inputs = PlanInputs { now, config_path: String::new(), policy_paths: Vec::new() };
    let again = planner::plan(policy, state, &inputs);
    let by_principal: BTreeMap<&PrincipalRef, &crate::plan::PrincipalPlan> =
        again.principals.iter().map(|p| (&p.principal, p)).collect();

    let mut out = BTreeMap::new();
    for a in &plan.actions {
        for i in &a.items {
            let verdict = if !leavers.contains(&i.principal) {
                Some(format!("{} is not a declared leaver in the policy", i.principal))
            } else {
                match (resolved.get(&i.principal), by_principal.get(&i.principal)) {
                    (_, Some(p)) if p.remove.contains(&i.grant) => None,
                    (_, Some(p)) => match p.skipped.iter().find(|k| k.grant == i.grant) {
                        Some(k) => Some(why(&k.why)),
                        None => Some(match &p.resolution {
                            Resolution::Found { id, .. } => format!(
                                "the grant does not belong to this principal (its Identity Store id is {id} now, or the grant names another user name or ACL group)"
                            ),
                            Resolution::NotFound => format!(
                                "the Identity Store has no {} now, and the grant does not name it without an Identity Store id",
                                i.principal
                            ),
                        }),
                    },
                    (_, None) => Some(format!("{} is not a declared leaver in the policy", i.principal)),
                }
            };
            out.insert((&i.principal, &i.grant), verdict);
        }
    }
    out
}

fn why(reason: &SkipReason) -> String {
    match reason {
        SkipReason::Protected { what } => format!("the policy protects it ({what})"),
        SkipReason::Kept => "the leaver's `keep` keeps it".into(),
        SkipReason::NotYetEffective { effective } => format!("the leaver is not effective until {effective}"),
        SkipReason::OutOfScope => "its service is outside the leaver's scope or not configured".into(),
        SkipReason::Duplicate { of } => format!("it is removed for {of} already"),
        SkipReason::IdentityConflict { why } => format!("it is not this leaver's as declared: {why}"),
        SkipReason::Unwinnable { latest_ordering_id } => {
            format!("the mapping's latest OrderingId {latest_ordering_id} is newer than the plan's")
        }
        SkipReason::NotManaged => {
            "offboard does not manage group memberships (identity_store.manage_memberships is not true)".into()
        }
    }
}
