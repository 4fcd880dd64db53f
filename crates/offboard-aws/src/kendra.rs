//! Kendra: experience personas and index/data-source ACL group mappings.

use crate::call::{Answer, Api, Session};
use crate::error::{CallFailure, FailureKind};
use crate::sso::next;
use aws_sdk_kendra::types::{GroupOrderingIdSummary, Persona as SdkPersona, PrincipalMappingStatus};
use offboard_core::grant::Persona;
use std::collections::BTreeMap;

/// Every (entity id → persona) of one experience: all pages of `ListEntityPersonas`.
pub(crate) async fn personas(
    s: &Session<'_>,
    index_id: &str,
    experience_id: &str,
) -> Result<BTreeMap<String, Persona>, CallFailure> {
    let mut out = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = s
            .call(Api::Kendra, "ListEntityPersonas", || {
                s.clients
                    .kendra
                    .list_entity_personas()
                    .index_id(index_id)
                    .id(experience_id)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?
            .value;
        for p in page.summary_items() {
            if let Some(id) = p.entity_id() {
                // A persona this SDK does not know is still an association; VIEWER is the lesser
                // claim and the removal call does not depend on it.
                let persona = match p.persona() {
                    Some(SdkPersona::Owner) => Persona::Owner,
                    _ => Persona::Viewer,
                };
                out.insert(id.to_owned(), persona);
            }
        }
        token = next(page.next_token());
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// What `DescribePrincipalMapping` says about one group mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MappingState {
    pub present: bool,
    /// The highest `OrderingId` among the actions that took effect (not FAILED), if any: a
    /// delete with a lower id is ignored by Kendra, so a plan older than it must not be applied.
    pub latest_ordering_id: Option<i64>,
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
pub(crate) fn mapping_state(summaries: &[GroupOrderingIdSummary]) -> MappingState {
    let mut effective: Vec<&GroupOrderingIdSummary> =
        summaries.iter().filter(|s| s.status() != Some(&PrincipalMappingStatus::Failed)).collect();
    let latest_ordering_id = effective.iter().filter_map(|s| s.ordering_id()).max();
    effective.sort_by_key(|s| {
        (s.ordering_id().unwrap_or(i64::MIN), s.last_updated_at().map(|t| (t.secs(), t.subsec_nanos())))
    });
    let present = match effective.last() {
        Some(s) => !matches!(s.status(), Some(PrincipalMappingStatus::Deleting | PrincipalMappingStatus::Deleted)),
        None => !summaries.is_empty(),
    };
    MappingState { present, latest_ordering_id }
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
        .call(Api::Kendra, "DescribePrincipalMapping", || {
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
pub(crate) async fn group_mapping(
    s: &Session<'_>,
    index_id: &str,
    data_source_id: Option<&str>,
    group_id: &str,
) -> Result<MappingState, CallFailure> {
    Ok(match mapping_history(s, index_id, data_source_id, group_id).await? {
        Some(history) => mapping_state(&history),
        None => MappingState { present: false, latest_ordering_id: None },
    })
}

/// `DisassociatePersonasFromEntities` (≤ 25 entities): the failed entities with their messages.
pub(crate) async fn disassociate_personas(
    s: &Session<'_>,
    index_id: &str,
    experience_id: &str,
    entity_ids: &[String],
) -> Result<Answer<Vec<(String, String)>>, CallFailure> {
    let answer = s
        .call(Api::Kendra, "DisassociatePersonasFromEntities", || {
            s.clients
                .kendra
                .disassociate_personas_from_entities()
                .index_id(index_id)
                .id(experience_id)
                .set_entity_ids(Some(entity_ids.to_vec()))
                .send()
        })
        .await?;
    let failed = answer
        .value
        .failed_entity_list()
        .iter()
        .map(|f| {
            (f.entity_id().unwrap_or_default().to_owned(), f.error_message().unwrap_or("no ErrorMessage").to_owned())
        })
        .collect();
    Ok(Answer { value: failed, request_id: answer.request_id, attempts: answer.attempts })
}

/// How far one `DeletePrincipalMapping` got, from the mapping's action history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DeletionProgress {
    /// DELETED, or the mapping is gone altogether.
    Done,
    /// FAILED, with Kendra's `FailureReason`.
    Failed(String),
    /// Accepted, not finished (DELETING, or not listed yet).
    Pending,
}

/// Kendra accepts a delete with 200 and finishes it later: the action with our `OrderingId`
/// goes DELETING → DELETED, or FAILED. Only DELETED is a removal.
pub(crate) fn deletion_progress(summaries: &[GroupOrderingIdSummary], ordering_id: i64) -> DeletionProgress {
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
pub(crate) async fn group_mapping_deletion(
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

pub(crate) async fn delete_group_mapping(
    s: &Session<'_>,
    index_id: &str,
    data_source_id: Option<&str>,
    group_id: &str,
    ordering_id: i64,
) -> Result<Answer<()>, CallFailure> {
    let a = s
        .call(Api::Kendra, "DeletePrincipalMapping", || {
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

#[cfg(test)]
mod tests {
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
        assert_eq!(mapping_state(&v).latest_ordering_id, Some(20));
        assert_eq!(mapping_state(&[summary(S::Failed, 3)]).latest_ordering_id, None);
    }
}
