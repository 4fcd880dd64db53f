//! The call counts a run reports: plan's summary on stderr and apply's closing line on stdout
//! say how many AWS calls the run made and how many of them were throttled or retried, and
//! those counts are the sandbox's own.

use offboard_sandbox::{AwsService, Faults};
use offboard_tests::cli::Run;
use offboard_tests::policy_repo::PolicyRepo;
use offboard_tests::sandbox::TestSandbox;

/// The counts of `… N AWS calls (T throttled, R retried)` on the line of `text` that contains
/// `marker`.
fn counts(text: &str, marker: &str) -> (u64, u64, u64) {
    let line = text
        .lines()
        .find(|l| l.contains(marker) && l.contains(" AWS calls ("))
        .unwrap_or_else(|| panic!("no line with {marker:?} and a call count in:\n{text}"));
    let number = |s: &str| -> u64 {
        s.trim().replace(',', "").parse().unwrap_or_else(|_| panic!("{s:?} is not a count in {line:?}"))
    };
    let (before, after) = line.split_once(" AWS calls (").unwrap_or_default();
    let calls = number(before.rsplit(' ').next().unwrap_or_default());
    let (throttled, rest) = after.split_once(" throttled, ").unwrap_or_else(|| panic!("{line:?}"));
    let (retried, _) = rest.split_once(" retried)").unwrap_or_else(|| panic!("{line:?}"));
    (calls, number(throttled), number(retried))
}

#[test]
fn plan_and_apply_report_the_throttling_answers_and_retries_they_met() {
    let repo = PolicyRepo::example();
    // Identity Center at 5 calls a second in the sandbox, 20 in offboard's defaults: throttling
    // is certain, and throttling alone always ends in success.
    let sandbox = TestSandbox::example(
        Faults::none().with_seed(11).with_tps(AwsService::SsoAdmin, 5.0).with_tps(AwsService::IdentityStore, 5.0),
    );
    let throttled_so_far =
        || sandbox.request_log().iter().filter(|r| r.fault.as_deref() == Some("throttled")).count() as u64;

    let plan = Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json"])).expect_code(0);
    let (calls, throttled, retried) = counts(&plan.stderr, "read current access:");
    assert_eq!(throttled, throttled_so_far(), "plan counts every throttling answer once\n{plan}");
    assert!(throttled > 0, "the test must meet throttling\n{plan}");
    assert_eq!(retried, throttled, "every throttled read is sent again\n{plan}");
    assert!(calls > throttled, "{plan}");
    // The summary of a run that met throttling shows without -v, and only on stderr.
    assert!(plan.stderr.contains("offboard::progress"), "{plan}");
    assert!(!plan.stdout.contains("AWS calls"), "stdout is the plan only\n{plan}");

    let apply = Run::of(sandbox.offboard(repo.root()).args(["apply", "plan.json"])).expect_code(0);
    let (calls, throttled, retried) = counts(&apply.stdout, "Apply complete:");
    assert_eq!(throttled, throttled_so_far() - counts(&plan.stderr, "read current access:").1, "{apply}");
    assert!(retried <= throttled, "at most one retry per throttling answer (polls are not retried)\n{apply}");
    assert!(calls > 0, "{apply}");

    // Without faults the counts say so.
    sandbox.set_faults(Faults::none());
    let again = Run::of(sandbox.offboard(repo.root()).args(["-v", "plan"])).expect_code(0);
    let (calls, throttled, retried) = counts(&again.stderr, "read current access:");
    assert!(calls > 0, "{again}");
    assert_eq!((throttled, retried), (0, 0), "{again}");
}

#[test]
fn counts_are_parsed_with_thousands_separators() {
    let line =
        "2026-12-01T00:00:00Z  INFO offboard::progress: read current access: 1,234 AWS calls (3 throttled, 5 retried)";
    assert_eq!(counts(line, "read current access:"), (1234, 3, 5));
    let line = "Apply complete: 2 removed, 0 already removed, 0 failed. 12,345 AWS calls (0 throttled, 1,000 retried).";
    assert_eq!(counts(line, "Apply complete:"), (12345, 0, 1000));
}
