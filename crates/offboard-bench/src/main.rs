//! `bench-mass`: the mass-offboarding benchmark. Generates an organisation of leavers and stayers,
//! serves it with `offboard sandbox serve` under Identity Center's rate limits, runs the release
//! `offboard plan` and `offboard apply` against it, and prints a Markdown table per scenario:
//! calls by operation, wall time and peak RSS, against the analytic lower bound (`bound.rs`).
//!
//! `scripts/bench-mass.sh` builds the release binaries and runs this; see the README's
//! "Benchmark" section.

mod bound;
mod org;
mod report;
mod run;
mod sandbox;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;

use crate::bound::{Settings, lower_bound};
use crate::org::Shape;
use crate::report::Outcome;
use crate::sandbox::{ServeOptions, ServedSandbox};

/// The mass-offboarding benchmark: plan and apply N leavers × K assignments against the
/// sandbox under AWS's rate limits, compared with the lower bound.
#[derive(Debug, Parser)]
#[command(name = "bench-mass", version)]
struct Cli {
    /// Leavers (N).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    leavers: u32,
    /// Account assignments per user (K).
    #[arg(long, value_name = "K", default_value_t = 5)]
    assignments: u32,
    /// Stayers of the same shape (M; default: as many as leavers).
    #[arg(long, value_name = "M")]
    stayers: Option<u32>,
    /// How long each Identity Center deletion stays IN_PROGRESS (D), e.g. 0, 0.5s, 500ms, 3s.
    #[arg(long, value_name = "D", default_value = "0s", value_parser = parse_duration)]
    deletion_delay: Duration,
    /// Identity Center operations that may be outstanding at once (C): the sandbox's
    /// --max-outstanding-operations when it has that flag, and the bound's cap in any case.
    #[arg(long, value_name = "C", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    cap: u64,
    /// Plan only (no apply).
    #[arg(long)]
    plan_only: bool,
    /// Run the README's three scenarios in sequence (N=1000 K=5 D=0; N=1000 K=5 D=3s;
    /// N=10000 plan only), with M = N stayers; only --cap and the organisation flags below
    /// combine with it.
    #[arg(long, conflicts_with_all = ["leavers", "assignments", "stayers", "deletion_delay", "plan_only"])]
    readme: bool,
    /// AWS accounts (A).
    #[arg(long, value_name = "A", default_value_t = 50)]
    accounts: u32,
    /// Permission sets (P).
    #[arg(long, value_name = "P", default_value_t = 20)]
    permission_sets: u32,
    /// Identity Store groups (G); every user is in one or two.
    #[arg(long, value_name = "G", default_value_t = 20)]
    groups: u32,
    /// Account assignments of each group.
    #[arg(long, value_name = "N", default_value_t = 3)]
    group_assignments: u32,
    /// AppStream stacks (S); every user has one association.
    #[arg(long, value_name = "S", default_value_t = 10)]
    stacks: u32,
    /// Seed of the generated organisation.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The offboard binary (default: `offboard` next to this binary, i.e. the same release build).
    #[arg(long, value_name = "PATH")]
    offboard: Option<PathBuf>,
    /// Where fixtures, policies, plans, journals and logs go (one folder per scenario).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// `0`, `0.5s`, `3s` (seconds, with decimals) or anything humantime reads (`500ms`, `1m`).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if let Ok(secs) = t.strip_suffix('s').unwrap_or(t).parse::<f64>() {
        return Duration::try_from_secs_f64(secs)
            .map_err(|_| format!("`{text}` is not a duration; expected e.g. 0, 0.5s, 500ms or 3s"));
    }
    humantime::parse_duration(t).map_err(|e| format!("`{text}`: {e}; expected e.g. 0, 0.5s, 500ms or 3s"))
}

/// One scenario: the organisation and how the sandbox and apply run.
#[derive(Clone, Debug)]
struct Scenario {
    shape: Shape,
    deletion_delay: Duration,
    cap: u64,
    plan_only: bool,
}

