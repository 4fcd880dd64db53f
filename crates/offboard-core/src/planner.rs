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

use crate::edge::{self, Phase, RequestContext};
use crate::grant::{Grant, Service};
use crate::ids::ORDERING_ID_MAX;
use crate::plan::{Action, ActionItem, Cut, PLAN_FORMAT_VERSION, Plan, PrincipalPlan, Remaining, SkipReason, Skipped};
use crate::policy::{Leaver, Policy};
use crate::principal::{PrincipalKind, PrincipalRef, Selector};
use crate::state::{ObservedGroup, ObservedPrincipal, ObservedState, Resolution};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Inputs of planning besides the policy and the state: the injected clock and the paths to
/// record in the plan.
#[derive(Clone, Debug)]
pub struct PlanInputs {
    pub now: OffsetDateTime,
    pub config_path: String,
    pub policy_paths: Vec<String>,
}

/// Plan the policy's removals against what was observed. The state is consumed: the grants it
/// holds become the plan's `before` lists without being copied (see the second pass below).
pub fn plan(policy: &Policy, state: ObservedState, inputs: &PlanInputs) -> Plan {
    let now = inputs.now.to_offset(time::UtcOffset::UTC);
    let ordering_id = ((now.unix_timestamp_nanos() / 1_000_000) as i64).clamp(0, ORDERING_ID_MAX);
    let state_digest = state.digest();
    let ObservedState { principals: observations, groups, location, labels: observed_labels } = state;

    // Index the observations once: looking each leaver up by scanning would make planning
    // quadratic in the number of leavers. The first observation of a principal wins. Only
    // looked up, never iterated, so a hash map: its order cannot leak into the plan.
    let mut observed: HashMap<&PrincipalRef, usize> = HashMap::with_capacity(observations.len());
    for (n, o) in observations.iter().enumerate() {
        observed.entry(&o.principal).or_insert(n);
    }
    let observation_of: Vec<Option<usize>> =
        policy.leavers.iter().map(|l| observed.get(&l.principal).copied()).collect();
    drop(observed);
    let rules = Rules::new(policy, now, ordering_id, &groups);

    // First pass, borrowing the observations: decide every grant. Each grant is removed once,
    // for the first leaver that plans it. Borrowed, not cloned: at 100,000 grants, copying
    // strings is most of the planner's time. A hash map, not a BTreeMap: comparing grants (long
    // ARNs and ids with long common prefixes) at every level of a tree was a quarter of
    // planning time, while hashing reads each grant once. The order the actions need is made
    // once, by the sort below.
    let observed_grants = observations.iter().map(|o| o.grants.len()).sum();
    let mut planned: Planned<'_> = HashMap::with_capacity(observed_grants);
    let mut principals = Vec::with_capacity(policy.leavers.len());
    for (leaver, o) in policy.leavers.iter().zip(&observation_of) {
        principals.push(plan_principal(&rules, o.map(|n| &observations[n]), leaver, &mut planned));
    }

    // What reaches each user through the groups it stays a member of, once every removal is
    // known (a group leaver later in the policy may remove some of a group's access).
    for p in &mut principals {
        p.remains = remains(p, &groups, &planned);
        p.cut = cut(p, &groups, &planned);
    }

    let instance_arn = policy.config.sso.as_ref().map(|s| s.instance_arn.as_str()).unwrap_or_default();
    let identity_store_id = location.identity_store_id.as_deref().unwrap_or_default();
    // The removals are exactly the `remove` lists (each grant is in the one of the leaver that
    // plans it), taken in policy order: reading them where they were just written is cheaper
    // than following the hash map's order across the whole observed state. Actions go in grant
    // order (phases first, see `build_actions`), and planned grants are distinct, so an
    // unstable sort cannot reorder ties: there are none. References are sorted, and each item
    // gets its grant only as its phase's actions are built: a sorted copy of every removal
    // held at once was the largest temporary of a large plan. (A grant's copy shares its ids,
    // see `grant::Id`.)
    let mut removals: Vec<(&Grant, &Leaver)> = Vec::with_capacity(planned.len());
    for (p, leaver) in principals.iter().zip(&policy.leavers) {
        removals.extend(p.remove.iter().map(|g| (g, leaver)));
    }
    drop(planned);
    removals.sort_unstable_by_key(|&(grant, _)| grant);
    let items = removals.into_iter().map(|(grant, leaver)| ActionItem {
        principal: leaver.principal.clone(),
        reason: leaver.reason.clone(),
        grant: grant.clone(),
    });
    let actions = build_actions(
        items,
        &RequestContext { instance_arn: instance_arn.into(), ordering_id, identity_store_id: identity_store_id.into() },
    );

    // Second pass, consuming the observations: every grant a leaver had goes into its `before`
    // by move. `before` is the largest part of a plan, and copying it while the observed state
    // was still held was the peak of a large plan's memory. An observation two leavers share
    // (the same principal declared twice) is copied for all but the last of them.
    let mut last_use: Vec<Option<usize>> = vec![None; observations.len()];
    for (n, o) in observation_of.iter().enumerate() {
        if let Some(o) = o {
            last_use[*o] = Some(n);
        }
    }
    let mut observations: Vec<Option<ObservedPrincipal>> = observations.into_iter().map(Some).collect();
    for (n, ((p, leaver), o)) in principals.iter_mut().zip(&policy.leavers).zip(&observation_of).enumerate() {
        let Some(o) = *o else { continue };
        let grants = if last_use[o] == Some(n) {
            observations[o].take().map(|o| o.grants).unwrap_or_default()
        } else {
            observations[o].as_ref().map(|o| o.grants.clone()).unwrap_or_default()
        };
        p.before = grants.into_iter().filter(|g| g.belongs_to(leaver, &p.resolution)).collect();
    }
    drop(observations);

    let labels = labels(&observed_labels, &groups, &principals);
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        created_at: now.format(&Rfc3339).unwrap_or_default(),
        config_path: inputs.config_path.clone(),
        policy_paths: inputs.policy_paths.clone(),
        policy_digest: policy.digest(),
        state_digest,
        ordering_id,
        max_removals: policy.config.guardrails.max_removals,
        location,
        principals,
        actions,
        labels,
    }
}

