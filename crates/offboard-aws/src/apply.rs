//! Carrying out a plan: exactly its actions, phase by phase, each target re-read first.
//!
//! Safety rules, in the order they apply to every action:
//! 1. The action's request must match its items (same grants, same ids); a plan edited by hand
//!    so that the request would touch something else is refused item by item.
//! 2. Every target is re-read right before its phase. A grant already gone is reported
//!    `already_removed` and no call is made for it; batch calls carry only the items still
//!    present. Nothing outside the plan is ever sent.
//! 3. Failures are per item and final once the retry budget is spent; the other items go on.
//!    `apply` itself never fails: the report (and the journal) says what happened to each item.
//!
//! Identity Center deletions are asynchronous: `DeleteAccountAssignment` answers IN_PROGRESS and
//! the deletion is polled until SUCCEEDED, FAILED or the deletion timeout. At most
//! `max_in_flight_deletions` are outstanding, and never two on the same (account, permission
//! set), which Identity Center would answer with ConflictException anyway.

use offboard_core::edge::appstream_association::BatchDisassociateUserStack;
use offboard_core::edge::sso_assignment::DeleteAccountAssignment;
use offboard_core::edge::kendra_group_mapping::DeletePrincipalMapping;
use offboard_core::edge::kendra_persona::DisassociatePersonasFromEntities;
use offboard_core::grant::{AppstreamAssociation, KendraGroupMapping, KendraPersona, SsoAssignment};
use crate::appstream::{self, Association};
use crate::call::{Session, bounded};
use crate::clients::{CallStats, Clients};
use crate::error::{CallFailure, FailureKind};
use crate::kendra;
use crate::limits::Limits;
use crate::read::{self, Presence};
use crate::retry::Backoff;
use crate::sso::{self, AssignmentRef, Deletion, DeletionState};
use futures::StreamExt;
use futures::stream::{self, FuturesUnordered};
use offboard_core::diff::MAX_ORDERING_ID;
use offboard_core::grant::Grant;
use offboard_core::outcome::{Outcome, OutcomeCounts, OutcomeResult};
use offboard_core::plan::{Action, ActionItem, ApiRequest, MAX_BATCH, Phase, Plan};
use std::collections::{BTreeSet, HashSet, VecDeque};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::time::Instant;

/// What `apply` did: one outcome per action item, in completion order, and the calls it made.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub outcomes: Vec<Outcome>,
    /// AWS calls made by this apply (re-reads and polls included), by operation.
    pub calls: CallStats,
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
}

/// Execute `plan`. `sink` sees each outcome as soon as its item completes (the CLI prints it
/// and appends it to the journal).
pub async fn apply(
    clients: &Clients,
    plan: &Plan,
    limits: &Limits,
    sink: &mut (dyn FnMut(&Outcome) + Send),
) -> ApplyReport {
    let before = clients.call_stats();
    let s = Session::new(clients, limits);
    let mut journal = Journal { sink, outcomes: Vec::new() };
    let instance_arn = instance_of(plan);

    for phase in Phase::ALL {
        let mut actions = Vec::new();
        for a in plan.actions.iter().filter(|a| a.phase == phase) {
            match check_action(a) {
                Ok(()) => actions.push(a),
                Err(detail) => {
                    let error = format!(
                        "refused: the request of action {} does not match its items ({detail}); the plan file was changed after `offboard plan` wrote it, make a new plan",
                        a.id
                    );
                    for item in &a.items {
                        journal.record(outcome(
                            a,
                            item,
                            &CallInfo::NONE,
                            OutcomeResult::Failed { error: error.clone() },
                        ));
                    }
                }
            }
        }
        if actions.is_empty() {
            continue;
        }
        let targets: Vec<&Grant> = actions.iter().flat_map(|a| a.items.iter().map(|i| &i.grant)).collect();
        let presence = read::presence(&s, instance_arn, &targets).await;
        tracing::info!(phase = ?phase, actions = actions.len(), "applying phase");
        match phase {
            Phase::SsoAssignments => sso_phase(&s, &actions, &presence, &mut journal).await,
            Phase::AppstreamAssociations | Phase::KendraPersonas => {
                let calls: Vec<_> = actions.iter().map(|a| batch_action(&s, a, &presence)).collect();
                let mut results = stream::iter(calls).buffered(limits.concurrency.max(1));
                while let Some(outs) = results.next().await {
                    outs.into_iter().for_each(|o| journal.record(o));
                }
            }
            Phase::KendraGroupMappings => {
                let calls: Vec<_> = actions.iter().map(|a| mapping_action(&s, a, &presence)).collect();
                let mut results = stream::iter(calls).buffered(limits.concurrency.max(1));
                while let Some(outs) = results.next().await {
                    outs.into_iter().for_each(|o| journal.record(o));
                }
            }
        }
    }
    ApplyReport { outcomes: journal.outcomes, calls: clients.call_stats().since(&before) }
}

