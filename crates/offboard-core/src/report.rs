//! Evidence of what `offboard apply` did, built from its journal: who lost what and when, with
//! the AWS request ids an auditor can find in CloudTrail, what failed, and which reviewed plan
//! (plan and policy digests) and which commit it came from.
//!
//! Two pure steps: [`parse_journal`] turns the journal's text into outcomes (with the line each
//! came from), and [`Report::build`] groups them per principal. Rendering lives in
//! [`crate::render::evidence`]. The caller supplies everything from the outside world (file
//! name, commit, clock) in a [`ReportContext`], so a report is reproducible.
//!
//! A journal is appended line by line and fsynced, so the only damage a killed run can leave is
//! one half-written line: at the end of the file, or glued to the first line of the next run
//! when the journal was appended to again. Both are recognised and reported as a truncated
//! record (that one item's outcome is unknown), never as a reason to throw away the rest. Any
//! other line that is not an outcome is an error naming `file:line`, because evidence with
//! silently skipped lines is not evidence.

use crate::grant::{Grant, Labels, Service};
use crate::outcome::{Outcome, OutcomeCounts, OutcomeResult};
use crate::principal::PrincipalRef;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Bumped on any incompatible change of the JSON report layout.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// At most this many bad lines are listed in an error; the rest are counted.
const MAX_LISTED_ERRORS: usize = 20;

/// One outcome and the journal line it was read from (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    pub line: usize,
    pub outcome: Outcome,
}

/// A line a killed run left half-written: that item's outcome is unknown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TruncatedLine {
    pub line: usize,
    /// What was on the line, cut to a few dozen characters (it may hold a principal's name, which
    /// the report shows anyway; it never holds anything secret).
    pub start: String,
}

/// A journal read in full.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedJournal {
    pub entries: Vec<JournalEntry>,
    pub truncated: Vec<TruncatedLine>,
}

impl ParsedJournal {
    pub fn outcomes(&self) -> impl Iterator<Item = &Outcome> {
        self.entries.iter().map(|e| &e.outcome)
    }
}

/// A journal line that is not an outcome: `journal.jsonl:LINE: what is wrong`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct JournalLineError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Every bad line of a journal (the first [`MAX_LISTED_ERRORS`] listed, the rest counted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalError {
    pub errors: Vec<JournalLineError>,
    pub unlisted: usize,
}

impl std::error::Error for JournalError {}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.errors.len() + self.unlisted;
        write!(
            f,
            "the journal has {total} line{} that {} not an apply outcome; every line must be one JSON object written by `offboard apply --journal`:",
            if total == 1 { "" } else { "s" },
            if total == 1 { "is" } else { "are" },
        )?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        if self.unlisted > 0 {
            write!(f, "\n  … and {} more", self.unlisted)?;
        }
        Ok(())
    }
}

/// The start of every journal line: [`Outcome`]'s first field. A half-written line followed by a
/// complete one (a killed run, then a new run appending) is found by looking for it again.
const LINE_START: &str = r#"{"time":"#;

/// Parse a journal's text. `file` names it in errors (`journal.jsonl:7: …`). Blank lines are
/// allowed; `\r\n` endings are accepted.
pub fn parse_journal(file: &str, text: &str) -> Result<ParsedJournal, JournalError> {
    let mut parsed = ParsedJournal::default();
    let mut errors = Vec::new();
    let mut unlisted = 0;
    let lines: Vec<&str> = text.split('\n').collect();
    let last_nonblank = lines.iter().rposition(|l| !l.trim().is_empty());
    for (i, raw) in lines.iter().enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let err = match Outcome::from_json_line(line) {
            Ok(outcome) => {
                parsed.entries.push(JournalEntry { line: line_no, outcome });
                continue;
            }
            Err(err) => err,
        };
        // A half-written record with a whole one appended after it.
        if let Some(at) = line.rfind(LINE_START).filter(|at| *at > 0)
            && let Ok(outcome) = Outcome::from_json_line(&line[at..])
        {
            parsed.truncated.push(truncated(line_no, &line[..at]));
            parsed.entries.push(JournalEntry { line: line_no, outcome });
            continue;
        }
        // A half-written record at the very end.
        if Some(i) == last_nonblank && err.is_eof() {
            parsed.truncated.push(truncated(line_no, line));
            continue;
        }
        if errors.len() < MAX_LISTED_ERRORS {
            errors.push(JournalLineError { file: file.to_owned(), line: line_no, message: line_message(line, &err) });
        } else {
            unlisted += 1;
        }
    }
    if errors.is_empty() { Ok(parsed) } else { Err(JournalError { errors, unlisted }) }
}

