//! The sandbox's mutable state: what a fixture seeded, as changed by requests since.
//!
//! Asynchronous work (SSO assignment deletions, Kendra principal mapping actions) is not driven by
//! timers: each piece records when it was received, and [`World::settle`] — run before every
//! request is handled and before every snapshot — completes whatever has been pending for at
//! least the current delay. State therefore only changes while a request (or a snapshot) holds
//! the lock, in a deterministic order.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::faults::Faults;
use crate::fixture::{
    Assignment, FIXTURE_EPOCH_SECONDS, MemberGroup, Membership, Org, PrincipalType, StackAssociation,
};
use crate::snapshot::{
    AssignmentRecord, AssociationRecord, DeletionRecord, ExperienceEntityRecord, GroupMappingRecord,
    GroupMembershipRecord, PersonaRecord, StateSnapshot,
};
use crate::state::{Assignments, Associations, Deletions, Memberships};

/// Wall-clock and monotonic time of one request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Now {
    pub instant: Instant,
    /// Epoch seconds, millisecond precision.
    pub epoch: f64,
}

impl Now {
    pub fn current() -> Now {
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Now { instant: Instant::now(), epoch: (since.as_millis() as f64) / 1000.0 }
    }

    /// Epoch milliseconds (the default Kendra `OrderingId`).
    pub fn epoch_millis(&self) -> u64 {
        (self.epoch * 1000.0).round() as u64
    }
}

/// A timestamp as the JSON view carries it: whole seconds as an integer, else a float.
pub(crate) fn timestamp(epoch: f64) -> Value {
    if epoch.fract() == 0.0 && epoch.abs() < 1e15 {
        Value::from(epoch as i64)
    } else {
        serde_json::Number::from_f64(epoch).map_or(Value::Null, Value::Number)
    }
}

pub(crate) const FIXTURE_EPOCH: f64 = FIXTURE_EPOCH_SECONDS as f64;

