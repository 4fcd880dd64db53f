//! The command line, as DESIGN.md's CLI contract gives it. Definitions only: behaviour lives in
//! `commands/`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "offboard",
    version,
    about = "Take AWS access away from people who leave: declaratively, reviewably, provably."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Send every AWS call to this endpoint (like the AWS CLI's --endpoint-url).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// AWS region (default: from the AWS config chain).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS profile from ~/.aws/config.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Run against an embedded, in-process sandbox seeded from this org fixture (no AWS account,
    /// no credentials needed).
    #[arg(long, global = true, value_name = "FIXTURE.yaml", conflicts_with = "endpoint_url")]
    pub sandbox: Option<PathBuf>,
    /// More logging on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Colour on stdout: auto colours only a terminal.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the config and leaver files; print every problem as path:line:column.
    Validate(ValidateArgs),
    /// Read current access and show what would be removed.
    Plan(PlanArgs),
    /// Remove access: carry out a saved plan (or plan and apply with --auto-approve).
    Apply(ApplyArgs),
    /// Render a saved plan file.
    Show(ShowArgs),
    /// Run the AWS-compatible sandbox.
    Sandbox(crate::commands::sandbox::SandboxArgs),
    /// Evidence of what apply did, from its journal: who lost what and when, AWS request ids,
    /// failures, plan and policy digests, git commit.
    Report(ReportArgs),
    /// Print a shell completion script (e.g. `offboard completions bash > /etc/bash_completion.d/offboard`).
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand with --out-dir.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The environment file (default: ./offboard.yaml, else offboard.yaml in the first policy
    /// directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Leaver files, or directories walked for *.yaml/*.yml (default: policies/ if present, else .).
    #[arg(value_name = "POLICY_PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Also write the plan as JSON to this file (what `apply` takes).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// How to print the plan on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Exit 2 when the plan has changes, 0 when it has none (for drift detection).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// An apply journal: grants it shows were removed before are marked "regained since <date>".
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The saved plan to carry out; with --auto-approve, policy paths instead.
    #[arg(value_name = "PLAN_FILE | POLICY_PATH")]
    pub args: Vec<PathBuf>,
    /// Plan and apply in one go, without a saved plan.
    #[arg(long)]
    pub auto_approve: bool,
    /// The environment file, with --auto-approve.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Append one JSON line per action outcome to this file (fsynced as each completes).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Refuse a plan older than this (e.g. 30m, 24h, 7d).
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    pub max_plan_age: Duration,
    /// Allow more removals than guardrails.max_removals.
    #[arg(long)]
    pub allow_large: bool,
    /// At most this many Identity Center deletions in flight.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_in_flight: usize,
    /// Requests per second for a service (repeatable): sso=20, appstream=10, kendra=10.
    #[arg(long = "tps", value_name = "SERVICE=N")]
    pub tps: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan file written by `offboard plan --out`.
    #[arg(value_name = "PLAN_FILE")]
    pub plan: PathBuf,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The journal written by `offboard apply --journal`.
    #[arg(value_name = "JOURNAL")]
    pub journal: PathBuf,
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write offboard.1 and one offboard-<subcommand>.1 per subcommand into this directory
    /// instead of printing offboard.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// `90s`, `30m`, `24h`, `7d`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = digits.parse().map_err(|_| format!("`{text}` is not a duration: write e.g. 90s, 30m, 24h or 7d"))?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}` has an unknown unit `{unit}`: use s, m, h or d (e.g. 24h)")),
    };
    n.checked_mul(secs).map(Duration::from_secs).ok_or_else(|| format!("`{text}` is too long a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_parse_with_units_and_refuse_nonsense() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert!(parse_duration("1w").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("h").unwrap_err().contains("not a duration"));
    }
}
