//! The planner's decisions, one rule at a time.

mod support;

use offboard_core::edge::kendra_group_mapping::DeletePrincipalMapping;
use offboard_core::edge::kendra_persona::DisassociatePersonasFromEntities;
use offboard_core::edge::sso_assignment::DeleteAccountAssignment;
use offboard_core::grant::{Grant, KendraPersona};
use offboard_core::plan::{ApiRequest, Phase, SkipReason};
use offboard_core::state::Resolution;
use offboard_core::{PrincipalKind, PrincipalRef, Service, plan};
use support::*;
use time::macros::date;

fn alice() -> PrincipalRef {
    PrincipalRef::user_name("alice@example.com")
}

#[test]
fn removes_every_in_scope_grant_in_phase_order() {
    let p = policy(vec![leaver(alice())]);
    let s = state(vec![observed(
        alice(),
        &id(1),
        [
            mapping(Some("ds-wiki"), "ignored-not-a-group"),
            persona("exp-support", &id(1)),
            stack("stack-a", "alice@example.com"),
            sso("222222222222", PS_ADMIN, PrincipalKind::User, &id(1)),
        ],
    )]);
    let plan = plan(&p, s.clone(), &inputs());
    let phases: Vec<Phase> = plan.actions.iter().map(|a| a.phase).collect();
    assert_eq!(phases, vec![Phase::SsoAssignments, Phase::AppstreamAssociations, Phase::KendraPersonas]);
    assert_eq!(plan.removal_count(), 3);
    // The group mapping is not a user's grant: the planner never plans it for a user.
    assert_eq!(plan.principals[0].before.len(), 3);
    match &plan.actions[0].request {
        ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment {
            instance_arn,
            target_id,
            target_type,
            principal_type,
            principal_id,
            ..
        }) => {
            assert_eq!(&**instance_arn, INSTANCE);
            assert_eq!(&**target_id, "222222222222");
            assert_eq!(&**target_type, "AWS_ACCOUNT");
            assert_eq!(&**principal_type, "USER");
            assert_eq!(**principal_id, *id(1));
        }
        other => panic!("unexpected request {other:?}"),
    }
    assert_eq!(plan.actions[0].items[0].reason, "left");
}

#[test]
fn protected_accounts_are_never_planned() {
    let p = policy(vec![leaver(alice())]);
    let s = state(vec![observed(
        alice(),
        &id(1),
        [
            sso("111111111111", PS_ADMIN, PrincipalKind::User, &id(1)),
            sso("222222222222", PS_READ, PrincipalKind::User, &id(1)),
        ],
    )]);
    let plan = plan(&p, s.clone(), &inputs());
    assert_eq!(plan.removal_count(), 1);
    let skipped = &plan.principals[0].skipped;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].why, SkipReason::Protected { what: "account 111111111111".into() });
    assert_eq!(plan.summary().protected, 1);
}

#[test]
fn protected_user_declared_by_id_is_caught_through_its_resolved_name() {
    let by_id = PrincipalRef::user_id(id(9));
    let p = policy(vec![leaver(by_id.clone())]);
    let mut o = observed(by_id, &id(9), [sso("222222222222", PS_ADMIN, PrincipalKind::User, &id(9))]);
    o.resolution = Resolution::Found { id: id(9), name: Some("BreakGlass@Example.com".into()), email: None };
    let plan = plan(&p, state(vec![o]), &inputs());
    assert!(plan.actions.is_empty());
    assert!(
        matches!(&plan.principals[0].skipped[0].why, SkipReason::Protected { what } if what.contains("BreakGlass"))
    );
}

#[test]
fn protected_group_is_never_planned() {
    let g = PrincipalRef::group_name("Admins");
    let p = policy(vec![leaver(g.clone())]);
    let plan = plan(
        &p,
        state(vec![observed(g, &id(2), [sso("222222222222", PS_ADMIN, PrincipalKind::Group, &id(2))])]),
        &inputs(),
    );
    assert!(plan.actions.is_empty());
    assert_eq!(plan.summary().protected, 1);
}

