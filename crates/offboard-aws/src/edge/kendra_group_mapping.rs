//! Kendra ACL group principal mappings: observed with `DescribePrincipalMapping` per group, at
//! index level and at each configured data source; removed with `DeletePrincipalMapping`
//! carrying the plan's `OrderingId`, then followed until Kendra reports it DELETED or FAILED.
//!
//! A mapping is present unless its latest effective action is DELETING/DELETED (see
//! [`mapping_state`]). A mapping changed after the plan (newer `OrderingId`) is not deleted.

use super::{AccessEdge, MappingChanges, Place, Presence, Seen, Subject, Where};
use crate::apply::{CallInfo, Journal, failed, outcome, reread_failed};
use crate::call::{Answer, Session, bounded};
use crate::error::{AwsError, CallFailure, FailureKind};
use aws_sdk_kendra::types::{GroupOrderingIdSummary, PrincipalMappingStatus};
use offboard_core::edge::kendra_group_mapping::DeletePrincipalMapping;
use offboard_core::grant::{Grant, KendraGroupMapping};
use offboard_core::outcome::{Outcome, OutcomeResult};
use offboard_core::plan::{Action, ApiRequest};
use offboard_core::principal::PrincipalKind;
use offboard_models::Service;
use std::collections::BTreeSet;
use tokio::time::Instant;