/// The Identity Center instance of the plan's SSO actions (all of them name the same one).
pub(crate) fn instance_of(plan: &Plan) -> Option<&str> {
    plan.actions.iter().find_map(|a| match &a.request {
        ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment { instance_arn, .. }) => Some(instance_arn.as_str()),
        _ => None,
    })
}

struct Journal<'a> {
    sink: &'a mut (dyn FnMut(&Outcome) + Send),
    outcomes: Vec<Outcome>,
}

impl Journal<'_> {
    fn record(&mut self, o: Outcome) {
        match &o.result {
            OutcomeResult::Failed { error } => {
                tracing::warn!(action = %o.action_id, principal = %o.principal, %error, "item failed")
            }
            r => tracing::debug!(action = %o.action_id, principal = %o.principal, result = r.label(), "item done"),
        }
        (self.sink)(&o);
        self.outcomes.push(o);
    }
}

/// The call facts an outcome carries.
#[derive(Clone, Debug, Default)]
struct CallInfo {
    request_id: Option<String>,
    deletion_request_id: Option<String>,
    attempts: u32,
}

impl CallInfo {
    const NONE: CallInfo = CallInfo { request_id: None, deletion_request_id: None, attempts: 0 };

    fn of_failure(f: &CallFailure) -> CallInfo {
        CallInfo { request_id: f.request_id.clone(), deletion_request_id: None, attempts: f.attempts }
    }
}

fn now_rfc3339() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

fn outcome(a: &Action, item: &ActionItem, call: &CallInfo, result: OutcomeResult) -> Outcome {
    Outcome {
        time: now_rfc3339(),
        action_id: a.id.clone(),
        operation: a.request.operation().to_owned(),
        principal: item.principal.clone(),
        reason: item.reason.clone(),
        grant: item.grant.clone(),
        request_id: call.request_id.clone(),
        deletion_request_id: call.deletion_request_id.clone(),
        result,
        attempts: call.attempts,
        // The plan file's digests are the CLI's to stamp (it knows which file was reviewed).
        plan_digest: None,
        policy_digest: None,
    }
}

fn failed(error: impl Into<String>) -> OutcomeResult {
    OutcomeResult::Failed { error: error.into() }
}

fn reread_failed(f: &CallFailure) -> OutcomeResult {
    failed(format!("not removed: the target could not be re-read before removing it: {f}"))
}

