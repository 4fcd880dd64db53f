//! Properties of group memberships over random organisations: applying a plan and planning
//! again leaves nothing to remove and nothing remaining through groups for every user whose
//! groups offboard manages, and a membership of a protected or kept group is never removed.

mod support;

use offboard_core::grant::{Grant, GroupMembership, KendraExperienceEntity};
use offboard_core::plan::SkipReason;
use offboard_core::state::ObservedGroup;
use offboard_core::{ObservedState, PrincipalKind, PrincipalRef, Service, plan};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use support::*;

/// Group 0 is protected by name (`Admins`, in `guardrails.protected_groups`).
const GROUPS: [&str; 4] = ["Admins", "Platform", "Data", "Support"];
const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];

fn group_id(g: usize) -> String {
    format!("906700a1b2-{g:08x}-1111-4000-8000-000000000000")
}

#[derive(Debug, Clone)]
struct User {
    /// Groups it is a member of.
    groups: BTreeSet<usize>,
    /// Groups its `keep.groups` names (by display name or by id, alternately).
    keep: BTreeSet<usize>,
    /// Whether its scope covers identity_store.
    memberships_in_scope: bool,
}

fn user() -> impl Strategy<Value = User> {
    (
        prop::collection::btree_set(0usize..4, 0..=4),
        prop::collection::btree_set(0usize..4, 0..=1),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(groups, keep, memberships_in_scope)| User { groups, keep, memberships_in_scope })
}

/// Each group's own grants: (kind, a) with kind 0 = assignment in ACCOUNTS[a], 1 = experience access.
fn group_grants() -> impl Strategy<Value = Vec<Vec<(u8, usize)>>> {
    prop::collection::vec(prop::collection::vec((0u8..2, 0usize..3), 0..4), 4)
}

fn grant_of(g: usize, (kind, a): (u8, usize)) -> Grant {
    match kind {
        0 => sso(ACCOUNTS[a], PS_READ, PrincipalKind::Group, &group_id(g)),
        _ => Grant::KendraExperienceEntity(KendraExperienceEntity {
            index_id: INDEX.into(),
            experience_id: "exp-support".into(),
            entity_id: group_id(g).into(),
            entity_type: PrincipalKind::Group,
        }),
    }
}

fn build(users: &[User], grants: &[Vec<(u8, usize)>], managed: bool) -> (offboard_core::Policy, ObservedState) {
    let mut leavers = Vec::new();
    let mut principals = Vec::new();
    for (n, u) in users.iter().enumerate() {
        let principal = PrincipalRef::user_name(format!("u{n}@example.com"));
        let mut l = leaver(principal.clone());
        if !u.memberships_in_scope {
            l.scope.remove(&Service::IdentityStore);
        }
        l.keep.groups = u.keep.iter().map(|g| if g % 2 == 0 { GROUPS[*g].to_owned() } else { group_id(*g) }).collect();
        let uid = id(n);
        let memberships = u.groups.iter().map(|g| {
            Grant::GroupMembership(GroupMembership {
                group_id: group_id(*g).into(),
                member_id: uid.clone().into(),
                membership_id: format!("906700a1b2-{g:08x}-{n:04x}-4000-8000-000000000000").into(),
            })
        });
        principals.push(observed(principal, &uid, memberships));
        leavers.push(l);
    }
    let groups: BTreeMap<String, ObservedGroup> = (0..GROUPS.len())
        .map(|g| {
            let grants = grants[g].iter().map(|k| grant_of(g, *k)).collect();
            (group_id(g), ObservedGroup { name: Some(GROUPS[g].to_owned()), grants })
        })
        .collect();
    let mut p = policy(leavers);
    p.config.identity_store = Some(offboard_core::policy::IdentityStoreConfig { manage_memberships: managed });
    if !managed {
        for l in &mut p.leavers {
            l.scope.remove(&Service::IdentityStore);
        }
    }
    let mut s = state(principals);
    s.groups = groups;
    (p, s)
}

