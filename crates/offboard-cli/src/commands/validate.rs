//! `offboard validate`: load the policy exactly as `plan` would, without touching AWS.

use crate::cli::{GlobalArgs, ValidateArgs};
use crate::exit::{CliError, Outcome};
use crate::output;

pub fn run(_global: &GlobalArgs, args: ValidateArgs) -> Result<Outcome, CliError> {
    let (inputs, policy) =
        crate::policy_files::load(args.policy.config.as_deref(), &args.policy.paths).map_err(CliError::Policy)?;
    let users = policy.leavers.iter().filter(|l| l.principal.kind == offboard_core::PrincipalKind::User).count();
    let groups = policy.leavers.len() - users;
    output::line(&format!(
        "Policy is valid: {} leaver{} ({users} user{}, {groups} group{}) in {} file{}; config {}.",
        policy.leavers.len(),
        plural(policy.leavers.len()),
        plural(users),
        plural(groups),
        inputs.leaver_files.len(),
        plural(inputs.leaver_files.len()),
        inputs.config_path,
    ))?;
    Ok(Outcome::Success)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
