//! How a run ends, and the exit code of each ending, in one place (the README's "Commands"
//! section documents them for users):
//!
//! | code | meaning |
//! | --- | --- |
//! | `0` | success, or a plan without changes |
//! | `1` | error: bad input, an AWS error, a refused plan, … (every [`CliError`]) |
//! | `2` | the plan has changes (only with `plan --detailed-exitcode`) |
//! | `3` | apply finished, but some actions failed or some access is still present |
//!
//! Scripts and CI jobs branch on these numbers (`--detailed-exitcode` turns a nightly job red on
//! 2), so a failure must never come out as 2 or 3: that is why even clap's own argument errors,
//! which clap would end with 2, are routed through [`CliError::Arguments`] to 1.

use offboard_aws::AwsError;
use offboard_core::refusal::Refusal;
use std::process::ExitCode;

/// The exit codes, named. Like cargo-nextest's `NextestExitCode`, these are the documented
/// contract; [`Outcome::code`] and [`CliError::process_exit_code`] are the only places that
/// choose between them.
#[derive(Debug)]
pub enum OffboardExitCode {}

impl OffboardExitCode {
    /// Success, or a plan without changes.
    pub const SUCCESS: u8 = 0;
    /// Any failure: bad input, an AWS error, a refused plan.
    pub const ERROR: u8 = 1;
    /// `plan --detailed-exitcode` found something to remove.
    pub const CHANGES: u8 = 2;
    /// `apply` finished, but some actions failed or some access is still present.
    pub const PARTIAL: u8 = 3;
}

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
            Outcome::Success => OffboardExitCode::SUCCESS,
            Outcome::Changes => OffboardExitCode::CHANGES,
            Outcome::Partial => OffboardExitCode::PARTIAL,
        }
    }
}

/// Every way a command can fail, by family. A family says which part of the run went wrong
/// (what the operator has to fix); the message and its causes say exactly what.
///
/// There is deliberately no `From<anyhow::Error>`: a context chain built with anyhow inside a
/// command must be put into its family where it is made (`.map_err(CliError::Policy)`), so no
/// failure can reach `main` unclassified.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Arguments clap rejected (unknown flag, bad `--tps` or `--max-plan-age` value, …). Printed
    /// as clap renders it, with the usage line.
    #[error(transparent)]
    Arguments(clap::Error),
    /// Arguments clap accepts but that do not fit together (e.g. `apply` with two plan files).
    #[error("{0}")]
    Usage(String),
    /// Finding, reading or validating the policy files; every problem as `path:line:column`.
    #[error(transparent)]
    Policy(anyhow::Error),
    /// Reading, parsing or writing a plan file.
    #[error(transparent)]
    PlanFile(anyhow::Error),
    /// A saved plan that is not safe to carry out now. Nothing was sent to AWS.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// `guardrails.require_complete` is set and the plan would leave leavers with access the
    /// policy does not keep on purpose; the message lists each grant and why it stays.
    #[error("{0}")]
    Incomplete(String),
    /// Setting up the AWS clients, or an AWS call that failed for good (after retries).
    #[error("{context}")]
    Aws {
        /// What offboard was doing, e.g. `cannot read current access from AWS`.
        context: &'static str,
        /// Boxed: a failed call carries its whole answer (code, message, request id, …), and
        /// every `Result` of the binary would otherwise be that large.
        #[source]
        source: Box<AwsError>,
    },
    /// The sandbox: its fixture, its fault flags, or starting and serving it.
    #[error(transparent)]
    #[cfg_attr(not(feature = "sandbox"), allow(dead_code))]
    Sandbox(anyhow::Error),
    /// Opening, appending to or reading an apply journal.
    #[error(transparent)]
    Journal(anyhow::Error),
    /// Writing to stdout or another output file, or starting the async runtime.
    #[error(transparent)]
    Io(anyhow::Error),
}

impl CliError {
    /// The exit code of this failure. One arm per family and no catch-all, so a new family must
    /// decide its code here.
    pub fn process_exit_code(&self) -> u8 {
        match self {
            CliError::Arguments(_)
            | CliError::Usage(_)
            | CliError::Policy(_)
            | CliError::PlanFile(_)
            | CliError::Refused(_)
            | CliError::Incomplete(_)
            | CliError::Aws { .. }
            | CliError::Sandbox(_)
            | CliError::Journal(_)
            | CliError::Io(_) => OffboardExitCode::ERROR,
        }
    }

