//! Carrying out a plan: exactly its actions, phase by phase, each target re-read first.
//!
//! This module is the orchestration only; what each kind of access needs (how to re-read it,
//! how to remove it, how to read AWS's answer) lives in its edge module under `edge/`.
//!
//! Safety rules, in the order they apply to every action:
//! 1. The action's request must match its items (same grants, same ids;
//!    [`offboard_core::edge::check_action`]); a plan edited by hand so that the request would
//!    touch something else is refused item by item.
//! 2. Every target is re-read right before its phase. A grant already gone is reported
//!    `already_removed` and no call is made for it; batch calls carry only the items still
//!    present. Nothing outside the plan is ever sent.
//! 3. Failures are per item and final once the retry budget is spent; the other items go on.
//!    `apply` itself never fails: the report (and the journal) says what happened to each item.
//! 4. Right before each removal call, an intent record for its items goes to the journal
//!    ([`Journal::intend`]); the item's outcome follows when the call is answered.
//! 5. Once a phase is done, its grants are re-read to prove the result
//!    ([`ApplyReport::still_present`]). That re-read runs while the later phases remove: it only
//!    reads, so removals still go strictly in phase order, and the proof of a long Identity
//!    Center phase does not add its minute of reads to the end of the run.

use crate::call::Session;
use crate::clients::{CallStats, Clients};
use crate::edge;
use crate::error::CallFailure;
use crate::limits::Limits;
use crate::progress::CallSummary;
use futures::StreamExt;
use offboard_core::edge::check_action;
use offboard_core::grant::Grant;
use offboard_core::outcome::{Outcome, OutcomeCounts, OutcomeResult};
use offboard_core::plan::{Action, ActionItem, Phase, Plan};
use offboard_core::refusal::Refusal;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What `apply` did: one outcome per action item, in completion order, what the re-read after
/// each phase still found, and the calls it made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyReport {
    pub outcomes: Vec<Outcome>,
    /// The plan's grants a re-read after their phase still found, in plan order (as
    /// [`verify`](crate::verify) reports them); the first failed re-read if one failed.
    pub still_present: Result<Vec<Grant>, CallFailure>,
    /// AWS calls made by this apply (re-reads and polls included), by operation.
    pub calls: CallStats,
    /// Throttling answers and retries among those calls.
    pub throttled: u64,
    pub retried: u64,
}

impl ApplyReport {
    pub fn counts(&self) -> OutcomeCounts {
        OutcomeCounts::of(&self.outcomes)
    }

    /// True when every item was removed or already gone.
    pub fn is_complete(&self) -> bool {
        self.outcomes.iter().all(Outcome::is_success)
    }

    pub fn failed(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| !o.is_success())
    }

    /// `1,234 AWS calls (3 throttled, 5 retried)` of this apply.
    pub fn call_summary(&self) -> CallSummary {
        CallSummary { calls: self.calls.total(), throttled: self.throttled, retried: self.retried }
    }
}

/// Execute `plan`. `sink` sees each outcome as soon as its item completes (the CLI prints it
/// and appends it to the journal), and before that an intent record (`OutcomeResult::Sending`)
/// for each item whose removal call is about to be sent; intents are not in the report. A sink that answers `Err(why)` could not keep the outcome:
/// no further call is sent, and every item not yet done fails with `why`.
pub async fn apply(
    clients: &Clients,
    plan: &Plan,
    limits: &Limits,
    sink: &mut (dyn FnMut(&Outcome) -> Result<(), String> + Send),
) -> ApplyReport {
    let before = clients.call_stats();
    let progress_before = clients.progress().snapshot();
    // Every item gets exactly one outcome (`Journal::record`), whatever happens to it.
    clients.progress().expect_items(plan.removal_count() as u64);
    let s = Session::new(clients, limits);
    let mut journal = Journal { sink, outcomes: Vec::new(), session: &s };
    let at = edge::Place::of(plan);
    // Phases done, for the verifier below (rule 5).
    let (done, mut verify_queue) = futures::channel::mpsc::unbounded::<Phase>();

    let removing = async {
        for phase in Phase::ALL {
            remove_phase(&s, at, plan, phase, &mut journal).await;
            let _ = done.unbounded_send(phase);
        }
        drop(done);
    };
    let verifying = async {
        let mut still_present = Vec::new();
        while let Some(phase) = verify_queue.next().await {
            let grants: Vec<&Grant> = plan
                .actions
                .iter()
                .filter(|a| a.phase == phase)
                .flat_map(|a| a.items.iter().map(|i| &i.grant))
                .collect();
            if grants.is_empty() {
                continue;
            }
            // The first failure ends the proof: later phases are not read for nothing.
            still_present.extend(crate::verify::still_present(&s, at, grants).await?);
        }
        Ok(still_present)
    };
    // Boxed: the two state machines nested inside one are deep enough to exceed the
    // compiler's layout depth in callers that nest `apply` further (the proptests).
    let ((), still_present) = futures::join!(Box::pin(removing), Box::pin(verifying));
    let counted = clients.progress().snapshot().since(&progress_before);
    ApplyReport {
        outcomes: journal.outcomes,
        still_present,
        calls: clients.call_stats().since(&before),
        throttled: counted.throttled,
        retried: counted.retried,
    }
}

