//! Access through groups, end to end with the built binary against one sandbox seeded from the
//! example organisation: with memberships managed, plan → apply leaves no leaver any access,
//! direct or through a group, except what the policy keeps on purpose, and nobody else loses
//! anything; with memberships owned by the identity provider, the plan says what remains and
//! through which group, and `require_complete` refuses it.
//!
//! "What a leaver can reach" is read the way an AWS client would, with the SDK against the
//! sandbox's endpoint: the user's groups (`ListGroupMembershipsForMember`), the assignments of
//! the user and of each group (`ListAccountAssignmentsForPrincipal`), the experiences' entities
//! and personas, and the user's AppStream stacks.

use offboard_core::grant::{
    AppstreamAssociation, GroupMembership, KendraExperienceEntity, KendraPersona, Persona, SsoAssignment,
};
use offboard_core::plan::{PrincipalPlan, SkipReason};
use offboard_core::{Grant, Plan, PrincipalKind, Resolution};
use offboard_sandbox::Faults;
use offboard_tests::access::{assert_removed_exactly, grants, planned_removals};
use offboard_tests::cli::Run;
use offboard_tests::policy_repo::PolicyRepo;
use offboard_tests::sandbox::TestSandbox;
use std::collections::BTreeSet;

const INDEX: &str = "4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c";
const EXPERIENCES: [&str; 2] = ["support-portal", "engineering-search"];
const STORE: &str = "d-906700a1b2";

/// A grant a user can use, and the group it comes through (`None`: its own).
type Reach = (Option<String>, Grant);

/// Everything `user_name` (Identity Store id `user_id`) can reach now, read with the SDK.
fn reach(sandbox: &TestSandbox, user_name: &str, user_id: &str) -> BTreeSet<Reach> {
    sandbox.block_on(async {
        let ids = sandbox.identity_store();
        let sso = sandbox.sso_admin();
        let kendra = sandbox.kendra();
        let appstream = sandbox.appstream();
        let instance = sso.list_instances().send().await.expect("ListInstances");
        let instance_arn = instance.instances()[0].instance_arn().expect("an instance").to_owned();

        let groups: Vec<String> = ids
            .list_group_memberships_for_member()
            .identity_store_id(STORE)
            .member_id(aws_sdk_identitystore::types::MemberId::UserId(user_id.to_owned()))
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .map(|m| m.expect("ListGroupMembershipsForMember").group_id().expect("a group id").to_owned())
            .collect();

        let mut out = BTreeSet::new();
        let principals = std::iter::once((None, PrincipalKind::User, user_id.to_owned()))
            .chain(groups.iter().map(|g| (Some(g.clone()), PrincipalKind::Group, g.clone())));
        for (via, kind, id) in principals {
            let aws_kind = aws_sdk_ssoadmin::types::PrincipalType::from(kind.as_aws());
            let rows = sso
                .list_account_assignments_for_principal()
                .instance_arn(&instance_arn)
                .principal_type(aws_kind)
                .principal_id(&id)
                .into_paginator()
                .items()
                .send()
                .collect::<Vec<_>>()
                .await;
            for row in rows {
                let row = row.expect("ListAccountAssignmentsForPrincipal");
                out.insert((
                    via.clone(),
                    Grant::SsoAssignment(SsoAssignment {
                        account_id: row.account_id().unwrap_or_default().into(),
                        permission_set_arn: row.permission_set_arn().unwrap_or_default().into(),
                        principal_type: kind,
                        principal_id: row.principal_id().unwrap_or_default().into(),
                    }),
                ));
            }
            for exp in EXPERIENCES {
                let entities =
                    kendra.list_experience_entities().index_id(INDEX).id(exp).send().await.expect("entities");
                for e in entities.summary_items().iter().filter(|e| e.entity_id() == Some(id.as_str())) {
                    let entity_type = match e.entity_type() {
                        Some(aws_sdk_kendra::types::EntityType::Group) => PrincipalKind::Group,
                        _ => PrincipalKind::User,
                    };
                    out.insert((
                        via.clone(),
                        Grant::KendraExperienceEntity(KendraExperienceEntity {
                            index_id: INDEX.into(),
                            experience_id: exp.into(),
                            entity_id: id.clone().into(),
                            entity_type,
                        }),
                    ));
                }
                let personas = kendra.list_entity_personas().index_id(INDEX).id(exp).send().await.expect("personas");
                for p in personas.summary_items().iter().filter(|p| p.entity_id() == Some(id.as_str())) {
                    let persona = if p.persona() == Some(&aws_sdk_kendra::types::Persona::Owner) {
                        Persona::Owner
                    } else {
                        Persona::Viewer
                    };
                    out.insert((
                        via.clone(),
                        Grant::KendraPersona(KendraPersona {
                            index_id: INDEX.into(),
                            experience_id: exp.into(),
                            entity_id: id.clone().into(),
                            persona,
                            entity_type: Some(kind),
                        }),
                    ));
                }
            }
        }
        let stacks = appstream
            .describe_user_stack_associations()
            .user_name(user_name)
            .authentication_type(aws_sdk_appstream::types::AuthenticationType::Userpool)
            .send()
            .await
            .expect("DescribeUserStackAssociations");
        for a in stacks.user_stack_associations() {
            out.insert((
                None,
                Grant::AppstreamAssociation(AppstreamAssociation {
                    stack_name: a.stack_name().unwrap_or_default().into(),
                    user_name: a.user_name().unwrap_or_default().into(),
                    authentication_type: "USERPOOL".into(),
                }),
            ));
        }
        out
    })
}

