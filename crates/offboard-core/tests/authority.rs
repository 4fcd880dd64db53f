//! `apply` takes its authority from the policy: every way of editing a plan file into removing
//! something the policy does not ask for is refused, and an honest plan passes.

mod support;

use offboard_core::authority::{Unauthorized, authorize};
use offboard_core::edge::sso_assignment::DeleteAccountAssignment;
use offboard_core::plan::{Action, ActionItem, ApiRequest, Phase, Plan, PrincipalPlan};
use offboard_core::state::Resolution;
use offboard_core::{Grant, PrincipalKind, PrincipalRef, plan};
use std::collections::BTreeMap;
use support::*;

fn alice() -> PrincipalRef {
    PrincipalRef::user_name("alice@example.com")
}
fn group() -> PrincipalRef {
    PrincipalRef::group_name("Interns")
}
fn group_leaver() -> offboard_core::Leaver {
    let mut l = leaver(group());
    l.kendra_group_id = Some("acl-interns".into());
    l
}
fn bob() -> PrincipalRef {
    PrincipalRef::user_name("bob@example.com")
}

/// A plan for alice (a leaver) made against a state where both alice and bob have access.
fn honest() -> (offboard_core::Policy, Plan, BTreeMap<PrincipalRef, Resolution>) {
    let p = policy(vec![leaver(alice())]);
    let s = state(vec![observed(
        alice(),
        &id(1),
        [
            sso("222222222222", PS_ADMIN, PrincipalKind::User, &id(1)),
            mapping(Some("ds-wiki"), "never-a-users"),
            persona("exp-support", &id(1)),
        ],
    )]);
    let plan = plan(&p, s.clone(), &inputs());
    let resolved = BTreeMap::from([(
        alice(),
        Resolution::Found { id: id(1), name: Some("alice@example.com".into()), email: None },
    )]);
    (p, plan, resolved)
}

fn rules(r: Result<(), Vec<Unauthorized>>) -> Vec<String> {
    r.err().unwrap_or_default().into_iter().map(|u| u.to_string()).collect()
}

/// Append one self-consistent SSO removal for `principal` / `principal_id` on `account`: the
/// attack of the issue (an action whose request matches its items).
fn inject(plan: &mut Plan, principal: PrincipalRef, principal_id: &str, account: &str) {
    let grant = sso(account, PS_ADMIN, PrincipalKind::User, principal_id);
    let item = ActionItem { principal: principal.clone(), reason: "left".into(), grant: grant.clone() };
    let Grant::SsoAssignment(g) = &grant else { unreachable!("sso() makes assignments") };
    let request = ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment::of(&INSTANCE.into(), g));
    plan.actions.push(Action { id: "sso-99".into(), phase: Phase::SsoAssignments, items: vec![item], request });
    match plan.principals.iter_mut().find(|p| p.principal == principal) {
        Some(p) => {
            p.before.push(grant.clone());
            p.remove.push(grant);
        }
        None => plan.principals.push(PrincipalPlan {
            principal,
            reason: "left".into(),
            resolution: Resolution::Found { id: principal_id.into(), name: None, email: None },
            before: vec![grant.clone()],
            remove: vec![grant],
            skipped: Vec::new(),
            remains: Vec::new(),
            cut: Vec::new(),
        }),
    }
}

#[test]
fn an_honest_plan_is_authorized() {
    let (p, plan, resolved) = honest();
    assert!(plan.removal_count() >= 2, "{plan:?}");
    assert_eq!(authorize(&plan, &p, now(), &resolved, &Default::default()), Ok(()));
}

#[test]
fn a_removal_for_someone_who_is_not_a_leaver_is_refused() {
    let (p, mut plan, resolved) = honest();
    inject(&mut plan, bob(), &id(2), "222222222222");
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(
        r.iter().any(|m| m.contains("sso-99") && m.contains("user bob@example.com is not a declared leaver")),
        "{r:?}"
    );
}

#[test]
fn a_protected_user_or_account_is_refused_even_when_declared() {
    let breakglass = PrincipalRef::user_name("breakglass@example.com");
    let (mut p, mut plan, mut resolved) = honest();
    p.leavers.push(leaver(breakglass.clone()));
    resolved.insert(
        breakglass.clone(),
        Resolution::Found { id: id(3), name: Some("breakglass@example.com".into()), email: None },
    );
    inject(&mut plan, breakglass, &id(3), "222222222222");
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("protects it (user breakglass@example.com)")), "{r:?}");

    let (p, mut plan, resolved) = honest();
    inject(&mut plan, alice(), &id(1), "111111111111");
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("protects it (account 111111111111)")), "{r:?}");
}

