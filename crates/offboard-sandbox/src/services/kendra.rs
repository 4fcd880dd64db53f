//! Kendra (`AWSKendraFrontendService`): indexes, data sources, experiences, personas and
//! principal mappings (ACL groups).
//!
//! Principal mappings: every PUT/DELETE is an *action* with an `OrderingId` (default: the time it
//! was received, in epoch milliseconds). An action whose `OrderingId` is lower than the newest
//! accepted action's for the same (index, data source, group) is not applied and leaves no trace
//! (AWS: "an ordering ID lower than the latest action's is not applied"); an equal one is applied.
//! Accepted actions are `PROCESSING` (PUT) or `DELETING` (DELETE) until
//! [`crate::Faults::deletion_delay_ms`] has passed, then `SUCCEEDED` / `DELETED`, or `FAILED`
//! with a `FailureReason` when the group id is in [`crate::Faults::fail_entities`] (DELETE only).
//! `DescribePrincipalMapping` lists the newest 10 actions oldest first; a deleted group stays
//! describable (its history shows `DELETED`), while a group that was never mapped is
//! `ResourceNotFoundException`, and so is deleting it. `ConflictException` (modelled for
//! DeletePrincipalMapping) is never raised: actions queue instead of conflicting.
//!
//! Personas (chosen, not observed): `DisassociatePersonasFromEntities` removes the persona but
//! leaves the entity's access to the experience (`ListExperienceEntities` still lists it, as
//! AWS keeps entity access and personas apart). An entity id that is neither a user nor a group
//! of the identity store fails in `FailedEntityList`, and so does one in
//! [`crate::Faults::fail_entities`] (by id, user name or group display name); an entity without a
//! persona succeeds (nothing to do).
//!
//! Experience entities (chosen, not observed): `DisassociateEntitiesFromExperience` removes the
//! entity's access at once (`ListExperienceEntities` stops listing it) and leaves its persona
//! alone: AWS documents access and personas as two separate records with separate removal calls,
//! so the sandbox does not invent a cascade, and a client that removes access but forgets the
//! persona leaves a persona behind that `ListEntityPersonas` and the snapshot still show. (offboard
//! removes personas first and entities second, so it does not depend on this choice.) An entry
//! fails in `FailedEntityList`, and the rest of the batch still applies, when the entity is not
//! associated with the experience (including one already removed, or named twice in the request),
//! when its `EntityType` is not what the identity store says the id is, or when it is in
//! [`crate::Faults::fail_entities`]. The model allows 40 entries in but only 25 failures out; beyond
//! 25 failures the rest are not reported (an answer AWS's model could not carry otherwise), so
//! only a re-read shows them. With no failure `FailedEntityList` is left out, as for
//! `DisassociatePersonasFromEntities` (the model's list has length 1..25).

use serde_json::{Map, Value, json};

use super::{Ctx, not_emulated, optional_str, put_opt, required_str};
use crate::api_error::ApiError;
use crate::fixture::{Index, MemberGroup, Org};
use crate::pagination::Pager;
use crate::service::AwsService;
use crate::world::{FIXTURE_EPOCH, MappingAction, MappingKey, MappingState, Members, PendingMapping, World, timestamp};

pub(super) const OPERATIONS: &[&str] = &[
    "DescribeIndex",
    "DescribeDataSource",
    "ListDataSources",
    "ListExperiences",
    "ListEntityPersonas",
    "ListExperienceEntities",
    "DisassociatePersonasFromEntities",
    "DisassociateEntitiesFromExperience",
    "DescribePrincipalMapping",
    "DeletePrincipalMapping",
    "PutPrincipalMapping",
    "ListGroupsOlderThanOrderingId",
];

/// Fixed page size of `ListExperienceEntities`, which has no `MaxResults`.
const ENTITY_PAGE: usize = 10;