fn user_leavers(plan: &Plan) -> Vec<(&PrincipalPlan, &str, &str)> {
    plan.principals
        .iter()
        .filter(|p| p.principal.kind == PrincipalKind::User)
        .filter_map(|p| match &p.resolution {
            Resolution::Found { id, .. } => Some((p, p.principal.label(), id.as_str())),
            Resolution::NotFound => None,
        })
        .collect()
}

/// Whether the plan keeps `g` for `p` on purpose: skipped as protected, kept or not yet
/// effective, or reached through a group whose membership stays for such a reason. Carol's
/// AppStream association stays because her declared `scope` leaves AppStream out.
fn kept_on_purpose(p: &PrincipalPlan, (via, g): &Reach) -> bool {
    let deliberate = |why: &SkipReason| why.deliberate() || *why == SkipReason::OutOfScope;
    match via {
        None => p.skipped.iter().any(|k| &k.grant == g && deliberate(&k.why)),
        Some(group) => p.remains.iter().any(|r| &r.group_id == group && &r.grant == g && r.membership.deliberate()),
    }
}

#[test]
fn with_memberships_managed_no_leaver_keeps_access_through_groups_and_nobody_else_loses_any() {
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    let before = grants(&sandbox.snapshot());

    Run::of(sandbox.offboard(repo.root()).args(["plan", "policies", "--out", "plan.json"])).expect_code(0);
    let plan = repo.plan("plan.json");
    let leavers = user_leavers(&plan);
    let reach_before: Vec<BTreeSet<Reach>> = leavers.iter().map(|(_, name, id)| reach(&sandbox, name, id)).collect();
    // The fixture gives alice access through two groups; the plan removes both memberships.
    let (alice, _, alice_id) = leavers.iter().find(|(_, n, _)| n.starts_with("alice.wong")).expect("alice");
    assert!(reach_before[0].iter().any(|(via, _)| via.is_some()), "alice reaches something through groups");
    let memberships: Vec<&Grant> = alice.remove.iter().filter(|g| matches!(g, Grant::GroupMembership(_))).collect();
    assert_eq!(memberships.len(), 2, "both of alice's memberships are planned: {:#?}", alice.remove);
    assert!(alice.remains.is_empty(), "{:#?}", alice.remains);
    // What she loses through them is shown with the group it comes through.
    let cut_groups: BTreeSet<&str> = alice.cut.iter().map(|c| c.group_id.as_str()).collect();
    assert_eq!(cut_groups.len(), 2, "{:#?}", alice.cut);
    let text = Run::of(sandbox.offboard(repo.root()).args(["show", "plan.json"])).expect_code(0);
    assert!(text.stdout.contains("lost with the removed memberships (access through groups):"), "{text}");
    let first = &plan.actions[0];
    assert_eq!(first.request.operation(), "DeleteGroupMembership", "memberships go first");

    Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"]))
        .expect_code(0)
        .expect_stdout(&format!("Apply complete: {} removed, 0 already removed, 0 failed.", plan.removal_count()));

    // Nobody else lost anything: exactly the planned grants are gone.
    let after = grants(&sandbox.snapshot());
    assert_removed_exactly(&before, &after, &planned_removals(&plan));
    // Read as a client: what each user leaver still reaches is only what the plan keeps on
    // purpose (directly or through a group whose membership stays on purpose).
    for ((p, name, id), was) in leavers.iter().zip(&reach_before) {
        let now = reach(&sandbox, name, id);
        let unexpected: Vec<&Reach> = now.iter().filter(|r| !kept_on_purpose(p, r)).collect();
        assert!(unexpected.is_empty(), "{name} still reaches {unexpected:#?}");
        assert!(now.is_subset(was), "{name} gained access");
    }
    let alice_now = reach(&sandbox, "alice.wong@northwind.example", alice_id);
    assert_eq!(alice_now.len(), 1, "only the protected management account is left: {alice_now:#?}");
    // The other members of alice's groups keep their memberships.
    let snapshot = sandbox.snapshot();
    for m in memberships {
        let Grant::GroupMembership(GroupMembership { group_id, .. }) = m else { unreachable!() };
        assert!(
            snapshot.group_memberships.iter().any(|x| *x.group_id == **group_id && x.user_id != *alice_id),
            "the group {group_id} keeps its other members"
        );
    }

    // Converged: planning again removes nothing, and only erin (not yet effective) has access
    // left through a group.
    Run::of(sandbox.offboard(repo.root()).args(["plan", "policies", "--out", "again.json", "--detailed-exitcode"]))
        .expect_code(0)
        .expect_stdout("No changes");
    let again = repo.plan("again.json");
    for p in &again.principals {
        assert!(p.remove.is_empty(), "{}: {:#?}", p.principal, p.remove);
        for r in &p.remains {
            assert!(
                matches!(r.membership, SkipReason::NotYetEffective { .. }),
                "{} keeps {:?} through {}: {:?}",
                p.principal,
                r.grant,
                r.group_id,
                r.membership
            );
        }
    }
}

