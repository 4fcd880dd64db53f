//! The adapter against the sandbox (examples/sandbox/org.yaml) over HTTP, through the real SDK
//! clients, with and without faults. Every apply is checked against the sandbox's own state:
//! nothing outside the plan is removed, every item reported removed is gone, and each run either
//! completes or names exactly the items that failed.

mod common;

use common::*;
use offboard_aws::{ApplyReport, CallStats, Clients, Limits};
use offboard_core::edge::sso_assignment::DeleteAccountAssignment;
use offboard_core::grant::{
    AppstreamAssociation, GroupMembership, KendraExperienceEntity, KendraGroupMapping, KendraPersona, SsoAssignment,
};
use offboard_core::grant::{Grant, Persona};
use offboard_core::outcome::OutcomeResult;
use offboard_core::plan::Plan;
use offboard_core::principal::{PrincipalKind, PrincipalRef};
use offboard_core::state::{ObservedState, Resolution};
use offboard_sandbox::{AwsService, Faults, RunningSandbox, StateSnapshot};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const ALICE: &str = "alice.wong@northwind.example";
const BOB: &str = "bob.martin@northwind.example";
const CAROL: &str = "carol.diaz@northwind.example";
const ERIN: &str = "erin.fox@northwind.example";
const INTERNS: &str = "Summer Interns";

async fn start(faults: Faults) -> (RunningSandbox, Clients) {
    start_sandbox(example_org(), faults).await
}

/// Everything removable in the sandbox, as core grants.
fn grants_in(s: &StateSnapshot) -> BTreeSet<Grant> {
    let mut out = BTreeSet::new();
    for a in &s.sso_assignments {
        out.insert(Grant::SsoAssignment(SsoAssignment {
            account_id: a.account_id.clone().into(),
            permission_set_arn: a.permission_set_arn.clone().into(),
            principal_type: if a.principal_type == "GROUP" { PrincipalKind::Group } else { PrincipalKind::User },
            principal_id: a.principal_id.clone().into(),
        }));
    }
    for a in &s.appstream_associations {
        out.insert(Grant::AppstreamAssociation(AppstreamAssociation {
            stack_name: a.stack_name.clone().into(),
            user_name: a.user_name.clone().into(),
            authentication_type: a.authentication_type.clone().into(),
        }));
    }
    for p in &s.kendra_personas {
        out.insert(Grant::KendraPersona(KendraPersona {
            index_id: p.index_id.clone().into(),
            experience_id: p.experience_id.clone().into(),
            entity_id: p.entity_id.clone().into(),
            persona: if p.persona == "OWNER" { Persona::Owner } else { Persona::Viewer },
            entity_type: Some(if p.entity_type == "GROUP" { PrincipalKind::Group } else { PrincipalKind::User }),
        }));
    }
    for m in &s.group_memberships {
        out.insert(Grant::GroupMembership(GroupMembership {
            group_id: m.group_id.clone().into(),
            member_id: m.user_id.clone().into(),
            membership_id: m.membership_id.clone().into(),
        }));
    }
    for e in &s.kendra_experience_entities {
        out.insert(Grant::KendraExperienceEntity(KendraExperienceEntity {
            index_id: e.index_id.clone().into(),
            experience_id: e.experience_id.clone().into(),
            entity_id: e.entity_id.clone().into(),
            entity_type: if e.entity_type == "GROUP" { PrincipalKind::Group } else { PrincipalKind::User },
        }));
    }
    for m in s.kendra_group_mappings.iter().filter(|m| m.present && m.status != "DELETING") {
        out.insert(Grant::KendraGroupMapping(KendraGroupMapping {
            index_id: m.index_id.clone().into(),
            data_source_id: m.data_source_id.clone().map(Into::into),
            group_id: m.group_id.clone().into(),
        }));
    }
    out
}

/// Persona grants compare without the persona and entity type (the removal depends on neither).
fn key(g: &Grant) -> Grant {
    match g {
        Grant::KendraPersona(KendraPersona { index_id, experience_id, entity_id, .. }) => {
            Grant::KendraPersona(KendraPersona {
                index_id: index_id.clone(),
                experience_id: experience_id.clone(),
                entity_id: entity_id.clone(),
                persona: Persona::Viewer,
                entity_type: None,
            })
        }
        g => g.clone(),
    }
}

fn planned(plan: &Plan) -> BTreeSet<Grant> {
    plan.actions.iter().flat_map(|a| a.items.iter().map(|i| i.grant.clone())).collect()
}

