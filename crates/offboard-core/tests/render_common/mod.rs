//! Hand-built plans for the renderer tests. Every value is fixed (clock, digests, ids) so the
//! snapshots are stable. Actions are derived from the per-principal removals the way `offboard
//! plan` orders them (phase order, sorted inside, batches of 25), so the plans are consistent.
#![allow(dead_code)] // each test crate uses a different subset

use offboard_core::edge::appstream_association::BatchDisassociateUserStack;
use offboard_core::edge::group_membership::DeleteGroupMembership;
use offboard_core::edge::kendra_experience_entity::{
    DisassociateEntitiesFromExperience, EntityConfiguration, MAX_ENTITIES,
};
use offboard_core::edge::kendra_group_mapping::DeletePrincipalMapping;
use offboard_core::edge::kendra_persona::DisassociatePersonasFromEntities;
use offboard_core::edge::sso_assignment::DeleteAccountAssignment;
use offboard_core::grant::{
    AppstreamAssociation, GroupMembership, KendraExperienceEntity, KendraGroupMapping, KendraPersona, SsoAssignment,
};
use offboard_core::grant::{Grant, Labels, Persona};
use offboard_core::plan::{
    ActionItem, Cut, Location, MAX_BATCH, PLAN_FORMAT_VERSION, PrincipalPlan, Remaining, SkipReason, Skipped,
    UserStackAssociation,
};
use offboard_core::principal::{PrincipalKind, PrincipalRef};
use offboard_core::{Action, ApiRequest, Phase, Plan, Resolution};

pub const CREATED_AT: &str = "2026-11-21T09:00:00Z";
pub const ORDERING_ID: i64 = 1_795_251_600_000;
pub const INSTANCE_ARN: &str = "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6";
pub const INDEX_ID: &str = "4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c";

pub const ALICE_ID: &str = "906712a4c1-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
pub const BOB_ID: &str = "906712a4c1-1b2c3d4e-5f60-7182-93a4-b5c6d7e8f9a0";
pub const CAROL_ID: &str = "906712a4c1-2c3d4e5f-6071-8293-a4b5-c6d7e8f9a0b1";
pub const ERIN_ID: &str = "906712a4c1-3d4e5f60-7182-93a4-b5c6-d7e8f9a0b1c2";
pub const INTERNS_ID: &str = "906712a4c1-9a8b7c6d-5e4f-3021-0f1e-2d3c4b5a6978";
pub const PLATFORM_ID: &str = "906712a4c1-7a6b5c4d-3e2f-1a0b-9c8d-7e6f5a4b3c2d";
pub const DATA_SCIENCE_ID: &str = "906712a4c1-6b5c4d3e-2f1a-0b9c-8d7e-6f5a4b3c2d1e";
pub const IDENTITY_STORE_ID: &str = "d-906712a4c1";

pub fn ps_arn(ps: &str) -> String {
    format!("arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/{ps}")
}

pub const ADMIN: &str = "ps-0a1b2c3d4e5f6a7b";
pub const READ_ONLY: &str = "ps-1b2c3d4e5f6a7b8c";
pub const POWER_USER: &str = "ps-2c3d4e5f6a7b8c9d";