/// Check one phase's actions against their items, re-read their targets and remove them.
async fn remove_phase(s: &Session<'_>, at: edge::Place<'_>, plan: &Plan, phase: Phase, journal: &mut Journal<'_>) {
    let mut actions = Vec::new();
    for a in plan.actions.iter().filter(|a| a.phase == phase) {
        match check_action(a) {
            Ok(()) => actions.push(a),
            Err(mismatch) => {
                let error = Refusal::RequestMismatch { action_id: a.id.clone(), detail: mismatch.detail }.to_string();
                for item in &a.items {
                    journal.record(outcome(a, item, &CallInfo::NONE, OutcomeResult::Failed { error: error.clone() }));
                }
            }
        }
    }
    if actions.is_empty() {
        return;
    }
    let targets: Vec<&Grant> = actions.iter().flat_map(|a| a.items.iter().map(|i| &i.grant)).collect();
    let presence = edge::presence(s, at, &targets).await;
    tracing::info!(phase = ?phase, actions = actions.len(), "applying phase");
    edge::remove(s, phase, &actions, &presence, journal).await;
}

/// Where outcomes go: the caller's sink, and this run's report. A sink that cannot keep an
/// outcome (a journal write failed) stops the session: nothing more is sent, because a removal
/// the journal cannot record is a removal an auditor would never learn of.
pub(crate) struct Journal<'a> {
    sink: &'a mut (dyn FnMut(&Outcome) -> Result<(), String> + Send),
    outcomes: Vec<Outcome>,
    session: &'a Session<'a>,
}

impl Journal<'_> {
    pub(crate) fn record(&mut self, o: Outcome) {
        match &o.result {
            OutcomeResult::Failed { error } => {
                tracing::warn!(action = %o.action_id, principal = %o.principal, %error, "item failed")
            }
            r => tracing::debug!(action = %o.action_id, principal = %o.principal, result = r.label(), "item done"),
        }
        self.write(&o);
        self.outcomes.push(o);
        self.session.progress().item_done();
    }

    /// Write an intent record for each of `items` of `a`, right before the call that removes
    /// them is sent: a run killed while the call is on the wire leaves this trace of it. An
    /// intent that cannot be written stops the session, so the call itself is then not sent.
    pub(crate) fn intend(&mut self, a: &Action, items: &[&ActionItem]) {
        for item in items {
            self.write(&Outcome::of(a, item, now_rfc3339(), OutcomeResult::Sending));
        }
    }

    fn write(&mut self, o: &Outcome) {
        if let Err(why) = (self.sink)(o) {
            tracing::error!(%why, "stopping: no further call is sent");
            self.session.stop(why);
        }
    }
}

/// The call facts an outcome carries.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallInfo {
    pub request_id: Option<String>,
    pub deletion_request_id: Option<String>,
    pub attempts: u32,
}

impl CallInfo {
    pub(crate) const NONE: CallInfo = CallInfo { request_id: None, deletion_request_id: None, attempts: 0 };

    pub(crate) fn of_failure(f: &CallFailure) -> CallInfo {
        CallInfo { request_id: f.request_id.clone(), deletion_request_id: None, attempts: f.attempts }
    }
}

fn now_rfc3339() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn outcome(a: &Action, item: &ActionItem, call: &CallInfo, result: OutcomeResult) -> Outcome {
    // The plan file's digests are the CLI's to stamp (it knows which file was reviewed).
    Outcome {
        request_id: call.request_id.clone(),
        deletion_request_id: call.deletion_request_id.clone(),
        attempts: call.attempts,
        ..Outcome::of(a, item, now_rfc3339(), result)
    }
}

pub(crate) fn failed(error: impl Into<String>) -> OutcomeResult {
    OutcomeResult::Failed { error: error.into() }
}

pub(crate) fn reread_failed(f: &CallFailure) -> OutcomeResult {
    failed(format!("not removed: the target could not be re-read before removing it: {f}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::Clients;

    #[tokio::test]
    async fn empty_inputs_make_no_calls_and_the_public_futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let clients = Clients::from_sdk_config(&aws_config::SdkConfig::builder().build());
        let limits = Limits::default();
        let empty: Plan = serde_json::from_value(serde_json::json!({
            "format_version": 2, "created_at": "2026-11-21T00:00:00Z", "config_path": "offboard.yaml",
            "policy_paths": [], "policy_digest": "sha256:0", "state_digest": "sha256:0", "ordering_id": 0,
            "max_removals": 500, "location": {"account_id": "111111111111", "region": "us-east-1"},
            "principals": [], "actions": []
        }))
        .unwrap();
        let mut seen = 0;
        let mut sink = |_: &Outcome| {
            seen += 1;
            Ok(())
        };
        let fut = apply(&clients, &empty, &limits, &mut sink);
        assert_send(&fut);
        let report = fut.await;
        assert!(report.outcomes.is_empty() && report.is_complete());
        assert_eq!(report.calls.total(), 0);
        assert_eq!(seen, 0);

        let verified = crate::verify(&clients, &empty, &limits);
        assert_send(&verified);
        assert_eq!(verified.await.unwrap(), Vec::<Grant>::new());

        let source = |text: &str| offboard_core::policy::Source { path: "offboard.yaml".into(), text: text.into() };
        let policy = offboard_core::policy::load(
            &source("version: 1\nsso:\n  instance_arn: arn:aws:sso:::instance/ssoins-1234567890abcdef\n"),
            &[],
        )
        .unwrap();
        let read = crate::read_state(&clients, &policy, &limits);
        assert_send(&read);
        assert_eq!(read.await.unwrap(), offboard_core::state::ObservedState::default(), "no leavers, no calls");
        assert_eq!(clients.call_stats().total(), 0);
    }
}
