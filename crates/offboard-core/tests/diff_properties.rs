//! Properties of the planner over random policies and states:
//! applying a plan removes every in-scope grant of every leaver and nothing else, and planning
//! the resulting state gives an empty plan.

mod support;

use offboard_core::grant::Grant;
use offboard_core::grant::{AppstreamAssociation, KendraGroupMapping};
use offboard_core::plan::SkipReason;
use offboard_core::{ObservedState, PrincipalKind, PrincipalRef, Service, plan};
use proptest::prelude::*;
use std::collections::BTreeSet;
use support::*;
use time::macros::date;

const ACCOUNTS: [&str; 4] = ["111111111111", "222222222222", "333333333333", "444444444444"];
const STACKS: [&str; 3] = ["stack-a", "stack-b", "stack-c"];
const EXPERIENCES: [&str; 2] = ["exp-support", "exp-eng"];

#[derive(Debug, Clone)]
struct Spec {
    is_group: bool,
    scope: BTreeSet<Service>,
    keep_accounts: Vec<usize>,
    effective_in_future: bool,
    protected: bool,
    grants: Vec<(u8, usize, usize)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<bool>(),
        proptest::sample::subsequence(Service::ALL.to_vec(), 0..=3),
        proptest::sample::subsequence(vec![0usize, 1, 2, 3], 0..=2),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.1),
        prop::collection::vec((0u8..4, 0usize..4, 0usize..3), 0..12),
    )
        .prop_map(|(is_group, scope, keep_accounts, effective_in_future, protected, grants)| Spec {
            is_group,
            scope: scope.into_iter().collect(),
            keep_accounts,
            effective_in_future,
            protected,
            grants,
        })
}

fn build(specs: &[Spec]) -> (offboard_core::Policy, ObservedState) {
    let mut leavers = Vec::new();
    let mut observed_principals = Vec::new();
    for (n, s) in specs.iter().enumerate() {
        let name = if s.protected {
            if s.is_group { "Admins".to_owned() } else { "breakglass@example.com".to_owned() }
        } else {
            format!("p{n}")
        };
        let principal =
            if s.is_group { PrincipalRef::group_name(name.clone()) } else { PrincipalRef::user_name(name.clone()) };
        // Protected names can repeat across specs; keep principals unique as the loader does.
        if leavers.iter().any(|l: &offboard_core::Leaver| l.principal == principal) {
            continue;
        }
        let kind = if s.is_group { PrincipalKind::Group } else { PrincipalKind::User };
        let mut l = leaver(principal.clone());
        l.scope = s.scope.clone();
        l.keep.sso_accounts = s.keep_accounts.iter().map(|i| ACCOUNTS[*i].to_owned()).collect();
        l.effective = s.effective_in_future.then_some(date!(2030 - 01 - 01));
        if s.is_group {
            l.kendra_group_id = Some(format!("acl-{n}"));
        }
        let pid = id(n);
        let grants: Vec<Grant> = s
            .grants
            .iter()
            .map(|(k, a, b)| match k {
                0 => sso(ACCOUNTS[*a], if *b == 0 { PS_ADMIN } else { PS_READ }, kind, &pid),
                1 => stack(STACKS[*b], &name),
                2 if s.is_group => group_persona(EXPERIENCES[*a % 2], &pid),
                2 => persona(EXPERIENCES[*a % 2], &pid),
                _ => mapping(if *a % 2 == 0 { Some("ds-wiki") } else { None }, &format!("acl-{n}")),
            })
            .collect();
        observed_principals.push(observed(principal, &pid, grants));
        leavers.push(l);
    }
    (policy(leavers), state(observed_principals))
}

/// The grants a correct plan must remove: in scope, not kept, effective, not protected, and
/// really the leaver's (users have no group mappings, groups no AppStream associations).
fn must_remove(p: &offboard_core::Policy, s: &ObservedState) -> BTreeSet<Grant> {
    let mut out = BTreeSet::new();
    for l in &p.leavers {
        let Some(o) = s.get(&l.principal) else { continue };
        let protected = match l.principal.kind {
            PrincipalKind::User => p.config.guardrails.protected_users.contains(&l.principal.label().to_owned()),
            PrincipalKind::Group => p.config.guardrails.protected_groups.contains(&l.principal.label().to_owned()),
        };
        if protected || l.effective.is_some() {
            continue;
        }
        for g in &o.grants {
            let ok_kind = match g {
                Grant::AppstreamAssociation(AppstreamAssociation { .. }) => l.principal.kind == PrincipalKind::User,
                Grant::KendraGroupMapping(KendraGroupMapping { .. }) => l.principal.kind == PrincipalKind::Group,
                _ => true,
            };
            let account_ok = g.account_id().is_none_or(|a| {
                !p.config.guardrails.protected_accounts.iter().any(|x| x == a)
                    && !l.keep.sso_accounts.iter().any(|x| x == a)
            });
            if ok_kind && account_ok && l.scope.contains(&g.service()) {
                out.insert(g.clone());
            }
        }
    }
    out
}

fn apply(plan: &offboard_core::Plan, s: &ObservedState) -> ObservedState {
    let removed: BTreeSet<&Grant> = plan.actions.iter().flat_map(|a| a.items.iter().map(|i| &i.grant)).collect();
    let mut after = s.clone();
    for p in &mut after.principals {
        p.grants.retain(|g| !removed.contains(g));
    }
    after
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn applying_a_plan_removes_exactly_the_in_scope_grants(specs in prop::collection::vec(spec(), 0..8)) {
        let (p, s) = build(&specs);
        let plan = plan(&p, s.clone(), &inputs());

        let removed: BTreeSet<Grant> = plan.actions.iter().flat_map(|a| a.items.iter().map(|i| i.grant.clone())).collect();
        prop_assert_eq!(&removed, &must_remove(&p, &s));
        // No grant is in two actions.
        prop_assert_eq!(removed.len(), plan.removal_count());
        // Every observed grant of a leaver is either removed or skipped with a reason.
        for pp in &plan.principals {
            let accounted: BTreeSet<&Grant> = pp.remove.iter().chain(pp.skipped.iter().map(|k| &k.grant)).collect();
            let before: BTreeSet<&Grant> = pp.before.iter().collect();
            prop_assert_eq!(accounted, before);
            for k in &pp.skipped {
                if let Some(a) = k.grant.account_id() && a == "111111111111" {
                    prop_assert!(matches!(k.why, SkipReason::Protected { .. }), "account 111111111111 must be protected");
                }
            }
        }

        let after = apply(&plan, &s);
        let again = offboard_core::plan(&p, after.clone(), &inputs());
        prop_assert!(again.actions.is_empty(), "second plan not empty: {:?}", again.actions);
        // Re-planning is also stable: what was skipped stays skipped.
        let skipped_before: usize = plan.principals.iter().map(|p| p.skipped.len()).sum();
        let skipped_after: usize = again.principals.iter().map(|p| p.skipped.len()).sum();
        prop_assert_eq!(skipped_before, skipped_after);
    }

    #[test]
    fn plans_are_deterministic(specs in prop::collection::vec(spec(), 0..6)) {
        let (p, s) = build(&specs);
        let mut reversed = s.clone();
        reversed.principals.reverse();
        prop_assert_eq!(plan(&p, s.clone(), &inputs()).to_json(), plan(&p, reversed.clone(), &inputs()).to_json());
    }
}
