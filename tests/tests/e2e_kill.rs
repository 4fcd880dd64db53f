//! `apply` killed with SIGKILL in the middle, then run again on the same plan: the journal up to
//! the kill is complete and true, every removal call the killed run sent has an intent record
//! (so a call in flight at the kill leaves a trace), the re-run converges, removes nothing extra,
//! and reports what the killed run already removed as "already removed".

use offboard_core::Grant;
use offboard_sandbox::Faults;
use offboard_tests::access::{assert_nothing_outside_removed, assert_removed_exactly, grants, planned_removals};
use offboard_tests::apply_contract::{Company, check_apply};
use offboard_tests::cli::{Run, Spawned};
use offboard_tests::journal;
use offboard_tests::policy_repo::PolicyRepo;
use offboard_tests::sandbox::TestSandbox;
use std::collections::BTreeSet;
use std::time::Duration;

/// How often and how many times to look at the journal of the run to be killed. The bound only
/// stops a broken run from hanging the test; nothing is asserted about time.
const POLL: Duration = Duration::from_millis(20);
const MAX_POLLS: u32 = 3_000;

#[test]
fn a_killed_apply_leaves_a_true_journal_and_a_rerun_converges() {
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"])).expect_code(0);
    let plan = repo.plan("plan.json");
    let planned = planned_removals(&plan);
    let before = grants(&sandbox.snapshot());
    let journal_file = repo.path("journal.jsonl");

    // Slow Identity Center deletions, one at a time, so the run is surely mid-way when killed.
    sandbox.set_faults(Faults::none().with_deletion_delay(Duration::from_millis(500)));
    let mut first = Spawned::start(
        sandbox
            .offboard(repo.root())
            .args(["apply", "plan.json", "--max-in-flight", "1", "--journal"])
            .arg(&journal_file),
    );
    // Kill once an item is done and the next call's intent is written: a call in flight.
    let mut polls = 0;
    let in_flight_now = |f: &std::path::Path| {
        let outcomes = journal::outcome_count(f);
        outcomes > 0 && journal::line_count(f) - outcomes > outcomes
    };
    while !in_flight_now(&journal_file) {
        assert!(!first.has_exited(), "apply ended before journaling anything:\n{}", first.wait());
        polls += 1;
        assert!(polls < MAX_POLLS, "apply journaled nothing after {MAX_POLLS} polls");
        std::thread::sleep(POLL);
    }
    first.kill();
    let killed = first.wait();
    assert_eq!(killed.code, None, "the run must still have been going when killed\n{killed}");

    // What the killed run left: complete lines only, each true of the state.
    let mid = grants(&sandbox.snapshot());
    let first_outcomes = journal::read(&journal_file);
    assert!(!first_outcomes.is_empty() && first_outcomes.len() < planned.len(), "killed mid-way: {first_outcomes:#?}");
    for o in &first_outcomes {
        assert!(planned.contains(&o.grant), "journaled a grant outside the plan: {o:?}");
        assert!(journal::is_removed(o), "nothing fails here: {o:?}");
        assert!(!mid.contains(&o.grant), "journaled removed but present: {o:?}");
    }
    assert_nothing_outside_removed(&before, &mid, &planned);
    let removed_first: BTreeSet<_> = first_outcomes.iter().map(|o| o.grant.clone()).collect();

    // Intents: each outcome of a sent call follows its intent, and every grant the killed run
    // took away is in the journal, as an outcome or as a call in flight (an intent alone).
    let records = journal::read_all(&journal_file);
    for (n, o) in records.iter().enumerate().filter(|(_, o)| journal::is_removed(o)) {
        assert!(
            records[..n].iter().any(|i| i.result.is_intent() && i.grant == o.grant),
            "removed without an intent before it: {o:?}"
        );
    }
    let in_flight: BTreeSet<_> =
        journal::intents(&journal_file).into_iter().map(|i| i.grant).filter(|g| !removed_first.contains(g)).collect();
    // `--max-in-flight` bounds Identity Center's asynchronous deletions; other edges' calls
    // (memberships, batches) run within the general concurrency.
    let deletions_in_flight = in_flight.iter().filter(|g| matches!(g, Grant::SsoAssignment(_))).count();
    assert!(deletions_in_flight <= 1, "--max-in-flight 1 sends one deletion at a time: {in_flight:#?}");
    for g in planned.iter().filter(|g| before.contains(*g) && !mid.contains(*g)) {
        assert!(removed_first.contains(g) || in_flight.contains(g), "gone, but the journal does not say so: {g:?}");
    }
    if !in_flight.is_empty() {
        Run::of(sandbox.offboard(repo.root()).args(["report"]).arg(&journal_file))
            .expect_code(0)
            .expect_stdout("In flight when a run stopped");
    }

    // The same plan again, same journal (appended to): it finishes the job.
    sandbox.set_faults(Faults::none());
    let second = Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json", "--journal"]).arg(&journal_file))
        .expect_code(0);
    let after = grants(&sandbox.snapshot());
    let all = journal::read(&journal_file);
    assert_eq!(&all[..first_outcomes.len()], first_outcomes.as_slice(), "the journal is only ever appended to");
    let second_outcomes = &all[first_outcomes.len()..];
    let checked = check_apply(&second, second_outcomes, &plan, &mid, &after, Company::Alone);
    assert!(
        removed_first.is_subset(&checked.already_removed),
        "the re-run reports the killed run's removals as already removed: {removed_first:#?}\n{second}"
    );
    assert_removed_exactly(&before, &after, &planned);
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--detailed-exitcode"]))
        .expect_code(0)
        .expect_stdout("No changes");
}
