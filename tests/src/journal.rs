//! Reading an apply journal (`--journal FILE`) the way an auditor would.

use offboard_core::outcome::{Outcome, OutcomeResult};
use std::path::Path;

/// The journal's outcomes: one per item apply carried out (not the intent records before each
/// call, nor the verification's `still_present` findings after apply; [`read_all`] has them).
///
/// # Panics
/// As [`read_all`].
pub fn read(path: &Path) -> Vec<Outcome> {
    read_all(path).into_iter().filter(|o| !o.result.is_intent() && o.result != OutcomeResult::StillPresent).collect()
}

/// The intent records: the removal calls apply was about to send.
///
/// # Panics
/// As [`read_all`].
pub fn intents(path: &Path) -> Vec<Outcome> {
    read_all(path).into_iter().filter(|o| o.result.is_intent()).collect()
}

/// Every line of the journal, parsed. A missing file is an empty journal.
///
/// # Panics
/// When a line is not one complete outcome (a torn or partial write), or the file does not end
/// with a newline: a journal must be truthful line by line even when its writer was killed.
pub fn read_all(path: &Path) -> Vec<Outcome> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("cannot read the journal {}: {e}", path.display()),
    };
    assert!(text.is_empty() || text.ends_with('\n'), "the journal {} ends in a partial line:\n{text}", path.display());
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            Outcome::from_json_line(line).unwrap_or_else(|e| {
                panic!("journal {} line {} is not a complete outcome ({e}):\n{line}", path.display(), n + 1)
            })
        })
        .collect()
}

/// How many complete lines the journal has now (0 when it does not exist yet), intents included.
pub fn line_count(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.lines().filter(|l| !l.is_empty()).count()).unwrap_or(0)
}

/// How many complete outcome lines (not intents) the journal has now.
pub fn outcome_count(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().filter(|l| !l.is_empty() && !l.contains(r#""result":{"status":"sending"}"#)).count())
        .unwrap_or(0)
}

/// The grants the verification after apply found still present.
///
/// # Panics
/// As [`read_all`].
pub fn still_present(path: &Path) -> Vec<Outcome> {
    read_all(path).into_iter().filter(|o| o.result == OutcomeResult::StillPresent).collect()
}

pub fn is_removed(o: &Outcome) -> bool {
    matches!(o.result, OutcomeResult::Removed)
}

pub fn is_already_removed(o: &Outcome) -> bool {
    matches!(o.result, OutcomeResult::AlreadyRemoved)
}

/// The failure message of a failed outcome.
pub fn failure(o: &Outcome) -> Option<&str> {
    match &o.result {
        OutcomeResult::Failed { error } => Some(error),
        _ => None,
    }
}
