//! IAM Identity Center account assignments: observed with `ListAccountAssignmentsForPrincipal`,
//! removed with `DeleteAccountAssignment`.
//!
//! # Removal: about one call per deletion
//!
//! Deletions are asynchronous: `DeleteAccountAssignment` answers IN_PROGRESS with a request id,
//! and the deletion finishes SUCCEEDED or FAILED later. Identity Center allows 20 calls per
//! second across all its APIs and at most 10 outstanding asynchronous assignment operations per
//! instance (neither raisable), so what bounds a large apply is keeping those slots busy while
//! spending as few calls as possible on finding out how the deletions ended:
//!
//! - At most `max_in_flight_deletions` of ours are IN_PROGRESS at once, and never two on the same
//!   (account, permission set), which Identity Center would answer with ConflictException
//!   anyway. A deletion frees its slot and its key the moment it is seen to have finished.
//! - **Which finished**: one `ListAccountAssignmentDeletionStatus` filtered to IN_PROGRESS (100
//!   per page; with 10 outstanding per instance, one page) lists every deletion of the instance
//!   still running. Ours that are absent from it have finished.
//! - **How they ended**, in bulk and lazily: `ListAccountAssignmentDeletionStatus` filtered to
//!   FAILED (paged). A finished deletion listed there is described once
//!   (`DescribeAccountAssignmentDeletionStatus`) for its `FailureReason` and reported failed; one
//!   absent from it SUCCEEDED and is reported removed. That inference is sound because
//!   `StatusValues` has exactly three values (IN_PROGRESS, SUCCEEDED, FAILED) and a deletion's
//!   final state never changes: once it has left IN_PROGRESS it never returns, and a SUCCEEDED
//!   or FAILED deletion stays so. So a deletion known to have left IN_PROGRESS and absent from
//!   the FAILED listing made after that can only be SUCCEEDED. The classification waits until
//!   [`CLASSIFY_BATCH`] finished deletions await it or the oldest has waited [`CLASSIFY_AFTER`],
//!   and always runs before the removal returns; each outcome is journaled when classified. The
//!   inference trusts the two listings to be as fresh as the answers before them; AWS does not
//!   document their consistency, which is one more reason `apply` re-reads every removed grant
//!   afterwards (`verify`).
//! - **When to poll**: not on a fixed tick but on a [`PollClock`] that learns how long deletions
//!   take. It never polls while another deletion could still be started (a free slot and a job
//!   for it: starting it is worth more than learning), polls when the oldest deletion in flight
//!   is expected to be done, and backs off (up to `max_deletion_poll_gap`) while polls find
//!   nothing finished.
//!
//! So a removal costs its `DeleteAccountAssignment`, a share of one status page per batch of
//! finished deletions, a share of one FAILED page per classification, and a `Describe` only if it
//! failed.
//!
//! Endpoints without the bulk listing (moto answers it with an HTML 500) are polled with one
//! `DescribeAccountAssignmentDeletionStatus` per deletion for the rest of the run, as is one
//! where the listing fails three polls in a row. A deletion whose status cannot be read is
//! reported failed, never removed; one still IN_PROGRESS after `deletion_timeout` is reported
//! failed with its request id, to be checked with the next `offboard plan`.

use super::{AccessEdge, Place, Presence, Seen, Subject, Where, presence_by_read};
use crate::apply::{CallInfo, Journal, failed, outcome, reread_failed};
use crate::call::{Answer, Session, bounded};
use crate::error::{AwsError, CallFailure, FailureKind};
use crate::paginate::Retry;
use aws_sdk_ssoadmin::types::{OperationStatusFilter, PrincipalType, StatusValues, TargetType};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use offboard_core::edge::sso_assignment::DeleteAccountAssignment;
use offboard_core::grant::{Grant, SsoAssignment};
use offboard_core::outcome::OutcomeResult;
use offboard_core::plan::{Action, ActionItem, ApiRequest};
use offboard_core::principal::PrincipalKind;
use offboard_models::Service;
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