pub(super) fn handle(world: &mut World, ctx: &Ctx<'_>, operation: &str, input: &Value) -> Result<Value, ApiError> {
    match operation {
        "DescribeIndex" => describe_index(&world.org, input),
        "DescribeDataSource" => describe_data_source(&world.org, input),
        "ListDataSources" => list_data_sources(&world.org, input),
        "ListExperiences" => list_experiences(&world.org, input),
        "ListEntityPersonas" => list_personas(world, input),
        "ListExperienceEntities" => list_entities(world, input),
        "DisassociatePersonasFromEntities" => disassociate(world, ctx, input),
        "DisassociateEntitiesFromExperience" => disassociate_entities(world, ctx, input),
        "DescribePrincipalMapping" => describe_mapping(world, input),
        "DeletePrincipalMapping" => mapping_action(world, ctx, input, false),
        "PutPrincipalMapping" => mapping_action(world, ctx, input, true),
        "ListGroupsOlderThanOrderingId" => list_older(world, input),
        other => Err(not_emulated(AwsService::Kendra, other)),
    }
}

fn index<'a>(org: &'a Org, input: &Value, member: &str) -> Result<&'a Index, ApiError> {
    let id = required_str(input, member)?;
    org.index(id).ok_or_else(|| ApiError::not_found(format!("Index {id} does not exist.")))
}

/// The experience named by `Id`, checked to exist in the index.
fn experience<'a>(org: &'a Org, input: &Value) -> Result<(&'a Index, &'a str), ApiError> {
    let idx = index(org, input, "IndexId")?;
    let id = required_str(input, "Id")?;
    match idx.experiences.iter().find(|e| e.id == id) {
        Some(e) => Ok((idx, e.id.as_str())),
        None => Err(ApiError::not_found(format!("Experience {id} does not exist in index {}.", idx.id))),
    }
}

/// The optional `DataSourceId`, checked to exist in the index.
fn data_source(idx: &Index, input: &Value) -> Result<Option<String>, ApiError> {
    match optional_str(input, "DataSourceId") {
        None => Ok(None),
        Some(id) if idx.data_sources.iter().any(|d| d.id == id) => Ok(Some(id.to_owned())),
        Some(id) => Err(ApiError::not_found(format!("Data source {id} does not exist in index {}.", idx.id))),
    }
}

fn describe_index(org: &Org, input: &Value) -> Result<Value, ApiError> {
    let idx = index(org, input, "Id")?;
    Ok(json!({
        "Name": idx.name,
        "Id": idx.id,
        "Edition": idx.edition,
        "Status": "ACTIVE",
        "CreatedAt": timestamp(FIXTURE_EPOCH),
        "UpdatedAt": timestamp(FIXTURE_EPOCH),
        "UserContextPolicy": "USER_TOKEN",
        "UserGroupResolutionConfiguration": {"UserGroupResolutionMode": "AWS_SSO"},
    }))
}

/// `DescribeDataSource`: the data source `Id` of index `IndexId`; either missing is
/// `ResourceNotFoundException`, as on AWS.
fn describe_data_source(org: &Org, input: &Value) -> Result<Value, ApiError> {
    let idx = index(org, input, "IndexId")?;
    let id = required_str(input, "Id")?;
    let d = idx
        .data_sources
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| ApiError::not_found(format!("Data source {id} does not exist in index {}.", idx.id)))?;
    Ok(json!({
        "Id": d.id,
        "IndexId": idx.id,
        "Name": d.name,
        "Type": d.kind,
        "CreatedAt": timestamp(FIXTURE_EPOCH),
        "UpdatedAt": timestamp(FIXTURE_EPOCH),
        "Status": "ACTIVE",
        "LanguageCode": "en",
    }))
}

