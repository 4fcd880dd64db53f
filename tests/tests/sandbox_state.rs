//! `offboard --sandbox FIXTURE` keeps the sandbox's state between processes: plan → apply →
//! plan with three separate runs of the built binary, `offboard sandbox reset`, a state made
//! from another fixture, and a write killed between the temporary file and the rename.

use offboard_tests::cli::{Run, bare_offboard, example_fixture};
use offboard_tests::policy_repo::PolicyRepo;
use std::path::Path;
use std::process::Command;

/// `offboard --sandbox <example fixture> ARGS...` in `cwd`.
fn sandboxed(cwd: &Path, fixture: &Path, args: &[&str]) -> Command {
    let mut command = bare_offboard(cwd);
    command.arg("--sandbox").arg(fixture).args(args);
    command
}

const STATE: &str = ".offboard/sandbox-state.json";

#[test]
fn plan_apply_plan_across_three_processes_then_reset_starts_over() {
    let repo = PolicyRepo::example();
    let fixture = example_fixture();
    let first = Run::of(&mut sandboxed(repo.root(), &fixture, &["plan", "policies", "--out", "plan.json"]))
        .expect_code(0)
        .expect_stdout("to remove");
    assert!(!first.stdout.contains("No changes"), "{first}");
    assert!(repo.path(STATE).is_file(), "the first command creates the state file");

    Run::of(&mut sandboxed(repo.root(), &fixture, &["apply", "plan.json"]))
        .expect_code(0)
        .expect_stdout("Apply complete");

    // A third process: the removals of the second are still there.
    Run::of(&mut sandboxed(repo.root(), &fixture, &["plan", "policies", "--detailed-exitcode"]))
        .expect_code(0)
        .expect_stdout("No changes");

    Run::of(&mut sandboxed(repo.root(), &fixture, &["sandbox", "reset"])).expect_code(0).expect_stdout("removed");
    assert!(!repo.path(STATE).exists(), "reset deletes the state file");
    Run::of(&mut sandboxed(repo.root(), &fixture, &["plan", "policies", "--detailed-exitcode"]))
        .expect_code(2)
        .expect_stdout("to remove");
}

#[test]
fn a_state_of_another_fixture_is_refused_with_the_way_out() {
    let repo = PolicyRepo::example();
    let fixture = example_fixture();
    Run::of(&mut sandboxed(repo.root(), &fixture, &["plan", "policies"])).expect_code(0);

    // The same organisation, one byte different: a different digest.
    let other = repo.path("other-org.yaml");
    let text = std::fs::read_to_string(&fixture).unwrap();
    std::fs::write(&other, format!("{text}\n# edited\n")).unwrap();
    let refused = Run::of(&mut sandboxed(repo.root(), &other, &["plan", "policies"])).expect_code(1);
    assert!(refused.stderr.contains("was made from another fixture"), "{refused}");
    assert!(refused.stderr.contains("offboard sandbox reset"), "{refused}");

    // Its own state file works side by side.
    Run::of(
        sandboxed(repo.root(), &other, &["plan", "policies", "--detailed-exitcode"])
            .args(["--sandbox-state", "other-state.json"]),
    )
    .expect_code(2);
    assert!(repo.path("other-state.json").is_file());
}

#[test]
fn a_write_killed_before_the_rename_leaves_the_old_state_readable() {
    let repo = PolicyRepo::example();
    let fixture = example_fixture();
    Run::of(&mut sandboxed(repo.root(), &fixture, &["plan", "policies", "--out", "plan.json"])).expect_code(0);
    let before = std::fs::read(repo.path(STATE)).unwrap();

    // The hook stops the process right after the new state is in the temporary file: what a kill
    // at the worst moment leaves behind.
    let killed = Run::of(
        sandboxed(repo.root(), &fixture, &["apply", "plan.json"]).env("OFFBOARD_TEST_CRASH_AFTER_STATE_TEMP", "1"),
    );
    assert_eq!(killed.code, Some(86), "the hook stopped the writer\n{killed}");
    let temps: Vec<_> = std::fs::read_dir(repo.path(".offboard"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert_eq!(temps.len(), 1, "the new state was written to a temporary file only");
    assert_eq!(std::fs::read(repo.path(STATE)).unwrap(), before, "the state file is the old one, untouched");

    // The old state is readable: the removals the killed run made are not in it, so they show
    // again, and applying them again works.
    Run::of(&mut sandboxed(repo.root(), &fixture, &["plan", "policies", "--out", "again.json", "--detailed-exitcode"]))
        .expect_code(2);
    Run::of(&mut sandboxed(repo.root(), &fixture, &["apply", "again.json"])).expect_code(0);
    Run::of(&mut sandboxed(repo.root(), &fixture, &["plan", "policies", "--detailed-exitcode"]))
        .expect_code(0)
        .expect_stdout("No changes");

    // reset also clears what the killed write left behind.
    Run::of(&mut sandboxed(repo.root(), &fixture, &["sandbox", "reset"])).expect_code(0);
    assert_eq!(std::fs::read_dir(repo.path(".offboard")).unwrap().count(), 0);
}