impl AccessEdge for KendraGroupMapping {
    /// Needs no Identity Store id: the policy declares the ACL group id (`kendra_group_id`).
    async fn observe(s: &Session<'_>, at: Where<'_>, subjects: &[Subject<'_>]) -> Result<Vec<Seen>, AwsError> {
        let reads = subjects.iter().map(|sub| mappings_of(s, at, sub)).collect();
        bounded(reads, s.limits.concurrency).await.into_iter().collect::<Result<_, _>>()
    }

    /// One describe per mapping; it also gives the latest `OrderingId`, which `remove` checks.
    async fn presence(s: &Session<'_>, _at: Place<'_>, grants: &[&Self]) -> Presence {
        let mut unique: Vec<&Self> = grants.to_vec();
        unique.sort();
        unique.dedup();
        let reads =
            unique.iter().map(|g| group_mapping(s, &g.index_id, g.data_source_id.as_deref(), &g.group_id)).collect();
        let mut p = Presence::default();
        for (g, read) in unique.into_iter().zip(bounded(reads, s.limits.concurrency).await) {
            let grant = Grant::KendraGroupMapping(g.clone());
            if let Ok(state) = &read {
                p.set_mapping_changes(grant.clone(), state.changes);
            }
            p.record(&[g], read.map(|m| if m.present { BTreeSet::from([grant]) } else { BTreeSet::new() }));
        }
        p
    }

    async fn remove(s: &Session<'_>, actions: &[&Action], presence: &Presence, journal: &mut Journal<'_>) {
        let calls = actions
            .iter()
            .map(|a| super::Call {
                action: a,
                sending: super::present_items(a, presence),
                run: remove_one(s, a, presence),
            })
            .collect();
        super::journal_in_order(s, calls, journal).await
    }
}

/// The mappings of one group leaver with a `kendra_group_id`: the index level always, plus each
/// configured data source. A mapping can live at either, and missing one would leave the
/// group's documents readable.
async fn mappings_of(s: &Session<'_>, at: Where<'_>, sub: &Subject<'_>) -> Result<Seen, AwsError> {
    let mut seen = Seen::default();
    let (Some(k), PrincipalKind::Group, Some(group_id)) =
        (&at.config.kendra, sub.leaver.principal.kind, &sub.leaver.kendra_group_id)
    else {
        return Ok(seen);
    };
    for index in &k.indexes {
        let sources = std::iter::once(None).chain(index.data_sources.iter().map(|d| Some(d.as_str())));
        for ds in sources {
            let state = group_mapping(s, &index.id, ds, group_id).await?;
            if state.present {
                let grant = Grant::KendraGroupMapping(KendraGroupMapping {
                    index_id: index.id.as_str().into(),
                    data_source_id: ds.map(Into::into),
                    group_id: group_id.as_str().into(),
                });
                if let Some(id) = state.changes.latest_ordering_id {
                    seen.latest_ordering_ids.push((grant.clone(), id));
                }
                seen.grants.insert(grant);
            }
        }
    }
    Ok(seen)
}

/// What `DescribePrincipalMapping` says about one group mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
struct MappingState {
    present: bool,
    /// The actions that took effect (not FAILED): the highest `OrderingId` (a delete with a lower
    /// id is ignored by Kendra, so a plan older than it must not be applied) and the action
    /// received last (a change received after a plan was made makes the plan stale, whatever
    /// `OrderingId` its writer chose).
    changes: MappingChanges,
}

/// Decide presence from the mapping's recent actions (Kendra keeps the last ten).
///
/// The action with the highest `OrderingId` wins (that is Kendra's rule), ignoring FAILED ones,
/// which changed nothing:
/// - SUCCEEDED or PROCESSING (a PUT being applied): present;
/// - DELETING or DELETED: absent (a delete is accepted and will finish on Kendra's side);
/// - no action at all: absent;
/// - only FAILED actions: present. We cannot tell what an older, no longer listed action left
///   behind, and a delete of an absent mapping is harmless, so the safe answer for a removal
///   tool is to plan it.
fn mapping_state(summaries: &[GroupOrderingIdSummary]) -> MappingState {
    let mut effective: Vec<&GroupOrderingIdSummary> =
        summaries.iter().filter(|s| s.status() != Some(&PrincipalMappingStatus::Failed)).collect();
    let latest_ordering_id = effective.iter().filter_map(|s| s.ordering_id()).max();
    let last_received = effective
        .iter()
        .filter_map(|s| Some((s.ordering_id()?, s.received_at()?.to_millis().ok()?)))
        .max_by_key(|(_, received)| *received);
    effective.sort_by_key(|s| {
        (s.ordering_id().unwrap_or(i64::MIN), s.last_updated_at().map(|t| (t.secs(), t.subsec_nanos())))
    });
    let present = match effective.last() {
        Some(s) => !matches!(s.status(), Some(PrincipalMappingStatus::Deleting | PrincipalMappingStatus::Deleted)),
        None => !summaries.is_empty(),
    };
    MappingState { present, changes: MappingChanges { latest_ordering_id, last_received } }
}

/// The mapping's recent actions, or `None` when Kendra does not know the mapping
/// (`ResourceNotFound`).
async fn mapping_history(
    s: &Session<'_>,
    index_id: &str,
    data_source_id: Option<&str>,
    group_id: &str,
) -> Result<Option<Vec<GroupOrderingIdSummary>>, CallFailure> {
    let r = s
        .call(Service::Kendra, "DescribePrincipalMapping", || {
            s.clients
                .kendra
                .describe_principal_mapping()
                .index_id(index_id)
                .set_data_source_id(data_source_id.map(str::to_owned))
                .group_id(group_id)
                .send()
        })
        .await;
    match r {
        Ok(a) => Ok(Some(a.value.group_ordering_id_summaries().to_vec())),
        Err(f) if f.kind == FailureKind::NotFound => Ok(None),
        Err(f) => Err(f),
    }
}

/// The state of one group mapping; a mapping Kendra does not know is absent.
async fn group_mapping(
    s: &Session<'_>,
    index_id: &str,
    data_source_id: Option<&str>,
    group_id: &str,
) -> Result<MappingState, CallFailure> {
    Ok(match mapping_history(s, index_id, data_source_id, group_id).await? {
        Some(history) => mapping_state(&history),
        None => MappingState { present: false, changes: MappingChanges::default() },
    })
}

/// How far one `DeletePrincipalMapping` got, from the mapping's action history.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DeletionProgress {
    /// DELETED, or the mapping is gone altogether.
    Done,
    /// FAILED, with Kendra's `FailureReason`.
    Failed(String),
    /// Accepted, not finished (DELETING, or not listed yet).
    Pending,
}