/// The state after `apply` carried out `plan`: its grants are gone, from principals and groups.
fn apply(plan: &offboard_core::Plan, s: &ObservedState) -> ObservedState {
    let removed: BTreeSet<&Grant> = plan.actions.iter().flat_map(|a| a.items.iter().map(|i| &i.grant)).collect();
    let mut after = s.clone();
    for p in &mut after.principals {
        p.grants.retain(|g| !removed.contains(g));
    }
    for g in after.groups.values_mut() {
        g.grants.retain(|g| !removed.contains(g));
    }
    after
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn managed_groups_leave_nothing_behind(
        users in prop::collection::vec(user(), 0..6),
        grants in group_grants(),
        managed in prop::bool::weighted(0.7),
    ) {
        let (p, s) = build(&users, &grants, managed);
        let first = plan(&p, s.clone(), &inputs());

        // Never a membership of a protected or kept group.
        for a in &first.actions {
            for i in &a.items {
                if let Grant::GroupMembership(m) = &i.grant {
                    prop_assert!(*m.group_id != *group_id(0), "a membership of the protected group Admins: {:?}", m);
                    let n = users.iter().enumerate().position(|(n, _)| i.principal == PrincipalRef::user_name(format!("u{n}@example.com")));
                    let kept = n.is_some_and(|n| users[n].keep.iter().any(|g| *group_id(*g) == *m.group_id));
                    prop_assert!(!kept, "a membership the leaver keeps: {:?}", m);
                }
            }
        }
        // What remains is exactly the access of the groups whose membership stays.
        for (n, u) in users.iter().enumerate() {
            let pp = &first.principals[n];
            let staying: BTreeSet<String> = pp.skipped.iter().filter_map(|k| k.grant.group_id().map(str::to_owned)).collect();
            let expected: BTreeSet<(String, Grant)> = u.groups.iter()
                .filter(|g| staying.contains(&group_id(**g)))
                .flat_map(|g| s.groups[&group_id(*g)].grants.iter().map(move |x| (group_id(*g), x.clone())))
                .collect();
            let remains: BTreeSet<(String, Grant)> = pp.remains.iter().map(|r| (r.group_id.clone(), r.grant.clone())).collect();
            prop_assert_eq!(remains, expected);
            // What is lost is exactly the access of the groups whose membership goes.
            let leaving: BTreeSet<String> = pp.remove.iter().filter_map(|g| g.group_id().map(str::to_owned)).collect();
            let lost: BTreeSet<(String, Grant)> = pp.cut.iter().map(|c| (c.group_id.clone(), c.grant.clone())).collect();
            let expected_lost: BTreeSet<(String, Grant)> = leaving
                .iter()
                .flat_map(|g| s.groups[g].grants.iter().map(move |x| (g.clone(), x.clone())))
                .collect();
            prop_assert_eq!(lost, expected_lost);
            for r in &pp.remains {
                let why_ok = if !managed {
                    r.membership == SkipReason::NotManaged || matches!(r.membership, SkipReason::Protected { .. })
                } else {
                    r.membership != SkipReason::NotManaged
                };
                prop_assert!(why_ok, "{:?} with manage_memberships {}", r.membership, managed);
            }
        }

        let after = apply(&first, &s);
        let again = plan(&p, after.clone(), &inputs());
        prop_assert!(again.actions.is_empty(), "second plan not empty: {:?}", again.actions);
        for (n, u) in users.iter().enumerate() {
            let all_managed = managed
                && u.memberships_in_scope
                && !u.groups.contains(&0)
                && u.groups.is_disjoint(&u.keep);
            if all_managed {
                prop_assert!(again.principals[n].remains.is_empty(), "u{} keeps {:?}", n, again.principals[n].remains);
                prop_assert!(again.principals[n].before.is_empty(), "u{} still has {:?}", n, again.principals[n].before);
            }
        }
    }
}
