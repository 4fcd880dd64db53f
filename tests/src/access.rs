//! The sandbox's state as a set of grants, so tests can say "exactly these were removed".
//!
//! The sandbox snapshot and the plan describe the same access edges in different shapes; here
//! both become [`offboard_core::Grant`]s. Comparing whole sets (before minus planned = after)
//! catches any removal outside the plan, whoever the principal, without listing what must stay.

use offboard_core::grant::Persona;
use offboard_core::grant::{
    AppstreamAssociation, GroupMembership, KendraExperienceEntity, KendraGroupMapping, KendraPersona, SsoAssignment,
};
use offboard_core::{Grant, Plan, PrincipalKind};
use offboard_sandbox::StateSnapshot;
use std::collections::BTreeSet;

/// Every grant present in the sandbox now (deleted Kendra mappings excluded).
pub fn grants(snapshot: &StateSnapshot) -> BTreeSet<Grant> {
    let sso = snapshot.sso_assignments.iter().map(|a| {
        Grant::SsoAssignment(SsoAssignment {
            account_id: a.account_id.as_str().into(),
            permission_set_arn: a.permission_set_arn.as_str().into(),
            principal_type: principal_kind(&a.principal_type),
            principal_id: a.principal_id.as_str().into(),
        })
    });
    let appstream = snapshot.appstream_associations.iter().map(|a| {
        Grant::AppstreamAssociation(AppstreamAssociation {
            stack_name: a.stack_name.as_str().into(),
            user_name: a.user_name.as_str().into(),
            authentication_type: a.authentication_type.as_str().into(),
        })
    });
    let personas = snapshot.kendra_personas.iter().map(|p| {
        Grant::KendraPersona(KendraPersona {
            index_id: p.index_id.as_str().into(),
            experience_id: p.experience_id.as_str().into(),
            entity_id: p.entity_id.as_str().into(),
            persona: match p.persona.as_str() {
                "OWNER" => Persona::Owner,
                "VIEWER" => Persona::Viewer,
                other => panic!("the sandbox reports persona {other:?}; expected OWNER or VIEWER"),
            },
            entity_type: Some(principal_kind(&p.entity_type)),
        })
    });
    let mappings = snapshot.kendra_group_mappings.iter().filter(|m| m.present).map(|m| {
        Grant::KendraGroupMapping(KendraGroupMapping {
            index_id: m.index_id.as_str().into(),
            data_source_id: m.data_source_id.clone().map(Into::into),
            group_id: m.group_id.as_str().into(),
        })
    });
    let memberships = snapshot.group_memberships.iter().map(|m| {
        Grant::GroupMembership(GroupMembership {
            group_id: m.group_id.as_str().into(),
            member_id: m.user_id.as_str().into(),
            membership_id: m.membership_id.as_str().into(),
        })
    });
    let entities = snapshot.kendra_experience_entities.iter().map(|e| {
        Grant::KendraExperienceEntity(KendraExperienceEntity {
            index_id: e.index_id.as_str().into(),
            experience_id: e.experience_id.as_str().into(),
            entity_id: e.entity_id.as_str().into(),
            entity_type: principal_kind(&e.entity_type),
        })
    });
    sso.chain(appstream).chain(personas).chain(mappings).chain(memberships).chain(entities).collect()
}

fn principal_kind(text: &str) -> PrincipalKind {
    match text {
        "USER" => PrincipalKind::User,
        "GROUP" => PrincipalKind::Group,
        other => panic!("the sandbox reports principal type {other:?}; expected USER or GROUP"),
    }
}

/// The grants a plan's actions remove.
pub fn planned_removals(plan: &Plan) -> BTreeSet<Grant> {
    plan.actions.iter().flat_map(|a| a.items.iter().map(|i| i.grant.clone())).collect()
}

/// Asserts `after == before - removed`: everything in `removed` is gone (when `all_gone`) and
/// nothing else changed. Panics with the differences.
pub fn assert_removed_exactly(before: &BTreeSet<Grant>, after: &BTreeSet<Grant>, removed: &BTreeSet<Grant>) {
    let expected: BTreeSet<Grant> = before.difference(removed).cloned().collect();
    let wrongly_removed: Vec<_> = expected.difference(after).collect();
    let still_there: Vec<_> = after.difference(&expected).collect();
    assert!(
        wrongly_removed.is_empty() && still_there.is_empty(),
        "the sandbox is not `before - planned`:\n  removed although not planned: {wrongly_removed:#?}\n  \
         present although planned (or new): {still_there:#?}"
    );
}

/// Asserts that nothing outside `allowed` was removed, and nothing appeared: `after` lies between
/// `before - allowed` and `before`. For runs where some planned removals may legitimately fail.
pub fn assert_nothing_outside_removed(before: &BTreeSet<Grant>, after: &BTreeSet<Grant>, allowed: &BTreeSet<Grant>) {
    let unplanned: Vec<_> = before.difference(after).filter(|g| !allowed.contains(*g)).collect();
    let appeared: Vec<_> = after.difference(before).collect();
    assert!(unplanned.is_empty(), "grants outside the plan were removed: {unplanned:#?}");
    assert!(appeared.is_empty(), "grants appeared during the run: {appeared:#?}");
}
