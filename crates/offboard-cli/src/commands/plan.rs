//! `offboard plan`: policy → read current access → the planner → render (and save).

use crate::cli::{GlobalArgs, PlanArgs};
use crate::exit::{CliError, Outcome};
use crate::output;
use crate::policy_files::PolicyInputs;
use crate::progress;
use crate::target::{self, Target};
use offboard_core::drift::RemovalHistory;
use offboard_core::{Plan, PlanInputs, Policy};

pub async fn run(global: &GlobalArgs, args: PlanArgs) -> Result<Outcome, CliError> {
    let (inputs, policy) =
        crate::policy_files::load(args.policy.config.as_deref(), &args.policy.paths).map_err(CliError::Policy)?;
    // Read before any AWS call: a journal that cannot be read should fail fast.
    let history = match &args.journal {
        Some(path) => Some(RemovalHistory::from_outcomes(super::report::read_journal(path)?.outcomes())),
        None => None,
    };
    let target = target::connect(global).await?;
    let plan = make_plan(&target, &inputs, &policy).await;
    let plan = target.persist(plan)?;

    if let Some(out) = &args.out {
        output::write_plan(out, &plan)?;
        tracing::info!(path = %out.display(), digest = %plan.digest(), "plan written");
    }
    output::print_plan(&plan, args.format, global.color, history.as_ref())
        .map_err(CliError::io("cannot write the plan to stdout"))?;
    output::append_step_summary(&plan, history.as_ref())?;
    require_complete(&policy, &plan)?;
    Ok(if args.detailed_exitcode && !plan.is_empty() { Outcome::Changes } else { Outcome::Success })
}

/// Read what the leavers have now and plan their removal. Shared with `apply --auto-approve`.
pub async fn make_plan(target: &Target, inputs: &PolicyInputs, policy: &Policy) -> Result<Plan, CliError> {
    let watch = progress::watch(target.clients.progress(), progress::Kind::Plan);
    let (names, policy) = &with_account_names(target, policy).await?;
    let limits = offboard_aws::Limits { read_strategy: target.read_strategy, ..offboard_aws::Limits::default() };
    let mut state = offboard_aws::read_state(&target.clients, policy, &limits)
        .await
        .map_err(CliError::aws("cannot read current access from AWS"))?;
    progress::log_summary("read current access", &watch.finish());
    // The planner keeps the labels of the accounts the plan mentions.
    state.labels.extend(names.iter().map(|(id, name)| (id.clone(), name.clone())));
    Ok(offboard_core::plan(
        policy,
        state,
        &PlanInputs {
            now: time::OffsetDateTime::now_utc(),
            config_path: inputs.config_path.clone(),
            policy_paths: inputs.policy_paths.clone(),
        },
    ))
}

/// The account names from AWS Organizations (best effort; none without permission) and the
/// policy with its `protected_accounts` given by name resolved to ids. Shared with `apply`,
/// whose authority check must protect the same accounts: a name that matches no account is an
/// error, and so are names when the accounts cannot be read (fail closed).
pub async fn with_account_names(
    target: &Target,
    policy: &Policy,
) -> Result<(std::collections::BTreeMap<String, String>, Policy), CliError> {
    let mut policy = policy.clone();
    let by_name: Vec<String> = policy.config.guardrails.protected_account_names().map(|n| format!("{n:?}")).collect();
    if policy.config.sso.is_none() && by_name.is_empty() {
        return Ok((Default::default(), policy));
    }
    match offboard_aws::organizations::account_names(&target.clients).await {
        offboard_aws::organizations::AccountNames::Read(names) => {
            policy
                .config
                .guardrails
                .resolve_account_names(&names)
                .map_err(|e| CliError::Policy(anyhow::Error::new(e)))?;
            Ok((names, policy))
        }
        offboard_aws::organizations::AccountNames::Unavailable { why } if !by_name.is_empty() => {
            Err(CliError::Policy(anyhow::anyhow!(
                "guardrails.protected_accounts names {} by name, but the account names cannot be read from AWS \
                 Organizations ({why}); allow organizations:ListAccounts, or list those accounts by their 12-digit id",
                by_name.join(", ")
            )))
        }
        offboard_aws::organizations::AccountNames::Unavailable { .. } => Ok((Default::default(), policy)),
    }
}

/// `guardrails.require_complete`: fail while the plan leaves any leaver with access the policy
/// does not keep on purpose (see `Plan::incomplete`), naming each grant and why it stays. The
/// plan was printed (and saved) first, so the reviewer sees the whole picture.
pub fn require_complete(policy: &Policy, plan: &Plan) -> Result<(), CliError> {
    if !policy.config.guardrails.require_complete {
        return Ok(());
    }
    let left = plan.incomplete();
    if left.is_empty() {
        return Ok(());
    }
    let mut message = format!(
        "guardrails.require_complete: {} grant(s) would remain after this plan, and the policy does not keep them on purpose:",
        left.len()
    );
    for i in &left {
        let path = match i.group_id {
            Some(group) => {
                let name = plan.labels.get(group).map(|n| format!("{n} ({group})")).unwrap_or_else(|| group.to_owned());
                format!("through group {name}: {}", offboard_core::render::membership_status(i.why))
            }
            None => i.why.to_string(),
        };
        message.push_str(&format!("\n  {} {}: {path}", i.principal, i.grant.describe(&plan.labels)));
    }
    message.push_str(
        "\nRemove them (identity_store.manage_memberships, a wider scope) or keep them on purpose (`keep`, guardrails), then plan again.",
    );
    Err(CliError::Incomplete(message))
}