/// The labels a plan carries: names of the accounts, permission sets and groups it mentions.
fn labels(
    observed: &crate::grant::Labels,
    groups: &BTreeMap<String, ObservedGroup>,
    principals: &[PrincipalPlan],
) -> crate::grant::Labels {
    let grants = principals
        .iter()
        .flat_map(|p| p.before.iter().chain(p.remains.iter().map(|r| &r.grant)).chain(p.cut.iter().map(|c| &c.grant)));
    // A hash set: every removed assignment mentions its account and permission set ARN, and
    // ordering 100,000 long ARNs was a visible share of planning time.
    let mut mentioned: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for g in grants {
        if let Some(a) = edge::Edge::of(g) {
            let a: &edge::SsoAssignment = a;
            mentioned.extend([a.account_id.as_ref(), a.permission_set_arn.as_ref()]);
        }
        mentioned.extend(g.group_id());
    }
    mentioned.extend(principals.iter().flat_map(|p| p.remains.iter().map(|r| r.group_id.as_str())));
    mentioned.extend(principals.iter().flat_map(|p| p.cut.iter().map(|c| c.group_id.as_str())));
    let mut labels: crate::grant::Labels =
        observed.iter().filter(|(k, _)| mentioned.contains(k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    for (id, group) in groups {
        if let (true, Some(name)) = (mentioned.contains(id.as_str()), &group.name) {
            labels.insert(id.clone(), name.clone());
        }
    }
    labels
}

/// What reaches user `p` through the groups it stays a member of: every grant of such a group
/// that this plan does not remove, with the reason the membership stays. A membership skipped
/// as a duplicate is removed for the other declaration, so nothing remains through it.
fn remains(p: &PrincipalPlan, groups: &BTreeMap<String, ObservedGroup>, planned: &Planned<'_>) -> Vec<Remaining> {
    let mut out = Vec::new();
    for k in &p.skipped {
        let (Some(group_id), false) = (k.grant.group_id(), matches!(k.why, SkipReason::Duplicate { .. })) else {
            continue;
        };
        let Some(group) = groups.get(group_id) else { continue };
        for g in group.grants.iter().filter(|g| !planned.contains_key(g)) {
            out.push(Remaining { grant: g.clone(), group_id: group_id.to_owned(), membership: k.why.clone() });
        }
    }
    out
}

/// What user `p` loses through the memberships this plan removes: every grant of such a group
/// that the plan does not remove from the group itself.
fn cut(p: &PrincipalPlan, groups: &BTreeMap<String, ObservedGroup>, planned: &Planned<'_>) -> Vec<Cut> {
    let mut out = Vec::new();
    for group_id in p.remove.iter().filter_map(Grant::group_id) {
        let Some(group) = groups.get(group_id) else { continue };
        for g in group.grants.iter().filter(|g| !planned.contains_key(g)) {
            out.push(Cut { grant: g.clone(), group_id: group_id.to_owned() });
        }
    }
    out
}

/// The grants the plan removes, each with the leaver it is removed for (the first that plans
/// it). Unordered: only looked up while planning, then sorted once into the actions' order.
type Planned<'a> = HashMap<&'a Grant, &'a Leaver>;

/// What the policy says about every grant, computed once per plan rather than once per grant.
struct Rules<'a> {
    policy: &'a Policy,
    configured: BTreeSet<Service>,
    today: time::Date,
    /// The plan's Kendra `OrderingId`.
    ordering_id: i64,
    /// Display names of the groups memberships join, for the group rules.
    groups: &'a BTreeMap<String, ObservedGroup>,
}

impl<'a> Rules<'a> {
    fn new(
        policy: &'a Policy,
        now: OffsetDateTime,
        ordering_id: i64,
        groups: &'a BTreeMap<String, ObservedGroup>,
    ) -> Self {
        Self { policy, configured: policy.config.configured_services(), today: now.date(), ordering_id, groups }
    }

    /// Whether `list` names group `id`: by id, or by the display name the Identity Store gives
    /// it now (case-insensitively, as for protected principals: erring towards keeping).
    fn names_group(&self, list: &[String], id: &str) -> Option<String> {
        let name = self.groups.get(id).and_then(|g| g.name.as_deref());
        std::iter::once(id).chain(name).find(|n| list.iter().any(|l| l.eq_ignore_ascii_case(n))).map(|n| n.to_owned())
    }
}

fn plan_principal<'a>(
    rules: &Rules<'_>,
    observed: Option<&'a ObservedPrincipal>,
    leaver: &'a Leaver,
    planned: &mut Planned<'a>,
) -> PrincipalPlan {
    // A leaver the adapter did not report is treated as not found: there is nothing we saw, so
    // there is nothing we may remove.
    let resolution = observed.map(|o| o.resolution.clone()).unwrap_or(Resolution::NotFound);
    // A leaver the Identity Store does not know can still own grants that name it without an
    // Identity Store id (AppStream user names, Kendra ACL group ids): `belongs_to` decides.
    let grants = observed.map(|o| &o.grants);
    let latest =
        |g: &Grant| observed.and_then(|o| o.latest_ordering_ids.iter().find(|(m, _)| m == g).map(|(_, id)| *id));

    let protected = protected_principal(rules.policy, leaver, &resolution);
    // Nearly every grant read for a leaver is its own and most of them go, so `remove` is sized
    // for all of them rather than grown push by push.
    let observed_grants = grants.map_or(0, BTreeSet::len);
    let mut remove = Vec::with_capacity(observed_grants);
    let mut skipped = Vec::new();
    for grant in grants.into_iter().flatten().filter(|g| g.belongs_to(leaver, &resolution)) {
        match decide(rules, leaver, grant, protected.as_deref(), latest(grant)) {
            Some(why) => skipped.push(Skipped { grant: grant.clone(), why }),
            // One hash lookup decides and records: the grant goes for this leaver unless an
            // earlier one already removes it.
            None => match planned.entry(grant) {
                Entry::Occupied(first) => skipped.push(Skipped {
                    grant: grant.clone(),
                    why: SkipReason::Duplicate { of: first.get().principal.to_string() },
                }),
                Entry::Vacant(slot) => {
                    slot.insert(leaver);
                    remove.push(grant.clone());
                }
            },
        }
    }

    PrincipalPlan {
        principal: leaver.principal.clone(),
        reason: leaver.reason.clone(),
        resolution,
        // Filled by `plan`'s second pass, which moves the grants out of the observed state.
        before: Vec::new(),
        remove,
        skipped,
        remains: Vec::new(),
        cut: Vec::new(),
    }
}

