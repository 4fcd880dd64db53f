//! The Markdown table of one scenario (pasted into the README's "Benchmark" section).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::Duration;

use crate::bound::{Bound, Estimate, PhaseBound};
use crate::org::Shape;
use crate::run::Measured;
use crate::sandbox::{Counts, IDENTITY_CENTER, Tally};

/// Targets shown next to the ratios.
pub const PLAN_WALL_TARGET: f64 = 1.15;
pub const APPLY_IC_CALLS_TARGET: f64 = 1.05;
pub const APPLY_WALL_TARGET: f64 = 1.15;

/// Everything measured in one scenario.
#[derive(Debug)]
pub struct Outcome {
    pub name: String,
    pub shape: Shape,
    pub deletion_delay: Duration,
    pub cap: u64,
    /// How the sandbox was given the cap (`None`: it has no such limit).
    pub cap_via: Option<&'static str>,
    pub bound: Bound,
    /// Planned removals by kind.
    pub removals: BTreeMap<String, u64>,
    pub plan: Measured,
    pub plan_counts: Counts,
    pub apply: Option<(Measured, Counts)>,
    /// Failed checks; empty when the run did what it should.
    pub problems: Vec<String>,
}

fn tally(t: Tally) -> String {
    if t.throttled > 0 { format!("{} ({} throttled)", t.calls, t.throttled) } else { t.calls.to_string() }
}

fn ratio(measured: f64, bound: f64) -> f64 {
    if bound > 0.0 { measured / bound } else { f64::INFINITY }
}

fn verdict(value: f64, target: f64) -> &'static str {
    if value <= target { "met" } else { "missed" }
}

fn estimate(e: Estimate) -> String {
    format!("{} / {} / {} → **{}**", e.per_principal, e.per_container, e.per_service, e.necessary())
}

fn seconds(s: f64) -> String {
    format!("{s:.1} s")
}