impl AccessEdge for SsoAssignment {
    /// Per principal (`ListAccountAssignmentsForPrincipal`) or per container (every
    /// (account, permission set) of the instance, `sso::assignments_by_container`), whichever
    /// costs fewer calls (`read_strategy.rs`). Needs the Identity Store id: a leaver the store
    /// does not know has no assignments.
    async fn observe(s: &Session<'_>, at: Where<'_>, subjects: &[Subject<'_>]) -> Result<Vec<Seen>, AwsError> {
        let Some(arn) = at.instance_arn else { return Ok(vec![Seen::default(); subjects.len()]) };
        let principals: BTreeSet<(PrincipalKind, &str)> =
            subjects.iter().filter_map(|sub| Some((sub.leaver.principal.kind, sub.id()?))).collect();
        if principals.is_empty() {
            return Ok(vec![Seen::default(); subjects.len()]);
        }
        let per_principal = principals.len();
        let (swept, cost) =
            crate::sso::assignments_by_container(s, arn, s.limits.read_strategy.budget(per_principal)).await?;
        crate::read_strategy::choose(
            s,
            "Identity Center account assignments",
            swept.is_some(),
            per_principal,
            swept.as_ref().map(|_| cost),
        );
        if let Some(by_principal) = swept {
            // A principal can be a subject twice (a group leaver that is also a leaver's group).
            return Ok(subjects
                .iter()
                .map(|sub| match sub.id() {
                    Some(id) => by_principal
                        .get(&(sub.leaver.principal.kind, id.to_owned()))
                        .into_iter()
                        .flatten()
                        .cloned()
                        .map(Grant::SsoAssignment)
                        .collect::<BTreeSet<_>>()
                        .into(),
                    None => Seen::default(),
                })
                .collect());
        }
        let reads = subjects
            .iter()
            .map(|sub| async move {
                match sub.id() {
                    Some(id) => assignments_of(s, arn, sub.leaver.principal.kind, id).await.map(Seen::from),
                    None => Ok(Seen::default()),
                }
            })
            .collect();
        Ok(bounded(reads, s.limits.concurrency).await.into_iter().collect::<Result<_, _>>()?)
    }

    /// One listing per principal, or one per (account, permission set) the plan touches,
    /// whichever is fewer: both answer for every assignment they cover.
    async fn presence(s: &Session<'_>, at: Place<'_>, grants: &[&Self]) -> Presence {
        // Without an instance there is nothing to ask; the plan always has one for SSO
        // actions (it is part of every DeleteAccountAssignment request).
        let Some(arn) = at.instance_arn else { return Presence::default() };
        let principals: BTreeSet<(PrincipalKind, &str)> =
            grants.iter().map(|g| (g.principal_type, g.principal_id.as_ref())).collect();
        let pairs: BTreeSet<(&str, &str)> =
            grants.iter().map(|g| (g.account_id.as_ref(), g.permission_set_arn.as_ref())).collect();
        if s.limits.read_strategy.per_container(s, "Identity Center re-reads", principals.len(), pairs.len()) {
            presence_by_read(
                s,
                grants,
                |g| (g.account_id.clone(), g.permission_set_arn.clone()),
                |(account, ps), members| async move {
                    let read = crate::sso::assignments_at(s, arn, &account, &ps)
                        .await
                        .map(|rows| rows.into_iter().map(Grant::SsoAssignment).collect());
                    (members, read)
                },
            )
            .await
        } else {
            presence_by_read(
                s,
                grants,
                |g| (g.principal_type, g.principal_id.clone()),
                |(kind, id), members| async move { (members, assignments_of(s, arn, kind, &id).await) },
            )
            .await
        }
    }

    async fn remove(s: &Session<'_>, actions: &[&Action], presence: &Presence, journal: &mut Journal<'_>) {
        remove_assignments(s, actions, presence, journal).await
    }
}

/// The account assignments made *directly* to this principal.
///
/// For a user, `ListAccountAssignmentsForPrincipal` also lists the assignments it inherits
/// through its groups, tagged with the group as principal. Those are not the user's to lose:
/// deleting one would take access away from every member of the group. Only rows whose
/// principal is exactly this one are kept.
async fn assignments_of(
    s: &Session<'_>,
    instance_arn: &str,
    kind: PrincipalKind,
    principal_id: &str,
) -> Result<BTreeSet<Grant>, CallFailure> {
    let rows = s
        .pages(
            Service::SsoAdmin,
            "ListAccountAssignmentsForPrincipal",
            Retry::Yes,
            |token| {
                s.clients
                    .sso
                    .list_account_assignments_for_principal()
                    .instance_arn(instance_arn)
                    .principal_type(principal_type(kind))
                    .principal_id(principal_id)
                    .set_next_token(token)
                    .send()
            },
            |page| (page.account_assignments.unwrap_or_default(), page.next_token),
        )
        .await?;
    Ok(rows
        .iter()
        .filter(|a| a.principal_id() == Some(principal_id) && a.principal_type() == Some(&principal_type(kind)))
        .filter_map(|a| {
            Some(Grant::SsoAssignment(SsoAssignment {
                account_id: a.account_id()?.into(),
                permission_set_arn: a.permission_set_arn()?.into(),
                principal_type: kind,
                principal_id: principal_id.into(),
            }))
        })
        .collect())
}

fn principal_type(kind: PrincipalKind) -> PrincipalType {
    match kind {
        PrincipalKind::User => PrincipalType::User,
        PrincipalKind::Group => PrincipalType::Group,
    }
}

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

/// A deletion of ours that Identity Center answered IN_PROGRESS.
struct InFlight<'a> {
    job: Job<'a>,
    deletion_id: String,
    call: CallInfo,
    /// When the `DeleteAccountAssignment` answer arrived: the deletion ran from shortly before.
    started: Instant,
}

/// A deletion seen to have left IN_PROGRESS, whose end (SUCCEEDED or FAILED) is not known yet.
struct Finished<'a> {
    deletion: InFlight<'a>,
    seen: Instant,
}

/// Classify the finished deletions once this many await it…
const CLASSIFY_BATCH: usize = 50;
/// …or once the oldest of them has waited this long (so the journal lags reality by little).
const CLASSIFY_AFTER: Duration = Duration::from_secs(5);