/// `Some(description)` when a guardrail protects this principal: the list names it as declared
/// (name or id), by its resolved name (userName / displayName), its primary email or its
/// resolved id. Names compare case-insensitively: Identity Store user names are, and erring
/// towards protection is safe.
fn protected_principal(policy: &Policy, leaver: &Leaver, resolution: &Resolution) -> Option<String> {
    let g = &policy.config.guardrails;
    let list = match leaver.principal.kind {
        PrincipalKind::User => &g.protected_users,
        PrincipalKind::Group => &g.protected_groups,
    };
    let declared = match &leaver.principal.selector {
        Selector::Name(n) | Selector::Id(n) => n.as_str(),
    };
    std::iter::once(declared)
        .chain(resolution.names())
        .chain(resolution.id())
        .find(|n| list.iter().any(|p| p.eq_ignore_ascii_case(n)))
        .map(|n| format!("{} {n}", leaver.principal.kind.noun()))
}

/// Why a grant stays, or `None` if it goes. Order matters: guardrails first. `latest` is a
/// Kendra mapping's latest `OrderingId`, when observed.
fn decide(
    rules: &Rules<'_>,
    leaver: &Leaver,
    grant: &Grant,
    protected: Option<&str>,
    latest: Option<i64>,
) -> Option<SkipReason> {
    if let Some(what) = protected {
        return Some(SkipReason::Protected { what: what.to_owned() });
    }
    if let Some(why) = grant.identity_conflict(leaver) {
        return Some(SkipReason::IdentityConflict { why });
    }
    if let Some(account) = grant.account_id()
        && rules.policy.config.guardrails.protects_account(account)
    {
        return Some(SkipReason::Protected { what: format!("account {account}") });
    }
    let group = grant.group_id();
    if let Some(name) = group.and_then(|id| rules.names_group(&rules.policy.config.guardrails.protected_groups, id)) {
        return Some(SkipReason::Protected { what: format!("group {name}") });
    }
    let service = grant.service();
    if service == Service::IdentityStore && !rules.configured.contains(&service) {
        return Some(SkipReason::NotManaged);
    }
    if !leaver.scope.contains(&service) || !rules.configured.contains(&service) {
        return Some(SkipReason::OutOfScope);
    }
    if grant.kept(&leaver.keep) || group.is_some_and(|id| rules.names_group(&leaver.keep.groups, id).is_some()) {
        return Some(SkipReason::Kept);
    }
    if let Some(effective) = leaver.effective
        && rules.today < effective
    {
        return Some(SkipReason::NotYetEffective { effective: effective.to_string() });
    }
    if let Some(latest_ordering_id) = latest
        && latest_ordering_id > rules.ordering_id
    {
        return Some(SkipReason::Unwinnable { latest_ordering_id });
    }
    None
}