/// The invariants every apply must keep, faults or not.
fn check_apply(before: &StateSnapshot, after: &StateSnapshot, plan: &Plan, report: &ApplyReport) {
    let before: BTreeSet<Grant> = grants_in(before).iter().map(key).collect();
    let after: BTreeSet<Grant> = grants_in(after).iter().map(key).collect();
    let planned: BTreeSet<Grant> = planned(plan).iter().map(key).collect();
    let removed: BTreeSet<&Grant> = before.difference(&after).collect();
    let outside: Vec<&&Grant> = removed.iter().filter(|g| !planned.contains(**g)).collect();
    assert!(outside.is_empty(), "removed outside the plan: {outside:#?}");
    assert!(after.is_subset(&before), "apply created access: {:#?}", after.difference(&before).collect::<Vec<_>>());

    // One outcome per planned item, and every success is real.
    let mut per_item: BTreeMap<Grant, usize> = BTreeMap::new();
    for o in &report.outcomes {
        *per_item.entry(key(&o.grant)).or_default() += 1;
        if o.is_success() {
            assert!(!after.contains(&key(&o.grant)), "reported {:?} but still present: {:?}", o.result, o.grant);
        }
    }
    assert_eq!(per_item.keys().cloned().collect::<BTreeSet<_>>(), planned, "outcomes vs planned items");
    assert!(per_item.values().all(|n| *n == 1), "an item has more than one outcome: {per_item:#?}");

    // The re-read after each phase found exactly the planned grants the sandbox still has
    // (nothing re-adds access while apply runs here).
    if let Ok(still) = &report.still_present {
        let still: BTreeSet<Grant> = still.iter().map(key).collect();
        assert_eq!(still, planned.intersection(&after).cloned().collect(), "apply's verification vs the sandbox");
    }
}

/// The sandbox's view of the calls: requests by `prefix:Operation`, like [`CallStats`].
fn logged_calls(sandbox: &RunningSandbox) -> CallStats {
    let mut by_operation = BTreeMap::new();
    for r in sandbox.request_log() {
        let prefix = if r.service == "sso-admin" { "sso".to_owned() } else { r.service.clone() };
        *by_operation.entry(format!("{prefix}:{}", r.operation)).or_insert(0u64) += 1;
    }
    CallStats { by_operation }
}

fn assert_requests_valid(sandbox: &RunningSandbox) {
    for r in sandbox.request_log() {
        assert_ne!(r.error.as_deref(), Some("ValidationException"), "invalid request sent: {r:#?}");
        assert!(r.conformance.is_empty(), "non-conforming exchange: {r:#?}");
    }
}

fn by_name<'a>(state: &'a ObservedState, p: &PrincipalRef) -> &'a offboard_core::state::ObservedPrincipal {
    state.get(p).unwrap_or_else(|| panic!("{p} missing from the state"))
}