/// `ListDataSources` and `ListExperiences`: a summary of each child of the index named by
/// `IndexId`, keyed by the child's id, in pages of up to 100 (the models' maximum).
fn list_children<'o, T: 'o>(
    org: &'o Org,
    input: &Value,
    operation: &str,
    children: impl FnOnce(&'o Index) -> &'o [T],
    summary: impl Fn(&T) -> (String, Value),
) -> Result<Value, ApiError> {
    let idx = index(org, input, "IndexId")?;
    let pager = Pager::new(operation, input, 100, 100)?;
    Ok(pager.list_output("SummaryItems", children(idx).iter().map(summary).collect()))
}

fn list_data_sources(org: &Org, input: &Value) -> Result<Value, ApiError> {
    list_children(
        org,
        input,
        "ListDataSources",
        |idx| &idx.data_sources,
        |d| {
            let summary = json!({
                "Name": d.name,
                "Id": d.id,
                "Type": d.kind,
                "CreatedAt": timestamp(FIXTURE_EPOCH),
                "UpdatedAt": timestamp(FIXTURE_EPOCH),
                "Status": "ACTIVE",
                "LanguageCode": "en",
            });
            (d.id.clone(), summary)
        },
    )
}

fn list_experiences(org: &Org, input: &Value) -> Result<Value, ApiError> {
    list_children(
        org,
        input,
        "ListExperiences",
        |idx| &idx.experiences,
        |e| {
            let summary = json!({
                "Name": e.name,
                "Id": e.id,
                "CreatedAt": timestamp(FIXTURE_EPOCH),
                "Status": "ACTIVE",
                "Endpoints": [{
                    "EndpointType": "HOME",
                    "Endpoint": format!("https://{}.kendra-experience.{}.aws.example", e.id, org.region),
                }],
            });
            (e.id.clone(), summary)
        },
    )
}

fn list_personas(world: &World, input: &Value) -> Result<Value, ApiError> {
    let (idx, exp) = experience(&world.org, input)?;
    let pager = Pager::new("ListEntityPersonas", input, 100, 100)?;
    let items = world
        .personas
        .iter()
        .filter(|((i, e, _), _)| i == &idx.id && e == exp)
        .map(|((_, _, entity), p)| {
            (
                entity.clone(),
                json!({
                    "EntityId": entity,
                    "Persona": p.persona,
                    "CreatedAt": timestamp(p.created_epoch),
                    "UpdatedAt": timestamp(p.updated_epoch),
                }),
            )
        })
        .collect();
    Ok(pager.list_output("SummaryItems", items))
}

fn list_entities(world: &World, input: &Value) -> Result<Value, ApiError> {
    let (idx, exp) = experience(&world.org, input)?;
    let pager = Pager::new("ListExperienceEntities", input, ENTITY_PAGE, ENTITY_PAGE)?;
    let org = &world.org;
    let items = world
        .experience_entities
        .get(&(idx.id.clone(), exp.to_owned()))
        .into_iter()
        .flatten()
        .map(|entity| {
            let mut display = Map::new();
            let entity_type = if let Some(user) = org.user_by_id(entity) {
                put_opt(&mut display, "UserName", non_empty(&user.display_name));
                put_opt(&mut display, "IdentifiedUserName", non_empty(&user.user_name));
                put_opt(&mut display, "FirstName", user.given_name.as_deref().and_then(non_empty));
                put_opt(&mut display, "LastName", user.family_name.as_deref().and_then(non_empty));
                "USER"
            } else if let Some(group) = org.group_by_id(entity) {
                put_opt(&mut display, "GroupName", non_empty(&group.display_name));
                "GROUP"
            } else {
                "USER"
            };
            (entity.clone(), json!({"EntityId": entity, "EntityType": entity_type, "DisplayData": display}))
        })
        .collect();
    Ok(pager.list_output("SummaryItems", items))
}

/// `NameType` is 1..100 characters: longer display names are cut, empty ones left out.
fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.chars().take(100).collect())
}

