//! Running `offboard` as a child process: wall time, peak RSS, progress, and the checks that the
//! run did what it should (exactly the leavers' grants removed, the stayers untouched).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

/// The hidden first argument that makes `bench-mass` run one command and record its peak RSS
/// (see [`rusage_helper`]).
pub const RUSAGE_HELPER: &str = "__measure-peak-rss";

/// One `offboard` invocation, run from `cwd` against the sandbox at `url`.
#[derive(Debug)]
pub struct Invocation<'a> {
    pub offboard: &'a Path,
    pub cwd: &'a Path,
    pub url: &'a str,
    pub args: Vec<OsString>,
    /// stdout and stderr go to `<cwd>/<label>.out` and `<cwd>/<label>.log`.
    pub label: &'a str,
    pub measure_rss: bool,
}

/// What one run took.
#[derive(Debug)]
pub struct Measured {
    pub wall: Duration,
    /// Peak resident set size of the `offboard` process, in KiB.
    pub peak_rss_kib: Option<u64>,
    pub status: ExitStatus,
    pub stderr_path: PathBuf,
}

/// Runs `invocation`, printing a progress line to stderr every 30 s.
pub fn run(invocation: &Invocation) -> anyhow::Result<Measured> {
    let stdout_path = invocation.cwd.join(format!("{}.out", invocation.label));
    let stderr_path = invocation.cwd.join(format!("{}.log", invocation.label));
    let rss_path = invocation.cwd.join(format!("{}.peak-rss-kib", invocation.label));
    let stdout = File::create(&stdout_path).with_context(|| format!("cannot create {}", stdout_path.display()))?;
    let stderr = File::create(&stderr_path).with_context(|| format!("cannot create {}", stderr_path.display()))?;

    // Peak RSS of one child needs that child to be this process's only waited-for child, which the
    // sandbox and earlier runs are not; so a fresh copy of this binary runs it and reports.
    let mut command = if invocation.measure_rss {
        let me = std::env::current_exe().context("cannot find the bench-mass binary to measure peak RSS")?;
        let mut c = Command::new(me);
        c.arg(RUSAGE_HELPER).arg(&rss_path).arg("--").arg(invocation.offboard);
        c
    } else {
        Command::new(invocation.offboard)
    };
    hermetic(&mut command, invocation.url);
    command.args(&invocation.args).current_dir(invocation.cwd).stdin(Stdio::null()).stdout(stdout).stderr(stderr);

    let started = Instant::now();
    let mut child = command.spawn().with_context(|| format!("cannot start {}", invocation.offboard.display()))?;
    let mut next_note = Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for offboard")? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
        if started.elapsed() >= next_note {
            eprintln!("[bench]   {} still running: {} s", invocation.label, next_note.as_secs());
            next_note += Duration::from_secs(30);
        }
    };
    let wall = started.elapsed();
    let peak_rss_kib = if invocation.measure_rss {
        let text = std::fs::read_to_string(&rss_path)
            .with_context(|| format!("the peak RSS of {} was not recorded", invocation.label))?;
        Some(text.trim().parse().with_context(|| format!("{} is not a number", rss_path.display()))?)
    } else {
        None
    };
    Ok(Measured { wall, peak_rss_kib, status, stderr_path })
}

/// The environment of the end-to-end tests: dummy credentials, the sandbox as the only endpoint,
/// nothing from the developer's AWS configuration, no colour.
fn hermetic(command: &mut Command, url: &str) {
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("AWS_") || text == "GITHUB_STEP_SUMMARY" {
            command.env_remove(&name);
        }
    }
    command
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("NO_COLOR", "1");
    // Global flags go before the subcommand; the caller's args start with it.
    command.args(["--color", "never", "--endpoint-url", url, "--region", "us-east-1"]);
}

/// `bench-mass __measure-peak-rss FILE -- PROGRAM ARGS...`: runs PROGRAM, writes its peak RSS in
/// KiB to FILE and exits with its exit code. This process has no other child, so
/// `RUSAGE_CHILDREN`'s `ru_maxrss` is PROGRAM's own peak.
pub fn rusage_helper(args: &[OsString]) -> anyhow::Result<i32> {
    let [file, dashes, program, rest @ ..] = args else {
        bail!("usage: bench-mass {RUSAGE_HELPER} FILE -- PROGRAM [ARGS...]");
    };
    if dashes != "--" {
        bail!("usage: bench-mass {RUSAGE_HELPER} FILE -- PROGRAM [ARGS...]");
    }
    let status = Command::new(program)
        .args(rest)
        .status()
        .with_context(|| format!("cannot run {}", program.to_string_lossy()))?;
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .context("getrusage(RUSAGE_CHILDREN) failed")?;
    // Linux reports ru_maxrss in KiB.
    std::fs::write(file, usage.max_rss().to_string())
        .with_context(|| format!("cannot write {}", file.to_string_lossy()))?;
    Ok(status.code().unwrap_or(1))
}