/// Check that an action's request touches exactly its items' grants.
pub(crate) fn check_action(a: &Action) -> Result<(), String> {
    if a.items.is_empty() {
        return Err("it has no items".into());
    }
    if let Some(i) = a.items.iter().find(|i| Phase::of(&i.grant) != a.phase) {
        return Err(format!("item {} is not a {:?} grant", i.grant.describe(&Default::default()), a.phase));
    }
    let single = || {
        if a.items.len() == 1 {
            Ok(&a.items[0].grant)
        } else {
            Err(format!("{} items in a single-target call", a.items.len()))
        }
    };
    match &a.request {
        ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment {
            target_id,
            target_type,
            permission_set_arn,
            principal_type,
            principal_id,
            ..
        }) => {
            let expected = Grant::SsoAssignment(SsoAssignment {
                account_id: target_id.clone(),
                permission_set_arn: permission_set_arn.clone(),
                principal_type: match principal_type.as_str() {
                    "USER" => offboard_core::principal::PrincipalKind::User,
                    "GROUP" => offboard_core::principal::PrincipalKind::Group,
                    other => return Err(format!("PrincipalType {other:?} is neither USER nor GROUP")),
                },
                principal_id: principal_id.clone(),
            });
            if target_type != "AWS_ACCOUNT" {
                return Err(format!("TargetType {target_type:?} is not AWS_ACCOUNT"));
            }
            if single()? != &expected {
                return Err("the request names another assignment than the item".into());
            }
        }
        ApiRequest::BatchDisassociateUserStack(BatchDisassociateUserStack { user_stack_associations }) => {
            let requested: BTreeSet<(&str, &str, &str)> = user_stack_associations
                .iter()
                .map(|u| (u.stack_name.as_str(), u.user_name.as_str(), u.authentication_type.as_str()))
                .collect();
            let items: BTreeSet<(&str, &str, &str)> = a
                .items
                .iter()
                .filter_map(|i| match &i.grant {
                    Grant::AppstreamAssociation(AppstreamAssociation { stack_name, user_name, authentication_type }) => {
                        Some((stack_name.as_str(), user_name.as_str(), authentication_type.as_str()))
                    }
                    _ => None,
                })
                .collect();
            if user_stack_associations.len() > MAX_BATCH {
                return Err(format!(
                    "{} associations in one call, AWS takes at most {MAX_BATCH}",
                    user_stack_associations.len()
                ));
            }
            if requested != items || user_stack_associations.len() != a.items.len() {
                return Err("the associations in the request differ from the items".into());
            }
        }
        ApiRequest::DisassociatePersonasFromEntities(DisassociatePersonasFromEntities { id, index_id, entity_ids }) => {
            let requested: BTreeSet<&str> = entity_ids.iter().map(String::as_str).collect();
            let mut items = BTreeSet::new();
            for i in &a.items {
                match &i.grant {
                    Grant::KendraPersona(KendraPersona { index_id: gi, experience_id, entity_id, .. })
                        if gi == index_id && experience_id == id =>
                    {
                        items.insert(entity_id.as_str());
                    }
                    _ => return Err("an item is not a persona of the request's experience".into()),
                }
            }
            if entity_ids.len() > MAX_BATCH {
                return Err(format!("{} entities in one call, AWS takes at most {MAX_BATCH}", entity_ids.len()));
            }
            if requested != items || entity_ids.len() != a.items.len() {
                return Err("the entity ids in the request differ from the items".into());
            }
        }
        ApiRequest::DeletePrincipalMapping(DeletePrincipalMapping { index_id, data_source_id, group_id, ordering_id }) => {
            let expected = Grant::KendraGroupMapping(KendraGroupMapping {
                index_id: index_id.clone(),
                data_source_id: data_source_id.clone(),
                group_id: group_id.clone(),
            });
            if single()? != &expected {
                return Err("the request names another group mapping than the item".into());
            }
            if !(0..=MAX_ORDERING_ID).contains(ordering_id) {
                return Err(format!("OrderingId {ordering_id} is outside 0..={MAX_ORDERING_ID}"));
            }
        }
    }
    let request_phase = match &a.request {
        ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment { .. }) => Phase::SsoAssignments,
        ApiRequest::BatchDisassociateUserStack(BatchDisassociateUserStack { .. }) => Phase::AppstreamAssociations,
        ApiRequest::DisassociatePersonasFromEntities(DisassociatePersonasFromEntities { .. }) => Phase::KendraPersonas,
        ApiRequest::DeletePrincipalMapping(DeletePrincipalMapping { .. }) => Phase::KendraGroupMappings,
    };
    if request_phase != a.phase {
        return Err(format!("a {} request in phase {:?}", a.request.operation(), a.phase));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Identity Center

struct Job<'a> {
    action: &'a Action,
    item: &'a ActionItem,
    target: AssignmentRef,
}

impl Job<'_> {
    /// Two operations on the same (account, permission set) conflict in Identity Center.
    fn key(&self) -> (String, String) {
        (self.target.account_id.clone(), self.target.permission_set_arn.clone())
    }
}

struct InFlight<'a> {
    job: Job<'a>,
    deletion_id: String,
    call: CallInfo,
    started: Instant,
}