fn disassociate(world: &mut World, ctx: &Ctx<'_>, input: &Value) -> Result<Value, ApiError> {
    let (idx, exp) = experience(&world.org, input)?;
    let (idx_id, exp_id) = (idx.id.clone(), exp.to_owned());
    let ids: Vec<String> = input
        .get("EntityIds")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::validation("EntityIds must be specified"))?
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let mut failed = Vec::new();
    for id in ids {
        let entity = world.org.entity(&id).map(|(_, name)| name.to_owned());
        let message = match &entity {
            None => Some(format!("The entity {id} was not found in the identity source of the experience.")),
            Some(name) if ctx.faults.entity_fails(&[&id, name]) => {
                Some(format!("Failed to remove the persona of entity {id}; try again later."))
            }
            Some(_) => None,
        };
        match message {
            Some(m) => failed.push(json!({"EntityId": id, "ErrorMessage": m})),
            None => {
                world.personas.remove(&(idx_id.clone(), exp_id.clone(), id));
            }
        }
    }
    let mut out = Map::new();
    // The model's list has length 1..25: with no failures the member is left out.
    if !failed.is_empty() {
        out.insert("FailedEntityList".to_owned(), Value::Array(failed));
    }
    Ok(Value::Object(out))
}

/// Most `FailedEntity` items an answer carries (the model's `FailedEntityList` has length 1..25).
const MAX_FAILED: usize = 25;

fn disassociate_entities(world: &mut World, ctx: &Ctx<'_>, input: &Value) -> Result<Value, ApiError> {
    let (idx, exp) = experience(&world.org, input)?;
    let key = (idx.id.clone(), exp.to_owned());
    let entries = input
        .get("EntityList")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::validation("EntityList must be specified"))?;
    let mut failed = Vec::new();
    for entry in entries {
        // Model validation made both members required strings; skip anything else defensively.
        let (Some(id), Some(wanted)) =
            (entry.get("EntityId").and_then(Value::as_str), entry.get("EntityType").and_then(Value::as_str))
        else {
            continue;
        };
        let known = world.org.entity(id).map(|(kind, name)| (kind, name.to_owned()));
        let associated = world.experience_entities.get(&key).is_some_and(|set| set.contains(id));
        let message = match &known {
            Some((kind, _)) if kind.as_str() != wanted => {
                Some(format!("The entity {id} is a {} in the identity source, not a {wanted}.", kind.as_str()))
            }
            _ if !associated => Some(format!("The entity {id} does not have access to experience {}.", key.1)),
            Some((_, name)) if ctx.faults.entity_fails(&[id, name]) => {
                Some(format!("Failed to remove the access of entity {id}; try again later."))
            }
            _ => None,
        };
        match message {
            Some(m) => failed.push(json!({"EntityId": id, "ErrorMessage": m})),
            None => {
                if let Some(set) = world.experience_entities.get_mut(&key) {
                    set.remove(id);
                }
            }
        }
    }
    failed.truncate(MAX_FAILED);
    let mut out = Map::new();
    if !failed.is_empty() {
        out.insert("FailedEntityList".to_owned(), Value::Array(failed));
    }
    Ok(Value::Object(out))
}

fn mapping_key(world: &World, input: &Value) -> Result<MappingKey, ApiError> {
    let idx = index(&world.org, input, "IndexId")?;
    let data_source_id = data_source(idx, input)?;
    let group_id = required_str(input, "GroupId")?;
    Ok(MappingKey { index_id: idx.id.clone(), data_source_id, group_id: group_id.to_owned() })
}

fn not_mapped(key: &MappingKey) -> ApiError {
    let scope = match &key.data_source_id {
        Some(ds) => format!("data source {ds} of index {}", key.index_id),
        None => format!("index {}", key.index_id),
    };
    ApiError::not_found(format!("Group {} has no principal mapping in {scope}.", key.group_id))
}