async fn remove_assignments<'a>(
    s: &Session<'_>,
    actions: &[&'a Action],
    presence: &Presence,
    journal: &mut Journal<'_>,
) {
    let mut queue: VecDeque<Job<'a>> = VecDeque::new();
    for a in actions {
        let (Some(item), ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment { instance_arn, .. })) =
            (a.items.first(), &a.request)
        else {
            continue; // check_action guarantees both
        };
        let Grant::SsoAssignment(SsoAssignment { account_id, permission_set_arn, principal_type, principal_id }) =
            &item.grant
        else {
            continue;
        };
        match presence.of(&item.grant) {
            Ok(false) => journal.record(outcome(a, item, &CallInfo::NONE, OutcomeResult::AlreadyRemoved)),
            Err(f) => journal.record(outcome(a, item, &CallInfo::NONE, reread_failed(f))),
            Ok(true) => queue.push_back(Job {
                action: a,
                item,
                target: AssignmentRef {
                    instance_arn: instance_arn.to_string(),
                    account_id: account_id.to_string(),
                    permission_set_arn: permission_set_arn.to_string(),
                    principal_type: *principal_type,
                    principal_id: principal_id.to_string(),
                },
            }),
        }
    }

    let max = s.limits.max_in_flight_deletions.max(1);
    let mut busy: HashSet<(String, String)> = HashSet::new();
    let mut starting = FuturesUnordered::new();
    let mut in_flight: Vec<InFlight<'a>> = Vec::new();
    let mut awaiting: Vec<Finished<'a>> = Vec::new();
    let mut poller = Poller::new();
    let mut clock = PollClock::new(s.limits.first_deletion_estimate, s.limits.max_deletion_poll_gap);

    loop {
        // Start what the limits allow, in plan order, skipping jobs whose key is busy.
        while starting.len() + in_flight.len() < max {
            let Some(pos) = queue.iter().position(|j| !busy.contains(&j.key())) else { break };
            let Some(job) = queue.remove(pos) else { break };
            busy.insert(job.key());
            journal.intend(job.action, &[job.item]);
            starting.push(async move {
                let r = delete_assignment(s, &job.target).await;
                (job, r)
            });
        }
        if starting.is_empty() && in_flight.is_empty() {
            break;
        }
        let can_start_more = starting.len() + in_flight.len() < max && queue.iter().any(|j| !busy.contains(&j.key()));
        let starts: Vec<Instant> = in_flight.iter().map(|f| f.started).collect();
        // After the loop above no deletion can start, so with deletions in flight there is
        // always a poll time; should that ever change, poll rather than wait on nothing.
        let poll_at = clock
            .next_poll(&starts, can_start_more, !starting.is_empty())
            .or_else(|| (starting.is_empty() && !in_flight.is_empty()).then(Instant::now));
        let classify_at = awaiting.first().map(|f| f.seen + CLASSIFY_AFTER);
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
            _ = tokio::time::sleep_until(poll_at.unwrap_or_else(Instant::now)), if poll_at.is_some() => {
                let sent = Instant::now();
                let news = poller.poll(s, &in_flight).await;
                let answered = Instant::now();
                let timeout = s.limits.deletion_timeout;
                let mut done_starts = Vec::new();
                let mut running_starts = Vec::new();
                let mut still = Vec::with_capacity(in_flight.len());
                for (f, news) in in_flight.drain(..).zip(news) {
                    let result = match news {
                        News::Left => {
                            done_starts.push(f.started);
                            busy.remove(&f.job.key());
                            awaiting.push(Finished { deletion: f, seen: answered });
                            continue;
                        }
                        News::Status(Ok(d)) if d.state != DeletionState::InProgress => {
                            done_starts.push(f.started);
                            Some(finished(d.state, Some(&f.deletion_id)))
                        }
                        News::Status(Err(e)) if !e.kind.is_retryable() => Some(unreadable(&f.deletion_id, &e)),
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
                        None => {
                            running_starts.push(f.started);
                            still.push(f);
                        }
                    }
                }
                in_flight = still;
                if poller.informed {
                    clock.polled(sent, &done_starts, &running_starts);
                } else {
                    clock.polled(sent, &[], &[]);
                }
                if awaiting.len() >= CLASSIFY_BATCH {
                    classify(s, std::mem::take(&mut awaiting), journal).await;
                }
            }
            _ = tokio::time::sleep_until(classify_at.unwrap_or_else(Instant::now)), if classify_at.is_some() => {
                classify(s, std::mem::take(&mut awaiting), journal).await;
            }
        }
    }
    if !awaiting.is_empty() {
        classify(s, awaiting, journal).await;
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

fn unreadable(deletion_id: &str, e: &CallFailure) -> OutcomeResult {
    failed(format!(
        "the deletion (request id {deletion_id}) was started, but its status cannot be read: {e}; check it with DescribeAccountAssignmentDeletionStatus, then re-run `offboard plan`"
    ))
}

/// Decide how each finished deletion ended and journal it: one FAILED listing per instance, a
/// `Describe` for each deletion listed there (for its `FailureReason`), `Removed` for the rest.
/// Where the listing cannot be had, each deletion is described instead; a deletion whose end
/// cannot be read either way is reported failed, not removed.
async fn classify(s: &Session<'_>, awaiting: Vec<Finished<'_>>, journal: &mut Journal<'_>) {
    if awaiting.is_empty() {
        return;
    }
    let mut failed_ids: BTreeMap<&str, Result<HashSet<String>, CallFailure>> = BTreeMap::new();
    for f in &awaiting {
        let instance = f.deletion.job.target.instance_arn.as_str();
        if !failed_ids.contains_key(instance) {
            let listed = deletion_ids(s, instance, StatusValues::Failed, Retry::Yes).await;
            if let Err(e) = &listed {
                tracing::info!(error = %e, "the FAILED deletions could not be listed; describing each finished deletion");
            }
            failed_ids.insert(instance, listed);
        }
    }
    // `Some(true)`: listed FAILED; `Some(false)`: not listed; `None`: the listing failed.
    let listed_failed: Vec<Option<bool>> = awaiting
        .iter()
        .map(|f| {
            let d = &f.deletion;
            failed_ids[d.job.target.instance_arn.as_str()].as_ref().ok().map(|ids| ids.contains(&d.deletion_id))
        })
        .collect();
    let reads: Vec<_> = awaiting
        .iter()
        .zip(&listed_failed)
        .filter(|(_, listed)| **listed != Some(false))
        .map(|(f, _)| deletion_status(s, &f.deletion.job.target.instance_arn, &f.deletion.deletion_id))
        .collect();
    let mut described = bounded(reads, s.limits.concurrency).await.into_iter();
    for (f, listed) in awaiting.into_iter().zip(listed_failed) {
        let d = f.deletion;
        let id = d.deletion_id.as_str();
        let result = match listed {
            Some(false) => OutcomeResult::Removed,
            Some(true) => match described.next() {
                Some(Ok(Deletion {
                    state: state @ (DeletionState::Failed { .. } | DeletionState::Succeeded), ..
                })) => finished(state, Some(id)),
                Some(Ok(Deletion { state: DeletionState::InProgress, .. })) => failed(format!(
                    "Identity Center listed the deletion (request id {id}) FAILED, but describes it IN_PROGRESS; re-run `offboard plan` to see whether the assignment is gone"
                )),
                Some(Err(e)) => failed(format!(
                    "Identity Center listed the deletion (request id {id}) FAILED; its FailureReason could not be read: {e}"
                )),
                None => unreachable_described(id),
            },
            None => match described.next() {
                Some(Ok(Deletion { state: DeletionState::InProgress, .. })) => failed(format!(
                    "the deletion (request id {id}) left the IN_PROGRESS listing, but is described IN_PROGRESS; re-run `offboard plan` to see whether it finished"
                )),
                Some(Ok(deletion)) => finished(deletion.state, Some(id)),
                Some(Err(e)) => unreadable(id, &e),
                None => unreachable_described(id),
            },
        };
        journal.record(outcome(d.job.action, d.job.item, &d.call, result));
    }
}

/// One describe was read for each deletion that needed one; this is the answer if that ever
/// stops being so: not removed.
fn unreachable_described(id: &str) -> OutcomeResult {
    failed(format!("the end of the deletion (request id {id}) was not read; re-run `offboard plan` to see"))
}

/// What a poll learnt about one deletion in flight.
#[derive(Debug)]
enum News {
    /// Still IN_PROGRESS, or nothing learnt.
    Running,
    /// No longer listed IN_PROGRESS: finished, how is for [`classify`] to find out.
    Left,
    /// Described one by one (endpoints without the bulk listing): its status, or why it could
    /// not be read.
    Status(Result<Deletion, CallFailure>),
}

/// Polls IN_PROGRESS deletions: one `ListAccountAssignmentDeletionStatus` (filtered to
/// IN_PROGRESS) per instance tells which of ours finished. Endpoints without the list operation
/// (moto) get `DescribeAccountAssignmentDeletionStatus` per deletion for the rest of the run, as
/// does one where the list fails three polls in a row.
struct Poller {
    bulk: bool,
    bulk_failures: u32,
    /// Whether the last poll learnt anything (a failed listing did not).
    informed: bool,
}

const BULK_FAILURES_BEFORE_FALLBACK: u32 = 3;

impl Poller {
    fn new() -> Self {
        Poller { bulk: true, bulk_failures: 0, informed: false }
    }

    /// Per in-flight deletion, what this poll learnt.
    async fn poll(&mut self, s: &Session<'_>, in_flight: &[InFlight<'_>]) -> Vec<News> {
        self.informed = true;
        if self.bulk {
            let mut news: Vec<News> = in_flight.iter().map(|_| News::Running).collect();
            let instances: BTreeSet<&str> = in_flight.iter().map(|f| f.job.target.instance_arn.as_str()).collect();
            for instance in instances {
                match deletion_ids(s, instance, StatusValues::InProgress, Retry::Once).await {
                    Ok(running) => {
                        self.bulk_failures = 0;
                        for (n, f) in news.iter_mut().zip(in_flight) {
                            if f.job.target.instance_arn == instance && !running.contains(&f.deletion_id) {
                                *n = News::Left;
                            }
                        }
                    }
                    Err(e) => {
                        self.informed = false;
                        self.bulk_failures += 1;
                        if e.looks_unsupported() || self.bulk_failures >= BULK_FAILURES_BEFORE_FALLBACK {
                            tracing::info!(error = %e, "polling deletions one by one with DescribeAccountAssignmentDeletionStatus from now on");
                            self.bulk = false;
                            break;
                        }
                    }
                }
            }
            if self.bulk {
                return news;
            }
        }
        self.informed = true;
        let reads: Vec<_> =
            in_flight.iter().map(|f| deletion_status(s, &f.job.target.instance_arn, &f.deletion_id)).collect();
        bounded(reads, s.limits.concurrency).await.into_iter().map(News::Status).collect()
    }
}