fn truncated(line: usize, text: &str) -> TruncatedLine {
    const SHOWN: usize = 60;
    let mut start: String = text.chars().take(SHOWN).collect();
    if text.chars().nth(SHOWN).is_some() {
        start.push('…');
    }
    TruncatedLine { line, start }
}

fn line_message(line: &str, err: &serde_json::Error) -> String {
    if !line.trim_start().starts_with('{') {
        return "not a JSON object; expected one apply outcome like {\"time\":…,\"action_id\":…,\"result\":{\"status\":\"removed\"},…}".to_owned();
    }
    // serde_json's own position is within the line, which is what a reader needs next.
    format!("not an apply outcome: {err}")
}

/// The git commit the evidence belongs to, and where that was learned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Commit {
    /// The commit id, or `unknown`.
    pub sha: String,
    /// `GITHUB_SHA`, `CI_COMMIT_SHA`, `git rev-parse HEAD` or `unknown`.
    pub source: String,
}

impl Commit {
    pub fn unknown() -> Commit {
        Commit { sha: "unknown".into(), source: "unknown".into() }
    }
}

/// What the report needs from outside the journal. The CLI fills it in; tests fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportContext {
    /// The journal's path as the user gave it.
    pub journal: String,
    pub commit: Commit,
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
}

/// The evidence report. Its JSON form (`offboard report --format json`) is this struct.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub format_version: u32,
    pub journal: String,
    pub generated_at: String,
    pub commit: Commit,
    /// Time of the first and the last outcome in the journal.
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    /// One entry per applied plan, in the order they ran (a journal may be appended by several
    /// runs).
    pub runs: Vec<Run>,
    pub counts: OutcomeCounts,
    /// Per principal, in the order they first appear.
    pub principals: Vec<PrincipalEvidence>,
    /// Every failed item, in journal order.
    pub failures: Vec<Evidence>,
    /// Grants whose last record in the journal is a failure, or a verification that found them
    /// still there: still there as far as this journal knows.
    pub not_removed: Vec<Evidence>,
    /// Grants whose last record is an intent: the removal call was being sent when the run
    /// stopped (killed), so whether it took effect is unknown until the next plan or apply.
    pub in_flight: Vec<Evidence>,
    pub truncated_lines: Vec<TruncatedLine>,
}

/// The plan one or more outcomes came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Run {
    /// `None` for lines written before the journal recorded digests.
    pub plan_digest: Option<String>,
    pub policy_digest: Option<String>,
    pub first_time: String,
    pub last_time: String,
    pub outcomes: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrincipalEvidence {
    pub principal: PrincipalRef,
    /// `user alice@example.com`, as plans print it.
    pub name: String,
    /// Every distinct reason recorded for this principal, in order.
    pub reasons: Vec<String>,
    pub counts: OutcomeCounts,
    /// How many of this principal's grants are still there as far as the journal knows.
    pub not_removed: usize,
    /// How many of this principal's removals were in flight when a run stopped.
    pub in_flight: usize,
    pub entries: Vec<Evidence>,
}

/// One journal line, as evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The journal line it was read from.
    pub line: usize,
    pub time: String,
    pub principal: String,
    pub service: Service,
    pub operation: String,
    pub action_id: String,
    /// The grant in words, ids only: `sso        account 2222…  permission set arn:…`.
    pub access: String,
    pub grant: Grant,
    pub result: OutcomeResult,
    pub request_id: Option<String>,
    pub deletion_request_id: Option<String>,
    pub attempts: u32,
}