pub fn labels() -> Labels {
    [
        ("111111111111", "Management"),
        ("222222222222", "Shared Services"),
        ("333333333333", "Data Platform"),
        ("444444444444", "Sandbox"),
        (PLATFORM_ID, "Platform Engineering"),
        (DATA_SCIENCE_ID, "Data Science"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .chain([
        (ps_arn(ADMIN), "AdministratorAccess".to_owned()),
        (ps_arn(READ_ONLY), "ReadOnlyAccess".to_owned()),
        (ps_arn(POWER_USER), "PowerUserAccess".to_owned()),
    ])
    .collect()
}

pub fn sso(account: &str, ps: &str, kind: PrincipalKind, principal_id: &str) -> Grant {
    Grant::SsoAssignment(SsoAssignment {
        account_id: account.into(),
        permission_set_arn: ps_arn(ps).into(),
        principal_type: kind,
        principal_id: principal_id.into(),
    })
}

pub fn stack(name: &str, user: &str) -> Grant {
    Grant::AppstreamAssociation(AppstreamAssociation {
        stack_name: name.into(),
        user_name: user.into(),
        authentication_type: "USERPOOL".into(),
    })
}

pub fn persona(experience: &str, entity: &str, persona: Persona) -> Grant {
    Grant::KendraPersona(KendraPersona {
        index_id: INDEX_ID.into(),
        experience_id: experience.into(),
        entity_id: entity.into(),
        persona,
        entity_type: Some(if [INTERNS_ID, PLATFORM_ID, DATA_SCIENCE_ID].contains(&entity) {
            PrincipalKind::Group
        } else {
            PrincipalKind::User
        }),
    })
}

pub fn membership(group: &str, member: &str) -> Grant {
    Grant::GroupMembership(GroupMembership {
        group_id: group.into(),
        member_id: member.into(),
        membership_id: format!("906712a4c1-{}-{}", &group[11..19], &member[20..]).into(),
    })
}

pub fn entity(experience: &str, entity: &str, kind: PrincipalKind) -> Grant {
    Grant::KendraExperienceEntity(KendraExperienceEntity {
        index_id: INDEX_ID.into(),
        experience_id: experience.into(),
        entity_id: entity.into(),
        entity_type: kind,
    })
}

pub fn mapping(data_source: Option<&str>, group: &str) -> Grant {
    Grant::KendraGroupMapping(KendraGroupMapping {
        index_id: INDEX_ID.into(),
        data_source_id: (data_source.map(str::to_owned)).map(Into::into),
        group_id: group.into(),
    })
}

pub fn found(id: &str, name: &str) -> Resolution {
    Resolution::Found { id: id.to_owned(), name: Some(name.to_owned()), email: None }
}

/// A principal: `before` is every grant, `skipped` those that stay (with why); everything else
/// in `before` is removed. Sorted the way the planner sorts.
pub fn principal(
    principal: PrincipalRef,
    reason: &str,
    resolution: Resolution,
    before: Vec<Grant>,
    skipped: Vec<(Grant, SkipReason)>,
) -> PrincipalPlan {
    let mut before = before;
    before.sort();
    let mut skipped: Vec<Skipped> = skipped.into_iter().map(|(grant, why)| Skipped { grant, why }).collect();
    skipped.sort_by(|a, b| a.grant.cmp(&b.grant));
    let remove = before.iter().filter(|g| !skipped.iter().any(|s| &s.grant == *g)).cloned().collect();
    PrincipalPlan {
        principal,
        reason: reason.to_owned(),
        resolution,
        before,
        remove,
        skipped,
        remains: Vec::new(),
        cut: Vec::new(),
    }
}

fn protected_account(account: &str) -> SkipReason {
    SkipReason::Protected { what: format!("account {account}") }
}

/// A plan around `principals` with fixed metadata and actions derived from their removals.
pub fn plan_of(principals: Vec<PrincipalPlan>) -> Plan {
    let actions = actions_for(&principals);
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        created_at: CREATED_AT.to_owned(),
        config_path: "policies/offboard.yaml".to_owned(),
        policy_paths: vec!["policies/groups/interns.yaml".to_owned(), "policies/leavers".to_owned()],
        policy_digest: "sha256:823412d1eacb67956220e532959f0104603057c88704863ca38e7cd188fda812".to_owned(),
        state_digest: "sha256:4ba69735ca53765ed6a709edb56c6ea236b7193a3b29a6b390c346f0f4340e4e".to_owned(),
        ordering_id: ORDERING_ID,
        max_removals: 500,
        location: Location {
            account_id: "111111111111".to_owned(),
            region: "us-east-1".to_owned(),
            instance_arn: Some(INSTANCE_ARN.to_owned()),
            identity_store_id: Some(IDENTITY_STORE_ID.to_owned()),
        },
        principals,
        actions,
        labels: labels(),
    }
}

/// Actions in execution order: phases in order, items sorted by grant then principal, batch
/// calls chunked by [`MAX_BATCH`] (Kendra personas per experience).
pub fn actions_for(principals: &[PrincipalPlan]) -> Vec<Action> {
    let mut actions = Vec::new();
    for phase in Phase::ALL {
        let mut items: Vec<ActionItem> = principals
            .iter()
            .flat_map(|p| {
                p.remove.iter().filter(move |g| Phase::of(g) == phase).map(move |g| ActionItem {
                    principal: p.principal.clone(),
                    reason: p.reason.clone(),
                    grant: g.clone(),
                })
            })
            .collect();
        items.sort_by(|a, b| (&a.grant, &a.principal).cmp(&(&b.grant, &b.principal)));
        let per_experience = |items: Vec<ActionItem>, max: usize| {
            let mut out: Vec<Vec<ActionItem>> = Vec::new();
            for item in items {
                let key = experience_of(&item.grant);
                match out.last_mut() {
                    Some(batch) if batch.len() < max && experience_of(&batch[0].grant) == key => batch.push(item),
                    _ => out.push(vec![item]),
                }
            }
            out
        };
        let batches: Vec<Vec<ActionItem>> = match phase {
            Phase::GroupMemberships | Phase::SsoAssignments | Phase::KendraGroupMappings => {
                items.into_iter().map(|i| vec![i]).collect()
            }
            Phase::AppstreamAssociations => items.chunks(MAX_BATCH).map(<[ActionItem]>::to_vec).collect(),
            Phase::KendraPersonas => per_experience(items, MAX_BATCH),
            Phase::KendraExperienceEntities => per_experience(items, MAX_ENTITIES),
        };
        for (n, batch) in batches.into_iter().enumerate() {
            actions.push(Action {
                id: format!("{}-{}", phase.slug(), n + 1),
                phase,
                request: request_for(&batch),
                items: batch,
            });
        }
    }
    actions
}

fn experience_of(g: &Grant) -> (String, String) {
    match g {
        Grant::KendraPersona(KendraPersona { index_id, experience_id, .. })
        | Grant::KendraExperienceEntity(KendraExperienceEntity { index_id, experience_id, .. }) => {
            (index_id.clone().to_string(), experience_id.clone().to_string())
        }
        _ => unreachable!("per-experience batches hold personas or entities"),
    }
}

fn request_for(batch: &[ActionItem]) -> ApiRequest {
    match &batch[0].grant {
        Grant::GroupMembership(GroupMembership { membership_id, .. }) => {
            ApiRequest::DeleteGroupMembership(DeleteGroupMembership {
                identity_store_id: IDENTITY_STORE_ID.into(),
                membership_id: membership_id.clone(),
            })
        }
        Grant::KendraExperienceEntity(KendraExperienceEntity { index_id, experience_id, .. }) => {
            ApiRequest::DisassociateEntitiesFromExperience(DisassociateEntitiesFromExperience {
                id: experience_id.clone(),
                index_id: index_id.clone(),
                entity_list: batch
                    .iter()
                    .map(|i| match &i.grant {
                        Grant::KendraExperienceEntity(e) => EntityConfiguration {
                            entity_id: e.entity_id.clone(),
                            entity_type: e.entity_type.as_aws().into(),
                        },
                        _ => unreachable!("entity batches hold entities"),
                    })
                    .collect(),
            })
        }
        Grant::SsoAssignment(SsoAssignment { account_id, permission_set_arn, principal_type, principal_id }) => {
            ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment {
                instance_arn: INSTANCE_ARN.into(),
                target_id: account_id.clone(),
                target_type: "AWS_ACCOUNT".into(),
                permission_set_arn: permission_set_arn.clone(),
                principal_type: principal_type.as_aws().into(),
                principal_id: principal_id.clone(),
            })
        }
        Grant::AppstreamAssociation(AppstreamAssociation { .. }) => {
            ApiRequest::BatchDisassociateUserStack(BatchDisassociateUserStack {
                user_stack_associations: batch
                    .iter()
                    .map(|i| match &i.grant {
                        Grant::AppstreamAssociation(AppstreamAssociation {
                            stack_name,
                            user_name,
                            authentication_type,
                        }) => UserStackAssociation {
                            stack_name: stack_name.clone(),
                            user_name: user_name.clone(),
                            authentication_type: authentication_type.clone(),
                        },
                        _ => unreachable!("appstream batches hold associations"),
                    })
                    .collect(),
            })
        }
        Grant::KendraPersona(KendraPersona { index_id, experience_id, .. }) => {
            ApiRequest::DisassociatePersonasFromEntities(DisassociatePersonasFromEntities {
                id: experience_id.clone(),
                index_id: index_id.clone(),
                entity_ids: batch
                    .iter()
                    .map(|i| match &i.grant {
                        Grant::KendraPersona(KendraPersona { entity_id, .. }) => entity_id.clone(),
                        _ => unreachable!("persona batches hold personas"),
                    })
                    .collect(),
            })
        }
        Grant::KendraGroupMapping(KendraGroupMapping { index_id, data_source_id, group_id }) => {
            ApiRequest::DeletePrincipalMapping(DeletePrincipalMapping {
                index_id: index_id.clone(),
                data_source_id: data_source_id.clone(),
                group_id: group_id.clone(),
                ordering_id: ORDERING_ID,
            })
        }
    }
}

