//! Identity Store (`AWSIdentityStore`): resolving user names, emails and group names to ids.
//!
//! Guesses where AWS documents nothing: user names and emails match case-insensitively (moto 5.2.5
//! does so too), group display names exactly; an unknown identity store id is
//! `ResourceNotFoundException` with `ResourceType` `IDENTITY_STORE`; `ExternalId` lookups find
//! nothing (fixtures declare no external ids).

use serde_json::{Map, Value, json};

use super::{Ctx, not_emulated, put_opt, required_str};
use crate::api_error::ApiError;
use crate::fixture::{Org, User};
use crate::pagination::Pager;
use crate::service::AwsService;
use crate::world::{FIXTURE_EPOCH, World, timestamp};

pub(super) const OPERATIONS: &[&str] = &["GetUserId", "GetGroupId", "ListGroupMembershipsForMember", "DescribeUser"];

pub(super) fn handle(world: &mut World, _ctx: &Ctx<'_>, operation: &str, input: &Value) -> Result<Value, ApiError> {
    let org = &world.org;
    check_store(org, input)?;
    match operation {
        "GetUserId" => get_id(org, input, Entity::User),
        "GetGroupId" => get_id(org, input, Entity::Group),
        "ListGroupMembershipsForMember" => list_memberships(org, input),
        "DescribeUser" => describe_user(org, input),
        other => Err(not_emulated(AwsService::IdentityStore, other)),
    }
}

/// Accepts the store id or its ARN (`arn:aws:identitystore::<account>:identitystore/<id>`).
fn check_store(org: &Org, input: &Value) -> Result<(), ApiError> {
    let given = required_str(input, "IdentityStoreId")?;
    let id = given.rsplit('/').next().unwrap_or(given);
    if id == org.identity_store.id {
        Ok(())
    } else {
        Err(not_found("IDENTITY_STORE", Some(given), format!("Identity store {given} does not exist.")))
    }
}

fn not_found(resource_type: &str, resource_id: Option<&str>, message: String) -> ApiError {
    let mut err = ApiError::not_found(message).with("ResourceType", resource_type);
    if let Some(id) = resource_id {
        err = err.with("ResourceId", id);
    }
    err
}

/// Strips the ARN form of a resource id (`arn:aws:identitystore:::user/<id>`).
fn bare_id(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

fn arn(kind: &str, id: &str) -> String {
    format!("arn:aws:identitystore:::{kind}/{id}")
}

/// The `(AttributePath, AttributeValue)` of an `AlternateIdentifier.UniqueAttribute`, or `None`
/// for an `ExternalId`.
fn unique_attribute(input: &Value) -> Result<Option<(&str, &str)>, ApiError> {
    let alt = input
        .get("AlternateIdentifier")
        .ok_or_else(|| ApiError::validation("AlternateIdentifier must be specified"))?;
    let Some(unique) = alt.get("UniqueAttribute") else {
        return Ok(None);
    };
    let path = required_str(unique, "AttributePath")?;
    let value = unique
        .get("AttributeValue")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::validation(format!("The AttributeValue for AttributePath {path} must be a string")))?;
    Ok(Some((path, value)))
}

/// What `GetUserId` and `GetGroupId` look up; they differ only in these names and lookups.
#[derive(Clone, Copy, Debug)]
enum Entity {
    User,
    Group,
}

impl Entity {
    /// The `ResourceType` of a not-found error, and the ARN kind.
    fn resource_type(self) -> &'static str {
        match self {
            Entity::User => "USER",
            Entity::Group => "GROUP",
        }
    }

    fn arn_kind(self) -> &'static str {
        match self {
            Entity::User => "user",
            Entity::Group => "group",
        }
    }

    /// The answer's id and ARN members.
    fn members(self) -> (&'static str, &'static str) {
        match self {
            Entity::User => ("UserId", "UserArn"),
            Entity::Group => ("GroupId", "GroupArn"),
        }
    }

    /// What a wrong attribute path is told: the kind, in the plural, and the paths that work.
    fn valid_paths(self) -> &'static str {
        match self {
            Entity::User => "users; use userName or emails.value",
            Entity::Group => "groups; use displayName",
        }
    }

    /// The id of the entity whose attribute `path` is `value`: `None` for a path this kind of
    /// entity cannot be looked up by, `Some(None)` when no entity matches.
    fn find<'o>(self, org: &'o Org, path: &str, value: &str) -> Option<Option<&'o str>> {
        let users = &org.identity_store.users;
        let found = match (self, path) {
            (Entity::User, "userName") => {
                let wanted = value.to_lowercase();
                users.iter().find(|u| u.user_name.to_lowercase() == wanted).map(|u| &u.id)
            }
            (Entity::User, "emails.value") => {
                let wanted = value.to_lowercase();
                users.iter().find(|u| u.emails.iter().any(|e| e.to_lowercase() == wanted)).map(|u| &u.id)
            }
            (Entity::Group, "displayName") => org.group_by_name(value).map(|g| &g.id),
            (Entity::User | Entity::Group, _) => return None,
        };
        Some(found.map(String::as_str))
    }
}