#[tokio::test]
async fn read_state_finds_the_example_policies_grants() {
    let (sandbox, clients) = start(Faults::none()).await;
    let policy = example_policy();
    let snap = sandbox.snapshot();
    let all = grants_in(&snap);

    let state = offboard_aws::read_state(&clients, &policy, &Limits::default()).await.expect("read_state");
    for p in &state.principals {
        let Resolution::Found { id, .. } = &p.resolution else { panic!("{} not found", p.principal) };
        // Everything read exists, and belongs to this principal.
        for g in &p.grants {
            assert!(all.contains(g), "{} read a grant the sandbox does not have: {g:?}", p.principal);
            match g {
                Grant::SsoAssignment(SsoAssignment { principal_id, .. })
                | Grant::KendraPersona(KendraPersona { entity_id: principal_id, .. }) => {
                    assert_eq!(&**principal_id, id.as_str())
                }
                _ => {}
            }
        }
    }
    let expected = |name: &str, services: &[&str]| -> BTreeSet<Grant> {
        let mut out = BTreeSet::new();
        if services.contains(&"sso") {
            out.extend(grants_in(&StateSnapshot {
                sso_assignments: snap.assignments_of(name).into_iter().cloned().collect(),
                ..StateSnapshot::default()
            }));
        }
        if services.contains(&"appstream") {
            out.extend(grants_in(&StateSnapshot {
                appstream_associations: snap.associations_of(name).into_iter().cloned().collect(),
                ..StateSnapshot::default()
            }));
        }
        if services.contains(&"kendra") {
            out.extend(grants_in(&StateSnapshot {
                kendra_personas: snap.personas_of(name).into_iter().cloned().collect(),
                kendra_experience_entities: snap.experience_entities_of(name).into_iter().cloned().collect(),
                ..StateSnapshot::default()
            }));
        }
        if services.contains(&"identity_store") {
            out.extend(grants_in(&StateSnapshot {
                group_memberships: snap.memberships_of(name).into_iter().cloned().collect(),
                ..StateSnapshot::default()
            }));
        }
        out
    };
    let all_services = ["sso", "appstream", "kendra", "identity_store"];
    assert_eq!(by_name(&state, &PrincipalRef::user_name(ALICE)).grants, expected(ALICE, &all_services));
    assert_eq!(by_name(&state, &PrincipalRef::user_name(BOB)).grants, expected(BOB, &all_services));
    // Carol's scope leaves AppStream out, but it is read all the same: the plan shows it as out
    // of scope rather than hiding it.
    assert_eq!(by_name(&state, &PrincipalRef::user_name(CAROL)).grants, expected(CAROL, &all_services));
    assert!(!snap.associations_of(CAROL).is_empty(), "fixture: Carol has an AppStream association");
    assert_eq!(by_name(&state, &PrincipalRef::user_name(ERIN)).grants, expected(ERIN, &all_services));
    // Alice's groups, read once each, with their names and their own access.
    for m in snap.memberships_of(ALICE) {
        let group = state.groups.get(&m.group_id).unwrap_or_else(|| panic!("group {} not read", m.group_name));
        assert_eq!(group.name.as_deref(), Some(m.group_name.as_str()));
        assert_eq!(group.grants, expected(&m.group_name, &["sso", "kendra"]), "{}", m.group_name);
    }
    assert!(!snap.memberships_of(ALICE).is_empty(), "fixture: Alice is a member of groups");
    // A group that several leavers are members of is read once: its assignments, its name.
    let sharing = |group_id: &str| {
        [ALICE, BOB, CAROL, ERIN]
            .iter()
            .filter(|u| snap.memberships_of(u).iter().any(|m| m.group_id == group_id))
            .count()
    };
    let shared = snap
        .memberships_of(ALICE)
        .into_iter()
        .find(|m| sharing(&m.group_id) > 1)
        .expect("fixture: one of Alice's groups has several leaver members");
    let reads_of = |operation: &str, key: &str| {
        sandbox
            .request_log()
            .iter()
            .filter(|r| {
                r.operation == operation && r.params.get(key).and_then(|v| v.as_str()) == Some(&shared.group_id)
            })
            .count()
    };
    assert_eq!(reads_of("ListAccountAssignmentsForPrincipal", "PrincipalId"), 1);
    // Its name comes from the one listing of the directory's groups, cheaper here than a
    // DescribeGroup per group (read_strategy.rs).
    assert_eq!(reads_of("DescribeGroup", "GroupId"), 0);
    assert_eq!(sandbox.request_log().iter().filter(|r| r.operation == "ListGroups").count(), 1);
    // Each experience's entities are listed once (one page each here), for the persona edge and
    // the experience-entity edge together.
    let entity_listings: Vec<String> = sandbox
        .request_log()
        .iter()
        .filter(|r| r.operation == "ListExperienceEntities")
        .map(|r| r.params.get("Id").and_then(|v| v.as_str()).unwrap_or_default().to_owned())
        .collect();
    assert_eq!(entity_listings.len(), 2, "{entity_listings:?}");
    assert_ne!(entity_listings[0], entity_listings[1]);
    let interns = by_name(&state, &PrincipalRef::group_name(INTERNS));
    let mut want = expected(INTERNS, &["sso", "kendra"]);
    want.extend(
        grants_in(&StateSnapshot {
            kendra_group_mappings: snap.group_mappings_of("summer-interns").into_iter().cloned().collect(),
            ..StateSnapshot::default()
        })
        .into_iter(),
    );
    assert_eq!(interns.grants, want);
    assert!(
        interns
            .grants
            .iter()
            .any(|g| matches!(g, Grant::KendraGroupMapping(KendraGroupMapping { data_source_id: None, .. })))
    );
    assert!(
        interns
            .grants
            .iter()
            .any(|g| matches!(g, Grant::KendraGroupMapping(KendraGroupMapping { data_source_id: Some(_), .. })))
    );
    // Labels name the permission sets.
    assert!(state.labels.values().any(|l| l == "PowerUserAccess"), "{:?}", state.labels);

    // Our count of calls is the sandbox's count of requests, but for the one STS call (STS is
    // not one of the emulated services and is not logged).
    let mut ours = clients.call_stats();
    assert_eq!(ours.by_operation.remove("sts:GetCallerIdentity"), Some(1), "{ours}");
    assert_eq!(ours, logged_calls(&sandbox));
    assert_requests_valid(&sandbox);
    eprintln!("read_state calls (example policies):\n{}", clients.call_stats());
}