/// When to poll deletions in flight, learnt from how long earlier ones took. Pure: every method
/// takes the time as an argument.
///
/// Rules:
/// - No poll while another deletion could be started (a free slot and a job that may take it):
///   starting it is worth more than news, and the next poll covers it too.
/// - Otherwise poll when the oldest deletion in flight is expected done: its start plus the
///   estimate. Deletions expected done within an eighth of the estimate after it are waited for,
///   so that one poll finds a batch started together, instead of one poll each. So are
///   `DeleteAccountAssignment` calls still on the wire (their deletions are not known yet), up
///   to `max_gap` past the poll's time: where deletions are fast, polling before the batch's
///   last answer would cost a second poll for the rest of the batch.
/// - The estimate is learnt from completions: a deletion found finished by the poll sent at `t`,
///   and still running at the poll sent at `t_prev`, took a time in `(t_prev − start, t −
///   start]`. The clock keeps such a bracket `(floor, upper]`: `upper` is the tightest upper end
///   of the last poll that found deletions finished (a time after which they were done),
///   `floor` the longest time a deletion was seen still running. While the bracket is wider
///   than a 32nd of `upper` (and 10 ms), deletions are expected done at its middle (bisection: a poll
///   there either finds them done, lowering `upper`, or raises `floor`); otherwise at `upper`.
/// - A deletion seen running by an earlier poll is expected at `upper` (a second bisection
///   step with the same deletion could cost a second poll that finds it running). Once past
///   that it is overdue: checked again after a back-off that doubles with every poll in a row
///   that found none of ours finished, from an eighth of the time it has run, up to `max_gap`.
/// - Before the first completion the estimate is `initial` (small: a fast deletion is not held
///   for a second), so the first batch learns by back-off how long deletions take.
#[derive(Clone, Debug)]
pub(crate) struct PollClock {
    upper: Duration,
    floor: Duration,
    learnt: bool,
    max_gap: Duration,
    /// When the last poll was sent.
    last_poll: Option<Instant>,
    /// Polls in a row that found none of ours finished.
    misses: u32,
}

