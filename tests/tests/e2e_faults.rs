//! `apply` (and `plan`) under the sandbox's faults. Whatever the fault, a run either completes
//! (exit 0) or names exactly the actions that failed (exit 3, with the reason in its output and
//! journal); nothing outside the plan is ever removed; and once the faults are gone, a new plan
//! and apply converge to "No changes". The promises themselves are checked by
//! `offboard_tests::apply_contract::check_apply`.

use offboard_core::grant::{
    AppstreamAssociation, GroupMembership, KendraExperienceEntity, KendraGroupMapping, KendraPersona, SsoAssignment,
};
use offboard_core::{Grant, Plan};
use offboard_sandbox::{AwsService, Faults};
use offboard_tests::access::{assert_removed_exactly, grants, planned_removals};
use offboard_tests::apply_contract::{Checked, Company, check_apply};
use offboard_tests::cli::{Run, Spawned};
use offboard_tests::journal;
use offboard_tests::policy_repo::PolicyRepo;
use offboard_tests::sandbox::TestSandbox;
use offboard_tests::sso::{AccountAssignment, resolved_id};
use std::collections::BTreeSet;
use std::time::Duration;

/// One sandbox, a private policy repository and a fault-free reference plan of it.
struct Scenario {
    sandbox: TestSandbox,
    repo: PolicyRepo,
    /// The grants before anything was applied.
    before: BTreeSet<Grant>,
    /// The plan made without faults: what every run must end up removing.
    reference: Plan,
}

impl Scenario {
    fn new() -> Scenario {
        let repo = PolicyRepo::example();
        let sandbox = TestSandbox::example(Faults::none());
        Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "reference.json"])).expect_code(0);
        let reference = repo.plan("reference.json");
        let before = grants(&sandbox.snapshot());
        Scenario { sandbox, repo, before, reference }
    }

    /// Plans under the current faults into `plan.json`: reads retry through the faults and
    /// arrive at the same removals as the fault-free plan.
    fn plan_under_faults(&self) -> Plan {
        Run::of(self.sandbox.offboard(self.repo.root()).args(["plan", "--out", "plan.json"])).expect_code(0);
        let plan = self.repo.plan("plan.json");
        assert_eq!(planned_removals(&plan), planned_removals(&self.reference), "faults changed what plan sees");
        plan
    }

    /// Sets `faults`, plans under them and applies that plan.
    fn plan_and_apply_under(&self, faults: Faults) -> (Run, Checked) {
        self.sandbox.set_faults(faults);
        self.plan_under_faults();
        self.apply("plan.json", &[])
    }

    /// Sets `faults` and applies the fault-free reference plan under them.
    fn apply_reference_under(&self, faults: Faults) -> (Run, Checked) {
        self.sandbox.set_faults(faults);
        self.apply("reference.json", &[])
    }

    /// The reference plan's removals that `pick` selects.
    fn planned(&self, pick: impl Fn(&Grant) -> bool) -> BTreeSet<Grant> {
        planned_removals(&self.reference).into_iter().filter(|g| pick(g)).collect()
    }

    /// Applies `plan_file` with a journal and holds the run to the contract.
    fn apply(&self, plan_file: &str, extra: &[&str]) -> (Run, Checked) {
        let journal_file = self.repo.path(&format!("{plan_file}.journal"));
        let plan = self.repo.plan(plan_file);
        let before = grants(&self.sandbox.snapshot());
        let run = Run::of(
            self.sandbox
                .offboard(self.repo.root())
                .args(["apply", plan_file, "--journal"])
                .arg(&journal_file)
                .args(extra),
        );
        let after = grants(&self.sandbox.snapshot());
        let checked = check_apply(&run, &journal::read(&journal_file), &plan, &before, &after, Company::Alone);
        (run, checked)
    }

    /// How many requests the sandbox answered with this injected fault.
    fn faults_injected(&self, fault: &str) -> usize {
        self.sandbox.request_log().iter().filter(|r| r.fault.as_deref() == Some(fault)).count()
    }

    /// Without faults, a fresh plan and apply finish the job and the next plan is empty; in the
    /// end exactly the reference plan's grants are gone.
    fn converges(&self) {
        self.sandbox.set_faults(Faults::none());
        Run::of(self.sandbox.offboard(self.repo.root()).args(["plan", "--out", "again.json"])).expect_code(0);
        let (run, checked) = self.apply("again.json", &[]);
        assert!(checked.failed.is_empty(), "{run}");
        Run::of(self.sandbox.offboard(self.repo.root()).args(["plan", "--detailed-exitcode"]))
            .expect_code(0)
            .expect_stdout("No changes");
        assert_removed_exactly(&self.before, &grants(&self.sandbox.snapshot()), &planned_removals(&self.reference));
    }
}