#[test]
fn a_protected_group_is_refused_even_when_declared_by_id() {
    // Declared by id, resolved now to the protected name.
    let admins = PrincipalRef::group_id(id(5));
    let (mut p, mut plan, mut resolved) = honest();
    p.leavers.push(leaver(admins.clone()));
    resolved.insert(admins.clone(), Resolution::Found { id: id(5), name: Some("Admins".into()), email: None });
    let grant = sso("222222222222", PS_ADMIN, PrincipalKind::Group, &id(5));
    inject(&mut plan, admins.clone(), &id(5), "222222222222");
    // inject makes a USER assignment; make it the group's own.
    let last = plan.actions.len() - 1;
    plan.actions[last].items[0].grant = grant.clone();
    if let ApiRequest::DeleteAccountAssignment(r) = &mut plan.actions[last].request {
        r.principal_type = "GROUP".into();
    }
    let pp = plan.principals.iter_mut().find(|x| x.principal == admins).unwrap();
    pp.before = vec![grant.clone()];
    pp.remove = vec![grant];
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("protects it (group Admins)")), "{r:?}");
}

#[test]
fn kept_and_not_yet_effective_grants_are_refused() {
    let (mut p, plan, resolved) = honest();
    p.leavers[0].keep.sso_accounts.push("222222222222".into());
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("`keep` keeps it")), "{r:?}");

    let (mut p, plan, resolved) = honest();
    p.leavers[0].effective = Some(time::macros::date!(2030 - 01 - 01));
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("not effective until 2030-01-01")), "{r:?}");
}

#[test]
fn a_principal_id_that_is_not_the_identity_stores_now_is_refused() {
    let (p, plan, mut resolved) = honest();
    resolved.insert(alice(), Resolution::Found { id: id(7), name: Some("alice@example.com".into()), email: None });
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("does not belong to this principal")), "{r:?}");
    resolved.insert(alice(), Resolution::NotFound);
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("the Identity Store has no user alice@example.com now")), "{r:?}");
}

#[test]
fn another_instance_a_foreign_ordering_id_and_a_future_plan_are_refused() {
    let (p, mut plan, resolved) = honest();
    if let ApiRequest::DeleteAccountAssignment(r) = &mut plan.actions[0].request {
        r.instance_arn = "arn:aws:sso:::instance/ssoins-ffffffffffffffff".into();
    }
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("not the configured sso.instance_arn")), "{r:?}");

    let (p, mut plan, resolved) = honest();
    plan.ordering_id = offboard_core::ids::ORDERING_ID_MAX;
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("refused: plan: ordering_id") && m.contains("not the plan's own")), "{r:?}");

    // A mapping request whose OrderingId is not the plan's.
    let p = policy(vec![group_leaver()]);
    let s = state(vec![observed(group(), &id(4), [mapping(Some("ds-wiki"), "acl-interns")])]);
    let mut plan = offboard_core::plan(&p, s.clone(), &inputs());
    let resolved =
        BTreeMap::from([(group(), Resolution::Found { id: id(4), name: Some("Interns".into()), email: None })]);
    assert_eq!(authorize(&plan, &p, now(), &resolved, &Default::default()), Ok(()));
    if let ApiRequest::DeletePrincipalMapping(r) = &mut plan.actions[0].request {
        r.ordering_id -= 1;
    }
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("OrderingId") && m.contains("is not the plan's own")), "{r:?}");

    let (p, mut plan, resolved) = honest();
    plan.created_at = "2027-01-01T00:00:00Z".into();
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("is in the future")), "{r:?}");
}

#[test]
fn actions_must_be_exactly_those_built_from_principals_remove() {
    // An action dropped from `principals[].remove`...
    let (p, mut plan, resolved) = honest();
    let dropped = plan.principals[0].remove.remove(0);
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("not the one `offboard plan` builds")), "{r:?}");
    // ...or a removal with no action, or a removal that was never observed.
    let (p, mut plan, resolved) = honest();
    plan.actions.remove(0);
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("no action removes it")), "{r:?}");
    let (p, mut plan, resolved) = honest();
    plan.principals[0].before.retain(|g| g != &dropped);
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("in `remove` but not in `before`")), "{r:?}");
}

#[test]
fn a_grant_outside_the_configured_places_is_refused() {
    let (mut p, plan, resolved) = honest();
    p.config.kendra.as_mut().unwrap().indexes[0].experiences.clear();
    let r = rules(authorize(&plan, &p, now(), &resolved, &Default::default()));
    assert!(r.iter().any(|m| m.contains("experience exp-support is not in the experiences")), "{r:?}");
}