/// Kendra accepts a delete with 200 and finishes it later: the action with our `OrderingId`
/// goes DELETING → DELETED, or FAILED. Only DELETED is a removal.
fn deletion_progress(summaries: &[GroupOrderingIdSummary], ordering_id: i64) -> DeletionProgress {
    let ours = summaries
        .iter()
        .filter(|x| x.ordering_id() == Some(ordering_id))
        .max_by_key(|x| x.last_updated_at().map(|t| (t.secs(), t.subsec_nanos())));
    match ours.and_then(|x| x.status()) {
        Some(PrincipalMappingStatus::Deleted) => DeletionProgress::Done,
        Some(PrincipalMappingStatus::Failed) => DeletionProgress::Failed(
            ours.and_then(|x| x.failure_reason()).unwrap_or("Kendra gave no FailureReason").to_owned(),
        ),
        Some(_) => DeletionProgress::Pending,
        // Not (or no longer) listed: Kendra keeps only the last ten actions. Gone is gone;
        // still present means we cannot show our delete took effect.
        None if !mapping_state(summaries).present => DeletionProgress::Done,
        None => DeletionProgress::Failed(format!(
            "Kendra lists no action with OrderingId {ordering_id} and the mapping is still present"
        )),
    }
}

/// The progress of our delete; a mapping Kendra no longer knows is done.
async fn group_mapping_deletion(
    s: &Session<'_>,
    index_id: &str,
    data_source_id: Option<&str>,
    group_id: &str,
    ordering_id: i64,
) -> Result<DeletionProgress, CallFailure> {
    Ok(match mapping_history(s, index_id, data_source_id, group_id).await? {
        Some(history) => deletion_progress(&history, ordering_id),
        None => DeletionProgress::Done,
    })
}

async fn delete_group_mapping(
    s: &Session<'_>,
    index_id: &str,
    data_source_id: Option<&str>,
    group_id: &str,
    ordering_id: i64,
) -> Result<Answer<()>, CallFailure> {
    let a = s
        .call(Service::Kendra, "DeletePrincipalMapping", || {
            s.clients
                .kendra
                .delete_principal_mapping()
                .index_id(index_id)
                .set_data_source_id(data_source_id.map(str::to_owned))
                .group_id(group_id)
                .ordering_id(ordering_id)
                .send()
        })
        .await?;
    Ok(Answer { value: (), request_id: a.request_id, attempts: a.attempts })
}

/// Why a plan with `ordering_id` (its planning time in milliseconds) must not delete a mapping
/// with these changes, or `None`. Kendra ignores a delete older than the latest action, and the
/// design promises that a mapping changed after the plan was made is never undone by it: a
/// change received later was made after the plan, even if its writer chose a lower id.
fn stale(changes: MappingChanges, ordering_id: i64) -> Option<String> {
    match changes {
        MappingChanges { latest_ordering_id: Some(latest), .. } if latest > ordering_id => {
            Some(format!("its latest OrderingId {latest} is newer than the plan's {ordering_id}"))
        }
        MappingChanges { last_received: Some((id, received)), .. } if received > ordering_id && id != ordering_id => {
            Some(format!(
                "Kendra received a change with OrderingId {id} at {received} ms, after the plan's {ordering_id}"
            ))
        }
        _ => None,
    }
}

