//! Access of Identity Center users and groups to Kendra experiences: observed with
//! `ListExperienceEntities` once per configured experience (shared by every leaver, paginated,
//! no `MaxResults`), removed with `DisassociateEntitiesFromExperience` (≤ 40 entities per call,
//! each with its `EntityType`; per-entity failures in `FailedEntityList`).
//!
//! The persona edge runs before this one: see `offboard_core::edge::Phase`.

use super::batch::{self, BatchEdge, Sent};
use super::kendra_persona::settle;
use super::{AccessEdge, Place, Presence, Seen, Subject, Where, presence_by_read};
use crate::apply::{CallInfo, Journal};
use crate::call::{Answer, Session, bounded};
use crate::error::{AwsError, CallFailure, FailureKind};
use crate::paginate::Retry;
use aws_sdk_kendra::types::{EntityConfiguration, EntityType};
use offboard_core::edge::Edge;
use offboard_core::edge::kendra_experience_entity::DisassociateEntitiesFromExperience;
use offboard_core::grant::{Grant, KendraExperienceEntity};
use offboard_core::plan::{Action, ActionItem, ApiRequest};
use offboard_core::principal::PrincipalKind;
use offboard_models::Service;
use std::collections::{BTreeMap, BTreeSet};

impl AccessEdge for KendraExperienceEntity {
    /// Per configured experience, once for all leavers. Needs the Identity Store id.
    async fn observe(s: &Session<'_>, at: Where<'_>, subjects: &[Subject<'_>]) -> Result<Vec<Seen>, AwsError> {
        let Some(k) = &at.config.kendra else { return Ok(vec![Seen::default(); subjects.len()]) };
        let experiences: Vec<(&str, &str)> =
            k.indexes.iter().flat_map(|i| i.experiences.iter().map(move |e| (i.id.as_str(), e.as_str()))).collect();
        let reads = experiences
            .iter()
            .map(|(index, exp)| async move {
                entities_at(s, at.kendra_entities, index, exp).await.map_err(|f| match f.kind {
                    FailureKind::NotFound => AwsError::ExperienceNotFound {
                        index_id: (*index).to_owned(),
                        experience_id: (*exp).to_owned(),
                        detail: f.to_string(),
                    },
                    _ => AwsError::Call(f),
                })
            })
            .collect();
        let listed: Vec<BTreeMap<String, PrincipalKind>> =
            bounded(reads, s.limits.concurrency).await.into_iter().collect::<Result<_, _>>()?;
        Ok(subjects
            .iter()
            .map(|sub| {
                let Some(id) = sub.id() else { return Seen::default() };
                experiences
                    .iter()
                    .zip(&listed)
                    .filter_map(|((index, exp), entities)| {
                        entities.get(id).map(|kind| {
                            Grant::KendraExperienceEntity(KendraExperienceEntity {
                                index_id: (*index).into(),
                                experience_id: (*exp).into(),
                                entity_id: id.into(),
                                entity_type: *kind,
                            })
                        })
                    })
                    .collect::<BTreeSet<Grant>>()
                    .into()
            })
            .collect())
    }

    /// One listing per experience. Present while the experience lists the entity with the same
    /// type; a missing experience is a failure, not "absent".
    async fn presence(s: &Session<'_>, _at: Place<'_>, grants: &[&Self]) -> Presence {
        presence_by_read(
            s,
            grants,
            |g| (g.index_id.clone(), g.experience_id.clone()),
            |(index_id, experience_id), members| async move {
                let read = entities(s, &index_id, &experience_id).await.map(|listed| {
                    members
                        .iter()
                        .filter(|g| listed.get(&*g.entity_id) == Some(&g.entity_type))
                        .map(|g| Grant::KendraExperienceEntity((*g).clone()))
                        .collect()
                });
                (members, read)
            },
        )
        .await
    }

    async fn remove(s: &Session<'_>, actions: &[&Action], presence: &Presence, journal: &mut Journal<'_>) {
        batch::remove::<Self>(s, actions, presence, journal).await
    }
}

impl BatchEdge for KendraExperienceEntity {
    async fn send<'i>(s: &Session<'_>, a: &Action, pending: &[&'i ActionItem]) -> Sent<'i> {
        disassociate_pending(s, a, pending).await
    }
}

/// The experience listings of one plan's reads, shared by the persona edge (entity types) and
/// this one (the entities): both read them at the same time, and one listing answers both.
/// Only for `read_state`: a re-read before acting must be fresh.
#[derive(Debug, Default)]
pub(crate) struct SharedEntities {
    listed: std::sync::Mutex<std::collections::HashMap<(String, String), std::sync::Arc<OneListing>>>,
}

/// One experience's listing, read by whoever asks first.
type OneListing = tokio::sync::OnceCell<Result<Entities, CallFailure>>;

/// Entity id → type, as one experience lists them.
pub(crate) type Entities = BTreeMap<String, PrincipalKind>;

impl SharedEntities {
    /// [`entities`], read once per experience however many ask.
    pub(super) async fn get(
        &self,
        s: &Session<'_>,
        index_id: &str,
        experience_id: &str,
    ) -> Result<Entities, CallFailure> {
        let cell = {
            let mut listed = self.listed.lock().unwrap_or_else(|p| p.into_inner());
            listed.entry((index_id.to_owned(), experience_id.to_owned())).or_default().clone()
        };
        cell.get_or_init(|| entities(s, index_id, experience_id)).await.clone()
    }
}

/// The entities of one experience: from the plan's shared listings when there are some, else
/// read now.
pub(super) async fn entities_at(
    s: &Session<'_>,
    shared: Option<&SharedEntities>,
    index_id: &str,
    experience_id: &str,
) -> Result<Entities, CallFailure> {
    match shared {
        Some(shared) => shared.get(s, index_id, experience_id).await,
        None => entities(s, index_id, experience_id).await,
    }
}

/// Every (entity id → type) of one experience: all pages of `ListExperienceEntities`. An entity
/// type this SDK does not know is left out: its type is unknown, so nothing is planned for it.
pub(super) async fn entities(
    s: &Session<'_>,
    index_id: &str,
    experience_id: &str,
) -> Result<BTreeMap<String, PrincipalKind>, CallFailure> {
    let rows = s
        .pages(
            Service::Kendra,
            "ListExperienceEntities",
            Retry::Yes,
            |token| {
                s.clients
                    .kendra
                    .list_experience_entities()
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
        .filter_map(|e| {
            let kind = match e.entity_type()? {
                EntityType::User => PrincipalKind::User,
                EntityType::Group => PrincipalKind::Group,
                _ => return None,
            };
            Some((e.entity_id()?.to_owned(), kind))
        })
        .collect())
}

/// `DisassociateEntitiesFromExperience` (≤ 40 entities): the failed entities with their messages.
async fn disassociate_entities(
    s: &Session<'_>,
    r: &DisassociateEntitiesFromExperience,
    pending: &[(String, String)],
) -> Result<Answer<Vec<(String, String)>>, CallFailure> {
    let list: Vec<EntityConfiguration> = pending
        .iter()
        .filter_map(|(id, kind)| {
            EntityConfiguration::builder().entity_id(id).entity_type(EntityType::from(kind.as_str())).build().ok()
        })
        .collect();
    let answer = s
        .call(Service::Kendra, "DisassociateEntitiesFromExperience", || {
            s.clients
                .kendra
                .disassociate_entities_from_experience()
                .index_id(&*r.index_id)
                .id(&*r.id)
                .set_entity_list(Some(list.clone()))
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

/// `DisassociateEntitiesFromExperience` for the pending items.
async fn disassociate_pending<'i>(s: &Session<'_>, a: &Action, pending: &[&'i ActionItem]) -> Sent<'i> {
    let ApiRequest::DisassociateEntitiesFromExperience(request) = &a.request else {
        // check_action guarantees the request of an entity action; anything else is not sent.
        return Sent { call: CallInfo::NONE, settled: Vec::new(), unsure: Vec::new() };
    };
    let entity_of = |item: &ActionItem| {
        KendraExperienceEntity::of(&item.grant)
            .map(|g| (g.entity_id.to_string(), g.entity_type.as_aws().to_owned()))
            .unwrap_or_default()
    };
    let sent: Vec<(String, String)> = pending.iter().map(|i| entity_of(i)).collect();
    let ids: Vec<String> = sent.iter().map(|(id, _)| id.clone()).collect();
    let answer = disassociate_entities(s, request, &sent).await;
    settle(a, pending, &ids, answer)
}
