//! IAM Identity Center account assignments: observed with `ListAccountAssignmentsForPrincipal`,
//! removed with `DeleteAccountAssignment`.
//!
//! Deletions are asynchronous: `DeleteAccountAssignment` answers IN_PROGRESS and the deletion
//! is polled until SUCCEEDED, FAILED or the deletion timeout. At most `max_in_flight_deletions`
//! are outstanding, and never two on the same (account, permission set), which Identity Center
//! would answer with ConflictException anyway. Polling lists the instance's IN_PROGRESS
//! deletions in bulk (`ListAccountAssignmentDeletionStatus`) and describes only those that
//! finished; endpoints without the bulk listing (moto) are described one by one.

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
use std::collections::{BTreeSet, HashSet, VecDeque};
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
        crate::read_strategy::log_choice(
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
            grants.iter().map(|g| (g.principal_type, g.principal_id.as_str())).collect();
        let pairs: BTreeSet<(&str, &str)> =
            grants.iter().map(|g| (g.account_id.as_str(), g.permission_set_arn.as_str())).collect();
        if s.limits.read_strategy.per_container("Identity Center re-reads", principals.len(), pairs.len()) {
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
                account_id: a.account_id()?.to_owned(),
                permission_set_arn: a.permission_set_arn()?.to_owned(),
                principal_type: kind,
                principal_id: principal_id.to_owned(),
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

struct InFlight<'a> {
    job: Job<'a>,
    deletion_id: String,
    call: CallInfo,
    started: Instant,
}

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
            journal.intend(job.action, &[job.item]);
            starting.push(async move {
                let r = delete_assignment(s, &job.target).await;
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
                match deletions_in_progress(s, instance).await {
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
            .map(|(f, _)| deletion_status(s, &f.job.target.instance_arn, &f.deletion_id))
            .collect();
        let mut described = bounded(reads, s.limits.concurrency).await.into_iter();
        candidates.iter().map(|c| if *c { described.next() } else { None }).collect()
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

/// The ids of all deletions of the instance still IN_PROGRESS, in one (paged) listing: one call
/// answers for every deletion in flight. Each page is tried once: the poll loop repeats anyway,
/// and the caller falls back to per-deletion polling if this fails.
async fn deletions_in_progress(s: &Session<'_>, instance_arn: &str) -> Result<HashSet<String>, CallFailure> {
    let rows = s
        .pages(
            Service::SsoAdmin,
            "ListAccountAssignmentDeletionStatus",
            Retry::Once,
            |token| {
                s.clients
                    .sso
                    .list_account_assignment_deletion_status()
                    .instance_arn(instance_arn)
                    .filter(OperationStatusFilter::builder().status(StatusValues::InProgress).build())
                    .set_next_token(token)
                    .send()
            },
            |page| (page.account_assignments_deletion_status.unwrap_or_default(), page.next_token),
        )
        .await?;
    Ok(rows
        .iter()
        .filter(|d| d.status().is_none_or(|st| *st == StatusValues::InProgress))
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
        assert_eq!(offboard_core::edge::check_action(&action), Ok(()));
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
}
