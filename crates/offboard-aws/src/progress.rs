//! How far a run has got: shared counters the adapter bumps as it works and a front end reads
//! whenever it likes (the CLI draws a progress bar or logs a line from them).
//!
//! One [`Progress`] lives in each [`crate::Clients`], so every session made from those clients
//! (`read_state`, `current`, `apply`, `verify`) adds to the same counters. The counters only
//! ever grow; a reader that wants one part of a run takes a [`ProgressSnapshot`] at its start
//! and subtracts it ([`ProgressSnapshot::since`]) later. That keeps the handle free of any notion
//! of phases, and several readers (or none) can watch the same run.
//!
//! Who counts what:
//! - **calls**: every HTTP request, where [`crate::CallStats`] counts it (the SDK interceptor in
//!   `clients.rs`), so the two totals always agree;
//! - **throttled**, **retried**: `call.rs`, for every call: a throttling answer, and each attempt
//!   beyond a call's first;
//! - **items**: `apply()` announces the plan's items ([`Progress::expect_items`]); the journal
//!   counts each item's outcome;
//! - **expected calls**: the read code announces the calls it expects to make
//!   ([`Progress::expect_calls`]), so `plan` can show a fraction and an ETA; without it, a
//!   reader has only the calls sent and their rate.

use serde::Serialize;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The progress counters of one set of clients. Cheap to clone: clones share the counters.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    counters: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    calls: AtomicU64,
    throttled: AtomicU64,
    retried: AtomicU64,
    expected_calls: AtomicU64,
    items_total: AtomicU64,
    items_done: AtomicU64,
}

// Relaxed everywhere: each counter is independent, and a reader only needs each value to be one
// the counter really had (a snapshot may be a few increments apart between counters).
const ORDER: Ordering = Ordering::Relaxed;

impl Progress {
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Announce about `n` more calls (first attempts; retries come on top). Additive, so each
    /// stage of a read can announce its own part as soon as it knows it, and concurrent stages
    /// do not overwrite each other. An estimate: a reader caps the fraction at 100 %.
    pub fn expect_calls(&self, n: u64) {
        self.counters.expected_calls.fetch_add(n, ORDER);
    }

    /// Announce `n` more items (plan removals) that will each get an outcome. Additive.
    pub fn expect_items(&self, n: u64) {
        self.counters.items_total.fetch_add(n, ORDER);
    }

    /// Everything counted so far.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let c = &self.counters;
        ProgressSnapshot {
            calls: c.calls.load(ORDER),
            throttled: c.throttled.load(ORDER),
            retried: c.retried.load(ORDER),
            expected_calls: c.expected_calls.load(ORDER),
            items_done: c.items_done.load(ORDER),
            items_total: c.items_total.load(ORDER),
        }
    }

    /// One HTTP request is about to be sent (any attempt of any call).
    pub(crate) fn call_sent(&self) {
        self.counters.calls.fetch_add(1, ORDER);
    }

    /// AWS answered a call with throttling.
    pub(crate) fn throttled(&self) {
        self.counters.throttled.fetch_add(1, ORDER);
    }

    /// A call is about to be attempted again.
    pub(crate) fn retried(&self) {
        self.counters.retried.fetch_add(1, ORDER);
    }

    /// One item got its outcome.
    pub(crate) fn item_done(&self) {
        self.counters.items_done.fetch_add(1, ORDER);
    }
}

/// The counters of a [`Progress`] at one moment, or (after [`ProgressSnapshot::since`]) the
/// growth between two moments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProgressSnapshot {
    /// HTTP requests sent, retries included (the total of [`crate::CallStats`]).
    pub calls: u64,
    /// Answers that were throttling (`ThrottlingException`, `TooManyRequestsException`, 429…).
    pub throttled: u64,
    /// Attempts beyond the first of their call.
    pub retried: u64,
    /// Calls announced with [`Progress::expect_calls`]; 0 when nothing was announced.
    pub expected_calls: u64,
    /// Items that got their outcome.
    pub items_done: u64,
    /// Items announced with [`Progress::expect_items`].
    pub items_total: u64,
}

impl ProgressSnapshot {
    /// What was counted after `earlier` (a snapshot of the same handle).
    pub fn since(&self, earlier: &ProgressSnapshot) -> ProgressSnapshot {
        ProgressSnapshot {
            calls: self.calls.saturating_sub(earlier.calls),
            throttled: self.throttled.saturating_sub(earlier.throttled),
            retried: self.retried.saturating_sub(earlier.retried),
            expected_calls: self.expected_calls.saturating_sub(earlier.expected_calls),
            items_done: self.items_done.saturating_sub(earlier.items_done),
            items_total: self.items_total.saturating_sub(earlier.items_total),
        }
    }

    pub fn call_summary(&self) -> CallSummary {
        CallSummary { calls: self.calls, throttled: self.throttled, retried: self.retried }
    }
}

/// How many calls a run made and how many of them AWS throttled or offboard sent again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallSummary {
    pub calls: u64,
    pub throttled: u64,
    pub retried: u64,
}

impl fmt::Display for CallSummary {
    /// `1,234 AWS calls (3 throttled, 5 retried)`; `1 AWS call (…)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.calls == 1 { "call" } else { "calls" };
        write!(
            f,
            "{} AWS {noun} ({} throttled, {} retried)",
            thousands(self.calls),
            thousands(self.throttled),
            thousands(self.retried)
        )
    }
}

/// `1234567` → `1,234,567`: counts people read at a glance.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_counters_and_snapshots_subtract() {
        let p = Progress::new();
        let seen_by_cli = p.clone();
        p.call_sent();
        let before = seen_by_cli.snapshot();
        for _ in 0..3 {
            p.call_sent();
        }
        p.throttled();
        p.retried();
        p.retried();
        p.expect_calls(40);
        p.expect_calls(2);
        p.expect_items(5);
        p.item_done();
        let now = seen_by_cli.snapshot();
        assert_eq!(
            now,
            ProgressSnapshot { calls: 4, throttled: 1, retried: 2, expected_calls: 42, items_done: 1, items_total: 5 }
        );
        assert_eq!(
            now.since(&before),
            ProgressSnapshot { calls: 3, throttled: 1, retried: 2, expected_calls: 42, items_done: 1, items_total: 5 }
        );
        assert_eq!(before.since(&now), ProgressSnapshot::default(), "never negative");
        assert_eq!(now.call_summary(), CallSummary { calls: 4, throttled: 1, retried: 2 });
    }

    #[test]
    fn counters_add_up_across_threads() {
        let p = Progress::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        p.call_sent();
                        p.item_done();
                    }
                });
            }
        });
        let s = p.snapshot();
        assert_eq!((s.calls, s.items_done), (4000, 4000));
    }

    #[test]
    fn thousands_groups_digits_by_three() {
        let cases = [(0, "0"), (7, "7"), (999, "999"), (1000, "1,000"), (12345, "12,345"), (1234567, "1,234,567")];
        for (n, text) in cases {
            assert_eq!(thousands(n), text);
        }
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn the_summary_reads_like_a_sentence() {
        let s = CallSummary { calls: 1234, throttled: 3, retried: 5 };
        assert_eq!(s.to_string(), "1,234 AWS calls (3 throttled, 5 retried)");
        assert_eq!(
            CallSummary { calls: 1, ..CallSummary::default() }.to_string(),
            "1 AWS call (0 throttled, 0 retried)"
        );
        assert_eq!(CallSummary::default().to_string(), "0 AWS calls (0 throttled, 0 retried)");
    }
}