/// Removals in a plan file, by kind (`sso_assignment`, `appstream_association`, ...).
pub fn plan_removals(plan_path: &Path) -> anyhow::Result<BTreeMap<String, u64>> {
    let text = std::fs::read(plan_path).with_context(|| format!("cannot read {}", plan_path.display()))?;
    let plan: Value = serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", plan_path.display()))?;
    let mut kinds = BTreeMap::new();
    let principals = plan["principals"].as_array().context("the plan has no principals")?;
    for principal in principals {
        for item in principal["remove"].as_array().into_iter().flatten() {
            let kind = item["kind"].as_str().unwrap_or("unknown").to_owned();
            *kinds.entry(kind).or_insert(0) += 1;
        }
    }
    Ok(kinds)
}

/// The sandbox state's grant lists and the field naming whose grant each record is.
const OWNED: &[(&str, &str)] = &[
    ("sso_assignments", "principal_name"),
    ("appstream_associations", "user_name"),
    ("kendra_personas", "entity_name"),
    ("kendra_experience_entities", "entity_name"),
    ("group_memberships", "user_name"),
];

/// Records of one state list, split into the leavers' and everyone else's.
fn split<'a>(
    state: &'a Value,
    list: &str,
    owner: &str,
    leavers: &BTreeSet<&str>,
) -> (Vec<&'a Value>, BTreeSet<String>) {
    let mut mine = Vec::new();
    let mut others = BTreeSet::new();
    for record in state[list].as_array().into_iter().flatten() {
        if record[owner].as_str().is_some_and(|name| leavers.contains(name)) {
            mine.push(record);
        } else {
            others.insert(record.to_string());
        }
    }
    (mine, others)
}

/// Checks an apply: every leaver grant the policy manages is gone (memberships stay: the policy
/// leaves them to the identity provider) and nobody else's changed at all. Returns what went
/// wrong, one line per list; empty when all is well.
pub fn check_apply(before: &Value, after: &Value, leavers: &[String]) -> Vec<String> {
    let leavers: BTreeSet<&str> = leavers.iter().map(String::as_str).collect();
    let mut problems = Vec::new();
    for &(list, owner) in OWNED {
        let (_, others_before) = split(before, list, owner, &leavers);
        let (mine_after, others_after) = split(after, list, owner, &leavers);
        if list == "group_memberships" {
            if before[list] != after[list] {
                problems.push(format!("{list}: changed, but the policy does not manage memberships"));
            }
            continue;
        }
        if !mine_after.is_empty() {
            problems.push(format!("{list}: {} leaver records remain, e.g. {}", mine_after.len(), mine_after[0]));
        }
        if others_before != others_after {
            let lost = others_before.difference(&others_after).count();
            let gained = others_after.difference(&others_before).count();
            problems.push(format!("{list}: stayers' and groups' records changed ({lost} lost, {gained} new)"));
        }
    }
    problems
}

/// Records per list of the state (for the "the fixture has the shape asked for" check).
pub fn state_sizes(state: &Value) -> BTreeMap<&'static str, usize> {
    OWNED.iter().map(|&(list, _)| (list, state[list].as_array().map_or(0, Vec::len))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(assignments: &[(&str, &str)], memberships: &[&str]) -> Value {
        json!({
            "sso_assignments": assignments.iter().map(|(p, a)| json!({"principal_name": p, "account_id": a})).collect::<Vec<_>>(),
            "appstream_associations": [],
            "kendra_personas": [],
            "kendra_experience_entities": [],
            "group_memberships": memberships.iter().map(|u| json!({"user_name": u})).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn an_apply_that_removed_exactly_the_leavers_grants_passes() {
        let before = state(&[("leaver", "1"), ("stayer", "1"), ("team", "2")], &["leaver", "stayer"]);
        let after = state(&[("stayer", "1"), ("team", "2")], &["leaver", "stayer"]);
        assert!(check_apply(&before, &after, &["leaver".into()]).is_empty());
    }

    #[test]
    fn leftovers_and_collateral_damage_are_reported() {
        let before = state(&[("leaver", "1"), ("leaver", "2"), ("stayer", "1")], &["leaver"]);
        let after = state(&[("leaver", "2")], &[]);
        let problems = check_apply(&before, &after, &["leaver".into()]);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("1 leaver records remain"), "{problems:?}");
        assert!(problems[1].contains("1 lost"), "{problems:?}");
        assert!(problems[2].starts_with("group_memberships"), "{problems:?}");
    }
}