impl Report {
    pub fn build(journal: &ParsedJournal, context: &ReportContext) -> Report {
        let no_labels = Labels::new();
        let mut runs: Vec<Run> = Vec::new();
        let mut principals: Vec<PrincipalEvidence> = Vec::new();
        let mut failures = Vec::new();
        // The last outcome of each grant decides whether it is gone.
        let mut last: BTreeMap<&Grant, (usize, &Evidence)> = BTreeMap::new();
        let evidence: Vec<Evidence> = journal
            .entries
            .iter()
            .map(|e| {
                let o = &e.outcome;
                Evidence {
                    line: e.line,
                    time: o.time.clone(),
                    principal: o.principal.to_string(),
                    service: o.grant.service(),
                    operation: o.operation.clone(),
                    action_id: o.action_id.clone(),
                    access: o.grant.describe(&no_labels),
                    grant: o.grant.clone(),
                    result: o.result.clone(),
                    request_id: o.request_id.clone(),
                    deletion_request_id: o.deletion_request_id.clone(),
                    attempts: o.attempts,
                }
            })
            .collect();

        let mut index_of: BTreeMap<&PrincipalRef, usize> = BTreeMap::new();
        let mut outcomes_of: Vec<Vec<&Outcome>> = Vec::new();
        for (entry, ev) in journal.entries.iter().zip(&evidence) {
            let o = &entry.outcome;
            let intent = o.result.is_intent();
            match runs.last_mut() {
                Some(run) if run.plan_digest == o.plan_digest && run.policy_digest == o.policy_digest => {
                    run.last_time.clone_from(&o.time);
                    run.outcomes += usize::from(!intent);
                }
                _ => runs.push(Run {
                    plan_digest: o.plan_digest.clone(),
                    policy_digest: o.policy_digest.clone(),
                    first_time: o.time.clone(),
                    last_time: o.time.clone(),
                    outcomes: usize::from(!intent),
                }),
            }

            let index = *index_of.entry(&o.principal).or_insert_with(|| {
                principals.push(PrincipalEvidence {
                    principal: o.principal.clone(),
                    name: o.principal.to_string(),
                    reasons: Vec::new(),
                    counts: OutcomeCounts::default(),
                    not_removed: 0,
                    in_flight: 0,
                    entries: Vec::new(),
                });
                outcomes_of.push(Vec::new());
                principals.len() - 1
            });
            let p = &mut principals[index];
            if !p.reasons.contains(&o.reason) {
                p.reasons.push(o.reason.clone());
            }
            // An intent is evidence only while nothing followed it (see `in_flight` below).
            if !intent {
                p.entries.push(ev.clone());
                outcomes_of[index].push(o);
            }
            if matches!(o.result, OutcomeResult::Failed { .. }) {
                failures.push(ev.clone());
            }
            last.insert(&o.grant, (index, ev));
        }

        let mut not_removed: Vec<(usize, &Evidence)> = Vec::new();
        let mut in_flight: Vec<(usize, &Evidence)> = Vec::new();
        for (index, e) in last.into_values() {
            if e.result.is_intent() {
                in_flight.push((index, e));
            } else if !e.result.is_success() {
                not_removed.push((index, e));
            }
        }
        not_removed.sort_by_key(|(_, e)| e.line);
        in_flight.sort_by_key(|(_, e)| e.line);
        for (p, outcomes) in principals.iter_mut().zip(&outcomes_of) {
            p.counts = OutcomeCounts::of(outcomes.iter().copied());
        }
        for (index, _) in &not_removed {
            principals[*index].not_removed += 1;
        }
        for (index, _) in &in_flight {
            principals[*index].in_flight += 1;
        }
        let not_removed = not_removed.into_iter().map(|(_, e)| e.clone()).collect();
        let in_flight = in_flight.into_iter().map(|(_, e)| e.clone()).collect();

        Report {
            format_version: REPORT_FORMAT_VERSION,
            journal: context.journal.clone(),
            generated_at: context.generated_at.clone(),
            commit: context.commit.clone(),
            first_time: evidence.first().map(|e| e.time.clone()),
            last_time: evidence.last().map(|e| e.time.clone()),
            runs,
            counts: OutcomeCounts::of(journal.outcomes()),
            principals,
            failures,
            not_removed,
            in_flight,
            truncated_lines: journal.truncated.clone(),
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serializing cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}
