//! Renderers of a [`Plan`]: text for terminals and logs, Markdown for pull requests and job
//! summaries, JSON for the `plan.json` artifact that `apply` executes.
//!
//! [`write`] (streamed, what the CLI prints) and [`render`] (a string) are the entry points; the
//! per-format modules hold the layouts.
//! What the formats share — the before → after access diff, the summary line, per-principal
//! counts and status, and the warnings a reviewer must not miss — lives here and in
//! [`access_diff`], so text and Markdown can never tell different stories.

mod access_diff;
mod drift;
mod escape;
pub mod evidence;
pub mod json;
pub mod markdown;
pub mod text;

pub use markdown::MarkdownOptions;
pub use text::TextOptions;

use crate::grant::{Grant, Service};
use crate::plan::{Plan, PrincipalPlan, SkipReason, Summary};
use crate::principal::{PrincipalRef, Selector};
use crate::state::Resolution;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The output formats of `offboard plan --format` and `offboard show --format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    #[default]
    Text,
    Markdown,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Text, Format::Markdown, Format::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Json => "json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown output format `{0}`: use one of text, markdown, json")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "markdown" | "md" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            other => Err(UnknownFormat(other.to_owned())),
        }
    }
}

/// Options of every renderer; each format reads its own part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenderOptions {
    pub text: TextOptions,
    pub markdown: MarkdownOptions,
}

/// Render `plan` in `format`. Output always ends with a newline.
pub fn render(plan: &Plan, format: Format, options: &RenderOptions) -> String {
    match format {
        Format::Text => text::render(plan, &options.text),
        Format::Markdown => markdown::render(plan, &options.markdown),
        Format::Json => json::render(plan),
    }
}

/// Render `plan` like [`render`], with every grant that `history` shows was removed before
/// annotated as regained (drift). JSON is the plan artifact itself and is never annotated.
pub fn render_with_history(
    plan: &Plan,
    format: Format,
    options: &RenderOptions,
    history: &crate::drift::RemovalHistory,
) -> String {
    match format {
        Format::Text => text::render_with_history(plan, &options.text, history),
        Format::Markdown => markdown::render_with_history(plan, &options.markdown, history),
        Format::Json => json::render(plan),
    }
}

/// Write `plan` to `out` as [`render_with_history`] renders it, without holding a large plan's
/// text whole: text goes out a principal at a time, JSON as it is serialized. (Markdown is
/// rendered whole first: it must fit a pull-request comment, so its size is decided at the end.)
pub fn write(
    plan: &Plan,
    format: Format,
    options: &RenderOptions,
    history: &crate::drift::RemovalHistory,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Text => text::write_with_history(plan, &options.text, history, out),
        Format::Markdown => out.write_all(markdown::render_with_history(plan, &options.markdown, history).as_bytes()),
        Format::Json => plan.write_json(out),
    }
}

/// The closing line of every human-readable plan, e.g.
/// `Plan: 7 to remove (groups 1, sso 3, appstream 2, kendra 1), 1 skipped, 4 remain through groups, 1 not found.`
/// The counts always appear in the same order, zeros included, so logs can be grepped.
pub fn summary_line(s: &Summary) -> String {
    if s.to_remove == 0 {
        let mut extra = Vec::new();
        if s.skipped > 0 {
            extra.push(format!("{} skipped", s.skipped));
        }
        if s.remain_through_groups > 0 {
            extra.push(format!("{} remain through groups", s.remain_through_groups));
        }
        if s.not_found > 0 {
            extra.push(format!("{} not found", s.not_found));
        }
        let mut line = String::from("No changes. No leaver has access left to remove.");
        if !extra.is_empty() {
            line.push(' ');
            line.push_str(&extra.join(", "));
            line.push('.');
        }
        return line;
    }
    let not_found = if s.not_found > 0 { format!(", {} not found", s.not_found) } else { String::new() };
    format!(
        "Plan: {} to remove (groups {}, sso {}, appstream {}, kendra {}), {} skipped, {} remain through groups{not_found}.",
        s.to_remove, s.memberships, s.sso, s.appstream, s.kendra, s.skipped, s.remain_through_groups
    )
}

/// A user's access through groups that stays after the plan, group by group: a heading that
/// names the group and why the membership stays, and one line per grant.
pub(crate) fn remains_by_group(p: &PrincipalPlan, labels: &crate::grant::Labels) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut last: Option<&str> = None;
    for r in &p.remains {
        if last != Some(r.group_id.as_str()) {
            let group = group_label(&r.group_id, labels);
            groups.push((format!("through group {group}: {}", membership_status(&r.membership)), Vec::new()));
            last = Some(&r.group_id);
        }
        if let Some((_, lines)) = groups.last_mut() {
            lines.push(r.grant.describe(labels));
        }
    }
    groups
}

/// What a user loses through the memberships the plan removes, group by group: a heading that
/// names the group, and one line per grant.
pub(crate) fn cut_by_group(p: &PrincipalPlan, labels: &crate::grant::Labels) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut last: Option<&str> = None;
    for c in &p.cut {
        if last != Some(c.group_id.as_str()) {
            groups.push((format!("through group {}", group_label(&c.group_id, labels)), Vec::new()));
            last = Some(&c.group_id);
        }
        if let Some((_, lines)) = groups.last_mut() {
            lines.push(c.grant.describe(labels));
        }
    }
    groups
}

fn group_label(id: &str, labels: &crate::grant::Labels) -> String {
    match labels.get(id) {
        Some(name) => format!("{name} ({id})"),
        None => id.to_owned(),
    }
}

/// Why a user stays a member of a group, as a phrase.
pub fn membership_status(why: &SkipReason) -> String {
    match why {
        SkipReason::NotManaged => "membership managed by your identity provider, not by offboard".into(),
        SkipReason::Protected { what } => format!("membership protected ({what})"),
        SkipReason::Kept => "membership kept by policy".into(),
        SkipReason::OutOfScope => "membership outside the leaver's scope (identity_store)".into(),
        SkipReason::NotYetEffective { effective } => format!("membership not removed before {effective}"),
        other => format!("membership stays ({})", other.to_string().trim_start_matches("skipped: ")),
    }
}

/// [`Plan::summary`] for one principal (its `principals` is 1).
pub(crate) fn principal_summary(p: &PrincipalPlan) -> Summary {
    let mut s = Summary { principals: 1, to_remove: p.remove.len(), skipped: p.skipped.len(), ..Summary::default() };
    for g in &p.remove {
        match g.service() {
            Service::Sso => s.sso += 1,
            Service::Appstream => s.appstream += 1,
            Service::Kendra => s.kendra += 1,
            Service::IdentityStore => s.memberships += 1,
        }
    }
    s.remain_through_groups = p.remains.iter().map(|r| &r.grant).collect::<std::collections::BTreeSet<_>>().len();
    s.protected = p.skipped.iter().filter(|k| matches!(k.why, SkipReason::Protected { .. })).count();
    s.not_found = usize::from(p.resolution == Resolution::NotFound);
    s
}

/// One short phrase for where a principal stands, used in tables and collapsed headings.
pub(crate) fn principal_status(p: &PrincipalPlan) -> String {
    if p.resolution == Resolution::NotFound {
        return if p.remove.is_empty() { "not found" } else { "not found in the Identity Store; to remove" }.to_owned();
    }
    if let Some(effective) = p.skipped.iter().find_map(|k| match &k.why {
        SkipReason::NotYetEffective { effective } => Some(effective),
        _ => None,
    }) {
        return format!("not effective until {effective}");
    }
    if !p.remove.is_empty() {
        "to remove".to_owned()
    } else if p.before.is_empty() {
        "no access found".to_owned()
    } else {
        "nothing to remove".to_owned()
    }
}

/// `6 to remove, 1 skipped` / `not found: nothing to remove` / `no access found`: the counts
/// after a principal's name in collapsed headings.
pub(crate) fn principal_counts(p: &PrincipalPlan) -> String {
    let not_found = p.resolution == Resolution::NotFound;
    if p.before.is_empty() {
        return if not_found { "not found: nothing to remove" } else { "no access found" }.to_owned();
    }
    let mut parts = vec![format!(
        "{}{} to remove",
        if not_found { "not found in the Identity Store; " } else { "" },
        p.remove.len()
    )];
    if !p.skipped.is_empty() {
        parts.push(format!("{} skipped", p.skipped.len()));
    }
    let remain = principal_summary(p).remain_through_groups;
    if remain > 0 {
        parts.push(format!("{remain} remain through groups"));
    }
    parts.join(", ")
}

/// The Identity Store name of a principal, when it differs from how the policy declared it (by
/// id, or by an email or a name in other case): the one thing about its resolution a reader does
/// not already know from the heading.
pub(crate) fn name_behind_id(p: &PrincipalPlan) -> Option<&str> {
    match (&p.principal.selector, &p.resolution) {
        (Selector::Id(_), Resolution::Found { name: Some(name), .. }) => Some(name),
        (Selector::Name(declared), Resolution::Found { name: Some(name), .. }) if declared != name => Some(name),
        _ => None,
    }
}

/// Things a reviewer must see before approving, as plain sentences (each renderer frames them).
pub(crate) fn warnings(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    let removals = plan.removal_count();
    if removals > plan.max_removals as usize {
        out.push(format!(
            "This plan removes {removals} grants, more than guardrails.max_removals ({}): apply refuses it without --allow-large.",
            plan.max_removals
        ));
    }
    let keeping: Vec<String> = plan
        .principals
        .iter()
        .map(|p| (p, principal_summary(p).remain_through_groups))
        .filter(|(_, n)| *n > 0)
        .map(|(p, n)| format!("{} ({n})", p.principal))
        .collect();
    if !keeping.is_empty() {
        let total = plan.summary().remain_through_groups;
        out.push(format!(
            "{total} grant(s) stay reachable through groups after this plan, for {}: apply does not remove them. Each leaver's \"remains\" lists them with the group and why the membership stays.",
            keeping.join(", ")
        ));
    }
    let mismatches = action_mismatches(plan);
    if mismatches > 0 {
        out.push(format!(
            "The plan's actions and its per-principal view disagree on {mismatches} grant(s), so this page does not show exactly what apply would do. The plan file was probably edited by hand: make it again with `offboard plan`."
        ));
    }
    out
}

/// How many (principal, grant) pairs are not accounted for exactly once on both sides: removed
/// by an action but not listed under the principal's `remove`, or the other way round, or listed
/// as removed without having been observed. `offboard plan` always writes 0; the renderers check
/// anyway because `show` renders files that passed through other hands.
fn action_mismatches(plan: &Plan) -> usize {
    let mut balance: BTreeMap<(&PrincipalRef, &Grant), i64> = BTreeMap::new();
    for item in plan.actions.iter().flat_map(|a| &a.items) {
        *balance.entry((&item.principal, &item.grant)).or_default() += 1;
    }
    let mut unobserved = 0;
    for p in &plan.principals {
        for g in &p.remove {
            *balance.entry((&p.principal, g)).or_default() -= 1;
            if !p.before.contains(g) {
                unobserved += 1;
            }
        }
    }
    balance.values().map(|v| v.unsigned_abs() as usize).sum::<usize>() + unobserved
}