#[tokio::test]
async fn apply_removes_exactly_the_plan_and_reapply_is_all_already_removed() {
    let (sandbox, clients) = start(Faults::none()).await;
    let policy = example_policy();
    let limits = fast_limits();
    let state = offboard_aws::read_state(&clients, &policy, &limits).await.unwrap();
    let plan = make_plan(&policy, &state);
    assert!(plan.actions.len() >= 4, "the example plan touches every phase: {:#?}", plan.actions);
    let read_calls = clients.call_stats();

    let before = sandbox.snapshot();
    let report = apply_collect(&clients, &plan, &limits).await;
    let after = sandbox.snapshot();
    check_apply(&before, &after, &plan, &report);
    assert!(report.is_complete(), "{:#?}", report.failed().collect::<Vec<_>>());
    assert_eq!(report.counts().removed, plan.removal_count());
    // Identity Center deletions were followed to SUCCEEDED with the bulk status listing.
    assert!(report.calls.get("sso:ListAccountAssignmentDeletionStatus") > 0, "{}", report.calls);
    for o in &report.outcomes {
        assert!(o.request_id.is_some(), "removed without a request id: {o:?}");
        if o.operation == "DeleteAccountAssignment" {
            assert!(o.deletion_request_id.is_some(), "{o:?}");
        }
    }
    // Exactly the planned grants are gone.
    let gone: BTreeSet<Grant> = grants_in(&before).difference(&grants_in(&after)).map(key).collect();
    assert_eq!(gone, planned(&plan).iter().map(key).collect());

    assert_eq!(offboard_aws::verify(&clients, &plan, &limits).await.unwrap(), Vec::<Grant>::new());
    assert_eq!(report.still_present, Ok(Vec::new()), "apply's own verification agrees");

    // Identity Center's removals were re-read while the later phases removed: the first
    // assignment listing after the last deletion poll comes before the last Kendra removal.
    let log = sandbox.request_log();
    let position = |from: usize, ops: &[&str]| log[from..].iter().position(|r| ops.contains(&r.operation.as_str()));
    let last = |ops: &[&str]| log.iter().rposition(|r| ops.contains(&r.operation.as_str())).unwrap();
    let sso_done = last(&["ListAccountAssignmentDeletionStatus", "DescribeAccountAssignmentDeletionStatus"]);
    let sso_proof = sso_done
        + position(sso_done, &["ListAccountAssignmentsForPrincipal", "ListAccountAssignments"])
            .expect("Identity Center's removals were re-read");
    let kendra_last =
        last(&["DisassociatePersonasFromEntities", "DisassociateEntitiesFromExperience", "DeletePrincipalMapping"]);
    assert!(
        sso_proof < kendra_last,
        "the proof of Identity Center's phase waited for the end: {sso_proof} vs {kendra_last}"
    );

    let again = apply_collect(&clients, &plan, &limits).await;
    assert_eq!(results(&again), vec![&OutcomeResult::AlreadyRemoved; plan.removal_count()]);
    let removals = [
        "sso:DeleteAccountAssignment",
        "appstream:BatchDisassociateUserStack",
        "kendra:DisassociatePersonasFromEntities",
        "kendra:DeletePrincipalMapping",
    ];
    for op in removals {
        assert_eq!(again.calls.get(op), 0, "re-apply sent {op}: {}", again.calls);
    }
    assert_eq!(sandbox.snapshot(), after, "re-apply changed nothing");

    let state = offboard_aws::read_state(&clients, &policy, &limits).await.unwrap();
    assert!(make_plan(&policy, &state).actions.is_empty(), "converged: no changes");
    let mut ours = clients.call_stats();
    assert_eq!(ours.by_operation.remove("sts:GetCallerIdentity"), Some(2), "one per read_state: {ours}");
    assert_eq!(ours, logged_calls(&sandbox));
    assert_requests_valid(&sandbox);
    eprintln!("plan (read_state) calls:\n{read_calls}\napply calls:\n{}", report.calls);
}

