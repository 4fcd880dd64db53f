//! `offboard show PLAN_FILE`: render a saved plan, as a reviewer or the CI comment step sees it.

use crate::cli::{GlobalArgs, ShowArgs};
use crate::exit::{CliError, Outcome};
use crate::output;

pub fn run(global: &GlobalArgs, args: ShowArgs) -> Result<Outcome, CliError> {
    let plan = output::read_plan(&args.plan)?;
    output::print_plan(&plan, args.format, global.color, None)
        .map_err(CliError::io("cannot write the plan to stdout"))?;
    Ok(Outcome::Success)
}
