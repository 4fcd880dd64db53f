//! `offboard plan`: policy → read current access → the planner → render (and save).

use crate::cli::{GlobalArgs, PlanArgs};
use crate::exit::Outcome;
use crate::output;
use crate::policy_files::PolicyInputs;
use crate::target::{self, Target};
use anyhow::Context;
use offboard_core::{Plan, PlanInputs, Policy};

pub async fn run(global: &GlobalArgs, args: PlanArgs) -> anyhow::Result<Outcome> {
    let (inputs, policy) = crate::policy_files::load(args.policy.config.as_deref(), &args.policy.paths)?;
    let target = target::connect(global).await?;
    let plan = make_plan(&target, &inputs, &policy).await?;

    if let Some(out) = &args.out {
        output::write_plan(out, &plan)?;
        tracing::info!(path = %out.display(), digest = %plan.digest(), "plan written");
    }
    output::print_plan(&plan, args.format, global.color).context("cannot write the plan to stdout")?;
    output::append_step_summary(&plan)?;
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