/// `GetUserId` and `GetGroupId`.
fn get_id(org: &Org, input: &Value, entity: Entity) -> Result<Value, ApiError> {
    let found = match unique_attribute(input)? {
        Some((path, value)) => entity.find(org, path, value).ok_or_else(|| {
            ApiError::validation(format!("{path} is not a valid unique attribute path for {}", entity.valid_paths()))
        })?,
        None => None,
    };
    let Some(id) = found else {
        return Err(not_found(entity.resource_type(), None, format!("{} not found.", entity.resource_type())));
    };
    let (id_member, arn_member) = entity.members();
    Ok(json!({
        "IdentityStoreId": org.identity_store.id,
        id_member: id,
        arn_member: arn(entity.arn_kind(), id),
    }))
}

fn member_user<'a>(org: &'a Org, input: &Value, member: &str) -> Result<&'a User, ApiError> {
    let given = match member {
        "MemberId" => input
            .get("MemberId")
            .and_then(|m| m.get("UserId"))
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::validation("MemberId must specify UserId"))?,
        _ => required_str(input, member)?,
    };
    org.user_by_id(bare_id(given)).ok_or_else(|| not_found("USER", Some(given), format!("USER {given} not found.")))
}

fn list_memberships(org: &Org, input: &Value) -> Result<Value, ApiError> {
    let user = member_user(org, input, "MemberId")?;
    let pager = Pager::new("ListGroupMembershipsForMember", input, 100, 100)?;
    let items = org
        .identity_store
        .memberships
        .iter()
        .filter(|m| m.user_id == user.id)
        .map(|m| {
            (
                m.id.clone(),
                json!({
                    "IdentityStoreId": org.identity_store.id,
                    "MembershipId": m.id,
                    "MembershipArn": arn("membership", &m.id),
                    "GroupId": m.group_id,
                    "MemberId": {"UserId": m.user_id},
                    "CreatedAt": timestamp(FIXTURE_EPOCH),
                    "UpdatedAt": timestamp(FIXTURE_EPOCH),
                }),
            )
        })
        .collect();
    Ok(pager.list_output("GroupMemberships", items))
}

fn describe_user(org: &Org, input: &Value) -> Result<Value, ApiError> {
    let user = member_user(org, input, "UserId")?;
    let mut out = Map::new();
    out.insert("IdentityStoreId".to_owned(), json!(org.identity_store.id));
    out.insert("UserId".to_owned(), json!(user.id));
    out.insert("UserArn".to_owned(), json!(arn("user", &user.id)));
    out.insert("Revision".to_owned(), json!("1"));
    out.insert("UserName".to_owned(), json!(user.user_name));
    out.insert("DisplayName".to_owned(), json!(user.display_name));
    let mut name = Map::new();
    put_opt(&mut name, "GivenName", user.given_name.clone());
    put_opt(&mut name, "FamilyName", user.family_name.clone());
    name.insert("Formatted".to_owned(), json!(user.display_name));
    out.insert("Name".to_owned(), Value::Object(name));
    if let Some(email) = user.emails.first() {
        out.insert("Emails".to_owned(), json!([{"Value": email, "Type": "work", "Primary": true}]));
    }
    out.insert("UserStatus".to_owned(), json!("ENABLED"));
    out.insert("CreatedAt".to_owned(), timestamp(FIXTURE_EPOCH));
    out.insert("UpdatedAt".to_owned(), timestamp(FIXTURE_EPOCH));
    Ok(Value::Object(out))
}
