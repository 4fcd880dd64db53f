//! Drift end to end: plan → apply with a journal → someone re-grants one removed assignment
//! through the SDK → `plan --detailed-exitcode --journal` exits 2 and names exactly that grant
//! as "regained since <date of removal>". Then `offboard report` turns the same journal into
//! evidence tied to the applied plan.
//!
//! The binary is built once per test process by `offboard_tests::cli::offboard_bin` (a nested
//! `cargo build -p offboard-cli`, see tests/src/cli.rs) and every run reaches this test's own
//! sandbox with `--endpoint-url`, dummy credentials and instance metadata disabled.

use offboard_core::Plan;
use offboard_sandbox::Faults;
use offboard_tests::cli::{Run, workspace_root};
use offboard_tests::journal;
use offboard_tests::policy_repo::read_plan;
use offboard_tests::sandbox::TestSandbox;
use offboard_tests::sso::AccountAssignment;
use std::path::PathBuf;
use tempfile::TempDir;

const ALICE: &str = "alice.wong@northwind.example";

/// Where both tests start: the example sandbox, and the repository's own `policies/` planned
/// and applied (from the workspace root) with a journal, the files in a temporary directory.
struct Applied {
    sandbox: TestSandbox,
    root: PathBuf,
    out: TempDir,
    plan: Plan,
    journal_file: PathBuf,
    /// The apply, exited 0.
    apply: Run,
}

fn plan_and_apply(journal_name: &str) -> Applied {
    let sandbox = TestSandbox::example(Faults::none());
    let root = workspace_root();
    let out = tempfile::tempdir().unwrap();
    let plan_file = out.path().join("plan.json");
    let journal_file = out.path().join(journal_name);
    let plan_arg = plan_file.to_str().unwrap();
    let journal_arg = journal_file.to_str().unwrap();

    Run::of(sandbox.offboard(&root).args(["plan", "policies", "--out", plan_arg])).expect_code(0);
    let plan = read_plan(&plan_file);
    let apply = Run::of(sandbox.offboard(&root).args(["apply", plan_arg, "--journal", journal_arg])).expect_code(0);
    Applied { sandbox, root, out, plan, journal_file, apply }
}

#[test]
fn a_regranted_assignment_is_drift_and_is_named_with_the_date_it_was_removed() {
    let Applied { sandbox, root, out, plan, journal_file, apply } = plan_and_apply("j.jsonl");
    let journal_arg = journal_file.to_str().unwrap();
    apply.expect_stdout("Apply complete");
    Run::of(sandbox.offboard(&root).args(["plan", "policies", "--detailed-exitcode", "--journal", journal_arg]))
        .expect_code(0)
        .expect_stdout("No changes");

    // Someone with admin rights gives alice her access back, behind offboard's back.
    let alices = alice_assignment(&plan);
    let account = alices.account_id.clone();
    sandbox.block_on(alices.create(&sandbox.sso_admin())).expect("the sandbox re-grants the assignment");

    let removed_on = journal::read(&journal_file)
        .into_iter()
        .find(|o| o.grant.account_id() == Some(account.as_str()) && o.principal.label() == ALICE)
        .expect("the journal records the removal of alice's assignment")
        .time[..10]
        .to_owned();

    let drift =
        Run::of(sandbox.offboard(&root).args(["plan", "policies", "--detailed-exitcode", "--journal", journal_arg]))
            .expect_code(2)
            .expect_stdout("Plan: 1 to remove (groups 0, sso 1, appstream 0, kendra 0)")
            .expect_stdout(&format!("regained since {removed_on}"))
            .expect_stdout("Drift: 1 grant removed by an earlier apply (per the journal) is back:");
    // The annotation sits under the re-granted assignment's removal line.
    let lines: Vec<&str> = drift.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with("- sso") && l.contains(&format!("({account})")))
        .unwrap_or_else(|| panic!("the plan removes the assignment again\n{drift}"));
    assert!(lines[at + 1].contains(&format!("# regained since {removed_on}")), "{drift}");
    assert_eq!(drift.stdout.matches("regained since").count(), 2, "only that grant, annotated and listed\n{drift}");

    // Markdown (the drift job's summary) says the same, on stdout and in the GitHub job summary.
    let summary = out.path().join("step-summary.md");
    Run::of(sandbox.offboard(&root).env("GITHUB_STEP_SUMMARY", &summary).args([
        "plan",
        "policies",
        "--detailed-exitcode",
        "--journal",
        journal_arg,
        "--format",
        "markdown",
    ]))
    .expect_code(2)
    .expect_stdout("> [!CAUTION]")
    .expect_stdout(&format!("regained since {removed_on}"));
    let summary = std::fs::read_to_string(&summary).expect("plan appends to GITHUB_STEP_SUMMARY");
    assert!(summary.contains("> [!CAUTION]"), "{summary}");
    assert!(summary.contains(&format!("regained since {removed_on}")), "{summary}");

    // Without the journal, drift is still exit 2, just without the history.
    let plain = Run::of(sandbox.offboard(&root).args(["plan", "policies", "--detailed-exitcode"])).expect_code(2);
    assert!(!plain.stdout.contains("regained"), "{plain}");
}