#[test]
fn keep_scope_and_effective_each_keep_a_grant() {
    let mut kept = leaver(alice());
    kept.keep.sso_accounts = vec!["222222222222".into()];
    kept.keep.appstream_stacks = vec!["stack-a".into()];
    kept.scope.remove(&Service::Kendra);
    let s = state(vec![observed(
        alice(),
        &id(1),
        [
            sso("222222222222", PS_ADMIN, PrincipalKind::User, &id(1)),
            sso("333333333333", PS_ADMIN, PrincipalKind::User, &id(1)),
            stack("stack-a", "alice@example.com"),
            persona("exp-support", &id(1)),
        ],
    )]);
    let plan = plan(&policy(vec![kept.clone()]), s.clone(), &inputs());
    let why: Vec<&SkipReason> = plan.principals[0].skipped.iter().map(|k| &k.why).collect();
    assert_eq!(why, vec![&SkipReason::Kept, &SkipReason::Kept, &SkipReason::OutOfScope]);
    assert_eq!(plan.removal_count(), 1);

    // Not yet effective: nothing goes; on the day itself (UTC) everything in scope goes.
    kept.effective = Some(date!(2026 - 11 - 22));
    let later = plan_at(&policy(vec![kept.clone()]), &s, date!(2026 - 11 - 21));
    assert_eq!(later.removal_count(), 0);
    assert!(
        later.principals[0]
            .skipped
            .iter()
            .any(|k| k.why == SkipReason::NotYetEffective { effective: "2026-11-22".into() })
    );
    let on_the_day = plan_at(&policy(vec![kept]), &s, date!(2026 - 11 - 22));
    assert_eq!(on_the_day.removal_count(), 1);
}

fn plan_at(p: &offboard_core::Policy, s: &offboard_core::ObservedState, day: time::Date) -> offboard_core::Plan {
    let mut i = inputs();
    i.now = day.with_hms(0, 0, 0).expect("valid time").assume_utc();
    plan(p, s.clone(), &i)
}

#[test]
fn not_found_is_a_finding_not_an_error() {
    let p = policy(vec![leaver(alice())]);
    let mut o = observed(alice(), &id(1), []);
    o.resolution = Resolution::NotFound;
    let plan = plan(&p, state(vec![o]), &inputs());
    assert!(plan.actions.is_empty());
    assert_eq!(plan.summary().not_found, 1);
    // A leaver the adapter did not report at all is also "not found", never guessed at.
    let plan = offboard_core::plan(&p, state(vec![]), &inputs());
    assert_eq!(plan.summary().not_found, 1);
}

#[test]
fn grants_of_someone_else_are_never_planned() {
    // An adapter bug that attaches Bob's assignment to Alice must not remove Bob's access.
    let p = policy(vec![leaver(alice())]);
    let s = state(vec![observed(alice(), &id(1), [sso("222222222222", PS_ADMIN, PrincipalKind::User, &id(2))])]);
    let plan = plan(&p, s.clone(), &inputs());
    assert!(plan.actions.is_empty());
    assert!(plan.principals[0].before.is_empty());
}

#[test]
fn one_principal_declared_twice_is_removed_once() {
    let by_name = alice();
    let by_id = PrincipalRef::user_id(id(1));
    let grant = sso("222222222222", PS_ADMIN, PrincipalKind::User, &id(1));
    let p = policy(vec![leaver(by_name.clone()), leaver(by_id.clone())]);
    let s = state(vec![observed(by_name, &id(1), [grant.clone()]), observed(by_id, &id(1), [grant])]);
    let plan = plan(&p, s.clone(), &inputs());
    assert_eq!(plan.actions.len(), 1);
    assert!(
        matches!(&plan.principals[1].skipped[0].why, SkipReason::Duplicate { of } if of == "user alice@example.com")
    );
}