/// Alice loses her Platform Engineering membership and keeps Data Science (`keep.groups`),
/// whose access therefore remains.
fn alice() -> PrincipalPlan {
    use PrincipalKind::{Group, User};
    let who = "alice.wong@northwind.example";
    let mut p = principal(
        PrincipalRef::user_name(who),
        "HR-4211 left the company 2026-11-20",
        found(ALICE_ID, who),
        vec![
            membership(PLATFORM_ID, ALICE_ID),
            membership(DATA_SCIENCE_ID, ALICE_ID),
            sso("111111111111", ADMIN, User, ALICE_ID),
            sso("222222222222", READ_ONLY, User, ALICE_ID),
            sso("333333333333", POWER_USER, User, ALICE_ID),
            sso("444444444444", READ_ONLY, User, ALICE_ID),
            stack("analytics-desktop", who),
            stack("support-tools", who),
            persona("support-portal", ALICE_ID, Persona::Viewer),
            entity("support-portal", ALICE_ID, User),
        ],
        vec![
            (sso("111111111111", ADMIN, User, ALICE_ID), protected_account("111111111111")),
            (membership(DATA_SCIENCE_ID, ALICE_ID), SkipReason::Kept),
        ],
    );
    p.remains = vec![
        Remaining {
            grant: sso("333333333333", READ_ONLY, Group, DATA_SCIENCE_ID),
            group_id: DATA_SCIENCE_ID.to_owned(),
            membership: SkipReason::Kept,
        },
        Remaining {
            grant: entity("engineering-search", DATA_SCIENCE_ID, Group),
            group_id: DATA_SCIENCE_ID.to_owned(),
            membership: SkipReason::Kept,
        },
    ];
    p.cut = vec![Cut { grant: sso("444444444444", POWER_USER, Group, PLATFORM_ID), group_id: PLATFORM_ID.to_owned() }];
    p
}

