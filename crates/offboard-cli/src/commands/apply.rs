//! `offboard apply`: carry out exactly a reviewed plan, safely.
//!
//! Before the first AWS call, the plan must pass every refusal: it is a plan of this version,
//! not older than `--max-plan-age`, made from the policy that is on disk now (digest), and not
//! larger than `guardrails.max_removals` unless `--allow-large`. Then the adapter runs the
//! actions phase by phase; each outcome is printed and journaled as it completes; finally what
//! was touched is re-read and anything still present is reported.

use crate::cli::{ApplyArgs, GlobalArgs};
use crate::exit::{CliError, Outcome};
use crate::journal::Journal;
use crate::output;
use crate::progress::{self, Watch};
use crate::target;
use offboard_aws::Limits;
use offboard_core::Plan;
use offboard_core::outcome::{Outcome as ActionOutcome, OutcomeResult};
use offboard_core::refusal;

pub async fn run(global: &GlobalArgs, args: ApplyArgs) -> Result<Outcome, CliError> {
    let limits = Limits { read_strategy: global.read_strategy.into(), ..limits(&args) };
    let target_future = target::connect(global);
    let (plan, policy) = if args.auto_approve {
        let (inputs, policy) =
            crate::policy_files::load(args.config.as_deref(), &args.args).map_err(CliError::Policy)?;
        let target = target_future.await?;
        let plan = super::plan::make_plan(&target, &inputs, &policy).await?;
        output::print_plan(&plan, crate::cli::OutputFormat::Text, global.color, None)?;
        super::plan::require_complete(&policy, &plan)?;
        let watch = progress::watch(target.clients.progress(), progress::Kind::Apply);
        let result = execute(&target, plan, policy.config.guardrails.max_removals, &args, limits, watch).await;
        return target.persist(result);
    } else {
        let [path] = args.args.as_slice() else {
            return Err(CliError::Usage(format!(
                "apply takes exactly one PLAN_FILE (written by `offboard plan --out`), or --auto-approve with policy paths; got {} arguments",
                args.args.len()
            )));
        };
        if args.config.is_some() {
            return Err(CliError::Usage(
                "--config goes with --auto-approve; a saved plan records its own config path".to_owned(),
            ));
        }
        let (plan, digest) = output::read_plan_and_digest(path)?;
        if let Some(expected) = &args.expect_plan_digest {
            refusal::check_plan_digest(expected, &digest)?;
        }
        let policy = check_plan_is_current(&plan, &args)?;
        (plan, policy)
    };
    let target = target_future.await?;
    // From here on, reads (the authority check, apply's re-reads, verification) and removals
    // can take a while at AWS's rates: show how far they have got.
    let watch = progress::watch(target.clients.progress(), progress::Kind::Apply);
    authorize(&target, &plan, &policy, &args, &limits).await?;
    let result = execute(&target, plan, policy.config.guardrails.max_removals, &args, limits, watch).await;
    target.persist(result)
}

/// The plan file is untrusted input: every removal in it must be one the policy on this machine
/// plans now for the principal as the Identity Store resolves it now (`offboard_core::authority`).
/// If any part is refused, nothing is sent: each refusal is printed (and journaled, per item),
/// and apply exits 1.
async fn authorize(
    target: &target::Target,
    plan: &Plan,
    policy: &offboard_core::Policy,
    args: &ApplyArgs,
    limits: &Limits,
) -> Result<(), CliError> {
    if plan.is_empty() {
        return Ok(());
    }
    let named: Vec<offboard_core::PrincipalRef> = plan.principals.iter().map(|p| p.principal.clone()).collect();
    let groups: std::collections::BTreeSet<&str> =
        plan.actions.iter().flat_map(|a| a.items.iter().filter_map(|i| i.grant.group_id())).collect();
    let groups: Vec<&str> = groups.into_iter().collect();
    // Accounts protected by name are protected here too, by the names as they are now.
    let (_, policy) = &super::plan::with_account_names(target, policy).await?;
    let current = offboard_aws::current(&target.clients, policy, &named, &groups, limits)
        .await
        .map_err(CliError::aws("cannot read where apply would act, to check the plan against the policy"))?;
    refusal::check_location(&plan.location, &current.location)?;
    let Err(refused) = offboard_core::authority::authorize(
        plan,
        policy,
        time::OffsetDateTime::now_utc(),
        &current.resolved,
        &current.group_names,
    ) else {
        return Ok(());
    };
    for r in &refused {
        #[allow(clippy::print_stderr)]
        progress::suspend(|| eprintln!("{r}"));
    }
    if let Some(path) = &args.journal {
        let mut journal = Journal::open(path, plan).map_err(CliError::Journal)?;
        let now = crate::journal::now();
        for a in &plan.actions {
            for item in &a.items {
                let own: Vec<String> = refused
                    .iter()
                    .filter(|r| r.action_id == a.id && r.item.as_ref() == Some(item))
                    .map(ToString::to_string)
                    .collect();
                let error = if own.is_empty() {
                    format!(
                        "refused: not sent: the plan file was refused as a whole ({} refused part(s))",
                        refused.len()
                    )
                } else {
                    own.join("; ")
                };
                journal
                    .append(&ActionOutcome::of(a, item, now.clone(), OutcomeResult::Failed { error }))
                    .map_err(CliError::Journal)?;
            }
        }
    }
    Err(refusal::Refusal::Unauthorized { count: refused.len() }.into())
}