/// The smallest back-off between two polls.
const MIN_GAP: Duration = Duration::from_millis(5);
/// A bracket this narrow is narrow enough, however long deletions take (`PollClock::precision`).
const MIN_PRECISION: Duration = Duration::from_millis(10);

impl PollClock {
    pub(crate) fn new(initial: Duration, max_gap: Duration) -> Self {
        PollClock {
            upper: initial,
            floor: Duration::ZERO,
            learnt: false,
            max_gap: max_gap.max(MIN_GAP),
            last_poll: None,
            misses: 0,
        }
    }

    /// How long after its start a deletion is expected done.
    pub(crate) fn estimate(&self) -> Duration {
        if self.learnt && self.upper.saturating_sub(self.floor) > self.precision() {
            (self.floor + self.upper) / 2
        } else {
            self.upper
        }
    }

    /// How narrow the bracket must be before deletions are expected at its upper end.
    ///
    /// Every deletion is held until the poll after it finished, so a batch waits on average
    /// half the bracket's width past its real end: with 3 s deletions and a bracket an eighth
    /// wide, that was 0.2 s a batch, 7% of a long run. Each bisection step costs at most one
    /// poll that finds nothing, and the bracket then stays narrow for the rest of the run, so
    /// narrowing it to a 32nd is cheap. Below 10 ms the answer's own latency is the noise.
    fn precision(&self) -> Duration {
        (self.upper / 32).max(MIN_PRECISION)
    }

    /// When the deletion started at `start` should be looked at.
    fn due(&self, start: Instant) -> Instant {
        let Some(last) = self.last_poll.filter(|last| *last > start) else {
            return start + self.estimate();
        };
        // In flight at the last poll, so seen running then: no more bisecting with this one (that
        // would risk a second poll that finds it running); the upper end while it is ahead…
        if start + self.upper > last {
            return start + self.upper;
        }
        // …else it is overdue: back off.
        let ran = last.saturating_duration_since(start).max(self.estimate());
        let gap = (ran / 8).saturating_mul(1u32 << self.misses.saturating_sub(1).min(16));
        last + gap.clamp(MIN_GAP, self.max_gap)
    }

    /// When to poll next, given the start times of our deletions in flight; `None`: not now.
    /// `starting`: `DeleteAccountAssignment` calls are on the wire, whose deletions the poll
    /// would not cover.
    pub(crate) fn next_poll(&self, starts: &[Instant], can_start_more: bool, starting: bool) -> Option<Instant> {
        if can_start_more {
            return None;
        }
        let dues: Vec<Instant> = starts.iter().map(|s| self.due(*s)).collect();
        let first = *dues.iter().min()?;
        let window = first + self.estimate() / 4;
        let at = dues.into_iter().filter(|d| *d <= window).max()?;
        Some(if starting { at + self.max_gap } else { at })
    }

    /// A poll was sent at `sent`; `finished` are the start times of the deletions of ours it
    /// found finished, `running` those it found still running.
    pub(crate) fn polled(&mut self, sent: Instant, finished: &[Instant], running: &[Instant]) {
        let expected = self.estimate();
        let previous = self.last_poll.replace(sent);
        // Running after they were expected done: they take longer than that.
        for s in running {
            let ran = sent.saturating_duration_since(*s);
            if ran >= expected {
                self.floor = self.floor.max(ran);
            }
        }
        if finished.is_empty() {
            self.misses += 1;
            return;
        }
        self.misses = 0;
        let upper = finished.iter().map(|s| sent.saturating_duration_since(*s)).min().unwrap_or(self.upper);
        let lower = finished
            .iter()
            .filter_map(|s| previous.filter(|p| p > s).map(|p| p.saturating_duration_since(*s)))
            .max()
            .unwrap_or(Duration::ZERO);
        self.upper = upper;
        self.floor = self.floor.max(lower).min(upper);
        self.learnt = true;
    }
}

