//! Apply journals (`offboard report`, `offboard plan --journal`): every input must parse or give
//! located line errors, and a parsed journal must build a report that renders as JSON and
//! Markdown.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offboard_core::drift::RemovalHistory;
use offboard_core::outcome::Outcome;
use offboard_core::render::evidence::{self, EvidenceOptions};
use offboard_core::report::{Commit, Report, ReportContext, parse_journal};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Outcome::from_json_line(text);
    let journal = match parse_journal("journal.jsonl", text) {
        Ok(journal) => journal,
        Err(e) => {
            assert!(!e.errors.is_empty(), "a journal error without any line");
            let _ = e.to_string();
            return;
        }
    };
    let context = ReportContext {
        journal: "journal.jsonl".to_owned(),
        commit: Commit::unknown(),
        generated_at: "2026-11-21T10:00:00Z".to_owned(),
    };
    let report = Report::build(&journal, &context);
    let _ = report.to_json();
    let _ = evidence::markdown(&report, &EvidenceOptions::default());
    let _ = evidence::markdown(&report, &EvidenceOptions { max_chars: 200 });
    let _ = RemovalHistory::from_outcomes(journal.outcomes());
});