    /// For `.map_err(CliError::aws("cannot …"))` on a call into `offboard_aws`.
    pub fn aws(context: &'static str) -> impl FnOnce(AwsError) -> CliError {
        move |source| CliError::Aws { context, source: Box::new(source) }
    }

    /// For `.map_err(CliError::io("cannot …"))` on an I/O call.
    pub fn io(context: impl std::fmt::Display + Send + Sync + 'static) -> impl FnOnce(std::io::Error) -> CliError {
        move |source| CliError::Io(anyhow::Error::new(source).context(context))
    }
}

/// An I/O error without more to say than itself (e.g. stdout closed under `offboard plan | head`).
impl From<std::io::Error> for CliError {
    fn from(err: std::io::Error) -> CliError {
        CliError::Io(err.into())
    }
}

/// The text printed on stderr for a failure: `error: {err}`, then one `  caused by: {cause}` line
/// per source. Kept apart from the printing so tests can read it.
pub fn error_text(err: &CliError) -> String {
    let mut text = format!("error: {err}");
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        text.push_str(&format!("\n  caused by: {c}"));
        cause = c.source();
    }
    text
}

/// Print a failure to stderr (not through tracing: it must show even with `-q`) and turn the
/// result into the process's exit code.
pub fn report(result: Result<Outcome, CliError>) -> ExitCode {
    match result {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) => {
            match &err {
                // clap renders its own errors, with the usage line and a pointer to --help.
                CliError::Arguments(clap_err) => {
                    let _ = clap_err.print();
                }
                _ => {
                    #[allow(clippy::print_stderr)]
                    {
                        eprintln!("{}", error_text(&err));
                    }
                }
            }
            ExitCode::from(err.process_exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_and_failures_have_the_documented_codes() {
        assert_eq!(Outcome::Success.code(), 0);
        assert_eq!(Outcome::Changes.code(), 2);
        assert_eq!(Outcome::Partial.code(), 3);
        let refused = CliError::from(Refusal::TooManyRemovals { removals: 3, max_removals: 2 });
        assert_eq!(refused.process_exit_code(), 1);
        assert_eq!(CliError::Usage("two plan files".to_owned()).process_exit_code(), 1);
        assert_eq!(CliError::aws("x")(AwsError::NoRegion).process_exit_code(), 1);
    }

    #[test]
    fn the_error_text_is_the_message_then_each_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = CliError::Journal(
            anyhow::Error::new(io)
                .context("cannot append to the journal j.jsonl")
                .context("apply ran, but the journal is incomplete"),
        );
        assert_eq!(
            error_text(&err),
            "error: apply ran, but the journal is incomplete\n  caused by: cannot append to the journal j.jsonl\n  caused by: no such file"
        );
        let err = CliError::aws("cannot read current access from AWS")(AwsError::NoRegion);
        let text = error_text(&err);
        assert!(
            text.starts_with("error: cannot read current access from AWS\n  caused by: no AWS region is configured"),
            "{text}"
        );
        let err = CliError::Usage("--config goes with --auto-approve".to_owned());
        assert_eq!(error_text(&err), "error: --config goes with --auto-approve");
    }

    #[test]
    fn a_refusal_keeps_its_own_cause() {
        let err = CliError::from(
            offboard_core::refusal::check_plan_age(
                "not a time",
                time::OffsetDateTime::UNIX_EPOCH,
                std::time::Duration::ZERO,
            )
            .unwrap_err(),
        );
        let text = error_text(&err);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("error: the plan's created_at `not a time` is not an RFC 3339 time"));
        assert!(lines.next().is_some_and(|l| l.starts_with("  caused by: ")), "{text}");
    }

    #[test]
    fn io_context_comes_first() {
        let err = std::fs::read("/nonexistent/offboard").map_err(CliError::io("cannot read /nonexistent/offboard"));
        let text = error_text(&err.unwrap_err());
        assert!(text.starts_with("error: cannot read /nonexistent/offboard\n  caused by: "), "{text}");
    }
}