/// Where an asynchronous deletion stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DeletionState {
    InProgress,
    Succeeded,
    Failed { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Deletion {
    pub state: DeletionState,
    /// The deletion's own id (`AccountAssignmentDeletionRequestId`).
    pub deletion_id: Option<String>,
}

fn deletion_from(status: Option<&aws_sdk_ssoadmin::types::AccountAssignmentOperationStatus>) -> Deletion {
    let deletion_id = status.and_then(|s| s.request_id()).map(str::to_owned);
    let state = match status.and_then(|s| s.status()) {
        Some(StatusValues::Succeeded) => DeletionState::Succeeded,
        Some(StatusValues::Failed) => DeletionState::Failed {
            reason: status
                .and_then(|s| s.failure_reason())
                .unwrap_or("Identity Center gave no FailureReason")
                .to_owned(),
        },
        // IN_PROGRESS, or a status this SDK does not know yet: keep polling; the deletion
        // timeout bounds it.
        _ => DeletionState::InProgress,
    };
    Deletion { state, deletion_id }
}

/// The assignment to delete: exactly the plan's `DeleteAccountAssignment` input.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct AssignmentRef {
    pub instance_arn: String,
    pub account_id: String,
    pub permission_set_arn: String,
    pub principal_type: PrincipalKind,
    pub principal_id: String,
}

async fn delete_assignment(s: &Session<'_>, a: &AssignmentRef) -> Result<Answer<Deletion>, CallFailure> {
    let answer = s
        .call(Service::SsoAdmin, "DeleteAccountAssignment", || {
            s.clients
                .sso
                .delete_account_assignment()
                .instance_arn(&a.instance_arn)
                .target_id(&a.account_id)
                .target_type(TargetType::AwsAccount)
                .permission_set_arn(&a.permission_set_arn)
                .principal_type(principal_type(a.principal_type))
                .principal_id(&a.principal_id)
                .send()
        })
        .await?;
    let value = deletion_from(answer.value.account_assignment_deletion_status());
    Ok(Answer { value, request_id: answer.request_id, attempts: answer.attempts })
}

/// One deletion's status, with retries.
async fn deletion_status(s: &Session<'_>, instance_arn: &str, deletion_id: &str) -> Result<Deletion, CallFailure> {
    let out = s
        .call(Service::SsoAdmin, "DescribeAccountAssignmentDeletionStatus", || {
            s.clients
                .sso
                .describe_account_assignment_deletion_status()
                .instance_arn(instance_arn)
                .account_assignment_deletion_request_id(deletion_id)
                .send()
        })
        .await?
        .value;
    Ok(deletion_from(out.account_assignment_deletion_status()))
}

