//! The command line (its contract: `docs/architecture.md`, and the README's "Commands" section).
//! Definitions and value parsers only: behaviour lives in `commands/`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use offboard_models::{QUOTAS, Quota};
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
    #[cfg(feature = "sandbox")]
    /// Run against an embedded, in-process sandbox seeded from this org fixture (no AWS account,
    /// no credentials needed). Its state is kept in .offboard/sandbox-state.json, so a plan after
    /// an apply sees the removals.
    #[arg(long, global = true, value_name = "FIXTURE.yaml", conflicts_with = "endpoint_url")]
    pub sandbox: Option<PathBuf>,
    /// Where --sandbox keeps its state between commands (created from the fixture on first use;
    /// `offboard sandbox reset` starts over).
    #[cfg(feature = "sandbox")]
    #[arg(long, global = true, value_name = "FILE")]
    pub sandbox_state: Option<PathBuf>,
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
    /// How plan and apply read access: per principal (a listing per leaver), per container
    /// (the directory, each account and permission set, each stack, matched locally), or the
    /// cheaper of the two in calls, per service. Endpoints that list containers incompletely
    /// (moto lists permission sets as provisioned to its own account only) need per-principal.
    #[arg(long, global = true, value_enum, default_value_t = ReadStrategyArg::Cheaper)]
    pub read_strategy: ReadStrategyArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReadStrategyArg {
    Cheaper,
    PerPrincipal,
    PerContainer,
}

impl From<ReadStrategyArg> for offboard_aws::ReadStrategy {
    fn from(a: ReadStrategyArg) -> Self {
        match a {
            ReadStrategyArg::Cheaper => offboard_aws::ReadStrategy::Cheaper,
            ReadStrategyArg::PerPrincipal => offboard_aws::ReadStrategy::PerPrincipal,
            ReadStrategyArg::PerContainer => offboard_aws::ReadStrategy::PerContainer,
        }
    }
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
    /// Run the AWS-compatible sandbox, or start the embedded one (--sandbox) over.
    #[cfg(feature = "sandbox")]
    Sandbox(crate::commands::sandbox::SandboxArgs),
    /// Evidence of what apply did, from its journal: who lost what and when, AWS request ids,
    /// failures, plan and policy digests, git commit.
    Report(ReportArgs),
    /// Print the JSON Schema (draft 2020-12) of offboard.yaml, a leaver file, a plan file or a
    /// journal line (the same files are in docs/schemas/).
    Schema(crate::commands::schema::SchemaArgs),
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
    /// Refuse the plan file unless its SHA-256 is this one (`sha256:<hex>` or `<hex>`): the
    /// digest the reviewed pull-request comment showed.
    #[arg(long, value_name = "SHA256")]
    pub expect_plan_digest: Option<String>,
    /// At most this many Identity Center deletions outstanding at once. AWS documents a limit
    /// of 10 outstanding asynchronous account-assignment operations per Identity Center
    /// instance, which cannot be raised; change this only if AWS documents another limit for
    /// your instance (deletions beyond it are answered ConflictException and retried).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_in_flight: usize,
    /// Requests per second for a service (repeatable): sso=20, identitystore (shares sso's 20
    /// unless given its own, e.g. identitystore=20), appstream=10, kendra=10. 0 = no limit.
    /// Calls go out in bursts of up to N in any second, never more.
    #[arg(long = "tps", value_name = "SERVICE=N", value_parser = parse_tps)]
    pub tps: Vec<(Quota, f64)>,
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

/// The units `--max-plan-age` takes, in every spelling humantime knows for them. humantime also
/// knows weeks, months and years; they are left out on purpose: its `M` (months) is one shift key
/// away from `m` (minutes), and its months and years are averages (30.44 and 365.25 days). An
/// age limit written into a CI file should mean exactly what it says, and `7d` or `90d` always do.
const DURATION_UNITS: [&str; 18] = [
    "s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute", "minutes", "h", "hr", "hrs", "hour",
    "hours", "d", "day", "days",
];

/// `90s`, `30m`, `24h`, `7d`, `1h30m`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let not_a_duration = || format!("`{text}` is not a duration: write e.g. 90s, 30m, 24h or 7d");
    let unknown_unit = |unit: &str| format!("`{text}` has an unknown unit `{unit}`: use s, m, h or d (e.g. 24h)");
    let too_long = || format!("`{text}` is too long a duration");
    // humantime wants a unit after every number; offboard has always read a bare one as seconds.
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map(Duration::from_secs).map_err(|_| too_long());
    }
    if let Some(unit) =
        text.split(|c: char| !c.is_alphabetic()).find(|unit| !unit.is_empty() && !DURATION_UNITS.contains(unit))
    {
        return Err(unknown_unit(unit));
    }
    humantime::parse_duration(text).map_err(|err| match err {
        humantime::DurationError::UnknownUnit { unit, .. } => unknown_unit(&unit),
        humantime::DurationError::NumberOverflow => too_long(),
        humantime::DurationError::InvalidCharacter(_)
        | humantime::DurationError::NumberExpected(_)
        | humantime::DurationError::Empty => not_a_duration(),
    })
}

