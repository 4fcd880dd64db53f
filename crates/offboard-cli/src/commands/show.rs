//! `offboard show PLAN_FILE`: render a saved plan, as a reviewer or the CI comment step sees it.

use crate::cli::{GlobalArgs, ShowArgs};
use crate::exit::Outcome;
use crate::output;
use anyhow::Context;

pub fn run(global: &GlobalArgs, args: ShowArgs) -> anyhow::Result<Outcome> {
    let plan = output::read_plan(&args.plan)?;
    output::print_plan(&plan, args.format, global.color).context("cannot write the plan to stdout")?;
    Ok(Outcome::Success)
}
