//! The promises every `offboard apply` run keeps, whatever AWS does to it, checked in one place.
//!
//! A run either completes (exit 0) or reports exactly which actions failed (exit 3); its journal
//! has one truthful line per planned grant; what it says it removed is gone; and nothing outside
//! the plan is ever removed. The fault, kill and concurrency tests all hold runs to this.

use crate::access::assert_nothing_outside_removed;
use crate::cli::Run;
use crate::journal;
use offboard_core::outcome::{Outcome, OutcomeCounts};
use offboard_core::{Grant, Plan};
use std::collections::{BTreeMap, BTreeSet};

/// What one checked run did.
#[derive(Debug)]
pub struct Checked {
    /// Grants the run reported failed.
    pub failed: BTreeSet<Grant>,
    /// Grants the run reported `removed`.
    pub removed: BTreeSet<Grant>,
    /// Grants the run reported `already removed`.
    pub already_removed: BTreeSet<Grant>,
}

/// Whether anything else changed the state while the run was going.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Company {
    /// The run was alone: `after` is exactly what its verification step saw.
    Alone,
    /// Another apply ran at the same time: the run's verification may have seen grants that the
    /// other run removed later, so its "still present" lines and exit code are not compared with
    /// `after`.
    Concurrent,
}

/// Checks one finished apply of `plan`: its output `run`, the journal lines it wrote (`outcomes`),
/// and the state `before` and `after` it.
///
/// # Panics
/// On every broken promise, with the evidence.
pub fn check_apply(
    run: &Run,
    outcomes: &[Outcome],
    plan: &Plan,
    before: &BTreeSet<Grant>,
    after: &BTreeSet<Grant>,
    company: Company,
) -> Checked {
    assert!(matches!(run.code, Some(0 | 3)), "apply must end 0 (done) or 3 (some failed), not {:?}\n{run}", run.code);
    let planned = crate::access::planned_removals(plan);
    if planned.is_empty() {
        assert!(run.code == Some(0) && run.stdout.contains("No changes"), "an empty plan is a no-op\n{run}");
        assert!(outcomes.is_empty(), "an empty plan journals nothing: {outcomes:#?}");
        assert_eq!(before, after, "an empty plan changes nothing");
    }

    // One journal line per planned grant, no more, no less.
    let mut lines_per_grant: BTreeMap<&Grant, usize> = BTreeMap::new();
    for o in outcomes {
        *lines_per_grant.entry(&o.grant).or_default() += 1;
    }
    let journaled: BTreeSet<Grant> = lines_per_grant.keys().map(|g| (*g).clone()).collect();
    assert_eq!(journaled, planned, "the journal must name exactly the planned grants\n{run}");
    let repeated: Vec<_> = lines_per_grant.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "grants journaled more than once: {repeated:#?}");

    let mut checked = Checked { failed: BTreeSet::new(), removed: BTreeSet::new(), already_removed: BTreeSet::new() };
    for o in outcomes {
        if let Some(error) = journal::failure(o) {
            assert!(!error.is_empty(), "a failure without a reason: {o:?}");
            // The result line names the failed grant's principal and the same reason.
            let principal = o.principal.to_string();
            assert!(
                run.stdout.lines().any(|l| l.starts_with("failed") && l.contains(&principal) && l.contains(error)),
                "no `failed` result line for {principal} with {error:?}\n{run}"
            );
            checked.failed.insert(o.grant.clone());
        } else {
            // Success is only ever claimed for a grant that is really gone.
            assert!(!after.contains(&o.grant), "journal says {:?} for a grant still present: {o:?}\n{run}", o.result);
            if journal::is_removed(o) {
                assert!(o.request_id.is_some(), "a removal without the AWS request id: {o:?}");
                checked.removed.insert(o.grant.clone());
            } else {
                checked.already_removed.insert(o.grant.clone());
            }
        }
    }
    let failed_lines = run.stdout.lines().filter(|l| l.starts_with("failed")).count();
    assert_eq!(failed_lines, checked.failed.len(), "one `failed` line per failed grant\n{run}");

    if planned.is_empty() {
        return checked;
    }
    // The summary is the journal's counts; verification reports what really is still there.
    let counts = OutcomeCounts::of(outcomes);
    let summary = format!(
        "Apply complete: {} removed, {} already removed, {} failed",
        counts.removed, counts.already_removed, counts.failed
    );
    assert!(run.stdout.contains(&summary), "expected the summary {summary:?}\n{run}");
    let still_lines = run.stdout.lines().filter(|l| l.starts_with("still present")).count();
    if company == Company::Alone {
        let still_present = planned.iter().filter(|g| after.contains(*g)).count();
        assert_eq!(still_lines, still_present, "verification reports each planned grant still present\n{run}");
    }
    let complete = checked.failed.is_empty() && still_lines == 0;
    assert_eq!(run.code, Some(if complete { 0 } else { 3 }), "exit 0 only when nothing failed or stayed\n{run}");
    assert_nothing_outside_removed(before, after, &planned);
    checked
}
