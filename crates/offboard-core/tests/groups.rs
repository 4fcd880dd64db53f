//! Group memberships and what reaches a user through its groups: planned like any grant when
//! offboard manages memberships, shown as "remains" when it does not, group rules by name and
//! id, `require_complete`, and `apply`'s authority over membership removals.

mod support;

use offboard_core::authority::authorize;
use offboard_core::grant::{Grant, GroupMembership, KendraExperienceEntity};
use offboard_core::plan::{ApiRequest, SkipReason};
use offboard_core::policy::IdentityStoreConfig;
use offboard_core::state::{ObservedGroup, Resolution};
use offboard_core::{PrincipalKind, PrincipalRef, plan};
use std::collections::BTreeMap;
use support::*;

const ALICE: &str = "alice@example.com";

fn gid(n: usize) -> String {
    format!("906700a1b2-{n:08x}-2222-4000-8000-000000000000")
}

fn membership(group: usize) -> Grant {
    Grant::GroupMembership(GroupMembership {
        group_id: gid(group).into(),
        member_id: id(1).into(),
        membership_id: format!("906700a1b2-{group:08x}-3333-4000-8000-000000000000").into(),
    })
}

fn entity(entity_id: &str, kind: PrincipalKind) -> Grant {
    Grant::KendraExperienceEntity(KendraExperienceEntity {
        index_id: INDEX.into(),
        experience_id: "exp-support".into(),
        entity_id: entity_id.into(),
        entity_type: kind,
    })
}

/// Alice is a member of Platform (group 1) and of the protected Admins (group 2); both groups
/// have an assignment, Platform also experience access.
fn org(managed: bool) -> (offboard_core::Policy, offboard_core::ObservedState) {
    let mut p = policy(vec![leaver(PrincipalRef::user_name(ALICE))]);
    p.config.identity_store = Some(IdentityStoreConfig { manage_memberships: managed });
    if !managed {
        p.leavers[0].scope.remove(&offboard_core::Service::IdentityStore);
    }
    let mut s = state(vec![observed(
        PrincipalRef::user_name(ALICE),
        &id(1),
        [membership(1), membership(2), sso("222222222222", PS_READ, PrincipalKind::User, &id(1))],
    )]);
    let platform =
        [sso("333333333333", PS_ADMIN, PrincipalKind::Group, &gid(1)), entity(&gid(1), PrincipalKind::Group)];
    s.groups = BTreeMap::from([
        (gid(1), ObservedGroup { name: Some("Platform".into()), grants: platform.into_iter().collect() }),
        (
            gid(2),
            ObservedGroup {
                name: Some("Admins".into()),
                grants: [sso("111111111111", PS_ADMIN, PrincipalKind::Group, &gid(2))].into_iter().collect(),
            },
        ),
    ]);
    (p, s)
}

#[test]
fn a_managed_membership_is_removed_first_and_a_protected_group_s_stays_with_its_access() {
    let (p, s) = org(true);
    let plan = plan(&p, s.clone(), &inputs());
    let alice = &plan.principals[0];
    assert_eq!(alice.remove, vec![membership(1), sso("222222222222", PS_READ, PrincipalKind::User, &id(1))]);
    assert_eq!(alice.skipped.len(), 1);
    assert_eq!(alice.skipped[0].why, SkipReason::Protected { what: "group Admins".into() });
    // Only the protected group's access remains, with why.
    assert_eq!(alice.remains.len(), 1);
    assert_eq!(alice.remains[0].group_id, gid(2));
    assert_eq!(alice.remains[0].grant, sso("111111111111", PS_ADMIN, PrincipalKind::Group, &gid(2)));
    // The membership goes first, with the plan's identity store.
    let first = &plan.actions[0];
    assert_eq!(first.id, "membership-1");
    match &first.request {
        ApiRequest::DeleteGroupMembership(r) => {
            assert_eq!(r.identity_store_id, "d-1234567890".into());
            assert_eq!(r.membership_id, "906700a1b2-00000001-3333-4000-8000-000000000000".into());
        }
        other => panic!("expected DeleteGroupMembership first, got {other:?}"),
    }
    // A protected group's membership is deliberate: require_complete accepts it.
    assert!(plan.incomplete().is_empty(), "{:?}", plan.incomplete());
}

#[test]
fn unmanaged_memberships_stay_and_everything_their_groups_grant_is_listed_as_remaining() {
    let (p, s) = org(false);
    let plan = plan(&p, s.clone(), &inputs());
    let alice = &plan.principals[0];
    assert_eq!(alice.remove, vec![sso("222222222222", PS_READ, PrincipalKind::User, &id(1))]);
    let why: Vec<(&Grant, &SkipReason)> = alice.skipped.iter().map(|k| (&k.grant, &k.why)).collect();
    assert_eq!(
        why,
        vec![
            (&membership(1), &SkipReason::NotManaged),
            (&membership(2), &SkipReason::Protected { what: "group Admins".into() })
        ]
    );
    let remains: Vec<(&str, &Grant)> = alice.remains.iter().map(|r| (r.group_id.as_str(), &r.grant)).collect();
    assert_eq!(remains.len(), 3, "{remains:?}");
    assert_eq!(plan.summary().remain_through_groups, 3);
    // require_complete refuses what the identity provider keeps, not what a guardrail protects.
    let incomplete = plan.incomplete();
    assert_eq!(incomplete.len(), 3, "the NotManaged membership and the two grants through it: {incomplete:?}");
    assert!(incomplete.iter().all(|i| *i.why == SkipReason::NotManaged));
    assert_eq!(incomplete.iter().filter(|i| i.group_id == Some(gid(1).as_str())).count(), 2);
    // The group's names are labels of the plan, so renderers show them.
    assert_eq!(plan.labels.get(&gid(1)).map(String::as_str), Some("Platform"));
    let text = offboard_core::render::render(&plan, offboard_core::render::Format::Text, &Default::default());
    assert!(text.contains("through group Platform (906700a1b2-00000001-2222-4000-8000-000000000000): membership managed by your identity provider, not by offboard"), "{text}");
    assert!(text.contains("3 remain through groups"), "{text}");
}

