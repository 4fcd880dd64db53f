//! The journal tells the truth: if it cannot be written, apply stops before its next call and
//! exits 1, instead of removing access that no record will show.

use offboard_sandbox::Faults;
use offboard_tests::cli::Run;
use offboard_tests::policy_repo::PolicyRepo;
use offboard_tests::sandbox::TestSandbox;

const REMOVALS: &[&str] = &[
    "DeleteAccountAssignment",
    "BatchDisassociateUserStack",
    "DisassociatePersonasFromEntities",
    "DeletePrincipalMapping",
];

#[test]
fn a_journal_that_cannot_be_written_stops_apply_before_its_next_call() {
    assert!(std::path::Path::new("/dev/full").exists(), "this test writes the journal to /dev/full (ENOSPC)");
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"])).expect_code(0);
    let planned = repo.plan("plan.json").removal_count();
    sandbox.clear_request_log();

    let run = Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json", "--journal", "/dev/full"]))
        .expect_code(1)
        .expect_stderr("the journal could not be written")
        .expect_stdout("Apply stopped");
    let sent = sandbox.request_log().iter().filter(|r| REMOVALS.contains(&r.operation.as_str())).count();
    // The Identity Center deletions already in flight when the first outcome failed to reach the
    // journal finish; nothing after them is sent (AppStream and Kendra come later).
    assert!(sent < planned, "apply went on after the journal failed: {sent} of {planned} removals sent\n{run}");
    let later_phases = sandbox
        .request_log()
        .iter()
        .filter(|r| {
            ["BatchDisassociateUserStack", "DisassociatePersonasFromEntities", "DeletePrincipalMapping"]
                .contains(&r.operation.as_str())
        })
        .count();
    assert_eq!(later_phases, 0, "no call of a later phase after the stop\n{run}");
}