fn interns() -> PrincipalPlan {
    principal(
        PrincipalRef::group_name("Summer Interns"),
        "OPS-77 internship programme 2026 ended",
        found(INTERNS_ID, "Summer Interns"),
        vec![
            sso("333333333333", READ_ONLY, PrincipalKind::Group, INTERNS_ID),
            mapping(Some("confluence-wiki"), "summer-interns"),
        ],
        vec![],
    )
}

fn bob() -> PrincipalPlan {
    use PrincipalKind::User;
    principal(
        PrincipalRef::user_name("bob.martin@northwind.example"),
        "HR-4230 transferred to Contoso 2026-11-18",
        found(BOB_ID, "bob.martin@northwind.example"),
        vec![sso("222222222222", READ_ONLY, User, BOB_ID), sso("333333333333", POWER_USER, User, BOB_ID)],
        vec![(sso("222222222222", READ_ONLY, User, BOB_ID), SkipReason::Kept)],
    )
}

fn carol() -> PrincipalPlan {
    principal(
        PrincipalRef::user_id(CAROL_ID),
        "HR-4231 transferred to Contoso 2026-11-18",
        found(CAROL_ID, "carol.diaz@northwind.example"),
        vec![],
        vec![],
    )
}

fn erin() -> PrincipalPlan {
    let grant = sso("444444444444", READ_ONLY, PrincipalKind::User, ERIN_ID);
    principal(
        PrincipalRef::user_name("erin.fox@northwind.example"),
        "HR-4240 contract ends 2026-12-31",
        found(ERIN_ID, "erin.fox@northwind.example"),
        vec![grant.clone()],
        vec![(grant, SkipReason::NotYetEffective { effective: "2026-12-31".to_owned() })],
    )
}

fn dave() -> PrincipalPlan {
    principal(
        PrincipalRef::user_name("dave.old@northwind.example"),
        "HR-4102 left the company 2026-10-31",
        Resolution::NotFound,
        vec![],
        vec![],
    )
}

/// Every case a reviewer meets: removals in all three services with a protected skip (alice),
/// a group with a Kendra group mapping, a partial keep (bob), a principal declared by id with
/// no access left (carol), one not yet effective (erin) and one not found (dave).
pub fn small_plan() -> Plan {
    plan_of(vec![alice(), interns(), bob(), carol(), erin(), dave()])
}