async fn sso_phase<'a>(s: &Session<'_>, actions: &[&'a Action], presence: &Presence, journal: &mut Journal<'_>) {
    let mut queue: VecDeque<Job<'a>> = VecDeque::new();
    for a in actions {
        let (Some(item), ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment { instance_arn, .. })) = (a.items.first(), &a.request)
        else {
            continue; // check_action guarantees both
        };
        let Grant::SsoAssignment(SsoAssignment { account_id, permission_set_arn, principal_type, principal_id }) = &item.grant else {
            continue;
        };
        match presence.of(&item.grant) {
            Ok(false) => journal.record(outcome(a, item, &CallInfo::NONE, OutcomeResult::AlreadyRemoved)),
            Err(f) => journal.record(outcome(a, item, &CallInfo::NONE, reread_failed(f))),
            Ok(true) => queue.push_back(Job {
                action: a,
                item,
                target: AssignmentRef {
                    instance_arn: instance_arn.clone(),
                    account_id: account_id.clone(),
                    permission_set_arn: permission_set_arn.clone(),
                    principal_type: *principal_type,
                    principal_id: principal_id.clone(),
                },
            }),
        }
    }

    let max = s.limits.max_in_flight_deletions.max(1);
    let mut busy: HashSet<(String, String)> = HashSet::new();
    let mut starting = FuturesUnordered::new();
    let mut in_flight: Vec<InFlight<'a>> = Vec::new();
    let mut poller = Poller { bulk: true, bulk_failures: 0 };
    let mut next_poll = Instant::now() + s.limits.poll_interval;

    loop {
        // Start what the limits allow, in plan order, skipping jobs whose key is busy.
        while starting.len() + in_flight.len() < max {
            let Some(pos) = queue.iter().position(|j| !busy.contains(&j.key())) else { break };
            let Some(job) = queue.remove(pos) else { break };
            busy.insert(job.key());
            starting.push(async move {
                let r = sso::delete_assignment(s, &job.target).await;
                (job, r)
            });
        }
        if starting.is_empty() && in_flight.is_empty() {
            break;
        }
        tokio::select! {
            Some((job, r)) = starting.next(), if !starting.is_empty() => {
                match r {
                    Ok(answer) => {
                        let call = CallInfo {
                            request_id: answer.request_id,
                            deletion_request_id: answer.value.deletion_id.clone(),
                            attempts: answer.attempts,
                        };
                        match (answer.value.state, answer.value.deletion_id) {
                            (DeletionState::InProgress, Some(deletion_id)) => {
                                if in_flight.is_empty() {
                                    next_poll = Instant::now() + s.limits.poll_interval;
                                }
                                in_flight.push(InFlight { job, deletion_id, call, started: Instant::now() });
                            }
                            (state, _) => {
                                busy.remove(&job.key());
                                journal.record(outcome(job.action, job.item, &call, finished(state, None)));
                            }
                        }
                    }
                    Err(f) => {
                        busy.remove(&job.key());
                        let result = if f.kind == FailureKind::NotFound {
                            OutcomeResult::AlreadyRemoved
                        } else {
                            failed(f.to_string())
                        };
                        journal.record(outcome(job.action, job.item, &CallInfo::of_failure(&f), result));
                    }
                }
            }
            _ = tokio::time::sleep_until(next_poll), if !in_flight.is_empty() => {
                let news = poller.poll(s, &in_flight).await;
                let timeout = s.limits.deletion_timeout;
                let mut still = Vec::with_capacity(in_flight.len());
                for (f, news) in in_flight.drain(..).zip(news) {
                    let result = match news {
                        Some(Ok(d)) if d.state != DeletionState::InProgress => Some(finished(d.state, Some(&f.deletion_id))),
                        Some(Err(e)) if !e.kind.is_retryable() => Some(failed(format!(
                            "the deletion (request id {}) was started, but its status cannot be read: {e}; check it with DescribeAccountAssignmentDeletionStatus, then re-run `offboard plan`",
                            f.deletion_id
                        ))),
                        _ if f.started.elapsed() > timeout => Some(failed(format!(
                            "the deletion (request id {}) was still IN_PROGRESS after {}s; it may yet finish: re-run `offboard plan` to see",
                            f.deletion_id,
                            timeout.as_secs()
                        ))),
                        _ => None,
                    };
                    match result {
                        Some(result) => {
                            busy.remove(&f.job.key());
                            journal.record(outcome(f.job.action, f.job.item, &f.call, result));
                        }
                        None => still.push(f),
                    }
                }
                in_flight = still;
                next_poll = Instant::now() + s.limits.poll_interval;
            }
            else => break,
        }
    }
}

fn finished(state: DeletionState, deletion_id: Option<&str>) -> OutcomeResult {
    match state {
        DeletionState::Succeeded => OutcomeResult::Removed,
        DeletionState::Failed { reason } => failed(format!("Identity Center reported the deletion FAILED: {reason}")),
        // Only reached for an IN_PROGRESS answer without a deletion id to follow.
        DeletionState::InProgress => failed(format!(
            "Identity Center accepted the deletion but gave no request id to follow it{}; re-run `offboard plan` to see whether it finished",
            deletion_id.map(|d| format!(" ({d})")).unwrap_or_default()
        )),
    }
}

/// Polls IN_PROGRESS deletions: one `ListAccountAssignmentDeletionStatus` (filtered to
/// IN_PROGRESS) tells which of ours finished; only those are described for their final status.
/// Endpoints without the list operation (moto) get `DescribeAccountAssignmentDeletionStatus` per
/// deletion for the rest of the run, as does one where the list fails three polls in a row.
struct Poller {
    bulk: bool,
    bulk_failures: u32,
}

