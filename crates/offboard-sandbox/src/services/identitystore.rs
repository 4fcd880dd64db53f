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
        "GetUserId" => get_user_id(org, input),
        "GetGroupId" => get_group_id(org, input),
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

fn get_user_id(org: &Org, input: &Value) -> Result<Value, ApiError> {
    let user = match unique_attribute(input)? {
        Some(("userName", value)) => {
            let wanted = value.to_lowercase();
            org.identity_store.users.iter().find(|u| u.user_name.to_lowercase() == wanted)
        }
        Some(("emails.value", value)) => {
            let wanted = value.to_lowercase();
            org.identity_store.users.iter().find(|u| u.emails.iter().any(|e| e.to_lowercase() == wanted))
        }
        Some((path, _)) => {
            return Err(ApiError::validation(format!(
                "{path} is not a valid unique attribute path for users; use userName or emails.value"
            )));
        }
        None => None,
    };
    match user {
        Some(u) => Ok(json!({
            "IdentityStoreId": org.identity_store.id,
            "UserId": u.id,
            "UserArn": arn("user", &u.id),
        })),
        None => Err(not_found("USER", None, "USER not found.".to_owned())),
    }
}

fn get_group_id(org: &Org, input: &Value) -> Result<Value, ApiError> {
    let group = match unique_attribute(input)? {
        Some(("displayName", value)) => org.group_by_name(value),
        Some((path, _)) => {
            return Err(ApiError::validation(format!(
                "{path} is not a valid unique attribute path for groups; use displayName"
            )));
        }
        None => None,
    };
    match group {
        Some(g) => Ok(json!({
            "IdentityStoreId": org.identity_store.id,
            "GroupId": g.id,
            "GroupArn": arn("group", &g.id),
        })),
        None => Err(not_found("GROUP", None, "GROUP not found.".to_owned())),
    }
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
    let (page, next) = pager.page(items);
    let mut out = Map::new();
    out.insert("GroupMemberships".to_owned(), Value::Array(page));
    put_opt(&mut out, "NextToken", next);
    Ok(Value::Object(out))
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