/// The refusals that make a saved plan safe to run now (the checks themselves are
/// `offboard_core::refusal`; this is the I/O around them). Returns the policy as it is now.
///
/// The age is checked first, before the policy files are read again: an old plan is refused
/// for its age even if its policy can no longer be loaded.
fn check_plan_is_current(plan: &Plan, args: &ApplyArgs) -> Result<offboard_core::Policy, CliError> {
    refusal::check_plan_age(&plan.created_at, time::OffsetDateTime::now_utc(), args.max_plan_age)?;
    let paths: Vec<std::path::PathBuf> = plan.policy_paths.iter().map(Into::into).collect();
    let (_, policy) = crate::policy_files::load(Some(std::path::Path::new(&plan.config_path)), &paths)
        .map_err(|e| CliError::Policy(e.context("refused: cannot load the policy this plan was made from")))?;
    refusal::check_policy_digest(&plan.policy_digest, &policy.digest())?;
    Ok(policy)
}

async fn execute(
    target: &target::Target,
    plan: Plan,
    max_removals: u32,
    args: &ApplyArgs,
    limits: Limits,
    watch: Watch,
) -> Result<Outcome, CliError> {
    refusal::check_removal_count(plan.removal_count(), max_removals, args.allow_large)?;
    if plan.is_empty() {
        output::line("No changes. Nothing to apply.")?;
        return Ok(Outcome::Success);
    }

    let mut journal =
        args.journal.as_deref().map(|path| Journal::open(path, &plan)).transpose().map_err(CliError::Journal)?;
    let mut journal_error: Option<anyhow::Error> = None;
    let labels = plan.labels.clone();
    // A journal write that fails stops the run: the adapter sends no further call (a removal
    // the journal cannot record would be one no auditor learns of), and apply exits 1.
    let mut sink = |outcome: &ActionOutcome| -> Result<(), String> {
        // Intents are for the journal; stdout shows what came of each item.
        if !outcome.result.is_intent() {
            let _ = output::line(&result_line(outcome, &labels));
        }
        let Some(j) = journal.as_mut() else { return Ok(()) };
        if let Some(e) = &journal_error {
            return Err(format!("the journal could not be written ({e:#})"));
        }
        match j.append(outcome) {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "journal write failed");
                let why = format!("the journal could not be written ({e:#})");
                journal_error = Some(e);
                Err(why)
            }
        }
    };
    let report = offboard_aws::apply(&target.clients, &plan, &limits, &mut sink).await;
    let counts = report.counts();
    if let Some(e) = journal_error {
        drop(watch);
        output::line(&format!(
            "Apply stopped: {} removed, {} already removed, {} failed or not sent. {}.",
            counts.removed,
            counts.already_removed,
            counts.failed,
            calls(target)
        ))?;
        return Err(CliError::Journal(
            e.context("apply stopped before its next call: the journal could not be written, so it is incomplete"),
        ));
    }

    // Apply re-read each phase once it was done (while the next ones ran): what it still found.
    let still_present = report
        .still_present
        .map_err(offboard_aws::AwsError::Call)
        .map_err(CliError::aws("cannot verify the result: the removals above were made, but re-reading them failed"))?;
    // The bar goes before the closing lines, which should be the last thing on the terminal.
    drop(watch);
    let now = crate::journal::now();
    for grant in &still_present {
        // Name whose access it is, as every other result line does, and journal the finding:
        // the journal must not end on "removed" for a grant the re-read found.
        let found = plan.actions.iter().find_map(|a| a.items.iter().find(|i| &i.grant == grant).map(|i| (a, i)));
        let whose = found.map(|(_, i)| i.principal.to_string()).unwrap_or_else(|| "(not in the plan)".to_owned());
        output::line(&format!("{:<18} {whose}  {}", "still present", grant.describe(&plan.labels)))?;
        if let (Some(j), Some((a, item))) = (journal.as_mut(), found) {
            j.append(&ActionOutcome::of(a, item, now.clone(), OutcomeResult::StillPresent))
                .map_err(|e| CliError::Journal(e.context("cannot journal what the verification found")))?;
        }
    }
    output::line(&format!(
        "Apply complete: {} removed, {} already removed, {} failed{}. {}.",
        counts.removed,
        counts.already_removed,
        counts.failed,
        if still_present.is_empty() { String::new() } else { format!(", {} still present", still_present.len()) },
        calls(target),
    ))?;
    Ok(if counts.failed > 0 || !still_present.is_empty() { Outcome::Partial } else { Outcome::Success })
}