/// Apply under faults and check the invariants; returns the report.
async fn apply_under(faults: Faults, limits: Limits) -> (ApplyReport, Plan, StateSnapshot, RunningSandbox, Clients) {
    let (sandbox, clients) = start(Faults::none()).await;
    let policy = example_policy();
    let state = offboard_aws::read_state(&clients, &policy, &limits).await.unwrap();
    let plan = make_plan(&policy, &state);
    let before = sandbox.snapshot();
    sandbox.set_faults(faults).unwrap();
    let report = apply_collect(&clients, &plan, &limits).await;
    sandbox.set_faults(Faults::none()).unwrap();
    let after = sandbox.snapshot();
    check_apply(&before, &after, &plan, &report);
    (report, plan, after, sandbox, clients)
}

#[tokio::test]
async fn throttling_at_5_tps_is_retried_to_completion() {
    let faults = Faults::none()
        .with_seed(1)
        .with_tps(AwsService::SsoAdmin, 5.0)
        .with_tps(AwsService::IdentityStore, 5.0)
        .with_tps(AwsService::AppStream, 5.0)
        .with_tps(AwsService::Kendra, 5.0);
    // Our own limit is higher than the sandbox's, so throttling happens and must be absorbed.
    let limits = Limits { tps: offboard_aws::Tps::all(20.0), ..fast_limits() };
    let (report, plan, _, sandbox, clients) = apply_under(faults, limits.clone()).await;
    assert!(report.is_complete(), "{:#?}", report.failed().collect::<Vec<_>>());
    assert!(sandbox.request_log().iter().any(|r| r.fault.as_deref() == Some("throttled")), "no throttling happened");
    assert_eq!(offboard_aws::verify(&clients, &plan, &limits).await.unwrap(), Vec::<Grant>::new());
}

#[tokio::test]
async fn server_errors_latency_and_dropped_connections_complete_or_name_the_failures() {
    for seed in 1..=3 {
        let faults = Faults::none()
            .with_seed(seed)
            .with_error_rate(0.1)
            .with_drop_rate(0.1)
            .with_latency(Duration::from_millis(2), Duration::from_millis(5));
        let (report, plan, _after, sandbox, clients) = apply_under(faults, fast_limits()).await;
        assert!(sandbox.request_log().iter().any(|r| r.fault.is_some()), "seed {seed}: no fault injected");
        // With this retry budget every item gets through; if one did not, it must be named, and
        // verify must agree with the report.
        let still = offboard_aws::verify(&clients, &plan, &fast_limits()).await.unwrap();
        let failed: BTreeSet<Grant> = report.failed().map(|o| key(&o.grant)).collect();
        for g in &still {
            assert!(failed.contains(&key(g)), "seed {seed}: {g:?} still present but not reported failed");
        }
        assert!(report.is_complete(), "seed {seed}: {:#?}", report.failed().collect::<Vec<_>>());
        assert!(still.is_empty());
    }
}

#[tokio::test]
async fn partial_batch_failures_are_reported_item_by_item() {
    // Alice's and Bob's batch items fail: AppStream answers INTERNAL_ERROR for them (retried, then
    // given up) and Kendra lists them in FailedEntityList. Everything else goes, including the
    // other items of the same batch calls.
    let faults = Faults::none().with_failing_entity(ALICE).with_failing_entity(BOB);
    let (report, plan, after, _sandbox, _clients) = apply_under(faults, fast_limits()).await;
    let failed: Vec<_> = report.failed().collect();
    let alice_or_bob = [PrincipalRef::user_name(ALICE), PrincipalRef::user_name(BOB)];
    for o in &failed {
        assert!(alice_or_bob.contains(&o.principal), "unexpected failure: {o:#?}");
        assert!(
            matches!(
                o.grant,
                Grant::AppstreamAssociation(AppstreamAssociation { .. })
                    | Grant::KendraPersona(KendraPersona { .. })
                    | Grant::KendraExperienceEntity(KendraExperienceEntity { .. })
            ),
            "unexpected failure: {o:#?}"
        );
        // A failed item is still there.
        assert!(grants_in(&after).iter().map(key).any(|g| g == key(&o.grant)), "{o:?}");
    }
    for kind in ["appstream", "persona"] {
        for who in &alice_or_bob {
            let planned_here = report.outcomes.iter().filter(|o| {
                &o.principal == who
                    && match kind {
                        "appstream" => matches!(o.grant, Grant::AppstreamAssociation(AppstreamAssociation { .. })),
                        _ => matches!(o.grant, Grant::KendraPersona(KendraPersona { .. })),
                    }
            });
            for o in planned_here {
                assert!(!o.is_success(), "{who} {kind} should have failed: {o:#?}");
            }
        }
    }
    assert!(failed.iter().any(|o| matches!(o.grant, Grant::AppstreamAssociation(AppstreamAssociation { .. }))));
    assert!(failed.iter().any(|o| matches!(o.grant, Grant::KendraPersona(KendraPersona { .. }))));
    // Everyone else's items were removed, in the same batches.
    let counts = report.counts();
    assert_eq!(counts.removed + counts.failed, plan.removal_count(), "{counts:?}");
    assert!(
        report.outcomes.iter().any(
            |o| o.result == OutcomeResult::Removed && matches!(o.grant, Grant::KendraPersona(KendraPersona { .. }))
        )
    );
}

