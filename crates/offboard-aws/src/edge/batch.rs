//! Batch removals with per-item failures (AppStream `errors`, Kendra `FailedEntityList`).
//!
//! A per-item failure is ambiguous: "not found" may mean the access was already gone, and an
//! error AWS did not attribute to an item may or may not concern it. Such items are *unsure*:
//! they are re-read after the call, and the re-read decides — gone means `if_absent`, still
//! there means failed. Nothing is counted removed on AWS's word alone when its word is unclear.

use super::{AccessEdge, Place, Presence};
use crate::apply::{CallInfo, Journal, failed, outcome, reread_failed};
use crate::call::Session;
use offboard_core::outcome::{Outcome, OutcomeResult};
use offboard_core::plan::{Action, ActionItem};

/// A failed item whose fate a re-read decides: gone → `if_absent`, still there → failed.
pub(crate) struct Unsure<'a> {
    pub item: &'a ActionItem,
    pub error: String,
    pub if_absent: OutcomeResult,
}

/// What one batch call did: outcomes settled by the answer, and the unsure items.
pub(crate) struct Sent<'a> {
    pub call: CallInfo,
    pub settled: Vec<Outcome>,
    pub unsure: Vec<Unsure<'a>>,
}

/// An edge removed with batch calls.
pub(crate) trait BatchEdge: AccessEdge {
    /// Send `a`'s request for the `pending` items only (those present right now).
    async fn send<'i>(s: &Session<'_>, a: &Action, pending: &[&'i ActionItem]) -> Sent<'i>;
}

/// Remove the phase's actions, up to `concurrency` calls at once, journaling in action order.
pub(crate) async fn remove<E: BatchEdge>(
    s: &Session<'_>,
    actions: &[&Action],
    presence: &Presence,
    journal: &mut Journal<'_>,
) {
    let calls = actions
        .iter()
        .map(|a| super::Call {
            action: a,
            sending: super::present_items(a, presence),
            run: one_action::<E>(s, a, presence),
        })
        .collect();
    super::journal_in_order(s, calls, journal).await
}

async fn one_action<E: BatchEdge>(s: &Session<'_>, a: &Action, presence: &Presence) -> Vec<Outcome> {
    let mut outs = Vec::new();
    let mut pending: Vec<&ActionItem> = Vec::new();
    for item in &a.items {
        match presence.of(&item.grant) {
            Ok(false) => outs.push(outcome(a, item, &CallInfo::NONE, OutcomeResult::AlreadyRemoved)),
            Err(f) => outs.push(outcome(a, item, &CallInfo::NONE, reread_failed(f))),
            Ok(true) => pending.push(item),
        }
    }
    if pending.is_empty() {
        return outs;
    }
    let Sent { call, settled, unsure } = E::send(s, a, &pending).await;
    outs.extend(settled);
    if !unsure.is_empty() {
        let targets: Vec<&E> = unsure.iter().filter_map(|u| E::of(&u.item.grant)).collect();
        let again = E::presence(s, Place::default(), &targets).await;
        for u in unsure {
            let result = match again.of(&u.item.grant) {
                Ok(false) => u.if_absent,
                Ok(true) => failed(u.error),
                Err(f) => failed(format!("{} (and re-reading it failed too: {f})", u.error)),
            };
            outs.push(outcome(a, u.item, &call, result));
        }
    }
    outs
}
