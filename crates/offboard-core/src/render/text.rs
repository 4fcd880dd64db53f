//! The plan for terminals and logs, laid out like `terraform plan`: one block per principal with
//! its access diff, then warnings, then one summary line.
//!
//! ```text
//! user alice.wong@northwind.example — HR-4211 left the company 2026-11-20
//!   resolved: 906712a4c1-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9
//!     sso        account Management (111111111111)  permission set AdministratorAccess
//!       # skipped: protected (account 111111111111)
//!   - sso        account Shared Services (222222222222)  permission set ReadOnlyAccess
//!
//! Plan: 1 to remove (sso 1, appstream 0, kendra 0), 1 skipped.
//! ```

use super::access_diff::{LineKind, access_diff};
use super::drift;
use super::escape::clean;
use super::{cut_by_group, name_behind_id, remains_by_group, summary_line, warnings};
use crate::drift::RemovalHistory;
use crate::plan::{Plan, PrincipalPlan};
use crate::state::Resolution;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// ANSI colours. The CLI turns this on only when stdout is a terminal.
    pub color: bool,
}

#[derive(Clone, Copy)]
enum Paint {
    Bold,
    Dim,
    Red,
    Green,
    Yellow,
}

/// Appends one line, painted when colour is on. The escape codes never span a newline, so a
/// pager or log viewer that shows a single line still resets correctly.
fn line(out: &mut String, options: &TextOptions, paint: Option<Paint>, text: &str) {
    match paint.filter(|_| options.color) {
        Some(p) => {
            let code = match p {
                Paint::Bold => "1",
                Paint::Dim => "2",
                Paint::Red => "31",
                Paint::Green => "32",
                Paint::Yellow => "33",
            };
            out.push_str("\x1b[");
            out.push_str(code);
            out.push('m');
            out.push_str(text);
            out.push_str("\x1b[0m\n");
        }
        None => {
            out.push_str(text);
            out.push('\n');
        }
    }
}

pub fn render(plan: &Plan, options: &TextOptions) -> String {
    render_with_history(plan, options, &RemovalHistory::default())
}

/// [`render`], with grants the journal shows were removed before marked as regained.
pub fn render_with_history(plan: &Plan, options: &TextOptions, history: &RemovalHistory) -> String {
    let mut all = String::new();
    let written: Result<(), std::convert::Infallible> = sections(plan, options, history, |part| {
        all.push_str(part);
        Ok(())
    });
    let Ok(()) = written;
    all
}

/// [`render_with_history`]'s text, written to `out` one principal at a time: the text of a
/// 10,000-leaver plan is tens of megabytes, and held whole (in a string that grew by doubling)
/// it was the last step up of `offboard plan`'s peak memory.
pub fn write_with_history(
    plan: &Plan,
    options: &TextOptions,
    history: &RemovalHistory,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    sections(plan, options, history, |part| out.write_all(part.as_bytes()))
}

/// The text in parts, each passed to `emit` as soon as it is complete: one per principal, then
/// the drift, the warnings and the summary line.
fn sections<E>(
    plan: &Plan,
    options: &TextOptions,
    history: &RemovalHistory,
    mut emit: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    let mut out = String::new();
    for p in &plan.principals {
        principal(&mut out, plan, p, options, history);
        out.push('\n');
        emit(&out)?;
        out.clear();
    }
    let drift = drift::text_block(plan, history);
    for text in &drift {
        line(&mut out, options, Some(Paint::Red), text);
    }
    if !drift.is_empty() {
        out.push('\n');
    }
    for warning in warnings(plan) {
        line(&mut out, options, Some(Paint::Yellow), &format!("Warning: {warning}"));
        out.push('\n');
    }
    line(&mut out, options, Some(Paint::Bold), &summary_line(&plan.summary()));
    emit(&out)
}

fn principal(out: &mut String, plan: &Plan, p: &PrincipalPlan, options: &TextOptions, history: &RemovalHistory) {
    line(out, options, Some(Paint::Bold), &format!("{} — {}", clean(&p.principal.to_string()), clean(&p.reason)));
    match &p.resolution {
        Resolution::NotFound if p.before.is_empty() => {
            line(out, options, Some(Paint::Yellow), "  not found: nothing to remove");
        }
        Resolution::NotFound => {
            line(
                out,
                options,
                Some(Paint::Yellow),
                "  not found in the Identity Store; access that names it without an Identity Store id:",
            );
        }
        Resolution::Found { id, .. } => {
            let name = name_behind_id(p).map(|n| format!(" ({})", clean(n))).unwrap_or_default();
            line(out, options, None, &format!("  resolved: {}{name}", clean(id)));
            if p.before.is_empty() {
                line(out, options, Some(Paint::Dim), "  (no access found)");
            }
        }
    }
    for l in drift::annotate(access_diff(p, &plan.labels), p, &plan.labels, history) {
        let paint = match l.kind {
            LineKind::Removed => Paint::Red,
            LineKind::Kept => Paint::Dim,
            LineKind::Skipped => Paint::Yellow,
            LineKind::Added => Paint::Green,
        };
        line(out, options, Some(paint), &format!("  {} {}", l.marker, l.text));
    }
    let cut = cut_by_group(p, &plan.labels);
    if !cut.is_empty() {
        line(out, options, Some(Paint::Red), "  lost with the removed memberships (access through groups):");
    }
    for (heading, grants) in cut {
        line(out, options, Some(Paint::Red), &format!("    {}", clean(&heading)));
        for g in grants {
            line(out, options, Some(Paint::Red), &format!("      {}", clean(&g)));
        }
    }
    let remains = remains_by_group(p, &plan.labels);
    if !remains.is_empty() {
        line(out, options, Some(Paint::Yellow), "  remains (access that stays through groups):");
    }
    for (heading, grants) in remains {
        line(out, options, Some(Paint::Yellow), &format!("    {}", clean(&heading)));
        for g in grants {
            line(out, options, Some(Paint::Yellow), &format!("      {}", clean(&g)));
        }
    }
}