/// How an SSO deletion request stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum DeletionStatus {
    /// Pending; `failure` is the reason it will fail with, if a fault says so.
    InProgress {
        failure: Option<String>,
    },
    Succeeded,
    Failed(String),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Deletion {
    pub request_id: String,
    pub assignment: Assignment,
    pub created_epoch: f64,
    /// Monotonic time cannot be saved: a restored pending deletion counts as received at restore
    /// time, so it completes after the configured delay from then (never before its request).
    #[serde(skip, default = "Instant::now")]
    pub received: Instant,
    pub status: DeletionStatus,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PersonaState {
    pub persona: String,
    pub created_epoch: f64,
    pub updated_epoch: f64,
}

/// (index id, experience id, entity id).
pub(crate) type PersonaKey = (String, String, String);

/// (index id, data source id, group id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct MappingKey {
    pub index_id: String,
    pub data_source_id: Option<String>,
    pub group_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct Members {
    pub users: Vec<String>,
    pub groups: Vec<MemberGroup>,
}

/// One PUT or DELETE of a principal mapping and how it went (`GroupOrderingIdSummary`).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct MappingAction {
    /// PROCESSING, SUCCEEDED, DELETING, DELETED or FAILED.
    pub status: &'static str,
    pub ordering_id: u64,
    pub received_epoch: f64,
    pub updated_epoch: f64,
    pub failure_reason: Option<String>,
    /// While pending: when it arrived, what it will apply (`None` = delete) and whether it fails.
    pub pending: Option<PendingMapping>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PendingMapping {
    /// Like [`Deletion::received`]: restored pending work counts as received at restore time.
    #[serde(skip, default = "Instant::now")]
    pub received: Instant,
    pub put: Option<Members>,
    pub failure: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct MappingState {
    /// The applied members; `None` once a delete has completed.
    pub members: Option<Members>,
    /// Ordering id of the newest accepted action (older ones are ignored).
    pub latest_ordering_id: u64,
    /// Ordering id of the newest *completed* action.
    pub applied_ordering_id: u64,
    /// Chronological, oldest first; at most [`MAX_SUMMARIES`] (completed ones are dropped first).
    pub actions: Vec<MappingAction>,
}

/// The statuses a mapping action can have, as the `&'static str` the handlers compare with.
const MAPPING_STATUSES: [&str; 5] = ["PROCESSING", "SUCCEEDED", "DELETING", "DELETED", "FAILED"];

/// A saved [`MappingAction`], with its status as an owned string.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedMappingAction {
    status: String,
    ordering_id: u64,
    received_epoch: f64,
    updated_epoch: f64,
    failure_reason: Option<String>,
    pending: Option<PendingMapping>,
}

// By hand: a derived impl would ask `'de: 'static` for the `&'static str` status.
impl<'de> Deserialize<'de> for MappingAction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<MappingAction, D::Error> {
        let saved = SavedMappingAction::deserialize(deserializer)?;
        let status = MAPPING_STATUSES.into_iter().find(|s| *s == saved.status).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{}` is not a mapping status; expected one of {MAPPING_STATUSES:?}",
                saved.status
            ))
        })?;
        Ok(MappingAction {
            status,
            ordering_id: saved.ordering_id,
            received_epoch: saved.received_epoch,
            updated_epoch: saved.updated_epoch,
            failure_reason: saved.failure_reason,
            pending: saved.pending,
        })
    }
}

/// DescribePrincipalMapping returns at most 10 summaries (model: list length 0..10).
pub(crate) const MAX_SUMMARIES: usize = 10;

#[derive(Debug)]
pub(crate) struct World {
    pub org: Org,
    /// Identity Store group memberships by membership id: the fixture's, less the deleted ones.
    /// `org.identity_store.memberships` stays the fixture's list; every read goes through this
    /// map, so a deletion is visible everywhere at once.
    pub memberships: Memberships,
    pub assignments: Assignments,
    pub deletions: Deletions,
    pub associations: Associations,
    pub personas: BTreeMap<PersonaKey, PersonaState>,
    /// Entities with access to each (index, experience): they stay after losing their persona.
    pub experience_entities: BTreeMap<(String, String), BTreeSet<String>>,
    pub mappings: BTreeMap<MappingKey, MappingState>,
}

/// What changed since the fixture: every mutable part of a [`World`], as plain data that
/// serialises (maps with composite keys become lists of pairs). The organisation itself is not
/// in it: it is the fixture's, and a saved world is only restored onto the fixture it was made
/// from (callers check the fixture's digest, see `offboard --sandbox`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedWorld {
    memberships: Vec<Membership>,
    assignments: Vec<Assignment>,
    deletions: Vec<Deletion>,
    associations: Vec<StackAssociation>,
    personas: Vec<(PersonaKey, PersonaState)>,
    experience_entities: Vec<((String, String), BTreeSet<String>)>,
    mappings: Vec<(MappingKey, MappingState)>,
}

// Instants are skipped when saving, so equality (for "did anything change?") ignores them.
impl PartialEq for Deletion {
    fn eq(&self, other: &Self) -> bool {
        (&self.request_id, &self.assignment, self.created_epoch, &self.status)
            == (&other.request_id, &other.assignment, other.created_epoch, &other.status)
    }
}

impl PartialEq for PersonaState {
    fn eq(&self, other: &Self) -> bool {
        (&self.persona, self.created_epoch, self.updated_epoch)
            == (&other.persona, other.created_epoch, other.updated_epoch)
    }
}

impl PartialEq for MappingState {
    fn eq(&self, other: &Self) -> bool {
        serde_json::to_value(self).ok() == serde_json::to_value(other).ok()
    }
}

impl World {
    /// Every mutable part, for saving (call [`World::settle`] first, so finished work is saved
    /// as finished).
    pub fn save(&self) -> SavedWorld {
        SavedWorld {
            memberships: self.memberships.values().cloned().collect(),
            assignments: self.assignments.iter().cloned().collect(),
            deletions: self.deletions.all().to_vec(),
            associations: self.associations.iter().cloned().collect(),
            personas: self.personas.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            experience_entities: self.experience_entities.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            mappings: self.mappings.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        }
    }

    /// The fixture's organisation with the saved changes. Work that was pending when saved
    /// stays pending and completes after the configured delay, counted from now.
    pub fn restore(org: Org, saved: SavedWorld) -> World {
        // Provisioning is derived, not saved: every fixture assignment, every current one and
        // every one a deletion request named was provisioned at some point. (One created and
        // deleted by a request in an earlier life is in the deletions.)
        let mut assignments: Assignments = saved.assignments.into_iter().collect();
        for a in org.sso.assignments.iter().chain(saved.deletions.iter().map(|d| &d.assignment)) {
            assignments.note_provisioned(a);
        }
        World {
            org,
            memberships: saved.memberships.into_iter().collect(),
            assignments,
            deletions: saved.deletions.into_iter().collect(),
            associations: saved.associations.into_iter().collect(),
            personas: saved.personas.into_iter().collect(),
            experience_entities: saved.experience_entities.into_iter().collect(),
            mappings: saved.mappings.into_iter().collect(),
        }
    }

    pub fn new(org: Org) -> World {
        let memberships = org.identity_store.memberships.iter().cloned().collect();
        let assignments = org.sso.assignments.iter().cloned().collect();
        let associations = org.appstream.associations.iter().cloned().collect();
        let mut personas = BTreeMap::new();
        let mut experience_entities: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        let mut mappings = BTreeMap::new();
        for index in &org.kendra.indexes {
            for exp in &index.experiences {
                let entities = experience_entities.entry((index.id.clone(), exp.id.clone())).or_default();
                entities.extend(exp.entities.iter().map(|e| e.entity_id.clone()));
                for p in &exp.personas {
                    entities.insert(p.entity_id.clone());
                    personas.insert(
                        (index.id.clone(), exp.id.clone(), p.entity_id.clone()),
                        PersonaState {
                            persona: p.persona.clone(),
                            created_epoch: FIXTURE_EPOCH,
                            updated_epoch: FIXTURE_EPOCH,
                        },
                    );
                }
            }
            for m in &index.group_mappings {
                mappings.insert(
                    MappingKey {
                        index_id: index.id.clone(),
                        data_source_id: m.data_source_id.clone(),
                        group_id: m.group_id.clone(),
                    },
                    MappingState {
                        members: Some(Members { users: m.member_users.clone(), groups: m.member_groups.clone() }),
                        latest_ordering_id: m.ordering_id,
                        applied_ordering_id: m.ordering_id,
                        actions: vec![MappingAction {
                            status: "SUCCEEDED",
                            ordering_id: m.ordering_id,
                            received_epoch: FIXTURE_EPOCH,
                            updated_epoch: FIXTURE_EPOCH,
                            failure_reason: None,
                            pending: None,
                        }],
                    },
                );
            }
        }
        World {
            org,
            memberships,
            assignments,
            deletions: Deletions::default(),
            associations,
            personas,
            experience_entities,
            mappings,
        }
    }

    /// Completes asynchronous work that has been pending for at least `faults.deletion_delay()`.
    pub fn settle(&mut self, faults: &Faults, now: Now) {
        let delay = faults.deletion_delay();
        let due = |received: Instant| now.instant.saturating_duration_since(received) >= delay;
        self.deletions.settle(&mut self.assignments, due);
        for state in self.mappings.values_mut() {
            for i in 0..state.actions.len() {
                let Some(pending) = state.actions[i].pending.clone() else {
                    continue;
                };
                if !due(pending.received) {
                    continue;
                }
                let action = &mut state.actions[i];
                action.pending = None;
                action.updated_epoch = now.epoch;
                match (pending.failure, pending.put) {
                    (Some(reason), _) => {
                        action.status = "FAILED";
                        action.failure_reason = Some(reason);
                    }
                    (None, Some(members)) => {
                        action.status = "SUCCEEDED";
                        state.members = Some(members);
                        state.applied_ordering_id = action.ordering_id;
                    }
                    (None, None) => {
                        action.status = "DELETED";
                        state.members = None;
                        state.applied_ordering_id = action.ordering_id;
                    }
                }
            }
        }
    }

    /// The current state as plain data (call [`World::settle`] first).
    pub fn snapshot(&self) -> StateSnapshot {
        let org = &self.org;
        let principal_name = |t: PrincipalType, id: &str| org.principal_name(t, id).unwrap_or(id).to_owned();
        let mut sso_assignments: Vec<AssignmentRecord> = self
            .assignments
            .iter()
            .map(|a| AssignmentRecord {
                account_id: a.account_id.clone(),
                permission_set_name: org
                    .permission_set_by_arn(&a.permission_set_arn)
                    .map_or_else(|| a.permission_set_arn.clone(), |p| p.name.clone()),
                principal_type: a.principal_type.as_str().to_owned(),
                principal_name: principal_name(a.principal_type, &a.principal_id),
                permission_set_arn: a.permission_set_arn.clone(),
                principal_id: a.principal_id.clone(),
            })
            .collect();
        sso_assignments.sort();
        let sso_deletions = self
            .deletions
            .all()
            .iter()
            .map(|d| {
                let (status, failure_reason) = d.status_parts();
                DeletionRecord {
                    request_id: d.request_id.clone(),
                    status: status.to_owned(),
                    failure_reason,
                    account_id: d.assignment.account_id.clone(),
                    permission_set_arn: d.assignment.permission_set_arn.clone(),
                    principal_type: d.assignment.principal_type.as_str().to_owned(),
                    principal_id: d.assignment.principal_id.clone(),
                }
            })
            .collect();
        let appstream_associations = self
            .associations
            .iter()
            .map(|a| AssociationRecord {
                stack_name: a.stack_name.clone(),
                user_name: a.user_name.clone(),
                authentication_type: a.authentication_type.clone(),
            })
            .collect();
        let entity = |entity_id: &String| match org.entity(entity_id) {
            Some((t, name)) => (t.as_str(), name.to_owned()),
            None => ("USER", entity_id.clone()),
        };
        let mut kendra_personas: Vec<PersonaRecord> = self
            .personas
            .iter()
            .map(|((index_id, experience_id, entity_id), p)| {
                let (entity_type, entity_name) = entity(entity_id);
                PersonaRecord {
                    index_id: index_id.clone(),
                    experience_id: experience_id.clone(),
                    entity_name,
                    entity_type: entity_type.to_owned(),
                    entity_id: entity_id.clone(),
                    persona: p.persona.clone(),
                }
            })
            .collect();
        kendra_personas.sort();
        let kendra_group_mappings = self
            .mappings
            .iter()
            .map(|(key, state)| GroupMappingRecord {
                index_id: key.index_id.clone(),
                data_source_id: key.data_source_id.clone(),
                group_id: key.group_id.clone(),
                status: state.actions.last().map_or("SUCCEEDED", |a| a.status).to_owned(),
                ordering_id: state.latest_ordering_id,
                present: state.members.is_some(),
                member_users: state.members.as_ref().map(|m| m.users.clone()).unwrap_or_default(),
                member_groups: state
                    .members
                    .as_ref()
                    .map(|m| m.groups.iter().map(|g| g.group_id.clone()).collect())
                    .unwrap_or_default(),
            })
            .collect();
        let mut kendra_experience_entities: Vec<ExperienceEntityRecord> = self
            .experience_entities
            .iter()
            .flat_map(|((index_id, experience_id), entities)| {
                entities.iter().map(move |entity_id| (index_id, experience_id, entity_id))
            })
            .map(|(index_id, experience_id, entity_id)| {
                let (entity_type, entity_name) = entity(entity_id);
                ExperienceEntityRecord {
                    index_id: index_id.clone(),
                    experience_id: experience_id.clone(),
                    entity_name,
                    entity_type: entity_type.to_owned(),
                    entity_id: entity_id.clone(),
                }
            })
            .collect();
        kendra_experience_entities.sort();
        let mut group_memberships: Vec<GroupMembershipRecord> = self
            .memberships
            .values()
            .map(|m| GroupMembershipRecord {
                group_name: principal_name(PrincipalType::Group, &m.group_id),
                user_name: principal_name(PrincipalType::User, &m.user_id),
                membership_id: m.id.clone(),
                group_id: m.group_id.clone(),
                user_id: m.user_id.clone(),
            })
            .collect();
        group_memberships.sort();
        StateSnapshot {
            sso_assignments,
            sso_deletions,
            appstream_associations,
            kendra_personas,
            kendra_group_mappings,
            group_memberships,
            kendra_experience_entities,
        }
    }
}

impl Deletion {
    /// Wire status and failure reason.
    pub fn status_parts(&self) -> (&'static str, Option<String>) {
        match &self.status {
            DeletionStatus::InProgress { .. } => ("IN_PROGRESS", None),
            DeletionStatus::Succeeded => ("SUCCEEDED", None),
            DeletionStatus::Failed(reason) => ("FAILED", Some(reason.clone())),
        }
    }
}

impl MappingState {
    /// Records a new action, dropping the oldest completed summaries beyond the limit.
    pub fn push_action(&mut self, action: MappingAction) {
        self.latest_ordering_id = action.ordering_id;
        self.actions.push(action);
        while self.actions.len() > MAX_SUMMARIES {
            match self.actions.iter().position(|a| a.pending.is_none()) {
                Some(i) => {
                    self.actions.remove(i);
                }
                None => break,
            }
        }
    }
}