#[test]
fn with_memberships_owned_by_the_identity_provider_the_plan_says_what_remains_and_require_complete_refuses() {
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    repo.edit("policies/offboard.yaml", "manage_memberships: true", "manage_memberships: false");
    repo.edit(
        "policies/leavers/2026-11-platform-team.yaml",
        "scope: [sso, kendra, identity_store]",
        "scope: [sso, kendra]",
    );
    let before = sandbox.snapshot();

    let text = Run::of(sandbox.offboard(repo.root()).args(["plan", "policies", "--out", "plan.json"])).expect_code(0);
    let plan = repo.plan("plan.json");
    let alice = plan.principals.iter().find(|p| p.principal.label().starts_with("alice.wong")).expect("alice");
    assert!(alice.remove.iter().all(|g| !matches!(g, Grant::GroupMembership(_))), "no membership is removed");
    let through: BTreeSet<&str> = alice.remains.iter().map(|r| r.group_id.as_str()).collect();
    assert_eq!(through.len(), 2, "alice keeps access through her two groups: {:#?}", alice.remains);
    assert!(alice.remains.iter().all(|r| r.membership == SkipReason::NotManaged));
    assert!(
        alice.remains.iter().any(|r| matches!(&r.grant, Grant::SsoAssignment(a) if plan.labels.get(&*a.permission_set_arn).map(String::as_str) == Some("PowerUserAccess"))),
        "{:#?}",
        alice.remains
    );
    // The text names the path of each remaining grant.
    assert!(text.stdout.contains("remains (access that stays through groups):"), "{text}");
    assert!(
        text.stdout.contains("through group Platform Engineering (")
            && text.stdout.contains("membership managed by your identity provider, not by offboard"),
        "{text}"
    );
    let summary = plan.summary();
    assert!(summary.remain_through_groups > 0);
    assert!(text.stdout.contains(&format!("{} remain through groups", summary.remain_through_groups)), "{text}");
    // Markdown and JSON carry the same.
    let md = Run::of(sandbox.offboard(repo.root()).args(["show", "plan.json", "--format", "markdown"])).expect_code(0);
    assert!(md.stdout.contains("# remains (access that stays through groups"), "{md}");
    assert!(md.stdout.contains("through group Platform Engineering"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&repo.read("plan.json")).unwrap();
    assert!(
        json["principals"].as_array().unwrap().iter().any(|p| p["remains"].as_array().is_some_and(|r| !r.is_empty()))
    );

    // The guardrail: plan exits 1 and says which grants remain and why.
    repo.edit("policies/offboard.yaml", "max_removals: 500", "max_removals: 500\n  require_complete: true");
    let refused = Run::of(sandbox.offboard(repo.root()).args(["plan", "policies"]))
        .expect_code(1)
        .expect_stderr("guardrails.require_complete");
    assert!(refused.stderr.contains("through group Platform Engineering"), "{refused}");
    assert!(refused.stderr.contains("managed by your identity provider"), "{refused}");
    assert!(refused.stdout.contains("Plan:"), "the plan is still shown: {refused}");
    // apply --auto-approve refuses the same before sending anything.
    Run::of(sandbox.offboard(repo.root()).args(["apply", "--auto-approve", "policies"]))
        .expect_code(1)
        .expect_stderr("guardrails.require_complete");
    assert_eq!(grants(&sandbox.snapshot()), grants(&before), "nothing was removed");
}