#[test]
fn batches_hold_at_most_25_and_personas_split_by_experience() {
    let mut leavers = Vec::new();
    let mut observed_principals = Vec::new();
    for n in 0..60 {
        let who = PrincipalRef::user_name(format!("user{n:02}@example.com"));
        leavers.push(leaver(who.clone()));
        let experience = if n % 2 == 0 { "exp-a" } else { "exp-b" };
        observed_principals.push(observed(
            who,
            &id(n),
            [stack("stack-a", &format!("user{n:02}@example.com")), persona(experience, &id(n))],
        ));
    }
    let plan = plan(&policy(leavers), state(observed_principals), &inputs());
    let sizes = |phase: Phase| -> Vec<usize> {
        plan.actions.iter().filter(|a| a.phase == phase).map(|a| a.items.len()).collect()
    };
    assert_eq!(sizes(Phase::AppstreamAssociations), vec![25, 25, 10]);
    assert_eq!(sizes(Phase::KendraPersonas), vec![25, 5, 25, 5]);
    for action in &plan.actions {
        if let ApiRequest::DisassociatePersonasFromEntities(DisassociatePersonasFromEntities {
            id, entity_ids, ..
        }) = &action.request
        {
            assert_eq!(entity_ids.len(), action.items.len());
            assert!(action.items.iter().all(|i| matches!(&i.grant,
                offboard_core::Grant::KendraPersona(KendraPersona { experience_id, .. }) if experience_id == id)));
        }
    }
    let ids: Vec<&str> = plan.actions.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids[..4], ["appstream-1", "appstream-2", "appstream-3", "kendra-persona-1"]);
}

