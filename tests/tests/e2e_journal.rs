//! The journal tells the truth: if it cannot be written, apply stops before its next call and
//! exits 1, instead of removing access that no record will show; and what the verification
//! after apply finds still present is journaled and reported, not left as "removed".

use offboard_core::grant::Grant;
use offboard_core::outcome::OutcomeResult;
use offboard_sandbox::Faults;
use offboard_tests::cli::Run;
use offboard_tests::journal;
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
    // The first write is the intent of the first call; it fails, so that call is not sent, and
    // nor is any other.
    assert!(planned > 0);
    assert_eq!(sent, 0, "apply sent removals although their intents could not be journaled\n{run}");
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

#[test]
fn what_the_verification_finds_still_present_is_journaled_and_reported() {
    // AppStream answers alice's disassociations as done and keeps them.
    let alice = "alice.wong@northwind.example";
    let sandbox = TestSandbox::example(Faults::none().with_ignored_entity(alice));
    let repo = PolicyRepo::example();
    Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"])).expect_code(0);
    let journal_file = repo.path("journal.jsonl");
    let run = Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json", "--journal"]).arg(&journal_file))
        .expect_code(3)
        .expect_stdout("still present");

    let records = journal::read_all(&journal_file);
    let still: Vec<_> = records.iter().filter(|o| o.result == OutcomeResult::StillPresent).collect();
    assert_eq!(still.len(), 2, "alice's two AppStream associations\n{run}");
    for o in &still {
        let Grant::AppstreamAssociation(g) = &o.grant else { panic!("not an association: {o:?}") };
        assert_eq!(&*g.user_name, alice);
        let last = records.iter().rev().find(|r| r.grant == o.grant).unwrap();
        assert_eq!(last.result, OutcomeResult::StillPresent, "the finding is the grant's last record");
    }
    Run::of(sandbox.offboard(repo.root()).args(["report"]).arg(&journal_file))
        .expect_code(0)
        .expect_stdout("Still present after apply")
        .expect_stdout("2 still present");
    let json =
        Run::of(sandbox.offboard(repo.root()).args(["report", "--format", "json"]).arg(&journal_file)).expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["counts"]["still_present"], 2, "{json}");
    assert_eq!(report["not_removed"].as_array().map(Vec::len), Some(2), "{json}");
}
