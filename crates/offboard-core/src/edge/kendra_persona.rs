//! Kendra experience personas of Identity Center users and groups, removed with
//! `DisassociatePersonasFromEntities`: one call per (index, experience), at most [`MAX_BATCH`]
//! entities each, per-entity failures in `FailedEntityList`.

use super::{Edge, Phase, RequestContext, batches};
use crate::grant::Id;
use crate::grant::{Grant, Labels, Service};
use crate::plan::{ActionItem, MAX_BATCH};
use crate::policy::{Config, Keep, Leaver};
use crate::principal::PrincipalKind;
use crate::state::Resolution;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Kendra experience persona.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Persona {
    Owner,
    Viewer,
}

impl Persona {
    pub fn as_aws(self) -> &'static str {
        match self {
            Persona::Owner => "OWNER",
            Persona::Viewer => "VIEWER",
        }
    }
}

/// The persona of an entity (an Identity Center user or group id) in one experience.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KendraPersona {
    pub index_id: Id,
    pub experience_id: Id,
    pub entity_id: Id,
    pub persona: Persona,
    /// The entity's type as the experience lists it (`ListExperienceEntities`): `USER` or
    /// `GROUP`; absent when the experience does not list the entity, so its type is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<PrincipalKind>,
}

/// The `DisassociatePersonasFromEntities` input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DisassociatePersonasFromEntities {
    /// The experience id.
    pub id: Id,
    pub index_id: Id,
    pub entity_ids: Vec<Id>,
}

impl DisassociatePersonasFromEntities {
    pub const OPERATION: &'static str = "DisassociatePersonasFromEntities";
}

impl Edge for KendraPersona {
    const PHASE: Phase = Phase::KendraPersonas;
    const SERVICE: Service = Service::Kendra;
    type Request = DisassociatePersonasFromEntities;

    fn of(grant: &Grant) -> Option<&Self> {
        if let Grant::KendraPersona(g) = grant { Some(g) } else { None }
    }

    fn describe(&self, _labels: &Labels) -> String {
        format!("kendra     experience {}  {}  (index {})", self.experience_id, self.persona.as_aws(), self.index_id)
    }

    fn belongs_to(&self, _leaver: &Leaver, resolution: &Resolution) -> bool {
        resolution.id() == Some(self.entity_id.as_ref())
    }

    /// A persona is only planned for an entity of the declared type: a user leaver's id on a
    /// GROUP entity (or one whose type the experience does not say) is not this leaver's.
    fn identity_conflict(&self, leaver: &Leaver) -> Option<String> {
        let declared = leaver.principal.kind;
        match self.entity_type {
            Some(t) if t == declared => None,
            Some(t) => {
                Some(format!("Kendra lists entity {} as a {}, not a {}", self.entity_id, t.as_aws(), declared.as_aws()))
            }
            None => Some(format!(
                "the experience does not list entity {} (ListExperienceEntities), so its type is unknown",
                self.entity_id
            )),
        }
    }

    fn kept(&self, keep: &Keep) -> bool {
        keep.kendra_experiences.iter().any(|e| **e == *self.experience_id)
    }

    /// One call disassociates entities from one experience of one index.
    fn configured(&self, config: &Config) -> Result<(), String> {
        experience_configured(config, &self.index_id, &self.experience_id)
    }

    fn requests(
        items: Vec<ActionItem>,
        _ctx: &RequestContext,
    ) -> Vec<(Vec<ActionItem>, DisassociatePersonasFromEntities)> {
        let mut calls = Vec::new();
        for ((index_id, experience_id), items) in by_experience::<Self>(items, |g| (&g.index_id, &g.experience_id)) {
            for chunk in batches(items, MAX_BATCH) {
                let entity_ids = chunk.iter().filter_map(|i| Self::of(&i.grant)).map(|g| g.entity_id.clone()).collect();
                let request = DisassociatePersonasFromEntities {
                    id: experience_id.clone(),
                    index_id: index_id.clone(),
                    entity_ids,
                };
                calls.push((chunk, request));
            }
        }
        calls
    }

    fn check(r: &DisassociatePersonasFromEntities, items: &[&Self]) -> Result<(), String> {
        let requested: BTreeSet<&str> = r.entity_ids.iter().map(AsRef::as_ref).collect();
        let mut planned = BTreeSet::new();
        for g in items {
            if g.index_id != r.index_id || g.experience_id != r.id {
                return Err("an item is not a persona of the request's experience".into());
            }
            planned.insert(g.entity_id.as_ref());
        }
        let n = r.entity_ids.len();
        if n > MAX_BATCH {
            return Err(format!("{n} entities in one call, AWS takes at most {MAX_BATCH}"));
        }
        if requested != planned || n != items.len() {
            return Err("the entity ids in the request differ from the items".into());
        }
        Ok(())
    }
}

/// Whether `experience_id` of `index_id` is one the config names: the check of both Kendra
/// experience edges (personas and entities).
pub(super) fn experience_configured(config: &Config, index_id: &str, experience_id: &str) -> Result<(), String> {
    let index = config.kendra.as_ref().and_then(|k| k.indexes.iter().find(|i| i.id == index_id));
    match index {
        None => Err(format!("index {index_id} is not in kendra.indexes")),
        Some(i) if !i.experiences.iter().any(|e| e == experience_id) => {
            Err(format!("experience {experience_id} is not in the experiences of index {index_id}"))
        }
        Some(_) => Ok(()),
    }
}

/// Items of a Kendra experience edge grouped by (index, experience), in order: one call serves
/// one experience.
pub(super) fn by_experience<E: Edge>(
    items: Vec<ActionItem>,
    key: impl Fn(&E) -> (&Id, &Id),
) -> BTreeMap<(Id, Id), Vec<ActionItem>> {
    let mut out: BTreeMap<(Id, Id), Vec<ActionItem>> = BTreeMap::new();
    for item in items {
        if let Some(g) = E::of(&item.grant) {
            let (index, experience) = key(g);
            out.entry((index.clone(), experience.clone())).or_default().push(item);
        }
    }
    out
}