pub fn markdown(o: &Outcome) -> String {
    let s = &o.shape;
    let mut m = String::new();
    let w = &mut m;
    let total_removals: u64 = o.removals.values().sum();
    let _ = writeln!(
        w,
        "### {} leavers × {} assignments, {} stayers, deletion delay {} s, cap {}{}\n",
        s.leavers,
        s.assignments,
        s.stayers,
        o.deletion_delay.as_secs_f64(),
        o.cap,
        if o.apply.is_none() { ", plan only" } else { "" }
    );
    let _ = writeln!(
        w,
        "Organisation: {} users in {} groups ({} assignments each), {} accounts × {} permission sets, {} AppStream \
         stacks, 1 Kendra experience; seed {}. Sandbox: Identity Center 20 TPS per service{}.",
        s.leavers + s.stayers,
        s.groups,
        s.group_assignments,
        s.accounts,
        s.permission_sets,
        s.stacks,
        s.seed,
        match o.cap_via {
            Some(via) => format!(", at most {} outstanding operations ({via})", o.cap),
            None => ", no outstanding-operation cap (this sandbox has none)".to_owned(),
        }
    );
    let kinds: Vec<String> = o.removals.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(w, "Planned removals: {} ({total_removals} in all). Files: `{}/`.\n", kinds.join(", "), o.name);

    // Calls by operation.
    let apply_counts = o.apply.as_ref().map(|(_, c)| c);
    let operations: BTreeSet<&(String, String)> =
        o.plan_counts.calls.keys().chain(apply_counts.into_iter().flat_map(|c| c.calls.keys())).collect();
    let _ = writeln!(w, "| calls by operation | plan | apply |\n|---|---:|---:|");
    let cell = |counts: Option<&Counts>, key: &(String, String)| match counts {
        None => "—".to_owned(),
        Some(c) => c.calls.get(key).map_or("0".to_owned(), |t| tally(*t)),
    };
    for key in operations {
        let _ =
            writeln!(w, "| {} {} | {} | {} |", key.0, key.1, cell(Some(&o.plan_counts), key), cell(apply_counts, key));
    }
    let quota_row = |name: &str, services: &[&str]| {
        let apply = apply_counts.map_or("—".to_owned(), |c| tally(c.quota(services)));
        format!("| **{name}** | **{}** | **{apply}** |", tally(o.plan_counts.quota(services)))
    };
    let _ = writeln!(w, "{}", quota_row("Identity Center (sso-admin + identitystore)", IDENTITY_CENTER));
    let _ = writeln!(w, "{}", quota_row("AppStream", &["appstream"]));
    let _ = writeln!(w, "{}", quota_row("Kendra", &["kendra"]));
    let per_removal = |c: &Counts| {
        if total_removals == 0 {
            "—".to_owned()
        } else {
            format!("{:.2}", c.total().calls as f64 / total_removals as f64)
        }
    };
    let _ = writeln!(
        w,
        "| **all** | **{}** | **{}** |\n| calls per removal | {} | {} |\n",
        tally(o.plan_counts.total()),
        apply_counts.map_or("—".to_owned(), |c| tally(c.total())),
        per_removal(&o.plan_counts),
        apply_counts.map_or("—".to_owned(), per_removal)
    );

    // Against the bound.
    let b = &o.bound;
    let plan_wall = o.plan.wall.as_secs_f64();
    let _ = writeln!(
        w,
        "| against the lower bound | plan | apply | target |\n|---|---:|---:|---|\n\
         | necessary IC calls (per principal / per container / each service its cheaper → necessary) | {} | {} | |\n\
         | necessary AppStream calls | {} | {} | |\n| necessary Kendra calls | {} | {} | |\n\
         | deletion wait: {} IC deletions × {} s ÷ cap {} | — | {} | |",
        estimate(b.plan.identity_center),
        apply_or(o, || estimate(b.apply.identity_center)),
        estimate(b.plan.appstream),
        apply_or(o, || estimate(b.apply.appstream)),
        estimate(b.plan.kendra),
        apply_or(o, || estimate(b.apply.kendra)),
        b.ic_deletions,
        o.deletion_delay.as_secs_f64(),
        o.cap,
        apply_or(o, || seconds(b.apply.deletion_wait_s)),
    );
    let bound_cell = |p: &PhaseBound| format!("{} ({})", seconds(p.seconds()), p.limited_by());
    let _ = writeln!(w, "| lower bound | {} | {} | |", bound_cell(&b.plan), apply_or(o, || bound_cell(&b.apply)));
    let apply_wall = o.apply.as_ref().map(|(m, _)| m.wall.as_secs_f64());
    let _ = writeln!(w, "| wall time | {} | {} | |", seconds(plan_wall), apply_wall.map_or("—".to_owned(), seconds));
    let plan_wall_ratio = ratio(plan_wall, b.plan.seconds());
    let apply_wall_ratio = apply_wall.map(|a| ratio(a, b.apply.seconds()));
    let _ = writeln!(
        w,
        "| wall ÷ bound | {plan_wall_ratio:.2} | {} | plan ≤ {PLAN_WALL_TARGET}: {}; apply ≤ {APPLY_WALL_TARGET}: {} |",
        apply_wall_ratio.map_or("—".to_owned(), |r| format!("{r:.2}")),
        verdict(plan_wall_ratio, PLAN_WALL_TARGET),
        apply_wall_ratio.map_or("—", |r| verdict(r, APPLY_WALL_TARGET)),
    );
    let plan_ic_ratio =
        ratio(o.plan_counts.quota(IDENTITY_CENTER).calls as f64, b.plan.identity_center.necessary() as f64);
    let apply_ic_ratio =
        apply_counts.map(|c| ratio(c.quota(IDENTITY_CENTER).calls as f64, b.apply.identity_center.necessary() as f64));
    let _ = writeln!(
        w,
        "| IC calls ÷ necessary | {plan_ic_ratio:.2} | {} | apply ≤ {APPLY_IC_CALLS_TARGET}: {} |",
        apply_ic_ratio.map_or("—".to_owned(), |r| format!("{r:.2}")),
        apply_ic_ratio.map_or("—", |r| verdict(r, APPLY_IC_CALLS_TARGET)),
    );
    let _ = writeln!(
        w,
        "| peak RSS of `offboard plan` | {} | | |\n",
        o.plan.peak_rss_kib.map_or("—".to_owned(), |k| format!("{:.0} MiB", k as f64 / 1024.0))
    );
    if o.problems.is_empty() {
        let _ = writeln!(
            w,
            "Checks: the sandbox held the generated organisation; the plan removes exactly the leavers' assignments, \
             associations, personas and experience accesses{}.",
            if o.apply.is_some() {
                "; after the apply no leaver holds any of them and no stayer or group lost anything"
            } else {
                ""
            }
        );
    } else {
        let _ = writeln!(w, "**Checks failed:**\n");
        for p in &o.problems {
            let _ = writeln!(w, "- {p}");
        }
    }
    m
}

fn apply_or(o: &Outcome, f: impl FnOnce() -> String) -> String {
    if o.apply.is_some() { f() } else { "—".to_owned() }
}