#[test]
fn the_report_ties_the_journal_to_the_applied_plan_and_the_commit() {
    // `_out` keeps the temporary directory (and the journal in it) until the test ends.
    let Applied { sandbox, root, out: _out, plan, journal_file, apply: _ } = plan_and_apply("journal.jsonl");
    let journal_arg = journal_file.to_str().unwrap();
    let outcomes = journal::read(&journal_file);
    assert!(outcomes.iter().all(|o| o.plan_digest.as_deref() == Some(plan.digest().as_str())));
    assert!(outcomes.iter().all(|o| o.policy_digest.as_deref() == Some(plan.policy_digest.as_str())));

    let sha = "0123456789abcdef0123456789abcdef01234567";
    let json =
        Run::of(sandbox.offboard(&root).env("GITHUB_SHA", sha).args(["report", journal_arg, "--format", "json"]))
            .expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["commit"]["sha"], sha);
    assert_eq!(report["commit"]["source"], "GITHUB_SHA");
    assert_eq!(report["runs"][0]["plan_digest"], plan.digest());
    assert_eq!(report["runs"][0]["policy_digest"], plan.policy_digest);
    assert_eq!(report["counts"]["removed"], plan.removal_count());
    assert_eq!(report["counts"]["failed"], 0);
    let alice = report["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "user alice.wong@northwind.example")
        .expect("alice is in the report");
    let sso = alice["entries"].as_array().unwrap().iter().find(|e| e["service"] == "sso").unwrap();
    assert!(sso["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{sso}");
    assert!(sso["deletion_request_id"].as_str().is_some_and(|id| !id.is_empty()), "{sso}");

    Run::of(sandbox.offboard(&root).env("GITHUB_SHA", sha).args(["report", journal_arg]))
        .expect_code(0)
        .expect_stdout("## offboard evidence:")
        .expect_stdout(&plan.digest())
        .expect_stdout(sha)
        .expect_stdout(sso["request_id"].as_str().unwrap());

    // A journal cut mid-line by a killed run still reports every whole line.
    let text = std::fs::read_to_string(&journal_file).unwrap();
    let cut = &text[..text.len() - 20];
    std::fs::write(&journal_file, cut).unwrap();
    let report = Run::of(sandbox.offboard(&root).args(["report", journal_arg])).expect_code(0);
    assert!(report.stdout.contains("is a truncated record"), "{report}");
    assert!(report.stderr.contains("truncated journal record"), "{report}");

    // Anything else that is not an outcome is an error that names the line.
    std::fs::write(&journal_file, format!("{}not json\n{}", &text[..text.find('\n').unwrap() + 1], &text)).unwrap();
    Run::of(sandbox.offboard(&root).args(["report", journal_arg]))
        .expect_code(1)
        .expect_stderr("journal.jsonl:2: not a JSON object");
}

/// Alice's first Identity Center assignment in the plan, from the plan's own request.
fn alice_assignment(plan: &Plan) -> AccountAssignment {
    plan.actions
        .iter()
        .filter(|a| a.items.iter().any(|i| i.principal.label() == ALICE))
        .find_map(|a| AccountAssignment::deleted_by(&a.request))
        .expect("the example plan removes an Identity Center assignment of alice")
}