/// Removals → ordered actions. `items` arrive sorted by grant, and grants sort by phase first,
/// so each phase's items are one run and each phase's actions come out in a deterministic order.
/// Each edge decides how its removals become calls (one per grant, or batches). A phase's items
/// are gathered only while that phase is built: holding every phase's at once doubled the
/// removals in memory.
pub(crate) fn build_actions(items: impl Iterator<Item = ActionItem>, ctx: &RequestContext) -> Vec<Action> {
    let mut items = items.peekable();
    // Sized once, for the most actions there can be (one per item): a vector of tens of
    // thousands of actions that grew by doubling would copy them again and again, and hold
    // the old copy and the new at once.
    let mut actions = Vec::with_capacity(items.size_hint().0);
    let mut done: BTreeSet<Phase> = BTreeSet::new();
    while let Some(first) = items.next() {
        let phase = Phase::of(&first.grant);
        let mut run = vec![first];
        while let Some(item) = items.next_if(|i| Phase::of(&i.grant) == phase) {
            run.push(item);
        }
        // Unsorted input would split a phase into two runs, numbered from 1 twice: the grant
        // order is what guarantees one run per phase (see `grant_order_is_phase_order`).
        debug_assert!(done.insert(phase), "items are not sorted by phase: {phase:?} came twice");
        edge::phase_actions(phase, run, ctx, &mut actions);
    }
    actions
}
