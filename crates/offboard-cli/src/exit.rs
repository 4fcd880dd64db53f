//! Exit codes, as DESIGN.md fixes them:
//! `0` success or no changes, `1` error (bad input, AWS error, refused), `2` the plan has changes
//! (only with `--detailed-exitcode`), `3` apply finished with some actions failed.

use std::process::ExitCode;

/// How a command that did not fail ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// `plan --detailed-exitcode` found something to remove.
    Changes,
    /// `apply` finished, but some actions failed.
    Partial,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Changes => 2,
            Outcome::Partial => 3,
        }
    }
}

/// Print the error chain to stderr (not through tracing: it must show even with `-q`) and map
/// it to exit code 1.
pub fn report(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) => {
            let mut text = format!("error: {err}");
            for cause in err.chain().skip(1) {
                text.push_str(&format!("\n  caused by: {cause}"));
            }
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{text}");
            }
            ExitCode::from(1)
        }
    }
}