const BULK_FAILURES_BEFORE_FALLBACK: u32 = 3;

impl Poller {
    /// Per in-flight deletion: `None` = no news, else its status or why it could not be read.
    async fn poll(
        &mut self,
        s: &Session<'_>,
        in_flight: &[InFlight<'_>],
    ) -> Vec<Option<Result<Deletion, CallFailure>>> {
        let mut candidates: Vec<bool> = vec![!self.bulk; in_flight.len()];
        if self.bulk {
            let instances: BTreeSet<&str> = in_flight.iter().map(|f| f.job.target.instance_arn.as_str()).collect();
            for instance in instances {
                match sso::deletions_in_progress(s, instance).await {
                    Ok(running) => {
                        self.bulk_failures = 0;
                        for (i, f) in in_flight.iter().enumerate() {
                            if f.job.target.instance_arn == instance && !running.contains(&f.deletion_id) {
                                candidates[i] = true;
                            }
                        }
                    }
                    Err(e) => {
                        self.bulk_failures += 1;
                        if e.looks_unsupported() || self.bulk_failures >= BULK_FAILURES_BEFORE_FALLBACK {
                            tracing::info!(error = %e, "polling deletions one by one with DescribeAccountAssignmentDeletionStatus from now on");
                            self.bulk = false;
                            candidates.iter_mut().for_each(|c| *c = true);
                        }
                    }
                }
            }
        }
        let reads: Vec<_> = in_flight
            .iter()
            .zip(&candidates)
            .filter(|(_, c)| **c)
            .map(|(f, _)| sso::deletion_status(s, &f.job.target.instance_arn, &f.deletion_id))
            .collect();
        let mut described = bounded(reads, s.limits.concurrency).await.into_iter();
        candidates.iter().map(|c| if *c { described.next() } else { None }).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// AppStream and Kendra personas: batch calls with per-item failures

/// A failed item whose fate a re-read decides: gone → `if_absent`, still there → failed.
struct Unsure<'a> {
    item: &'a ActionItem,
    error: String,
    if_absent: OutcomeResult,
}

async fn batch_action(s: &Session<'_>, a: &Action, presence: &Presence) -> Vec<Outcome> {
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
    let (call, unsure) = match &a.request {
        ApiRequest::DisassociatePersonasFromEntities(DisassociatePersonasFromEntities { id, index_id, .. }) => {
            personas_call(s, a, index_id, id, &pending, &mut outs).await
        }
        _ => appstream_call(s, a, &pending, &mut outs).await,
    };
    if !unsure.is_empty() {
        let targets: Vec<&Grant> = unsure.iter().map(|u| &u.item.grant).collect();
        let again = read::presence(s, None, &targets).await;
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

fn association_of(item: &ActionItem) -> Option<Association> {
    match &item.grant {
        Grant::AppstreamAssociation(AppstreamAssociation { stack_name, user_name, authentication_type }) => Some(Association {
            stack_name: stack_name.clone(),
            user_name: user_name.clone(),
            authentication_type: authentication_type.clone(),
        }),
        _ => None,
    }
}

/// `BatchDisassociateUserStack` for the pending items. Items failing with AppStream's transient
/// `INTERNAL_ERROR` are sent again (alone) within the retry budget.
async fn appstream_call<'i>(
    s: &Session<'_>,
    a: &Action,
    pending: &[&'i ActionItem],
    outs: &mut Vec<Outcome>,
) -> (CallInfo, Vec<Unsure<'i>>) {
    let mut backoff = Backoff::new(&s.limits.retry);
    let mut call = CallInfo::NONE;
    let mut unsure = Vec::new();
    let mut todo: Vec<&ActionItem> = pending.to_vec();
    loop {
        backoff.attempt();
        let assoc: Vec<Association> = todo.iter().filter_map(|i| association_of(i)).collect();
        let answer = match appstream::disassociate(s, &assoc).await {
            Ok(a) => a,
            Err(f) => {
                call = CallInfo { attempts: call.attempts + f.attempts, ..CallInfo::of_failure(&f) };
                for item in todo {
                    outs.push(outcome(a, item, &call, failed(f.to_string())));
                }
                return (call, unsure);
            }
        };
        call = CallInfo {
            request_id: answer.request_id,
            deletion_request_id: None,
            attempts: call.attempts + answer.attempts,
        };
        let errors = answer.value;
        let unattributed: Vec<&appstream::ItemError> = errors.iter().filter(|e| e.association.is_none()).collect();
        let mut transient = Vec::new();
        for item in todo {
            let assoc = association_of(item);
            match errors.iter().find(|e| e.association.is_some() && e.association == assoc) {
                Some(e) if e.is_transient() => transient.push((item, e)),
                Some(e) => unsure.push(Unsure {
                    item,
                    error: format!("AppStream: {}: {}", e.code.as_deref().unwrap_or("error"), e.message),
                    if_absent: OutcomeResult::AlreadyRemoved,
                }),
                // Not listed as failed, but AWS listed a failure it did not attribute: only a
                // re-read can tell whether this item was the one.
                None if !unattributed.is_empty() => unsure.push(Unsure {
                    item,
                    error: format!("AppStream reported a failure without naming the item: {}", unattributed[0].message),
                    if_absent: OutcomeResult::Removed,
                }),
                None => outs.push(outcome(a, item, &call, OutcomeResult::Removed)),
            }
        }
        if transient.is_empty() {
            return (call, unsure);
        }
        match backoff.next_delay(rand::random::<f64>()) {
            Some(delay) => {
                tokio::time::sleep(delay).await;
                todo = transient.into_iter().map(|(i, _)| i).collect();
            }
            None => {
                for (item, e) in transient {
                    unsure.push(Unsure {
                        item,
                        error: format!(
                            "AppStream: {}: {} (retries exhausted)",
                            e.code.as_deref().unwrap_or("error"),
                            e.message
                        ),
                        if_absent: OutcomeResult::AlreadyRemoved,
                    });
                }
                return (call, unsure);
            }
        }
    }
}

/// `DisassociatePersonasFromEntities` for the pending items.
async fn personas_call<'i>(
    s: &Session<'_>,
    a: &Action,
    index_id: &str,
    experience_id: &str,
    pending: &[&'i ActionItem],
    outs: &mut Vec<Outcome>,
) -> (CallInfo, Vec<Unsure<'i>>) {
    let entity_of = |item: &ActionItem| match &item.grant {
        Grant::KendraPersona(KendraPersona { entity_id, .. }) => entity_id.clone(),
        _ => String::new(),
    };
    let ids: Vec<String> = pending.iter().map(|i| entity_of(i)).collect();
    let mut unsure = Vec::new();
    match kendra::disassociate_personas(s, index_id, experience_id, &ids).await {
        Ok(answer) => {
            let call = CallInfo { request_id: answer.request_id, deletion_request_id: None, attempts: answer.attempts };
            for item in pending {
                match answer.value.iter().find(|(id, _)| *id == entity_of(item)) {
                    Some((_, message)) => unsure.push(Unsure {
                        item,
                        error: format!("Kendra: {message}"),
                        if_absent: OutcomeResult::AlreadyRemoved,
                    }),
                    None => outs.push(outcome(a, item, &call, OutcomeResult::Removed)),
                }
            }
            (call, unsure)
        }
        // The experience (or index) is gone: a re-read tells whether the personas went with it.
        Err(f) if f.kind == FailureKind::NotFound => {
            let call = CallInfo::of_failure(&f);
            for item in pending {
                unsure.push(Unsure { item, error: f.to_string(), if_absent: OutcomeResult::AlreadyRemoved });
            }
            (call, unsure)
        }
        Err(f) => {
            let call = CallInfo::of_failure(&f);
            for item in pending {
                outs.push(outcome(a, item, &call, failed(f.to_string())));
            }
            (call, unsure)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Kendra group mappings

async fn mapping_action(s: &Session<'_>, a: &Action, presence: &Presence) -> Vec<Outcome> {
    let (Some(item), ApiRequest::DeletePrincipalMapping(DeletePrincipalMapping { index_id, data_source_id, group_id, ordering_id })) =
        (a.items.first(), &a.request)
    else {
        return Vec::new(); // check_action guarantees both
    };
    let result = match presence.of(&item.grant) {
        Ok(false) => return vec![outcome(a, item, &CallInfo::NONE, OutcomeResult::AlreadyRemoved)],
        Err(f) => return vec![outcome(a, item, &CallInfo::NONE, reread_failed(f))],
        Ok(true) => match presence.latest_ordering_id(&item.grant) {
            // Kendra ignores a delete older than the latest action, and the design promises that
            // a mapping PUT after the plan was made is never overridden by it.
            Some(latest) if latest > *ordering_id => {
                return vec![outcome(
                    a,
                    item,
                    &CallInfo::NONE,
                    failed(format!(
                        "not removed: the mapping was changed after this plan was made (its latest OrderingId {latest} is newer than the plan's {ordering_id}); make a new plan"
                    )),
                )];
            }
            _ => kendra::delete_group_mapping(s, index_id, data_source_id.as_deref(), group_id, *ordering_id).await,
        },
    };
    let o = match result {
        Ok(answer) => {
            let call = CallInfo { request_id: answer.request_id, deletion_request_id: None, attempts: answer.attempts };
            let result = follow_mapping_deletion(s, index_id, data_source_id.as_deref(), group_id, *ordering_id).await;
            outcome(a, item, &call, result)
        }
        Err(f) if f.kind == FailureKind::NotFound => {
            outcome(a, item, &CallInfo::of_failure(&f), OutcomeResult::AlreadyRemoved)
        }
        Err(f) => outcome(a, item, &CallInfo::of_failure(&f), failed(f.to_string())),
    };
    vec![o]
}

/// Kendra answers a delete with 200 and finishes it later (DELETING → DELETED, or FAILED), so
/// "removed" is only said once the mapping's history shows our `OrderingId` DELETED, polled like
/// Identity Center deletions and bounded by the same timeout.
async fn follow_mapping_deletion(
    s: &Session<'_>,
    index_id: &str,
    data_source_id: Option<&str>,
    group_id: &str,
    ordering_id: i64,
) -> OutcomeResult {
    let deadline = Instant::now() + s.limits.deletion_timeout;
    loop {
        match kendra::group_mapping_deletion(s, index_id, data_source_id, group_id, ordering_id).await {
            Ok(kendra::DeletionProgress::Done) => return OutcomeResult::Removed,
            Ok(kendra::DeletionProgress::Failed(reason)) => {
                return failed(format!("Kendra accepted the deletion but it ended FAILED: {reason}"));
            }
            Ok(kendra::DeletionProgress::Pending) => {}
            Err(f) => {
                return failed(format!(
                    "the deletion was accepted, but its result could not be read ({f}); run plan again to see whether the mapping is gone"
                ));
            }
        }
        if Instant::now() >= deadline {
            return failed(format!(
                "the deletion was accepted but is still DELETING after {}s; run plan again later to confirm it",
                s.limits.deletion_timeout.as_secs()
            ));
        }
        tokio::time::sleep(s.limits.poll_interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::Clients;
    use aws_sdk_ssoadmin::types::{PrincipalType, TargetType};
    use offboard_core::principal::{PrincipalKind, PrincipalRef};
    use offboard_tests::moto::MotoServer;

    /// moto lacks ListAccountAssignmentDeletionStatus (HTML 500): the first poll must notice at
    /// once (one attempt, no retries), describe the deletion instead, and stay on describe.
    #[tokio::test]
    async fn polling_falls_back_to_describe_where_the_bulk_listing_is_missing() {
        let moto = MotoServer::start();
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&moto.url)
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("test", "test", None, None, "moto"),
            ))
            .build();
        let sso = aws_sdk_ssoadmin::Client::new(&config);
        let instance_arn = sso.list_instances().send().await.unwrap().instances()[0].instance_arn().unwrap().to_owned();
        let ps = sso
            .create_permission_set()
            .instance_arn(&instance_arn)
            .name("ReadOnly")
            .session_duration("PT1H")
            .send()
            .await
            .unwrap()
            .permission_set()
            .unwrap()
            .permission_set_arn()
            .unwrap()
            .to_owned();
        let principal_id = "90670000-0000-4000-8000-000000000001";
        sso.create_account_assignment()
            .instance_arn(&instance_arn)
            .target_id("222222222222")
            .target_type(TargetType::AwsAccount)
            .permission_set_arn(&ps)
            .principal_type(PrincipalType::User)
            .principal_id(principal_id)
            .send()
            .await
            .unwrap();

        let clients = Clients::from_sdk_config(&config);
        let limits = Limits {
            tps: crate::PerService { identity_center: 0.0, appstream: 0.0, kendra: 0.0 },
            ..Limits::default()
        };
        let s = Session::new(&clients, &limits);
        let target = AssignmentRef {
            instance_arn: instance_arn.clone(),
            account_id: "222222222222".into(),
            permission_set_arn: ps.clone(),
            principal_type: PrincipalKind::User,
            principal_id: principal_id.into(),
        };
        let deleted = sso::delete_assignment(&s, &target).await.unwrap();
        let deletion_id = deleted.value.deletion_id.clone().expect("moto returns the request id");

        let grant = Grant::SsoAssignment(SsoAssignment {
            account_id: target.account_id.clone(),
            permission_set_arn: ps.clone(),
            principal_type: PrincipalKind::User,
            principal_id: principal_id.into(),
        });
        let item = ActionItem { principal: PrincipalRef::user_id(principal_id), reason: "test".into(), grant };
        let action = Action {
            id: "sso_assignments-1".into(),
            phase: Phase::SsoAssignments,
            items: vec![item.clone()],
            request: ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment {
                instance_arn,
                target_id: target.account_id.clone(),
                target_type: "AWS_ACCOUNT".into(),
                permission_set_arn: ps,
                principal_type: "USER".into(),
                principal_id: principal_id.into(),
            }),
        };
        assert_eq!(check_action(&action), Ok(()));
        let in_flight = vec![InFlight {
            job: Job { action: &action, item: &action.items[0], target },
            deletion_id,
            call: CallInfo::NONE,
            started: Instant::now(),
        }];

        let mut poller = Poller { bulk: true, bulk_failures: 0 };
        let news = poller.poll(&s, &in_flight).await;
        assert!(!poller.bulk, "switched to describe");
        assert!(matches!(&news[..], [Some(Ok(Deletion { state: DeletionState::Succeeded, .. }))]), "{news:?}");
        let calls = clients.call_stats();
        assert_eq!(calls.get("sso:ListAccountAssignmentDeletionStatus"), 1, "tried once, not retried: {calls}");
        assert_eq!(calls.get("sso:DescribeAccountAssignmentDeletionStatus"), 1, "{calls}");

        let news = poller.poll(&s, &in_flight).await;
        assert!(matches!(&news[..], [Some(Ok(_))]), "{news:?}");
        let calls = clients.call_stats();
        assert_eq!(calls.get("sso:ListAccountAssignmentDeletionStatus"), 1, "not asked again: {calls}");
        assert_eq!(calls.get("sso:DescribeAccountAssignmentDeletionStatus"), 2, "{calls}");
    }

    fn sample_action() -> Action {
        let grant = Grant::AppstreamAssociation(AppstreamAssociation {
            stack_name: "s1".into(),
            user_name: "alice".into(),
            authentication_type: "USERPOOL".into(),
        });
        Action {
            id: "appstream_associations-1".into(),
            phase: Phase::AppstreamAssociations,
            items: vec![ActionItem { principal: PrincipalRef::user_name("alice"), reason: "r".into(), grant }],
            request: ApiRequest::BatchDisassociateUserStack(BatchDisassociateUserStack {
                user_stack_associations: vec![offboard_core::plan::UserStackAssociation {
                    stack_name: "s1".into(),
                    user_name: "alice".into(),
                    authentication_type: "USERPOOL".into(),
                }],
            }),
        }
    }

    #[test]
    fn check_action_accepts_a_consistent_action_and_refuses_edits() {
        let a = sample_action();
        assert_eq!(check_action(&a), Ok(()));

        let mut extra = a.clone();
        if let ApiRequest::BatchDisassociateUserStack(BatchDisassociateUserStack { user_stack_associations }) = &mut extra.request {
            user_stack_associations.push(offboard_core::plan::UserStackAssociation {
                stack_name: "s2".into(),
                user_name: "bob".into(),
                authentication_type: "USERPOOL".into(),
            });
        }
        assert!(check_action(&extra).is_err(), "a request touching more than the items");

        let mut wrong_phase = a.clone();
        wrong_phase.phase = Phase::KendraPersonas;
        assert!(check_action(&wrong_phase).is_err());

        let mut empty = a;
        empty.items.clear();
        assert!(check_action(&empty).is_err());
    }

    #[tokio::test]
    async fn empty_inputs_make_no_calls_and_the_public_futures_are_send() {
        fn assert_send<T: Send>(_: &T) {}
        let clients = Clients::from_sdk_config(&aws_config::SdkConfig::builder().build());
        let limits = Limits::default();
        let empty: Plan = serde_json::from_value(serde_json::json!({
            "format_version": 1, "created_at": "2026-11-21T00:00:00Z", "config_path": "offboard.yaml",
            "policy_paths": [], "policy_digest": "sha256:0", "state_digest": "sha256:0", "ordering_id": 0,
            "max_removals": 500, "principals": [], "actions": []
        }))
        .unwrap();
        let mut seen = 0;
        let mut sink = |_: &Outcome| seen += 1;
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