#[tokio::test]
async fn deletions_ending_failed_and_slow_deletions_are_followed_to_the_end() {
    let faults = Faults::none().with_failing_deletion(CAROL).with_deletion_delay(Duration::from_millis(150));
    let (report, _plan, _after, _sandbox, _clients) = apply_under(faults, fast_limits()).await;
    let failed: Vec<_> = report.failed().collect();
    assert!(!failed.is_empty());
    for o in &failed {
        assert_eq!(o.principal, PrincipalRef::user_name(CAROL), "{o:#?}");
        assert_eq!(o.operation, "DeleteAccountAssignment");
        let OutcomeResult::Failed { error } = &o.result else { unreachable!() };
        assert!(error.contains("FAILED"), "{error}");
        assert!(o.deletion_request_id.is_some());
    }
    assert!(report.calls.get("sso:ListAccountAssignmentDeletionStatus") >= 1, "{}", report.calls);
}

#[tokio::test]
async fn conflicts_from_retried_deletions_in_progress_are_retried() {
    // A dropped answer to DeleteAccountAssignment, retried while the deletion is still
    // IN_PROGRESS, meets ConflictException; then ResourceNotFound once it is gone.
    let mut total_conflicts = 0;
    for seed in 1..=3 {
        let faults = Faults::none().with_seed(seed).with_drop_rate(0.3).with_deletion_delay(Duration::from_millis(60));
        let (report, plan, _after, sandbox, clients) = apply_under(faults, fast_limits()).await;
        assert!(report.is_complete(), "seed {seed}: {:#?}", report.failed().collect::<Vec<_>>());
        let conflicts =
            sandbox.request_log().iter().filter(|r| r.error.as_deref() == Some("ConflictException")).count();
        let retried = report.outcomes.iter().filter(|o| o.attempts > 1).count();
        eprintln!("seed {seed}: {conflicts} conflicts, {retried} items retried");
        total_conflicts += conflicts;
        assert_eq!(offboard_aws::verify(&clients, &plan, &fast_limits()).await.unwrap(), Vec::<Grant>::new());
    }
    assert!(total_conflicts > 0, "the scenario must actually produce ConflictException answers");
}

#[tokio::test]
async fn a_tampered_plan_is_refused_item_by_item() {
    let (sandbox, clients) = start(Faults::none()).await;
    let policy = example_policy();
    let limits = fast_limits();
    let state = offboard_aws::read_state(&clients, &policy, &limits).await.unwrap();
    let mut plan = make_plan(&policy, &state);
    // Re-point the first SSO request at the protected breakglass assignment, leaving the item.
    let victim = sandbox.snapshot().assignments_of("breakglass@northwind.example")[0].clone();
    let action =
        plan.actions.iter_mut().find(|a| a.request.operation() == "DeleteAccountAssignment").expect("an SSO action");
    if let offboard_core::plan::ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment {
        target_id,
        permission_set_arn,
        principal_id,
        ..
    }) = &mut action.request
    {
        *target_id = victim.account_id.clone().into();
        *permission_set_arn = victim.permission_set_arn.clone().into();
        *principal_id = victim.principal_id.clone().into();
    }
    let tampered = action.id.clone();
    let before = sandbox.snapshot();
    let report = apply_collect(&clients, &plan, &limits).await;
    let failed: Vec<_> = report.failed().collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].action_id, tampered);
    assert!(matches!(&failed[0].result, OutcomeResult::Failed { error } if error.contains("does not match")));
    assert!(sandbox.snapshot().assignments_of("breakglass@northwind.example").contains(&&victim));
    check_apply(&before, &sandbox.snapshot(), &plan, &report);
}
