//! Access of Identity Center users and groups to Kendra experiences, removed with
//! `DisassociateEntitiesFromExperience`: one call per (index, experience), at most
//! [`MAX_ENTITIES`] entities each, per-entity failures in `FailedEntityList`.
//!
//! This is a different edge from the persona ([`super::kendra_persona`]): Kendra keeps an
//! entity's access to an experience and its persona (OWNER or VIEWER) apart, and
//! `DisassociatePersonasFromEntities` removes only the persona. Both are planned for the same
//! leaver; the persona goes first (see [`Phase`]).

use super::kendra_persona::{by_experience, experience_configured};
use super::{Edge, Phase, RequestContext, batches};
use crate::grant::Id;
use crate::grant::{Grant, Labels, Service};
use crate::plan::ActionItem;
use crate::policy::{Config, Keep, Leaver};
use crate::principal::PrincipalKind;
use crate::state::Resolution;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// `DisassociateEntitiesFromExperience` takes at most 40 entities per call.
pub const MAX_ENTITIES: usize = 40;

/// An entity (an Identity Center user or group id) with access to one experience, as
/// `ListExperienceEntities` lists it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KendraExperienceEntity {
    pub index_id: Id,
    pub experience_id: Id,
    pub entity_id: Id,
    pub entity_type: PrincipalKind,
}

/// The `DisassociateEntitiesFromExperience` input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DisassociateEntitiesFromExperience {
    /// The experience id.
    pub id: Id,
    pub index_id: Id,
    pub entity_list: Vec<EntityConfiguration>,
}

/// One entry of `EntityList`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EntityConfiguration {
    pub entity_id: Id,
    /// `USER` or `GROUP`.
    pub entity_type: Id,
}

impl DisassociateEntitiesFromExperience {
    pub const OPERATION: &'static str = "DisassociateEntitiesFromExperience";
}

impl Edge for KendraExperienceEntity {
    const PHASE: Phase = Phase::KendraExperienceEntities;
    const SERVICE: Service = Service::Kendra;
    type Request = DisassociateEntitiesFromExperience;

    fn of(grant: &Grant) -> Option<&Self> {
        if let Grant::KendraExperienceEntity(g) = grant { Some(g) } else { None }
    }

    fn describe(&self, _labels: &Labels) -> String {
        format!("kendra     experience {}  access  (index {})", self.experience_id, self.index_id)
    }

    fn belongs_to(&self, _leaver: &Leaver, resolution: &Resolution) -> bool {
        resolution.id() == Some(self.entity_id.as_ref())
    }

    /// Only an entity of the declared type is the leaver's: a user leaver's id listed as a GROUP
    /// entity is not guessed to be the user.
    fn identity_conflict(&self, leaver: &Leaver) -> Option<String> {
        let declared = leaver.principal.kind;
        (self.entity_type != declared).then(|| {
            format!(
                "Kendra lists entity {} as a {}, not a {}",
                self.entity_id,
                self.entity_type.as_aws(),
                declared.as_aws()
            )
        })
    }

    fn kept(&self, keep: &Keep) -> bool {
        keep.kendra_experiences.iter().any(|e| **e == *self.experience_id)
    }

    fn configured(&self, config: &Config) -> Result<(), String> {
        experience_configured(config, &self.index_id, &self.experience_id)
    }

    fn requests(
        items: Vec<ActionItem>,
        _ctx: &RequestContext,
    ) -> Vec<(Vec<ActionItem>, DisassociateEntitiesFromExperience)> {
        let mut calls = Vec::new();
        for ((index_id, experience_id), items) in by_experience::<Self>(items, |g| (&g.index_id, &g.experience_id)) {
            for chunk in batches(items, MAX_ENTITIES) {
                let entity_list = chunk
                    .iter()
                    .filter_map(|i| Self::of(&i.grant))
                    .map(|g| EntityConfiguration {
                        entity_id: g.entity_id.clone(),
                        entity_type: g.entity_type.as_aws_id(),
                    })
                    .collect();
                let request = DisassociateEntitiesFromExperience {
                    id: experience_id.clone(),
                    index_id: index_id.clone(),
                    entity_list,
                };
                calls.push((chunk, request));
            }
        }
        calls
    }

    fn check(r: &DisassociateEntitiesFromExperience, items: &[&Self]) -> Result<(), String> {
        let requested: BTreeSet<(&str, &str)> =
            r.entity_list.iter().map(|e| (e.entity_id.as_ref(), e.entity_type.as_ref())).collect();
        let mut planned = BTreeSet::new();
        for g in items {
            if g.index_id != r.index_id || g.experience_id != r.id {
                return Err("an item is not an entity of the request's experience".into());
            }
            planned.insert((g.entity_id.as_ref(), g.entity_type.as_aws()));
        }
        let n = r.entity_list.len();
        if n > MAX_ENTITIES {
            return Err(format!("{n} entities in one call, AWS takes at most {MAX_ENTITIES}"));
        }
        if requested != planned || n != items.len() {
            return Err("the entities in the request differ from the items".into());
        }
        Ok(())
    }
}