#[test]
fn keep_groups_names_a_group_by_display_name_or_id_case_insensitively() {
    for keep in ["platform", &gid(1)] {
        let (mut p, s) = org(true);
        p.leavers[0].keep.groups = vec![keep.to_owned()];
        let plan = plan(&p, s.clone(), &inputs());
        let alice = &plan.principals[0];
        assert!(alice.skipped.iter().any(|k| k.grant == membership(1) && k.why == SkipReason::Kept), "{keep}");
        assert_eq!(alice.remains.iter().filter(|r| r.group_id == gid(1)).count(), 2, "{keep}");
        assert!(plan.incomplete().is_empty(), "kept on purpose: {:?}", plan.incomplete());
    }
}

#[test]
fn a_group_leaver_s_own_removals_do_not_remain_for_its_members() {
    let (mut p, s) = org(false);
    p.leavers.push(leaver(PrincipalRef::group_name("Platform")));
    let mut s = s;
    s.principals.push(observed(
        PrincipalRef::group_name("Platform"),
        &gid(1),
        [sso("333333333333", PS_ADMIN, PrincipalKind::Group, &gid(1))],
    ));
    let plan = plan(&p, s.clone(), &inputs());
    let alice = &plan.principals[0];
    let through_platform: Vec<&Grant> =
        alice.remains.iter().filter(|r| r.group_id == gid(1)).map(|r| &r.grant).collect();
    assert_eq!(
        through_platform,
        vec![&entity(&gid(1), PrincipalKind::Group)],
        "the assignment is removed from the group"
    );
}

#[test]
fn an_experience_entity_of_another_type_is_a_conflict_not_a_removal() {
    let p = policy(vec![leaver(PrincipalRef::user_name(ALICE))]);
    let s = state(vec![observed(
        PrincipalRef::user_name(ALICE),
        &id(1),
        [entity(&id(1), PrincipalKind::Group), entity(&id(1), PrincipalKind::User)],
    )]);
    let plan = plan(&p, s.clone(), &inputs());
    let alice = &plan.principals[0];
    assert_eq!(alice.remove, vec![entity(&id(1), PrincipalKind::User)]);
    assert!(matches!(alice.skipped[0].why, SkipReason::IdentityConflict { .. }));
    assert_eq!(plan.actions.len(), 1);
    assert!(
        matches!(&plan.actions[0].request, ApiRequest::DisassociateEntitiesFromExperience(r) if r.entity_list.len() == 1 && r.entity_list[0].entity_type == "USER".into())
    );
}

#[test]
fn experience_entities_go_in_calls_of_at_most_40() {
    let users: Vec<_> = (0..41).map(|n| PrincipalRef::user_name(format!("u{n}@example.com"))).collect();
    let p = policy(users.iter().cloned().map(leaver).collect());
    let s = state(
        users
            .iter()
            .enumerate()
            .map(|(n, u)| observed(u.clone(), &id(n), [entity(&id(n), PrincipalKind::User)]))
            .collect(),
    );
    let plan = plan(&p, s.clone(), &inputs());
    let sizes: Vec<usize> = plan.actions.iter().map(|a| a.items.len()).collect();
    assert_eq!(sizes, vec![40, 1]);
    assert!(plan.actions.iter().all(|a| offboard_core::edge::check_action(a).is_ok()));
}

#[test]
fn apply_refuses_a_membership_of_a_group_protected_by_name_and_another_identity_store() {
    // Planned while the group was called "Platform"; renamed to the protected "Admins" since.
    let (p, s) = org(true);
    let plan = plan(&p, s.clone(), &inputs());
    let resolved = BTreeMap::from([(PrincipalRef::user_name(ALICE), Resolution::found(id(1), Some(ALICE)))]);
    let names = |n: &str| BTreeMap::from([(gid(1), n.to_owned())]);
    assert_eq!(authorize(&plan, &p, now(), &resolved, &names("Platform")), Ok(()));
    let refused = authorize(&plan, &p, now(), &resolved, &names("Admins")).unwrap_err();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].rule.contains("protects it (group Admins)"), "{}", refused[0]);

    // A request edited to act in another identity store.
    let mut edited = plan.clone();
    if let ApiRequest::DeleteGroupMembership(r) = &mut edited.actions[0].request {
        r.identity_store_id = "d-0000000000".into();
    }
    let refused = authorize(&edited, &p, now(), &resolved, &names("Platform")).unwrap_err();
    assert!(refused.iter().any(|u| u.rule.contains("identity store d-0000000000")), "{refused:?}");

    // Memberships are only removed where offboard manages them.
    let mut unmanaged = p.clone();
    unmanaged.config.identity_store = None;
    let refused = authorize(&plan, &unmanaged, now(), &resolved, &names("Platform")).unwrap_err();
    assert!(refused.iter().any(|u| u.rule.contains("manage_memberships")), "{refused:?}");
}
