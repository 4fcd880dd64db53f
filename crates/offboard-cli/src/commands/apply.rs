//! `offboard apply`: carry out exactly a reviewed plan, safely.
//!
//! Before the first AWS call, the plan must pass every refusal: it is a plan of this version,
//! not older than `--max-plan-age`, made from the policy that is on disk now (digest), and not
//! larger than `guardrails.max_removals` unless `--allow-large`. Then the adapter runs the
//! actions phase by phase; each outcome is printed and journaled as it completes; finally what
//! was touched is re-read and anything still present is reported.

use crate::cli::{ApplyArgs, GlobalArgs};
use crate::exit::Outcome;
use crate::journal::Journal;
use crate::output;
use crate::target;
use anyhow::{Context, bail};
use offboard_aws::Limits;
use offboard_core::Plan;
use offboard_core::outcome::{Outcome as ActionOutcome, OutcomeResult};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub async fn run(global: &GlobalArgs, args: ApplyArgs) -> anyhow::Result<Outcome> {
    let limits = limits(&args)?;
    let target_future = target::connect(global);
    let (plan, max_removals) = if args.auto_approve {
        let (inputs, policy) = crate::policy_files::load(args.config.as_deref(), &args.args)?;
        let target = target_future.await?;
        let plan = super::plan::make_plan(&target, &inputs, &policy).await?;
        output::print_plan(&plan, crate::cli::OutputFormat::Text, global.color)?;
        return execute(&target, plan, policy.config.guardrails.max_removals, &args, limits).await;
    } else {
        let [path] = args.args.as_slice() else {
            bail!(
                "apply takes exactly one PLAN_FILE (written by `offboard plan --out`), or --auto-approve with policy paths; got {} arguments",
                args.args.len()
            );
        };
        if args.config.is_some() {
            bail!("--config goes with --auto-approve; a saved plan records its own config path");
        }
        let plan = output::read_plan(path)?;
        let max_removals = check_plan_is_current(&plan, &args)?;
        (plan, max_removals)
    };
    let target = target_future.await?;
    execute(&target, plan, max_removals, &args, limits).await
}

/// The refusals that make a saved plan safe to run now. Returns the guardrail in force.
fn check_plan_is_current(plan: &Plan, args: &ApplyArgs) -> anyhow::Result<u32> {
    let created = OffsetDateTime::parse(&plan.created_at, &Rfc3339)
        .with_context(|| format!("the plan's created_at `{}` is not an RFC 3339 time", plan.created_at))?;
    let age = OffsetDateTime::now_utc() - created;
    let max_age = time::Duration::try_from(args.max_plan_age).unwrap_or(time::Duration::MAX);
    if age > max_age {
        bail!(
            "refused: the plan was made at {} ({} ago), older than --max-plan-age {}s; run `offboard plan` again and review the new plan",
            plan.created_at,
            human(age),
            args.max_plan_age.as_secs()
        );
    }

    let paths: Vec<std::path::PathBuf> = plan.policy_paths.iter().map(Into::into).collect();
    let (_, policy) = crate::policy_files::load(Some(std::path::Path::new(&plan.config_path)), &paths)
        .context("refused: cannot load the policy this plan was made from")?;
    let digest = policy.digest();
    if digest != plan.policy_digest {
        bail!(
            "refused: the policy changed after this plan was made (plan {}, files now {}); run `offboard plan` again and review the new plan",
            plan.policy_digest,
            digest
        );
    }
    Ok(policy.config.guardrails.max_removals)
}

async fn execute(
    target: &target::Target,
    plan: Plan,
    max_removals: u32,
    args: &ApplyArgs,
    limits: Limits,
) -> anyhow::Result<Outcome> {
    let removals = plan.removal_count();
    if removals > max_removals as usize && !args.allow_large {
        bail!(
            "refused: the plan removes {removals} grants, more than guardrails.max_removals ({max_removals}); review it and pass --allow-large if it is intended"
        );
    }
    if plan.is_empty() {
        output::line("No changes. Nothing to apply.")?;
        return Ok(Outcome::Success);
    }

    let mut journal = args.journal.as_deref().map(Journal::open).transpose()?;
    let mut journal_error: Option<anyhow::Error> = None;
    let labels = plan.labels.clone();
    // Stamped on every journal line, so `offboard report` can tie each removal to the reviewed
    // plan artifact and the policy it was made from.
    let (plan_digest, policy_digest) = (plan.digest(), plan.policy_digest.clone());
    let mut sink = |outcome: &ActionOutcome| {
        let _ = output::line(&result_line(outcome, &labels));
        if let Some(j) = journal.as_mut()
            && let Err(e) = j.append(&ActionOutcome {
                plan_digest: Some(plan_digest.clone()),
                policy_digest: Some(policy_digest.clone()),
                ..outcome.clone()
            })
            && journal_error.is_none()
        {
            tracing::error!(error = %e, "journal write failed");
            journal_error = Some(e);
        }
    };
    let report = offboard_aws::apply(&target.clients, &plan, &limits, &mut sink).await;
    let counts = report.counts();

    let still_present = offboard_aws::verify(&target.clients, &plan, &limits)
        .await
        .context("cannot verify the result: the removals above were made, but re-reading them failed")?;
    for grant in &still_present {
        // Name whose access it is, as every other result line does.
        let whose = plan
            .actions
            .iter()
            .flat_map(|a| &a.items)
            .find(|i| &i.grant == grant)
            .map(|i| i.principal.to_string())
            .unwrap_or_else(|| "(not in the plan)".to_owned());
        output::line(&format!("{:<18} {whose}  {}", "still present", grant.describe(&plan.labels)))?;
    }
    output::line(&format!(
        "Apply complete: {} removed, {} already removed, {} failed{}.",
        counts.removed,
        counts.already_removed,
        counts.failed,
        if still_present.is_empty() { String::new() } else { format!(", {} still present", still_present.len()) },
    ))?;
    if let Some(e) = journal_error {
        return Err(e.context("apply ran, but the journal is incomplete"));
    }
    Ok(if counts.failed > 0 || !still_present.is_empty() { Outcome::Partial } else { Outcome::Success })
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

fn limits(args: &ApplyArgs) -> anyhow::Result<Limits> {
    let mut limits = Limits { max_in_flight_deletions: args.max_in_flight.max(1), ..Limits::default() };
    for entry in &args.tps {
        let (service, value) =
            entry.split_once('=').with_context(|| format!("--tps `{entry}` must be SERVICE=N, e.g. sso=20"))?;
        let tps: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .with_context(|| format!("--tps `{entry}`: `{value}` is not a non-negative number"))?;
        match offboard_aws::Quota::from_tps_key(service) {
            Some(quota) => limits.tps.set(quota, tps),
            None => bail!("--tps `{entry}`: unknown service `{service}`; use sso, appstream or kendra"),
        }
    }
    Ok(limits)
}

fn human(d: time::Duration) -> String {
    let s = d.whole_seconds();
    if s >= 86_400 {
        format!("{}d{}h", s / 86_400, s % 86_400 / 3600)
    } else if s >= 3600 {
        format!("{}h{}m", s / 3600, s % 3600 / 60)
    } else {
        format!("{}m{}s", s / 60, s % 60)
    }
}