#[test]
fn group_mappings_carry_the_plan_ordering_id() {
    let g = PrincipalRef::group_name("Summer Interns");
    let mut l = leaver(g.clone());
    l.kendra_group_id = Some("summer-interns".into());
    let s =
        state(vec![observed(g, &id(3), [mapping(Some("ds-wiki"), "summer-interns"), mapping(None, "summer-interns")])]);
    let plan = plan(&policy(vec![l]), s.clone(), &inputs());
    let expected = now().unix_timestamp() * 1000;
    assert_eq!(plan.ordering_id, expected);
    let ids: Vec<i64> = plan
        .actions
        .iter()
        .map(|a| match &a.request {
            ApiRequest::DeletePrincipalMapping(DeletePrincipalMapping { ordering_id, .. }) => *ordering_id,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(ids, vec![expected, expected]);
}

#[test]
fn same_inputs_give_byte_identical_json_whatever_the_observation_order() {
    let bob = PrincipalRef::user_name("bob@example.com");
    let p = policy(vec![leaver(alice()), leaver(bob.clone())]);
    let a = observed(
        alice(),
        &id(1),
        [stack("s1", "alice@example.com"), sso("222222222222", PS_ADMIN, PrincipalKind::User, &id(1))],
    );
    let b = observed(bob, &id(2), [stack("s1", "bob@example.com")]);
    let one = plan(&p, state(vec![a.clone(), b.clone()]), &inputs()).to_json();
    let two = plan(&p, state(vec![b, a]), &inputs()).to_json();
    assert_eq!(one, two);
    let reparsed = offboard_core::Plan::from_json(&one).expect("a plan parses back");
    assert_eq!(reparsed.to_json(), one);
}

/// The planner moves each observation's grants into its leaver's `before`. A principal declared
/// twice (a loaded policy refuses that; a hand-built one can) shares one observation: both
/// declarations must still show every grant, the first removes them, the second skips them as
/// duplicates, and a grant observed twice (a second observation of the same principal) is
/// ignored, as the first observation wins.
#[test]
fn a_principal_declared_twice_shows_its_grants_for_both_declarations() {
    let grants = [stack("s1", "alice@example.com"), sso("222222222222", PS_ADMIN, PrincipalKind::User, &id(1))];
    let p = policy(vec![leaver(alice()), leaver(alice())]);
    let ignored = observed(alice(), &id(1), [stack("s2", "alice@example.com")]);
    let plan = plan(&p, state(vec![observed(alice(), &id(1), grants.clone()), ignored]), &inputs());
    let mut sorted = grants.to_vec();
    sorted.sort();
    assert_eq!(plan.principals[0].before, sorted);
    assert_eq!(plan.principals[1].before, sorted);
    assert_eq!(plan.principals[0].remove, sorted);
    assert!(plan.principals[1].remove.is_empty());
    assert_eq!(plan.principals[1].skipped.len(), 2);
    assert!(plan.principals[1].skipped.iter().all(|k| matches!(k.why, SkipReason::Duplicate { .. })));
    assert_eq!(plan.removal_count(), 2);
}

/// A leaver the Identity Store does not know still loses what names it without an Identity
/// Store id: AppStream associations of the declared user name, Kendra mappings of its declared
/// ACL group. Grants that need the id (which the adapter cannot read anyway) never belong.
#[test]
fn a_leaver_missing_from_the_identity_store_still_loses_what_names_it_without_an_id() {
    let ghost = PrincipalRef::user_name("ghost@example.com");
    let gone = PrincipalRef::group_name("Old Team");
    let mut gone_leaver = leaver(gone.clone());
    gone_leaver.kendra_group_id = Some("old-team".into());
    let p = policy(vec![leaver(ghost.clone()), gone_leaver]);
    let mut o1 = observed(
        ghost,
        &id(1),
        [
            stack("stack-a", "ghost@example.com"),
            stack("stack-b", "someone.else@example.com"),
            sso("222222222222", PS_READ, PrincipalKind::User, &id(1)),
        ],
    );
    o1.resolution = Resolution::NotFound;
    let mut o2 = observed(gone, &id(2), [mapping(None, "old-team"), mapping(Some("ds-wiki"), "other-team")]);
    o2.resolution = Resolution::NotFound;
    let plan = plan(&p, state(vec![o1, o2]), &inputs());
    assert_eq!(plan.principals[0].remove, vec![stack("stack-a", "ghost@example.com")]);
    assert_eq!(plan.principals[1].remove, vec![mapping(None, "old-team")]);
    assert_eq!(plan.summary().not_found, 2);
    let text = offboard_core::render::render(&plan, offboard_core::render::Format::Text, &Default::default());
    assert!(
        text.contains("not found in the Identity Store; access that names it without an Identity Store id"),
        "{text}"
    );
}

/// AppStream names users by user name, which may be the declared name, the Identity Store
/// userName or the primary email: an association under any of them is the user's.
#[test]
fn appstream_associations_under_the_user_name_or_the_primary_email_are_the_users() {
    let p = policy(vec![leaver(alice())]);
    let mut o = observed(
        alice(),
        &id(1),
        [
            stack("stack-a", "alice@example.com"),
            stack("stack-b", "awong"),
            stack("stack-c", "Alice.Wong@Example.com"),
            stack("stack-d", "mallory@example.com"),
        ],
    );
    o.resolution =
        Resolution::Found { id: id(1), name: Some("awong".into()), email: Some("alice.wong@example.com".into()) };
    let plan = plan(&p, state(vec![o]), &inputs());
    let stacks: Vec<String> = plan.principals[0].remove.iter().map(|g| g.describe(&Default::default())).collect();
    assert_eq!(stacks.len(), 3, "{stacks:#?}");
    assert!(stacks.iter().all(|s| !s.contains("stack-d")), "{stacks:#?}");
}

/// `protected_users` / `protected_groups` match the resolved id as well as the names.
#[test]
fn a_principal_protected_by_its_id_is_protected_however_it_is_declared() {
    let mut cfg_policy = policy(vec![leaver(alice()), leaver(PrincipalRef::group_id(id(2)))]);
    cfg_policy.config.guardrails.protected_users.push(id(1));
    cfg_policy.config.guardrails.protected_groups.push(id(2));
    let mut group =
        observed(PrincipalRef::group_id(id(2)), &id(2), [sso("222222222222", PS_READ, PrincipalKind::Group, &id(2))]);
    group.resolution = Resolution::found(id(2), Some("Platform"));
    let s = state(vec![observed(alice(), &id(1), [sso("222222222222", PS_READ, PrincipalKind::User, &id(1))]), group]);
    let plan = plan(&cfg_policy, s.clone(), &inputs());
    assert!(plan.actions.is_empty(), "{:#?}", plan.actions);
    for p in &plan.principals {
        assert!(matches!(&p.skipped[0].why, SkipReason::Protected { .. }), "{p:#?}");
    }
}

/// A persona is planned only for an entity of the declared type.
#[test]
fn a_persona_of_another_or_an_unknown_entity_type_is_kept_and_says_why() {
    let p = policy(vec![leaver(alice())]);
    let as_group = group_persona("exp-support", &id(1));
    let Grant::KendraPersona(mut unknown) = persona("exp-support", &id(1)) else { unreachable!() };
    unknown.experience_id = "exp-other".into();
    unknown.entity_type = None;
    let s = state(vec![observed(alice(), &id(1), [as_group, Grant::KendraPersona(unknown)])]);
    let plan = plan(&p, s.clone(), &inputs());
    assert!(plan.actions.is_empty());
    let whys: Vec<String> = plan.principals[0].skipped.iter().map(|k| k.why.to_string()).collect();
    assert!(whys.iter().any(|w| w.contains("as a GROUP, not a USER")), "{whys:#?}");
    assert!(whys.iter().any(|w| w.contains("its type is unknown")), "{whys:#?}");
}

/// A mapping whose latest change carries a newer `OrderingId` than the plan's can never be
/// removed by this plan (Kendra ignores older deletes): the plan says so instead of planning it.
#[test]
fn a_mapping_the_plan_could_never_win_is_reported_not_planned() {
    let interns = PrincipalRef::group_name("Interns");
    let mut l = leaver(interns.clone());
    l.kendra_group_id = Some("interns".into());
    let p = policy(vec![l]);
    let newer = mapping(Some("ds-wiki"), "interns");
    let older = mapping(None, "interns");
    let mut o = observed(interns, &id(4), [newer.clone(), older.clone()]);
    let plan_id = (now().unix_timestamp_nanos() / 1_000_000) as i64;
    o.latest_ordering_ids = vec![(newer.clone(), plan_id + 1), (older.clone(), plan_id - 1)];
    let plan = plan(&p, state(vec![o]), &inputs());
    assert_eq!(plan.principals[0].remove, vec![older]);
    let skipped = &plan.principals[0].skipped;
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].grant, newer);
    assert!(skipped[0].why.to_string().contains("Kendra would ignore the delete"), "{}", skipped[0].why);
}

/// The plan shows the Identity Store name where it differs from the declared one (a user
/// declared by email whose userName is another).
#[test]
fn the_resolved_name_is_shown_where_it_differs_from_the_declared_one() {
    let p = policy(vec![leaver(alice())]);
    let mut o = observed(alice(), &id(1), [sso("222222222222", PS_READ, PrincipalKind::User, &id(1))]);
    o.resolution = Resolution::Found { id: id(1), name: Some("awong".into()), email: Some("alice@example.com".into()) };
    let planned = plan(&p, state(vec![o]), &inputs());
    for format in [offboard_core::render::Format::Text, offboard_core::render::Format::Markdown] {
        let out = offboard_core::render::render(&planned, format, &Default::default());
        assert!(out.contains("(awong)"), "{format:?}:\n{out}");
    }
    let same = policy(vec![leaver(alice())]);
    let o = observed(alice(), &id(1), [sso("222222222222", PS_READ, PrincipalKind::User, &id(1))]);
    let text = offboard_core::render::render(
        &plan(&same, state(vec![o]), &inputs()),
        offboard_core::render::Format::Text,
        &Default::default(),
    );
    assert!(!text.contains("(alice@example.com)"), "no repeat of the declared name:\n{text}");
}
