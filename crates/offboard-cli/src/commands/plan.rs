//! `offboard plan`: policy → read current access → the planner → render (and save).

use crate::cli::{GlobalArgs, PlanArgs};
use crate::exit::Outcome;
use crate::output;
use crate::policy_files::PolicyInputs;
use crate::target::{self, Target};
use anyhow::Context;
use offboard_core::drift::RemovalHistory;
use offboard_core::render::{Format, RenderOptions};
use offboard_core::{Plan, PlanInputs, Policy};

pub async fn run(global: &GlobalArgs, args: PlanArgs) -> anyhow::Result<Outcome> {
    let (inputs, policy) = crate::policy_files::load(args.policy.config.as_deref(), &args.policy.paths)?;
    // Read before any AWS call: a journal that cannot be read should fail fast.
    let history = match &args.journal {
        Some(path) => Some(RemovalHistory::from_outcomes(super::report::read_journal(path)?.outcomes())),
        None => None,
    };
    let target = target::connect(global).await?;
    let plan = make_plan(&target, &inputs, &policy).await?;

    if let Some(out) = &args.out {
        output::write_plan(out, &plan)?;
        tracing::info!(path = %out.display(), digest = %plan.digest(), "plan written");
    }
    match &history {
        Some(history) => print_with_history(&plan, args.format, global.color, history),
        None => output::print_plan(&plan, args.format, global.color),
    }
    .context("cannot write the plan to stdout")?;
    output::append_step_summary(&plan, history.as_ref())?;
    Ok(if args.detailed_exitcode && !plan.is_empty() { Outcome::Changes } else { Outcome::Success })
}

/// Read what the leavers have now and plan their removal. Shared with `apply --auto-approve`.
pub async fn make_plan(target: &Target, inputs: &PolicyInputs, policy: &Policy) -> anyhow::Result<Plan> {
    let before = target.clients.call_stats();
    let state = offboard_aws::read_state(&target.clients, policy, &offboard_aws::Limits::default())
        .await
        .context("cannot read current access from AWS")?;
    let calls = target.clients.call_stats().since(&before);
    tracing::info!(calls = calls.total(), "read current access");
    Ok(offboard_core::plan(
        policy,
        &state,
        &PlanInputs {
            now: time::OffsetDateTime::now_utc(),
            config_path: inputs.config_path.clone(),
            policy_paths: inputs.policy_paths.clone(),
        },
    ))
}

/// The plan with grants the journal shows were removed before marked "regained since".
fn print_with_history(
    plan: &Plan,
    fmt: crate::cli::OutputFormat,
    color: crate::cli::ColorChoice,
    history: &RemovalHistory,
) -> std::io::Result<()> {
    let format = output::format(fmt);
    let mut options = RenderOptions::default();
    options.text.color = output::use_color(color) && format == Format::Text;
    output::line(offboard_core::render::render_with_history(plan, format, &options, history).trim_end_matches('\n'))
}