impl Scenario {
    fn name(&self) -> String {
        let s = &self.shape;
        format!(
            "n{}-k{}-m{}-d{}ms-c{}{}",
            s.leavers,
            s.assignments,
            s.stayers,
            self.deletion_delay.as_millis(),
            self.cap,
            if self.plan_only { "-plan-only" } else { "" }
        )
    }
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == run::RUSAGE_HELPER) {
        return match run::rusage_helper(&args[2..]) {
            Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            Err(err) => {
                eprintln!("bench-mass: {err:#}");
                ExitCode::from(1)
            }
        };
    }
    let cli = Cli::parse();
    match bench(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("bench-mass: a check failed (see the tables above)");
            ExitCode::from(1)
        }
        Err(err) => {
            eprintln!("bench-mass: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// Runs every scenario asked for; true when every check passed.
fn bench(cli: &Cli) -> anyhow::Result<bool> {
    let offboard = match &cli.offboard {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .context("cannot find this binary's folder")?
            .with_file_name(format!("offboard{}", std::env::consts::EXE_SUFFIX)),
    };
    if !offboard.is_file() {
        bail!(
            "{} does not exist; build it with `cargo build --release -p offboard-cli` or pass --offboard PATH",
            offboard.display()
        );
    }
    // Absolute, like the output directory below: offboard runs inside each scenario's directory.
    let offboard = offboard.canonicalize().with_context(|| format!("cannot resolve {}", offboard.display()))?;
    let out_dir = cli.out_dir.clone().unwrap_or_else(|| std::env::temp_dir().join("offboard-bench-mass"));
    // Absolute: offboard and the peak-RSS helper run inside each scenario's directory, so a
    // relative path would be resolved from there (`scripts/bench-mass.sh` passes `target/…`).
    std::fs::create_dir_all(&out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let out_dir = out_dir.canonicalize().with_context(|| format!("cannot resolve {}", out_dir.display()))?;
    let shape = |leavers: u32, assignments: u32, stayers: Option<u32>| Shape {
        leavers,
        stayers: stayers.unwrap_or(leavers),
        assignments,
        accounts: cli.accounts,
        permission_sets: cli.permission_sets,
        groups: cli.groups,
        group_assignments: cli.group_assignments,
        stacks: cli.stacks,
        seed: cli.seed,
    };
    let scenarios = if cli.readme {
        vec![
            Scenario { shape: shape(1000, 5, None), deletion_delay: Duration::ZERO, cap: cli.cap, plan_only: false },
            Scenario {
                shape: shape(1000, 5, None),
                deletion_delay: Duration::from_secs(3),
                cap: cli.cap,
                plan_only: false,
            },
            Scenario { shape: shape(10_000, 5, None), deletion_delay: Duration::ZERO, cap: cli.cap, plan_only: true },
        ]
    } else {
        vec![Scenario {
            shape: shape(cli.leavers, cli.assignments, cli.stayers),
            deletion_delay: cli.deletion_delay,
            cap: cli.cap,
            plan_only: cli.plan_only,
        }]
    };
    for scenario in &scenarios {
        scenario.shape.check()?;
    }
    let cap_flag = sandbox_has_cap_flag(&offboard)?;
    let mut all_ok = true;
    for (i, scenario) in scenarios.iter().enumerate() {
        eprintln!("[bench] scenario {}/{}: {}", i + 1, scenarios.len(), scenario.name());
        let dir = out_dir.join(scenario.name());
        let outcome = run_scenario(&offboard, &dir, scenario, cap_flag)?;
        all_ok &= outcome.problems.is_empty();
        println!("{}", report::markdown(&outcome));
    }
    Ok(all_ok)
}

/// Whether `offboard sandbox serve` has `--max-outstanding-operations` (added on another branch).
fn sandbox_has_cap_flag(offboard: &Path) -> anyhow::Result<bool> {
    let help = Command::new(offboard)
        .args(["sandbox", "serve", "--help"])
        .output()
        .with_context(|| format!("cannot run {} sandbox serve --help", offboard.display()))?;
    if !help.status.success() {
        bail!(
            "`{} sandbox serve --help` failed; was offboard-cli built without its `sandbox` feature?",
            offboard.display()
        );
    }
    Ok(String::from_utf8_lossy(&help.stdout).contains("--max-outstanding-operations"))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn run_scenario(offboard: &Path, dir: &Path, scenario: &Scenario, cap_flag: bool) -> anyhow::Result<Outcome> {
    let generated = org::generate(&scenario.shape)?;
    let fixture = dir.join("org.yaml");
    write(&fixture, &generated.fixture_yaml)?;
    write(&dir.join("policy/offboard.yaml"), &generated.config_yaml)?;
    write(&dir.join("policy/leavers/leavers.yaml"), &generated.leavers_yaml)?;
    let settings = Settings { deletion_delay_s: scenario.deletion_delay.as_secs_f64(), cap: scenario.cap };
    let bound = lower_bound(&generated.workload, settings);
    eprintln!(
        "[bench]   generated {} (bound: plan {:.1} s, apply {:.1} s)",
        dir.display(),
        bound.plan.seconds(),
        bound.apply.seconds()
    );

    let delay_ms = u64::try_from(scenario.deletion_delay.as_millis()).context("the deletion delay is too long")?;
    let sandbox = ServedSandbox::start(
        offboard,
        &ServeOptions {
            fixture: &fixture,
            deletion_delay_ms: delay_ms,
            cap: cap_flag.then_some(scenario.cap),
            log: &dir.join("sandbox.log"),
        },
    )?;
    let url = sandbox.url();
    let mut problems = Vec::new();
    // The cap: the serve flag when the binary has it, else the fault field, else none.
    let cap_via = if cap_flag {
        Some("--max-outstanding-operations")
    } else if sandbox.set_cap_by_faults(scenario.cap)? {
        Some("the max_outstanding_operations fault")
    } else {
        None
    };
    if cap_via.is_some() {
        let faults = sandbox.faults()?;
        let cap = faults.get("max_outstanding_operations");
        if cap.and_then(serde_json::Value::as_u64) != Some(scenario.cap) {
            let shown = cap.map_or_else(|| "absent".to_owned(), ToString::to_string);
            problems.push(format!("the sandbox's max_outstanding_operations is {shown}, not the cap {}", scenario.cap));
        }
    } else {
        eprintln!(
            "[bench]   this sandbox has no outstanding-operation cap: deletions are not capped (the bound still assumes C)"
        );
    }

    // The sandbox holds what was generated: every user's K assignments, one association, one persona.
    let before = sandbox.state()?;
    let sizes = run::state_sizes(&before);
    let s = &scenario.shape;
    let users = (s.leavers + s.stayers) as usize;
    let expected_assignments = users * s.assignments as usize + (s.groups * s.group_assignments) as usize;
    for (list, expected) in
        [("sso_assignments", expected_assignments), ("appstream_associations", users), ("kendra_personas", users)]
    {
        if sizes[list] != expected {
            problems.push(format!("the sandbox holds {} {list}; the generator made {expected}", sizes[list]));
        }
    }

    sandbox.clear_requests()?;
    eprintln!("[bench]   offboard plan ({} leavers) against {url}", s.leavers);
    let plan = run::run(&run::Invocation {
        offboard,
        cwd: dir,
        url: &url,
        args: ["plan", "policy", "--out", "plan.json"].map(OsString::from).to_vec(),
        label: "plan",
        measure_rss: true,
    })?;
    if !plan.status.success() {
        bail!("offboard plan exited with {}; see {}", plan.status, plan.stderr_path.display());
    }
    let plan_counts = sandbox.request_counts()?;
    sandbox.clear_requests()?;
    let removals = run::plan_removals(&dir.join("plan.json"))?;
    // A persona also gives access to the experience (FIXTURE.md), which is a removal of its own.
    let expected_removals = [
        ("sso_assignment", u64::from(s.leavers) * u64::from(s.assignments)),
        ("appstream_association", u64::from(s.leavers)),
        ("kendra_persona", u64::from(s.leavers)),
        ("kendra_experience_entity", u64::from(s.leavers)),
    ];
    for (kind, expected) in expected_removals {
        let planned = removals.get(kind).copied().unwrap_or(0);
        if planned != expected {
            problems.push(format!("the plan removes {planned} {kind}; expected {expected}"));
        }
    }
    for (kind, planned) in &removals {
        if !expected_removals.iter().any(|(k, _)| k == kind) {
            problems.push(format!("the plan removes {planned} {kind}; expected none"));
        }
    }
    eprintln!("[bench]   plan: {:.1} s, {} calls", plan.wall.as_secs_f64(), plan_counts.total().calls);

    let apply = if scenario.plan_only {
        None
    } else {
        eprintln!("[bench]   offboard apply plan.json");
        // The journal is appended to: a previous run's lines would mix with this one's.
        match std::fs::remove_file(dir.join("journal.jsonl")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(anyhow::Error::new(e).context("cannot remove the previous run's journal.jsonl"));
            }
            _ => {}
        }
        let apply = run::run(&run::Invocation {
            offboard,
            cwd: dir,
            url: &url,
            args: ["apply", "plan.json", "--allow-large", "--journal", "journal.jsonl"].map(OsString::from).to_vec(),
            label: "apply",
            measure_rss: false,
        })?;
        match apply.status.code() {
            Some(0) => {}
            Some(3) => {
                problems.push(format!("apply exited 3: some actions failed; see {}", apply.stderr_path.display()))
            }
            _ => bail!("offboard apply exited with {}; see {}", apply.status, apply.stderr_path.display()),
        }
        let counts = sandbox.request_counts()?;
        eprintln!("[bench]   apply: {:.1} s, {} calls", apply.wall.as_secs_f64(), counts.total().calls);
        let after = sandbox.state()?;
        problems.extend(run::check_apply(&before, &after, &generated.leaver_names));
        Some((apply, counts))
    };
    drop(sandbox);
    Ok(Outcome {
        name: scenario.name(),
        shape: scenario.shape.clone(),
        deletion_delay: scenario.deletion_delay,
        cap: scenario.cap,
        cap_via,
        bound,
        removals,
        plan,
        plan_counts,
        apply,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_seconds_with_decimals_or_with_units() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0.5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("-1s").unwrap_err().contains("expected e.g."));
        assert!(parse_duration("3q").unwrap_err().contains("expected e.g."));
    }

    #[test]
    fn bad_flags_are_errors_not_panics() {
        assert!(Cli::try_parse_from(["bench-mass", "--cap", "0"]).is_err());
        assert!(Cli::try_parse_from(["bench-mass", "--readme", "--leavers", "5"]).is_err());
        assert!(Cli::try_parse_from(["bench-mass", "--readme", "--cap", "5"]).is_ok());
    }
}