/// `--tps SERVICE=N`: a key of `offboard_models::QUOTAS` (or one of its aliases) and a rate in
/// requests per second, a finite number `>= 0` (`0` = no client-side limit).
pub fn parse_tps(text: &str) -> Result<(Quota, f64), String> {
    let (key, rate) = text.split_once('=').ok_or_else(|| format!("`{text}` is not SERVICE=N; write e.g. sso=20"))?;
    let (key, rate) = (key.trim(), rate.trim());
    let quota = Quota::from_tps_key(key).ok_or_else(|| format!("unknown service `{key}`; use {}", tps_keys()))?;
    let tps =
        rate.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).ok_or_else(|| {
            format!("`{rate}` is not a non-negative number of requests per second; write e.g. {key}=20")
        })?;
    // 0 means "no client-side limit". A rate below one call per 100 s would make a run last
    // days (and its waits overflow a timer); above 10,000 it is no limit at all in practice and
    // hides a typo. Both are refused rather than taken literally.
    if tps != 0.0 && !(MIN_TPS..=MAX_TPS).contains(&tps) {
        return Err(format!(
            "`{rate}` requests per second is out of range: use 0 (no limit) or {MIN_TPS} to {MAX_TPS}"
        ));
    }
    Ok((quota, tps))
}

/// The smallest and largest `--tps` taken (besides 0, no limit).
const MIN_TPS: f64 = 0.01;
const MAX_TPS: f64 = 10_000.0;

/// The `--tps` keys, from the table: `sso (or identity-center), identitystore (or identity-store), appstream or kendra`.
fn tps_keys() -> String {
    let keys: Vec<String> = QUOTAS
        .iter()
        .map(|q| match q.tps_aliases {
            [] => q.tps_key.to_owned(),
            aliases => format!("{} (or {})", q.tps_key, aliases.join(", ")),
        })
        .collect();
    match keys.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use offboard_models::DefaultRate;

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

    #[test]
    fn durations_combine_units_and_refuse_ambiguous_ones() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 30m "), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("100000d"), Ok(Duration::from_secs(8_640_000_000)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2 days"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("1w"), Err("`1w` has an unknown unit `w`: use s, m, h or d (e.g. 24h)".to_owned()));
        // `M` is months to humantime: refused rather than read as a month when minutes were meant.
        assert!(parse_duration("30M").unwrap_err().contains("unknown unit `M`"));
        assert_eq!(parse_duration(""), Err("`` is not a duration: write e.g. 90s, 30m, 24h or 7d".to_owned()));
        assert!(parse_duration("-5m").unwrap_err().contains("not a duration"));
        assert!(parse_duration("99999999999999999999").unwrap_err().contains("too long"));
        assert!(parse_duration("999999999999999999d").unwrap_err().contains("too long"));
    }

    #[test]
    fn tps_takes_every_key_of_the_quota_table() {
        assert_eq!(parse_tps("sso=20"), Ok((Quota::IdentityCenter, 20.0)));
        assert_eq!(parse_tps("identity-center=5"), Ok((Quota::IdentityCenter, 5.0)));
        assert_eq!(parse_tps("appstream=0"), Ok((Quota::AppStream, 0.0)), "0 is no limit");
        assert_eq!(parse_tps("kendra=2.5"), Ok((Quota::Kendra, 2.5)));
        assert_eq!(parse_tps("identitystore=20"), Ok((Quota::IdentityStore, 20.0)));
        for q in QUOTAS {
            assert_eq!(parse_tps(&format!("{}=1", q.tps_key)), Ok((q.quota, 1.0)));
        }
    }

    #[test]
    fn tps_errors_say_what_would_be_right() {
        assert_eq!(parse_tps("sso"), Err("`sso` is not SERVICE=N; write e.g. sso=20".to_owned()));
        assert_eq!(
            parse_tps("s3=5"),
            Err("unknown service `s3`; use sso (or identity-center), identitystore (or identity-store), appstream or kendra".to_owned())
        );
        assert!(parse_tps("kendra=-1").unwrap_err().contains("`-1` is not a non-negative number"));
        assert!(parse_tps("kendra=inf").unwrap_err().contains("non-negative"));
        assert!(parse_tps("kendra=NaN").unwrap_err().contains("non-negative"));
        assert!(parse_tps("kendra=").unwrap_err().contains("write e.g. kendra=20"));
    }

    #[test]
    fn tiny_and_huge_tps_are_refused_not_taken_literally() {
        for rate in ["1e-300", "0.001", "10001", "1e300"] {
            let err = parse_tps(&format!("sso={rate}")).unwrap_err();
            assert!(err.contains("out of range: use 0 (no limit) or 0.01 to 10000"), "{rate}: {err}");
        }
        assert_eq!(parse_tps("sso=0.01"), Ok((Quota::IdentityCenter, 0.01)));
        assert_eq!(parse_tps("sso=10000"), Ok((Quota::IdentityCenter, 10_000.0)));
    }

    #[test]
    fn tps_help_names_each_quota_with_its_default() {
        let mut cli = Cli::command();
        let help = cli.find_subcommand_mut("apply").unwrap().render_long_help().to_string();
        for q in QUOTAS {
            let entry = match q.default {
                DefaultRate::Tps(tps) => format!("{}={tps}", q.tps_key),
                DefaultRate::Shares(shared) => format!("{} (shares {}", q.tps_key, shared.tps_key()),
            };
            assert!(help.contains(&entry), "--tps help should name {entry}:\n{help}");
        }
        assert!(help.contains("10 outstanding"), "--max-in-flight names AWS's limit:\n{help}");
    }

    #[test]
    fn a_bad_tps_is_an_argument_error() {
        let err = Cli::try_parse_from(["offboard", "apply", "plan.json", "--tps", "s3=5"]).unwrap_err();
        assert!(err.to_string().contains("unknown service `s3`"), "{err}");
        let cli =
            Cli::try_parse_from(["offboard", "apply", "plan.json", "--tps", "sso=3", "--tps", "kendra=1"]).unwrap();
        let Command::Apply(args) = cli.command else { panic!("not apply: {cli:?}") };
        assert_eq!(args.tps, vec![(Quota::IdentityCenter, 3.0), (Quota::Kendra, 1.0)]);
    }
}