/// The ids of all deletions of the instance with this status, in one (paged) listing: one call
/// answers for every deletion of ours. `Retry::Once` for the IN_PROGRESS poll, which the poll
/// loop repeats anyway and whose caller falls back to describing if it keeps failing.
async fn deletion_ids(
    s: &Session<'_>,
    instance_arn: &str,
    status: StatusValues,
    retry: Retry,
) -> Result<HashSet<String>, CallFailure> {
    let rows = s
        .pages(
            Service::SsoAdmin,
            "ListAccountAssignmentDeletionStatus",
            retry,
            |token| {
                s.clients
                    .sso
                    .list_account_assignment_deletion_status()
                    .instance_arn(instance_arn)
                    .filter(OperationStatusFilter::builder().status(status.clone()).build())
                    .set_next_token(token)
                    .send()
            },
            |page| (page.account_assignments_deletion_status.unwrap_or_default(), page.next_token),
        )
        .await?;
    // A row with another status than asked for would be a service bug; such rows are left out
    // (for IN_PROGRESS a row without a status is kept: leaving it out would call it finished).
    Ok(rows
        .iter()
        .filter(|d| match d.status() {
            Some(st) => *st == status,
            None => status == StatusValues::InProgress,
        })
        .filter_map(|d| d.request_id().map(str::to_owned))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::Clients;
    use crate::limits::Limits;
    use offboard_core::plan::Phase;
    use offboard_core::principal::PrincipalRef;
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
        let limits = Limits { tps: crate::ratelimit::Tps::unlimited(), ..Limits::default() };
        let s = Session::new(&clients, &limits);
        let target = AssignmentRef {
            instance_arn: instance_arn.clone(),
            account_id: "222222222222".into(),
            permission_set_arn: ps.clone(),
            principal_type: PrincipalKind::User,
            principal_id: principal_id.into(),
        };
        let deleted = delete_assignment(&s, &target).await.unwrap();
        let deletion_id = deleted.value.deletion_id.clone().expect("moto returns the request id");

        let grant = Grant::SsoAssignment(SsoAssignment {
            account_id: target.account_id.clone().into(),
            permission_set_arn: ps.clone().into(),
            principal_type: PrincipalKind::User,
            principal_id: principal_id.into(),
        });
        let item = ActionItem { principal: PrincipalRef::user_id(principal_id), reason: "test".into(), grant };
        let action = Action {
            id: "sso_assignments-1".into(),
            phase: Phase::SsoAssignments,
            items: vec![item.clone()],
            request: ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment {
                instance_arn: instance_arn.into(),
                target_id: target.account_id.clone().into(),
                target_type: "AWS_ACCOUNT".into(),
                permission_set_arn: ps.into(),
                principal_type: "USER".into(),
                principal_id: principal_id.into(),
            }),
        };
        assert_eq!(offboard_core::edge::check_action(&action), Ok(()));
        let in_flight = vec![InFlight {
            job: Job { action: &action, item: &action.items[0], target },
            deletion_id,
            call: CallInfo::NONE,
            started: Instant::now(),
        }];

        let mut poller = Poller::new();
        let news = poller.poll(&s, &in_flight).await;
        assert!(!poller.bulk, "switched to describe");
        assert!(matches!(&news[..], [News::Status(Ok(Deletion { state: DeletionState::Succeeded, .. }))]), "{news:?}");
        let calls = clients.call_stats();
        assert_eq!(calls.get("sso:ListAccountAssignmentDeletionStatus"), 1, "tried once, not retried: {calls}");
        assert_eq!(calls.get("sso:DescribeAccountAssignmentDeletionStatus"), 1, "{calls}");

        let news = poller.poll(&s, &in_flight).await;
        assert!(matches!(&news[..], [News::Status(Ok(_))]), "{news:?}");
        let calls = clients.call_stats();
        assert_eq!(calls.get("sso:ListAccountAssignmentDeletionStatus"), 1, "not asked again: {calls}");
        assert_eq!(calls.get("sso:DescribeAccountAssignmentDeletionStatus"), 2, "{calls}");
    }
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn clock() -> PollClock {
        PollClock::new(ms(100), ms(2000))
    }

    #[test]
    fn no_poll_while_a_deletion_could_still_start_or_none_is_in_flight() {
        let t0 = Instant::now();
        let c = clock();
        assert_eq!(c.next_poll(&[t0], true, false), None);
        assert_eq!(c.next_poll(&[], false, false), None);
        assert_eq!(c.next_poll(&[t0, t0 + ms(3)], false, false), Some(t0 + ms(103)), "the batch started together");
        assert_eq!(
            c.next_poll(&[t0, t0 + ms(50)], false, false),
            Some(t0 + ms(100)),
            "the oldest, when it is expected done"
        );
        assert_eq!(c.next_poll(&[t0], false, true), Some(t0 + ms(2100)), "waits for deletions being started");
    }

    #[test]
    fn a_poll_finding_nothing_backs_off_more_each_time_up_to_the_cap() {
        let t0 = Instant::now();
        let mut c = clock();
        let mut t = c.next_poll(&[t0], false, false).unwrap();
        let mut gaps = Vec::new();
        for _ in 0..12 {
            c.polled(t, &[], &[t0]);
            let next = c.next_poll(&[t0], false, false).unwrap();
            gaps.push(next - t);
            t = next;
        }
        assert!(gaps.windows(2).all(|g| g[0] <= g[1]), "{gaps:?}");
        assert!(gaps[1] > gaps[0], "{gaps:?}");
        assert_eq!(*gaps.last().unwrap(), ms(2000), "bounded: {gaps:?}");
        assert!(gaps[0] >= MIN_GAP);
    }

    #[test]
    fn the_first_completion_sets_the_estimate_and_brackets_narrow_it() {
        let t0 = Instant::now();
        let mut c = clock();
        // Polled at 100 ms: running. Then found done at 300 ms: took (100, 300].
        c.polled(t0 + ms(100), &[], &[t0]);
        c.polled(t0 + ms(300), &[t0], &[]);
        assert_eq!((c.floor, c.upper), (ms(100), ms(300)));
        // Wide bracket: the next deletion is expected at its middle.
        assert_eq!(c.estimate(), ms(200));
        let t1 = t0 + ms(1000);
        assert_eq!(c.next_poll(&[t1], false, false), Some(t1 + ms(200)));
        // Done by then: (100, 200].
        c.polled(t1 + ms(200), &[t1], &[]);
        assert_eq!(c.estimate(), ms(150));
        // Not done at 150: (150, 200]; the deletion is now looked at when surely done.
        let t2 = t0 + ms(2000);
        c.polled(t2 + ms(150), &[], &[t2]);
        assert_eq!((c.floor, c.upper), (ms(150), ms(200)));
        assert_eq!(c.next_poll(&[t2], false, false), Some(t2 + ms(200)));
        // Found done there: (150, 200], still wider than the precision, so bisected again.
        c.polled(t2 + ms(200), &[t2], &[]);
        assert_eq!(c.estimate(), ms(175));
        // Done at 170: (150, 170], 20 ms, still wider than 10 ms: bisected once more.
        let t3 = t0 + ms(3000);
        c.polled(t3 + ms(170), &[t3], &[]);
        assert_eq!((c.floor, c.upper), (ms(150), ms(170)));
        assert_eq!(c.estimate(), ms(160));
        // Done at 158: (150, 158] is narrow enough; deletions are expected at its upper end.
        let t4 = t0 + ms(4000);
        c.polled(t4 + ms(158), &[t4], &[]);
        assert_eq!(c.estimate(), ms(158));
    }

    #[test]
    fn long_deletions_are_bracketed_to_a_32nd() {
        let t0 = Instant::now();
        let mut c = clock();
        // 3 s deletions, known within (2.8, 3.1] s: 300 ms is wider than 3.1 s / 32 ≈ 97 ms.
        c.polled(t0 + ms(2800), &[], &[t0]);
        c.polled(t0 + ms(3100), &[t0], &[]);
        assert_eq!(c.estimate(), ms(2950));
        let t1 = t0 + ms(10_000);
        c.polled(t1 + ms(2950), &[], &[t1]);
        assert_eq!((c.floor, c.upper), (ms(2950), ms(3100)));
        assert_eq!(c.estimate(), ms(3025), "150 ms is still wider than 97 ms");
        let t2 = t0 + ms(20_000);
        c.polled(t2 + ms(3025), &[t2], &[]);
        assert_eq!(c.estimate(), ms(3025), "75 ms is narrow enough");
    }

    #[test]
    fn faster_deletions_lower_the_estimate() {
        let t0 = Instant::now();
        let mut c = clock();
        c.polled(t0 + ms(1000), &[t0], &[]);
        assert_eq!(c.upper, ms(1000));
        assert_eq!(c.estimate(), ms(500), "nothing known below: bisected");
        // A deletion that started later, found done by the same poll, bounds it lower.
        let t1 = t0 + ms(5000);
        c.polled(t1 + ms(1000), &[t1, t1 + ms(600)], &[]);
        assert_eq!(c.upper, ms(400));
        assert_eq!(c.estimate(), ms(200));
    }

    #[test]
    fn an_overdue_outlier_is_not_polled_for_in_a_tight_loop() {
        let t0 = Instant::now();
        let mut c = clock();
        c.polled(t0 + ms(100), &[t0], &[]); // learnt: 100 ms
        let outlier = t0 + ms(200);
        let mut t = t0 + ms(300);
        c.polled(t, &[], &[outlier]); // expected at 300, still running
        for _ in 0..20 {
            let next = c.next_poll(&[outlier], false, false).unwrap();
            assert!(next > t, "a later poll each time");
            assert!(next - t >= MIN_GAP);
            c.polled(next, &[], &[outlier]);
            t = next;
        }
        assert!(t - outlier > ms(10_000), "backed off to the cap: {:?}", t - outlier);
    }

    /// `n` deletions of `took(i)` each, `slots` at a time. The `DeleteAccountAssignment` answers
    /// of a batch arrive `latency` after the poll that freed their slots, `spread` apart; a
    /// poll's answer comes `latency` after it is sent. Returns the polls and the time to the
    /// last completion seen.
    fn simulate(
        n: usize,
        slots: usize,
        took: impl Fn(usize) -> Duration,
        spread: Duration,
        latency: Duration,
    ) -> (usize, Duration) {
        let t0 = Instant::now();
        let mut c = clock();
        let mut t = t0;
        // (start, done) of each deletion in flight; a start after `t` is a call still on the wire.
        type Span = (Instant, Instant);
        let mut in_flight: Vec<Span> = Vec::new();
        let (mut next, mut polls) = (0, 0);
        let starts_of = |v: &[Span]| v.iter().map(|f| f.0).collect::<Vec<_>>();
        loop {
            let mut k = 0;
            while in_flight.len() < slots && next < n {
                let start = t + latency + spread * k;
                in_flight.push((start, start + took(next)));
                next += 1;
                k += 1;
            }
            if in_flight.is_empty() {
                return (polls, t - t0);
            }
            let (known, wire): (Vec<Span>, Vec<Span>) = in_flight.iter().partition(|f| f.0 <= t);
            let poll = c.next_poll(&starts_of(&known), false, !wire.is_empty());
            let answer = wire.iter().map(|f| f.0).min();
            match (poll, answer) {
                (Some(p), Some(a)) if a <= p => t = a,
                (None, Some(a)) => t = a,
                (Some(p), _) => {
                    t = p.max(t);
                    polls += 1;
                    let (done, running): (Vec<Span>, Vec<Span>) = known.iter().partition(|f| f.1 <= t);
                    c.polled(t, &starts_of(&done), &starts_of(&running));
                    // TRACE_CLOCK=1 prints each simulated poll, for tuning the rules.
                    if std::env::var("TRACE_CLOCK").is_ok() {
                        eprintln!(
                            "poll at {:?}: {} done, {} running, {} on the wire; floor {:?} upper {:?} est {:?}",
                            t - t0,
                            done.len(),
                            running.len(),
                            wire.len(),
                            c.floor,
                            c.upper,
                            c.estimate()
                        );
                    }
                    in_flight = running.into_iter().chain(wire).collect();
                    t += latency;
                }
                (None, None) => unreachable!("deletions in flight, but no poll and no answer"),
            }
        }
    }

    #[test]
    fn steady_deletions_cost_about_one_poll_per_batch_and_little_time() {
        for (d, most_polls) in [(0, 6), (200, 10), (1000, 12), (3000, 14)] {
            let (polls, took) = simulate(60, 10, |_| ms(d), ms(5), ms(20));
            // The bound: six batches of d, each also waiting for its starts and its poll.
            let bound = (ms(d) + ms(20 + 45 + 20)) * 6;
            eprintln!("d = {d} ms: {polls} polls, {took:?} (bound {bound:?})");
            assert!(polls <= most_polls, "d = {d} ms: {polls} polls");
            if d >= 1000 {
                assert!(took.as_secs_f64() <= bound.as_secs_f64() * 1.15, "d = {d} ms: {took:?} vs {bound:?}");
            }
        }
        let (polls, took) = simulate(600, 10, |_| ms(3000), ms(5), ms(50));
        let bound = (ms(3000) + ms(50 + 45 + 50)) * 60;
        eprintln!("600 × 3 s: {polls} polls, {took:?} (bound {bound:?})");
        assert!(polls <= 60 + 12, "{polls}");
        assert!(took.as_secs_f64() <= bound.as_secs_f64() * 1.03, "{took:?} vs {bound:?}");
    }

    #[test]
    fn varying_deletions_still_finish_with_bounded_polls() {
        // 2 to 4 s, spread over the batch.
        let (polls, took) = simulate(100, 10, |i| ms(2000 + (i as u64 * 7919) % 2000), ms(5), ms(50));
        eprintln!("varying: {polls} polls, {took:?}");
        assert!(polls <= 100, "never more than a poll per deletion here: {polls}");
        assert!(took < Duration::from_secs(60), "{took:?}");
    }
}