async fn remove_one(s: &Session<'_>, a: &Action, presence: &Presence) -> Vec<Outcome> {
    let (
        Some(item),
        ApiRequest::DeletePrincipalMapping(DeletePrincipalMapping { index_id, data_source_id, group_id, ordering_id }),
    ) = (a.items.first(), &a.request)
    else {
        return Vec::new(); // check_action guarantees both
    };
    let result = match presence.of(&item.grant) {
        Ok(false) => return vec![outcome(a, item, &CallInfo::NONE, OutcomeResult::AlreadyRemoved)],
        Err(f) => return vec![outcome(a, item, &CallInfo::NONE, reread_failed(f))],
        Ok(true) => match stale(presence.mapping_changes(&item.grant), *ordering_id) {
            Some(why) => {
                let why =
                    format!("not removed: the mapping was changed after this plan was made ({why}); make a new plan");
                return vec![outcome(a, item, &CallInfo::NONE, failed(why))];
            }
            None => delete_group_mapping(s, index_id, data_source_id.as_deref(), group_id, *ordering_id).await,
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
        match group_mapping_deletion(s, index_id, data_source_id, group_id, ordering_id).await {
            Ok(DeletionProgress::Done) => return OutcomeResult::Removed,
            Ok(DeletionProgress::Failed(reason)) => {
                return failed(format!("Kendra accepted the deletion but it ended FAILED: {reason}"));
            }
            Ok(DeletionProgress::Pending) => {}
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
    #[test]
    fn a_mapping_changed_after_the_plan_is_stale_whatever_id_the_change_carries() {
        let plan = 1_000;
        let changes = |latest, last_received| MappingChanges { latest_ordering_id: latest, last_received };
        assert_eq!(stale(changes(None, None), plan), None);
        assert_eq!(stale(changes(Some(900), Some((900, 800))), plan), None, "older and received before");
        assert!(stale(changes(Some(1_001), None), plan).is_some_and(|w| w.contains("newer than the plan's 1000")));
        let lower_but_later = stale(changes(Some(900), Some((900, 1_500))), plan);
        assert!(lower_but_later.is_some_and(|w| w.contains("received a change with OrderingId 900 at 1500 ms")));
        assert_eq!(stale(changes(Some(plan), Some((plan, 1_500))), plan), None, "the plan's own delete");
    }

    use super::*;

    fn summary(status: PrincipalMappingStatus, ordering_id: i64) -> GroupOrderingIdSummary {
        GroupOrderingIdSummary::builder().status(status).ordering_id(ordering_id).build()
    }
    use PrincipalMappingStatus as S;

    #[test]
    fn latest_non_failed_action_decides() {
        let present = |v: Vec<GroupOrderingIdSummary>| mapping_state(&v).present;
        assert!(present(vec![summary(S::Succeeded, 1)]));
        assert!(present(vec![summary(S::Processing, 1)]));
        assert!(!present(vec![summary(S::Succeeded, 1), summary(S::Deleting, 2)]));
        assert!(!present(vec![summary(S::Deleted, 5), summary(S::Succeeded, 3)]));
        // A newer PUT after a delete brings it back.
        assert!(present(vec![summary(S::Deleted, 2), summary(S::Succeeded, 3)]));
        // A failed delete changed nothing: the earlier PUT stands.
        assert!(present(vec![summary(S::Succeeded, 1), summary(S::Failed, 2)]));
        // A failed PUT after a delete changed nothing either.
        assert!(!present(vec![summary(S::Deleted, 1), summary(S::Failed, 2)]));
    }

    #[test]
    fn only_deleted_with_our_ordering_id_is_a_removal() {
        let failed = GroupOrderingIdSummary::builder()
            .status(S::Failed)
            .ordering_id(7)
            .failure_reason("group is locked")
            .build();
        assert_eq!(
            deletion_progress(&[summary(S::Succeeded, 1), summary(S::Deleting, 7)], 7),
            DeletionProgress::Pending
        );
        assert_eq!(deletion_progress(&[summary(S::Succeeded, 1), summary(S::Deleted, 7)], 7), DeletionProgress::Done);
        assert_eq!(
            deletion_progress(&[summary(S::Succeeded, 1), failed], 7),
            DeletionProgress::Failed("group is locked".into())
        );
        // Our action rolled off the list: gone is done, present is a failure we must report.
        assert_eq!(deletion_progress(&[], 7), DeletionProgress::Done);
        assert!(matches!(deletion_progress(&[summary(S::Succeeded, 9)], 7), DeletionProgress::Failed(_)));
    }

    #[test]
    fn empty_is_absent_and_only_failed_is_conservatively_present() {
        assert!(!mapping_state(&[]).present);
        assert!(mapping_state(&[summary(S::Failed, 4)]).present);
    }

    #[test]
    fn reports_the_highest_ordering_id_of_actions_that_took_effect() {
        let v = vec![summary(S::Succeeded, 10), summary(S::Failed, 30), summary(S::Deleting, 20)];
        assert_eq!(mapping_state(&v).changes.latest_ordering_id, Some(20));
        assert_eq!(mapping_state(&[summary(S::Failed, 3)]).changes.latest_ordering_id, None);
    }
}