#[test]
fn throttling_at_5_tps_on_identity_center_is_waited_out() {
    let s = Scenario::new();
    let (run, checked) = s.plan_and_apply_under(
        Faults::none().with_seed(11).with_tps(AwsService::SsoAdmin, 5.0).with_tps(AwsService::IdentityStore, 5.0),
    );
    // Throttling is the one fault a well-behaved client always gets through: nothing may fail.
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(checked.removed.len() + checked.already_removed.len(), s.reference.removal_count());
    assert!(s.faults_injected("throttled") > 0, "the test must actually meet throttling");
    s.converges();
}

#[test]
fn ten_percent_server_errors_are_retried() {
    let s = Scenario::new();
    let (run, _) = s.plan_and_apply_under(Faults::none().with_seed(7).with_error_rate(0.1));
    // Eight attempts per call against independent 10% errors: a failure here is a retry bug.
    assert_eq!(run.code, Some(0), "{run}");
    assert!(s.faults_injected("server_error") > 0, "the test must actually meet 5xx answers");
    s.converges();
}

#[test]
fn latency_changes_nothing_but_time() {
    let s = Scenario::new();
    let (run, checked) = s.plan_and_apply_under(
        Faults::none().with_seed(5).with_latency(Duration::from_millis(40), Duration::from_millis(40)),
    );
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(checked.removed.len(), s.reference.removal_count(), "{run}");
    s.converges();
}

#[test]
fn dropped_connections_after_the_request_took_effect_are_survived() {
    let s = Scenario::new();
    let (run, checked) = s.plan_and_apply_under(Faults::none().with_seed(3).with_drop_rate(0.15));
    // A dropped answer to a delete that did happen must end as success ("already removed" when
    // the retry finds it gone), never as a failure.
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(checked.removed.len() + checked.already_removed.len(), s.reference.removal_count());
    assert!(s.faults_injected("dropped_connection") > 0, "the test must actually meet dropped connections");
    s.converges();
}

#[test]
fn per_entity_partial_failures_are_reported_item_by_item() {
    let s = Scenario::new();
    let alice = resolved_id(&s.reference, "alice.wong");
    let (run, checked) =
        s.apply_reference_under(Faults::none().with_seed(1).with_failing_entity("alice.wong@northwind.example"));
    // Exactly Alice's batch items (AppStream, Kendra personas and experience access) fail; the
    // other items of the same batches are removed.
    let expected = s.planned(|g| match g {
        Grant::AppstreamAssociation(AppstreamAssociation { user_name, .. }) => {
            &**user_name == "alice.wong@northwind.example"
        }
        Grant::KendraPersona(KendraPersona { entity_id, .. })
        | Grant::KendraExperienceEntity(KendraExperienceEntity { entity_id, .. }) => **entity_id == *alice,
        Grant::GroupMembership(GroupMembership { .. })
        | Grant::SsoAssignment(SsoAssignment { .. })
        | Grant::KendraGroupMapping(KendraGroupMapping { .. }) => false,
    });
    assert_eq!(expected.len(), 6, "the example has 2 + 2 + 2 such grants: {expected:#?}");
    assert_eq!(run.code, Some(3), "{run}");
    assert_eq!(checked.failed, expected, "{run}");
    s.converges();
}

/// Kendra accepts `DeletePrincipalMapping` (200) and carries the deletion out asynchronously;
/// here it ends `FAILED`. The journal must not claim a removal that did not happen (it once
/// journaled the accepted call as `removed` while verification found the mapping still there).
#[test]
fn kendra_mapping_deletions_that_end_failed_are_journaled_failed_not_removed() {
    let s = Scenario::new();
    let (run, checked) = s.apply_reference_under(Faults::none().with_seed(1).with_failing_entity("summer-interns"));
    let expected = s.planned(
        |g| matches!(g, Grant::KendraGroupMapping(KendraGroupMapping { group_id, .. }) if &**group_id == "summer-interns"),
    );
    assert_eq!(expected.len(), 2, "summer-interns is mapped at the data source and at index level");
    assert_eq!(run.code, Some(3), "{run}");
    assert_eq!(checked.failed, expected, "{run}");
    s.converges();
}

