//! Kendra experience personas: observed with `ListEntityPersonas` once per configured
//! experience (shared by every leaver), removed with `DisassociatePersonasFromEntities` (≤ 25
//! entities per call, per-entity failures in `FailedEntityList`).

use super::batch::{self, BatchEdge, Sent, Unsure};
use super::{AccessEdge, Place, Presence, Seen, Subject, Where, presence_by_read};
use crate::apply::{CallInfo, Journal, failed, outcome};
use crate::call::{Answer, Session, bounded};
use crate::error::{AwsError, CallFailure, FailureKind};
use crate::paginate::Retry;
use aws_sdk_kendra::types::Persona as SdkPersona;
use offboard_core::edge::Edge;
use offboard_core::edge::kendra_persona::DisassociatePersonasFromEntities;
use offboard_core::grant::{Grant, KendraPersona, Persona};
use offboard_core::outcome::OutcomeResult;
use offboard_core::plan::{Action, ActionItem, ApiRequest};
use offboard_core::principal::PrincipalKind;
use offboard_models::Service;
use std::collections::{BTreeMap, BTreeSet};

impl AccessEdge for KendraPersona {
    /// Per configured experience, once for all leavers: its personas (`ListEntityPersonas`) and
    /// its entities with their types (`ListExperienceEntities`), so a persona is only this
    /// leaver's when the entity is of the declared type. Needs the Identity Store id.
    async fn observe(s: &Session<'_>, at: Where<'_>, subjects: &[Subject<'_>]) -> Result<Vec<Seen>, AwsError> {
        let Some(k) = &at.config.kendra else { return Ok(vec![Seen::default(); subjects.len()]) };
        let experiences: Vec<(&str, &str)> =
            k.indexes.iter().flat_map(|i| i.experiences.iter().map(move |e| (i.id.as_str(), e.as_str()))).collect();
        let reads = experiences.iter().map(|(index, exp)| experience_personas(s, at, index, exp)).collect();
        let listed: Vec<BTreeMap<String, (Persona, Option<PrincipalKind>)>> =
            bounded(reads, s.limits.concurrency).await.into_iter().collect::<Result<_, _>>()?;
        Ok(subjects
            .iter()
            .map(|sub| {
                let Some(id) = sub.id() else { return Seen::default() };
                experiences
                    .iter()
                    .zip(&listed)
                    .filter_map(|((index, exp), personas)| {
                        personas.get(id).map(|(persona, entity_type)| {
                            Grant::KendraPersona(KendraPersona {
                                index_id: (*index).into(),
                                experience_id: (*exp).into(),
                                entity_id: id.into(),
                                persona: *persona,
                                entity_type: *entity_type,
                            })
                        })
                    })
                    .collect::<BTreeSet<Grant>>()
                    .into()
            })
            .collect())
    }

    /// One listing per experience. Present whatever the persona now is: the removal call takes
    /// entity ids only.
    async fn presence(s: &Session<'_>, _at: Place<'_>, grants: &[&Self]) -> Presence {
        presence_by_read(
            s,
            grants,
            |g| (g.index_id.clone(), g.experience_id.clone()),
            |(index_id, experience_id), members| async move {
                let read = match personas(s, &index_id, &experience_id).await {
                    Ok(listed) => Ok(members
                        .iter()
                        .filter(|g| listed.contains_key(&*g.entity_id))
                        .map(|g| Grant::KendraPersona((*g).clone()))
                        .collect()),
                    // Not "already removed": a missing experience or index (another region or
                    // account, a deleted experience) is not an answer about the persona.
                    Err(f) => Err(f),
                };
                (members, read)
            },
        )
        .await
    }

    async fn remove(s: &Session<'_>, actions: &[&Action], presence: &Presence, journal: &mut Journal<'_>) {
        batch::remove::<Self>(s, actions, presence, journal).await
    }
}

impl BatchEdge for KendraPersona {
    async fn send<'i>(s: &Session<'_>, a: &Action, pending: &[&'i ActionItem]) -> Sent<'i> {
        disassociate_pending(s, a, pending).await
    }
}

/// The personas of a configured experience, each with its entity's type when the experience
/// lists the entity; a missing experience is a configuration error.
async fn experience_personas(
    s: &Session<'_>,
    at: Where<'_>,
    index: &str,
    exp: &str,
) -> Result<BTreeMap<String, (Persona, Option<PrincipalKind>)>, AwsError> {
    let not_found = |f: CallFailure| match f.kind {
        FailureKind::NotFound => AwsError::ExperienceNotFound {
            index_id: index.to_owned(),
            experience_id: exp.to_owned(),
            detail: f.to_string(),
        },
        _ => AwsError::Call(f),
    };
    let personas = personas(s, index, exp).await.map_err(not_found)?;
    if personas.is_empty() {
        return Ok(BTreeMap::new());
    }
    let types =
        super::kendra_experience_entity::entities_at(s, at.kendra_entities, index, exp).await.map_err(not_found)?;
    Ok(personas
        .into_iter()
        .map(|(id, persona)| {
            let t = types.get(&id).copied();
            (id, (persona, t))
        })
        .collect())
}

/// Every (entity id → persona) of one experience: all pages of `ListEntityPersonas`.
async fn personas(
    s: &Session<'_>,
    index_id: &str,
    experience_id: &str,
) -> Result<BTreeMap<String, Persona>, CallFailure> {
    let rows = s
        .pages(
            Service::Kendra,
            "ListEntityPersonas",
            Retry::Yes,
            |token| {
                s.clients
                    .kendra
                    .list_entity_personas()
                    .index_id(index_id)
                    .id(experience_id)
                    .set_next_token(token)
                    .send()
            },
            |page| (page.summary_items.unwrap_or_default(), page.next_token),
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|p| {
            // A persona this SDK does not know is still an association; VIEWER is the lesser
            // claim and the removal call does not depend on it.
            let persona = match p.persona() {
                Some(SdkPersona::Owner) => Persona::Owner,
                _ => Persona::Viewer,
            };
            Some((p.entity_id()?.to_owned(), persona))
        })
        .collect())
}

/// `DisassociatePersonasFromEntities` (≤ 25 entities): the failed entities with their messages.
async fn disassociate_personas(
    s: &Session<'_>,
    index_id: &str,
    experience_id: &str,
    entity_ids: &[String],
) -> Result<Answer<Vec<(String, String)>>, CallFailure> {
    let answer = s
        .call(Service::Kendra, "DisassociatePersonasFromEntities", || {
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

/// The `FailedEntityList` entries that name no entity of this call: without an id, or with
/// another one.
pub(super) fn stray<'f>(failed: &'f [(String, String)], sent: &[String]) -> Vec<&'f (String, String)> {
    failed.iter().filter(|(id, _)| id.is_empty() || !sent.contains(id)).collect()
}

/// `DisassociatePersonasFromEntities` for the pending items.
async fn disassociate_pending<'i>(s: &Session<'_>, a: &Action, pending: &[&'i ActionItem]) -> Sent<'i> {
    let ApiRequest::DisassociatePersonasFromEntities(DisassociatePersonasFromEntities {
        id: experience_id,
        index_id,
        ..
    }) = &a.request
    else {
        // check_action guarantees the request of a persona action; anything else is not sent.
        return Sent { call: CallInfo::NONE, settled: Vec::new(), unsure: Vec::new() };
    };
    let entity_of =
        |item: &ActionItem| KendraPersona::of(&item.grant).map(|g| g.entity_id.to_string()).unwrap_or_default();
    let ids: Vec<String> = pending.iter().map(|i| entity_of(i)).collect();
    let answer = disassociate_personas(s, index_id, experience_id, &ids).await;
    settle(a, pending, &ids, answer)
}

/// A Kendra batch answer (`FailedEntityList`) → outcomes: shared by personas and experience
/// entities. `ids[n]` is the entity id of `pending[n]`. A listed failure, one Kendra did not
/// attribute, or a missing experience leaves the item unsure for a re-read; any other failed
/// call fails every item.
pub(super) fn settle<'i>(
    a: &Action,
    pending: &[&'i ActionItem],
    ids: &[String],
    answer: Result<Answer<Vec<(String, String)>>, CallFailure>,
) -> Sent<'i> {
    let mut outs = Vec::new();
    let mut unsure = Vec::new();
    match answer {
        Ok(answer) => {
            let call = CallInfo { request_id: answer.request_id, deletion_request_id: None, attempts: answer.attempts };
            let stray = stray(&answer.value, ids);
            for (item, id) in pending.iter().zip(ids) {
                match answer.value.iter().find(|(failed, _)| failed == id) {
                    // "Not associated" and a real failure read alike: the re-read decides.
                    Some((_, message)) => unsure.push(Unsure {
                        item,
                        error: format!("Kendra: {message}"),
                        if_absent: OutcomeResult::AlreadyRemoved,
                    }),
                    // Kendra listed a failure it did not attribute to one of ours: only a re-read
                    // can tell whether this item was the one.
                    None if !stray.is_empty() => unsure.push(Unsure {
                        item,
                        error: format!("Kendra reported a failure without naming the entity: {}", stray[0].1),
                        if_absent: OutcomeResult::Removed,
                    }),
                    None => outs.push(outcome(a, item, &call, OutcomeResult::Removed)),
                }
            }
            Sent { call, settled: outs, unsure }
        }
        // The experience (or index) is gone: a re-read tells whether the access went with it.
        Err(f) if f.kind == FailureKind::NotFound => {
            let call = CallInfo::of_failure(&f);
            for item in pending {
                unsure.push(Unsure { item, error: f.to_string(), if_absent: OutcomeResult::AlreadyRemoved });
            }
            Sent { call, settled: outs, unsure }
        }
        Err(f) => {
            let call = CallInfo::of_failure(&f);
            for item in pending {
                outs.push(outcome(a, item, &call, failed(f.to_string())));
            }
            Sent { call, settled: outs, unsure }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_entity_without_an_id_or_with_another_one_is_stray() {
        let sent = ["e1".to_owned(), "e2".to_owned()];
        let failed = |id: &str| vec![(id.to_owned(), "m".to_owned())];
        assert!(stray(&failed("e1"), &sent).is_empty(), "a failure naming a sent entity is its own");
        assert_eq!(stray(&failed(""), &sent).len(), 1, "no EntityId");
        assert_eq!(stray(&failed("e9"), &sent).len(), 1, "an entity this call never sent");
    }
}