fn describe_mapping(world: &World, input: &Value) -> Result<Value, ApiError> {
    let key = mapping_key(world, input)?;
    let state = world.mappings.get(&key).ok_or_else(|| not_mapped(&key))?;
    let summaries: Vec<Value> = state
        .actions
        .iter()
        .map(|a| {
            let mut s = Map::new();
            s.insert("Status".to_owned(), json!(a.status));
            s.insert("LastUpdatedAt".to_owned(), timestamp(a.updated_epoch));
            s.insert("ReceivedAt".to_owned(), timestamp(a.received_epoch));
            s.insert("OrderingId".to_owned(), json!(a.ordering_id));
            put_opt(&mut s, "FailureReason", a.failure_reason.clone());
            Value::Object(s)
        })
        .collect();
    let mut out = Map::new();
    out.insert("IndexId".to_owned(), json!(key.index_id));
    put_opt(&mut out, "DataSourceId", key.data_source_id.clone());
    out.insert("GroupId".to_owned(), json!(key.group_id));
    out.insert("GroupOrderingIdSummaries".to_owned(), Value::Array(summaries));
    Ok(Value::Object(out))
}

fn put_members(input: &Value) -> Result<Members, ApiError> {
    let members = input.get("GroupMembers").ok_or_else(|| ApiError::validation("GroupMembers must be specified"))?;
    if members.get("S3PathforGroupMembers").is_some() {
        return Err(ApiError::validation(
            "offboard-sandbox does not read group members from S3; list MemberUsers and MemberGroups instead",
        ));
    }
    if members.get("MemberUsers").is_none() && members.get("MemberGroups").is_none() {
        return Err(ApiError::validation("GroupMembers must list MemberUsers, MemberGroups or both"));
    }
    let users = members
        .get("MemberUsers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|u| u.get("UserId").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let groups = members
        .get("MemberGroups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| {
            Some(MemberGroup {
                group_id: g.get("GroupId").and_then(Value::as_str)?.to_owned(),
                data_source_id: g.get("DataSourceId").and_then(Value::as_str).map(str::to_owned),
            })
        })
        .collect();
    Ok(Members { users, groups })
}

fn mapping_action(world: &mut World, ctx: &Ctx<'_>, input: &Value, put: bool) -> Result<Value, ApiError> {
    let key = mapping_key(world, input)?;
    let members = if put { Some(put_members(input)?) } else { None };
    if !put && !world.mappings.contains_key(&key) {
        return Err(not_mapped(&key));
    }
    let ordering_id = input.get("OrderingId").and_then(Value::as_u64).unwrap_or_else(|| ctx.now.epoch_millis());
    let failure = (!put && ctx.faults.entity_fails(&[&key.group_id]))
        .then(|| format!("Deleting the principal mapping of group {} failed (injected fault).", key.group_id));
    let state = world.mappings.entry(key).or_insert_with(|| MappingState {
        members: None,
        latest_ordering_id: 0,
        applied_ordering_id: 0,
        actions: Vec::new(),
    });
    if !state.actions.is_empty() && ordering_id < state.latest_ordering_id {
        // Out of order: AWS does not apply it (and says nothing).
        return Ok(json!({}));
    }
    state.push_action(MappingAction {
        status: if put { "PROCESSING" } else { "DELETING" },
        ordering_id,
        received_epoch: ctx.now.epoch,
        updated_epoch: ctx.now.epoch,
        failure_reason: None,
        pending: Some(PendingMapping { received: ctx.now.instant, put: members, failure }),
    });
    Ok(json!({}))
}

fn list_older(world: &World, input: &Value) -> Result<Value, ApiError> {
    let idx = index(&world.org, input, "IndexId")?;
    let data_source_id = data_source(idx, input)?;
    let ordering_id = input
        .get("OrderingId")
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::validation("OrderingId must be specified"))?;
    let pager = Pager::new("ListGroupsOlderThanOrderingId", input, 10, 10)?;
    let items = world
        .mappings
        .iter()
        .filter(|(k, s)| {
            k.index_id == idx.id
                && k.data_source_id == data_source_id
                && s.members.is_some()
                && s.applied_ordering_id < ordering_id
        })
        .map(|(k, s)| (k.group_id.clone(), json!({"GroupId": k.group_id, "OrderingId": s.applied_ordering_id})))
        .collect();
    Ok(pager.list_output("GroupsSummaries", items))
}