#[test]
fn identity_center_deletions_that_end_failed_are_reported_with_aws_reason() {
    let s = Scenario::new();
    let bob = resolved_id(&s.reference, "bob.martin");
    let (run, checked) =
        s.apply_reference_under(Faults::none().with_seed(1).with_failing_deletion("bob.martin@northwind.example"));
    let expected =
        s.planned(|g| matches!(g, Grant::SsoAssignment(SsoAssignment { principal_id, .. }) if **principal_id == *bob));
    assert_eq!(expected.len(), 2, "bob loses two assignments: {expected:#?}");
    assert_eq!(run.code, Some(3), "{run}");
    assert_eq!(checked.failed, expected, "{run}");
    // The reason is AWS's FailureReason, passed on.
    let outcomes = journal::read(&s.repo.path("reference.json.journal"));
    for o in outcomes.iter().filter(|o| journal::failure(o).is_some()) {
        let error = journal::failure(o).unwrap_or_default();
        assert!(error.contains("could not be removed"), "the FailureReason reaches the journal: {error}");
        assert!(o.deletion_request_id.is_some(), "the failed deletion's request id is kept: {o:?}");
    }
    s.converges();
}

/// A deletion of one planned assignment is already in progress (issued by someone else) when
/// apply reaches it: AWS answers ConflictException until it completes.
#[test]
fn a_deletion_already_in_progress_is_a_conflict_that_resolves() {
    let s = Scenario::new();
    s.sandbox.set_faults(Faults::none().with_deletion_delay(Duration::from_millis(2000)));
    let carol = resolved_id(&s.reference, "carol.diaz");
    let carols = s
        .reference
        .actions
        .iter()
        .filter_map(|a| AccountAssignment::deleted_by(&a.request))
        .find(|a| a.principal_id == carol)
        .expect("carol loses an assignment");
    s.sandbox.block_on(carols.delete(&s.sandbox.sso_admin())).expect("the sandbox starts the deletion");
    let contested = carols.grant();

    let (run, checked) = s.apply("reference.json", &[]);
    assert!(
        s.sandbox.request_log().iter().any(|r| r.error.as_deref() == Some("ConflictException")),
        "the test must actually meet a ConflictException"
    );
    // Either the retries outlast the other deletion (then the grant is "already removed"), or
    // the bounded wait gives up and exactly this grant is reported failed.
    match run.code {
        Some(0) => assert!(checked.already_removed.contains(&contested), "{run}"),
        _ => assert_eq!(checked.failed, BTreeSet::from([contested]), "{run}"),
    }
    s.converges();
}

/// Two applies of the same plan at once (a double-clicked CI job): both keep the contract, and
/// each Identity Center assignment is removed by exactly one of them.
#[test]
fn two_concurrent_applies_of_one_plan_neither_fail_nor_double_remove() {
    let s = Scenario::new();
    s.sandbox.set_faults(Faults::none().with_deletion_delay(Duration::from_millis(300)));
    let journals = [s.repo.path("a.journal"), s.repo.path("b.journal")];
    let spawned: Vec<Spawned> = journals
        .iter()
        .map(|j| {
            Spawned::start(s.sandbox.offboard(s.repo.root()).args(["apply", "reference.json", "--journal"]).arg(j))
        })
        .collect();
    let runs: Vec<Run> = spawned.into_iter().map(Spawned::wait).collect();
    let after = grants(&s.sandbox.snapshot());

    let mut removed_by_both = BTreeSet::new();
    let mut sso_removals = Vec::new();
    for (run, journal_file) in runs.iter().zip(&journals) {
        let checked =
            check_apply(run, &journal::read(journal_file), &s.reference, &s.before, &after, Company::Concurrent);
        sso_removals.extend(
            checked.removed.iter().filter(|g| matches!(g, Grant::SsoAssignment(SsoAssignment { .. }))).cloned(),
        );
        removed_by_both.extend(checked.removed.into_iter().chain(checked.already_removed));
    }
    assert_eq!(removed_by_both, planned_removals(&s.reference), "together they removed the whole plan");
    let unique: BTreeSet<_> = sso_removals.iter().cloned().collect();
    assert_eq!(unique.len(), sso_removals.len(), "an assignment was reported removed by both runs: {sso_removals:#?}");
    s.converges();
}
