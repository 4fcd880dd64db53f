//! `offboard report JOURNAL`: the evidence an auditor asks for, from an apply journal.
//!
//! Everything the report states comes from the journal, except two facts of the run it is made
//! in: the time, and the git commit, taken from the CI (`GITHUB_SHA`, `CI_COMMIT_SHA`) or from
//! `git rev-parse HEAD`. In the CI examples the report runs in the same job as the apply, so
//! that is the commit that was applied.

use crate::cli::{ReportArgs, ReportFormat};
use crate::exit::{CliError, Outcome};
use crate::output;
use anyhow::Context;
use offboard_core::render::evidence::{self, EvidenceOptions};
use offboard_core::report::{Commit, ParsedJournal, Report, ReportContext, parse_journal};
use std::path::Path;
use std::process::{Command, Stdio};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn run(args: ReportArgs) -> Result<Outcome, CliError> {
    let journal = read_journal(&args.journal)?;
    let context = ReportContext {
        journal: args.journal.display().to_string(),
        commit: commit(),
        generated_at: OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
    };
    let report = Report::build(&journal, &context);
    let text = match args.format {
        ReportFormat::Markdown => evidence::markdown(&report, &EvidenceOptions::default()),
        ReportFormat::Json => report.to_json(),
    };
    output::line(text.trim_end_matches('\n')).map_err(CliError::io("cannot write the report to stdout"))?;
    Ok(Outcome::Success)
}

/// Read and parse an apply journal. A record a killed run left half-written is logged and
/// skipped (the report shows it too); any other bad line is an error naming `path:line`.
pub fn read_journal(path: &Path) -> Result<ParsedJournal, CliError> {
    let text = std::fs::read_to_string(path)
        .with_context(|| {
            format!("cannot read the journal {}: pass a file written by `offboard apply --journal`", path.display())
        })
        .map_err(CliError::Journal)?;
    let journal = parse_journal(&path.display().to_string(), &text).map_err(|e| CliError::Journal(e.into()))?;
    for t in &journal.truncated {
        tracing::warn!(
            journal = %path.display(),
            line = t.line,
            "truncated journal record (a run was stopped while writing it): that item's outcome is unknown"
        );
    }
    Ok(journal)
}

/// The commit being applied: CI first (it knows what it checked out), then the repository in
/// the working directory, else `unknown`.
fn commit() -> Commit {
    for var in ["GITHUB_SHA", "CI_COMMIT_SHA"] {
        if let Some(sha) = std::env::var(var).ok().filter(|s| is_commit_id(s)) {
            return Commit { sha, source: var.to_owned() };
        }
    }
    let git = Command::new("git").args(["rev-parse", "HEAD"]).stdin(Stdio::null()).stderr(Stdio::null()).output();
    if let Ok(out) = git
        && out.status.success()
        && let Ok(text) = String::from_utf8(out.stdout)
        && is_commit_id(text.trim())
    {
        return Commit { sha: text.trim().to_owned(), source: "git rev-parse HEAD".to_owned() };
    }
    Commit::unknown()
}

/// A full SHA-1 or SHA-256 object id: what both CIs and `git rev-parse` print. Anything else in
/// those variables is not trusted into evidence.
fn is_commit_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_object_ids_count_as_commits() {
        assert!(is_commit_id("3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49"));
        assert!(!is_commit_id("3f2a9c1"));
        assert!(!is_commit_id("main"));
        assert!(!is_commit_id(""));
    }

    #[test]
    fn a_missing_journal_says_what_to_pass() {
        let err = read_journal(Path::new("/nonexistent/journal.jsonl")).unwrap_err();
        assert!(format!("{err:#}").contains("offboard apply --journal"), "{err:#}");
    }

    #[test]
    fn a_bad_journal_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        std::fs::write(&path, "{}\n").unwrap();
        let err = read_journal(&path).unwrap_err();
        assert!(format!("{err:#}").contains("journal.jsonl:1: not an apply outcome"), "{err:#}");
    }
}