/// `1,234 AWS calls (3 throttled, 5 retried)`: every call of this command (its clients are its
/// own), reads and verification included, so the line answers "how hard did this hit AWS".
fn calls(target: &target::Target) -> offboard_aws::CallSummary {
    target.clients.progress().snapshot().call_summary()
}

/// `removed            user alice@…  sso  account 2222… permission set X  [request 1f2e…]`
fn result_line(o: &ActionOutcome, labels: &offboard_core::grant::Labels) -> String {
    let mut line = format!("{:<18} {}  {}", o.result.label(), o.principal, o.grant.describe(labels));
    if let Some(id) = &o.request_id {
        line.push_str(&format!("  [request {id}]"));
    }
    if let OutcomeResult::Failed { error } = &o.result {
        line.push_str(&format!(": {error}"));
    }
    line
}

/// The rate limits of this run: `--max-in-flight` and each `--tps` (already checked by clap)
/// over the defaults.
fn limits(args: &ApplyArgs) -> Limits {
    let mut limits = Limits { max_in_flight_deletions: args.max_in_flight.max(1), ..Limits::default() };
    for &(quota, tps) in &args.tps {
        limits.tps.set(quota, tps);
    }
    limits
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use offboard_models::Quota;

    fn apply_args(argv: &[&str]) -> ApplyArgs {
        let cli = crate::cli::Cli::try_parse_from([&["offboard", "apply"], argv].concat()).unwrap();
        match cli.command {
            crate::cli::Command::Apply(args) => args,
            other => panic!("not apply: {other:?}"),
        }
    }

    #[test]
    fn each_tps_reaches_its_quota_and_the_last_one_wins() {
        let set = limits(&apply_args(&["p.json", "--tps", "sso=3", "--tps", "kendra=0", "--tps", "identity-center=4"]));
        assert_eq!(set.tps.get(Quota::IdentityCenter), 4.0);
        assert_eq!(set.tps.get(Quota::AppStream), Limits::default().tps.get(Quota::AppStream));
        assert_eq!(set.tps.get(Quota::Kendra), 0.0);
        let set = limits(&apply_args(&["p.json", "--tps", "appstream=7.5", "--max-in-flight", "0"]));
        assert_eq!(set.tps.get(Quota::AppStream), 7.5);
        assert_eq!(set.max_in_flight_deletions, 1, "at least one deletion in flight");
    }

    #[test]
    fn identity_store_shares_identity_centers_rate_unless_given_its_own() {
        let set = limits(&apply_args(&["p.json", "--tps", "sso=6"]));
        assert_eq!(set.tps.limiter_of(Quota::IdentityStore), Quota::IdentityCenter);
        assert_eq!(set.tps.get(Quota::IdentityStore), 6.0);
        let set = limits(&apply_args(&["p.json", "--tps", "identitystore=15"]));
        assert_eq!(set.tps.limiter_of(Quota::IdentityStore), Quota::IdentityStore);
        assert_eq!(set.tps.get(Quota::IdentityStore), 15.0);
        assert_eq!(set.tps.get(Quota::IdentityCenter), 20.0);
    }

    #[test]
    fn the_defaults_are_the_quota_tables_defaults() {
        let set = limits(&apply_args(&["p.json"]));
        assert_eq!(set.tps.get(Quota::IdentityCenter), Quota::IdentityCenter.default_tps());
        assert_eq!(set.tps.get(Quota::AppStream), Quota::AppStream.default_tps());
        assert_eq!(set.tps.get(Quota::Kendra), Quota::Kendra.default_tps());
        assert_eq!(set.tps.get(Quota::IdentityStore), Quota::IdentityCenter.default_tps());
    }
}
