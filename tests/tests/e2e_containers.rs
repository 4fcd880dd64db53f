//! Never report nothing when offboard could not see: a wrong Identity Store, a missing Kendra
//! index or data source is an error naming the setting to fix (exit 1), never a plan that says
//! "No changes" while the leavers keep their access.

use offboard_sandbox::Faults;
use offboard_tests::cli::Run;
use offboard_tests::policy_repo::PolicyRepo;
use offboard_tests::sandbox::TestSandbox;

/// `plan` of the example policies with one setting of `offboard.yaml` edited: exit 1, every
/// `needle` on stderr, nothing planned.
fn plan_fails(from: &str, to: &str, needles: &[&str]) {
    let sandbox = TestSandbox::example(Faults::none());
    let repo = PolicyRepo::example();
    repo.edit("policies/offboard.yaml", from, to);
    let mut run = Run::of(sandbox.offboard(repo.root()).args(["plan", "--out", "plan.json", "--detailed-exitcode"]))
        .expect_code(1);
    for needle in needles {
        run = run.expect_stderr(needle);
    }
    assert!(!run.stdout.contains("No changes"), "an error is not a clean plan\n{run}");
    assert!(!repo.path("plan.json").exists(), "no plan file is written\n{run}");
}

#[test]
fn another_identity_store_id_is_an_error_naming_the_setting() {
    plan_fails(
        "identity_store_id: d-906700a1b2",
        "identity_store_id: d-9067000000",
        &["sso.identity_store_id", "d-9067000000", "uses the Identity Store d-906700a1b2"],
    );
}

#[test]
fn a_missing_kendra_index_is_an_error_naming_the_setting() {
    plan_fails(
        "id: 4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c",
        "id: ffffffff-ffff-4fff-8fff-ffffffffffff",
        &["Kendra index ffffffff-ffff-4fff-8fff-ffffffffffff was not found", "kendra.indexes[].id"],
    );
}

#[test]
fn a_missing_kendra_data_source_is_an_error_naming_the_setting() {
    plan_fails(
        "data_sources: [confluence-wiki]",
        "data_sources: [confluence-wkii]",
        &["data source confluence-wkii", "was not found", "kendra.indexes[].data_sources"],
    );
}