/// The same organisation after `apply`: only what the plan skipped is left.
pub fn empty_plan() -> Plan {
    let converged = |p: PrincipalPlan| {
        let kept: Vec<(Grant, SkipReason)> = p.skipped.iter().map(|s| (s.grant.clone(), s.why.clone())).collect();
        principal(p.principal, &p.reason, p.resolution, kept.iter().map(|(g, _)| g.clone()).collect(), kept)
    };
    plan_of(vec![converged(alice()), converged(interns()), converged(bob()), converged(dave())])
}

/// `n` leavers with SSO, AppStream and Kendra access each; every tenth is not found. For the
/// Markdown size limits.
pub fn huge_plan(n: usize) -> Plan {
    use PrincipalKind::User;
    let principals = (0..n)
        .map(|i| {
            let who = format!("user{i:04}@northwind.example");
            let id = format!("906712a4c1-{i:08x}-0000-4000-8000-00000000{:04x}", i % 0x10000);
            let reason = format!("HR-{} left the company 2026-11-20", 5000 + i);
            if i % 10 == 9 {
                return principal(PrincipalRef::user_name(&who), &reason, Resolution::NotFound, vec![], vec![]);
            }
            principal(
                PrincipalRef::user_name(&who),
                &reason,
                found(&id, &who),
                vec![
                    sso("222222222222", READ_ONLY, User, &id),
                    sso("333333333333", POWER_USER, User, &id),
                    stack("analytics-desktop", &who),
                    persona("support-portal", &id, Persona::Viewer),
                ],
                vec![],
            )
        })
        .collect();
    let mut plan = plan_of(principals);
    plan.max_removals = 10_000;
    plan
}

/// The small plan with strings written to break out of their place: a reason with a table
/// separator, a newline, HTML and a terminal escape; a label with a code fence.
pub fn hostile_plan() -> Plan {
    let mut plan = small_plan();
    plan.principals[0].reason =
        "HR-4211 | left\n| injected | row | </details><script>alert(1)</script> \x1b[2J<!-- hide".to_owned();
    plan.labels.insert(ps_arn(POWER_USER), "Power```\n</details>\n```User".to_owned());
    plan.actions = actions_for(&plan.principals);
    plan
}

/// Strip ANSI SGR sequences (`ESC [ … m`).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The example in `docs/plan-format.md`: one of each grant kind, a protected skip and a
/// principal not found, small enough to read in full.
pub fn doc_example_plan() -> Plan {
    use PrincipalKind::User;
    let who = "alice.wong@northwind.example";
    let alice = principal(
        PrincipalRef::user_name(who),
        "HR-4211 left the company 2026-11-20",
        found(ALICE_ID, who),
        vec![
            membership(PLATFORM_ID, ALICE_ID),
            membership(DATA_SCIENCE_ID, ALICE_ID),
            sso("111111111111", ADMIN, User, ALICE_ID),
            sso("222222222222", READ_ONLY, User, ALICE_ID),
            stack("support-tools", who),
            persona("support-portal", ALICE_ID, Persona::Viewer),
            entity("support-portal", ALICE_ID, User),
        ],
        vec![
            (sso("111111111111", ADMIN, User, ALICE_ID), protected_account("111111111111")),
            (membership(DATA_SCIENCE_ID, ALICE_ID), SkipReason::Kept),
        ],
    );
    let mut alice = alice;
    alice.remains = vec![Remaining {
        grant: sso("222222222222", READ_ONLY, PrincipalKind::Group, DATA_SCIENCE_ID),
        group_id: DATA_SCIENCE_ID.to_owned(),
        membership: SkipReason::Kept,
    }];
    alice.cut =
        vec![Cut { grant: persona("support-portal", PLATFORM_ID, Persona::Viewer), group_id: PLATFORM_ID.to_owned() }];
    let interns = principal(
        PrincipalRef::group_name("Summer Interns"),
        "OPS-77 internship programme 2026 ended",
        found(INTERNS_ID, "Summer Interns"),
        vec![mapping(Some("confluence-wiki"), "summer-interns")],
        vec![],
    );
    let mut plan = plan_of(vec![alice, interns, dave()]);
    plan.labels.retain(|k, _| {
        ["111111111111", "222222222222", PLATFORM_ID, DATA_SCIENCE_ID].contains(&k.as_str())
            || k.ends_with(READ_ONLY)
            || k.ends_with(ADMIN)
    });
    plan
}
