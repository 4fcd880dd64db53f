//! Identity Store (`AWSIdentityStore`): resolving user names, emails and group names to ids, and
//! reading and removing group memberships.
//!
//! Group memberships are state ([`World::memberships`]): `DeleteGroupMembership` removes one at
//! once (the operation is synchronous on AWS too), and every read that lists memberships —
//! `ListGroupMembershipsForMember`, `ListGroupMemberships`, `GetGroupMembershipId`, the snapshot —
//! reads that state. Nothing else derives access from memberships: SSO Admin's
//! `ListAccountAssignmentsForPrincipal` lists a user's direct assignments only (AWS does not
//! document rows inherited through groups, so the sandbox never invents them), and Kendra's
//! principal mappings keep their own member lists.
//!
//! Guesses where AWS documents nothing: user names and emails match case-insensitively (moto 5.2.5
//! does so too), group display names exactly; an unknown identity store id is
//! `ResourceNotFoundException` with `ResourceType` `IDENTITY_STORE`; `ExternalId` lookups find
//! nothing (fixtures declare no external ids). Ids may be given in their ARN form where the model
//! allows it; an ARN of another kind (a group ARN as a `MembershipId`) names nothing and is not
//! found. `GetGroupMembershipId` answers `ResourceType` `GROUP` for an unknown group, `USER` for
//! an unknown user and `GROUP_MEMBERSHIP` when both exist but the user is not a member;
//! `ListGroupMemberships` of an unknown group is `GROUP` not found (moto lists nothing instead).
//! `DeleteGroupMembership` of an unknown (or already deleted) membership is
//! `ResourceNotFoundException` with `ResourceType` `GROUP_MEMBERSHIP`, as the API reference lists
//! (moto 5.2.5 answers success). A membership in [`crate::Faults::fail_memberships`] is refused
//! with `ConflictException` (`Reason` `CONCURRENT_MODIFICATION`; the one error the model declares
//! for `DeleteGroupMembership` alone) and stays. `DescribeGroup` answers `Revision` `1` and the
//! fixture's timestamps.
//!
//! `ListUsers` and `ListGroups` list every user / group in id order (AWS documents no order),
//! each item exactly what `DescribeUser` / `DescribeGroup` answer for it; `MaxResults` 1..100,
//! default 100 (the model gives no default; 100 is a guess). Their deprecated `Filters` (at most
//! one) match `UserName` ignoring case, like `GetUserId`, and `DisplayName` exactly, like
//! `GetGroupId`; the attribute path itself is matched ignoring case (a guess: AWS documents the
//! spellings `UserName` and `DisplayName`). Any other path is a `ValidationException`.

use serde_json::{Map, Value, json};

use super::{Ctx, not_emulated, put_opt, required_str};
use crate::api_error::ApiError;
use crate::fixture::{Group, Membership, Org, User};
use crate::pagination::Pager;
use crate::service::AwsService;
use crate::world::{FIXTURE_EPOCH, World, timestamp};

pub(super) const OPERATIONS: &[&str] = &[
    "GetUserId",
    "GetGroupId",
    "ListGroupMembershipsForMember",
    "ListGroupMemberships",
    "GetGroupMembershipId",
    "DeleteGroupMembership",
    "DescribeUser",
    "DescribeGroup",
    "ListUsers",
    "ListGroups",
];

/// Model maximum of `MaxResults` for the Identity Store list operations, used as the default too.
const PAGE: usize = 100;

pub(super) fn handle(world: &mut World, ctx: &Ctx<'_>, operation: &str, input: &Value) -> Result<Value, ApiError> {
    check_store(&world.org, input)?;
    match operation {
        "GetUserId" => get_id(&world.org, input, Entity::User),
        "GetGroupId" => get_id(&world.org, input, Entity::Group),
        "ListGroupMembershipsForMember" => list_memberships_for_member(world, input),
        "ListGroupMemberships" => list_memberships_of_group(world, input),
        "GetGroupMembershipId" => get_membership_id(world, input),
        "DeleteGroupMembership" => delete_membership(world, ctx, input),
        "DescribeUser" => describe_user(&world.org, input),
        "DescribeGroup" => describe_group(&world.org, input),
        "ListUsers" => list_users(&world.org, input),
        "ListGroups" => list_groups(&world.org, input),
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
        let found = match (self, path) {
            (Entity::User, "userName") => org.user_by_name_ignoring_case(value).map(|u| &u.id),
            (Entity::User, "emails.value") => org.user_by_email_ignoring_case(value).map(|u| &u.id),
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
    id_of(given, "user")
        .and_then(|id| org.user_by_id(id))
        .ok_or_else(|| not_found("USER", Some(given), format!("USER {given} not found.")))
}

/// The bare id of `given`, which may also be the ARN form of a `kind` resource
/// (`arn:aws:identitystore:::membership/<id>`); `None` for an ARN of another kind.
fn id_of<'a>(given: &'a str, kind: &str) -> Option<&'a str> {
    match given.split_once(":::") {
        Some((_, rest)) => rest.strip_prefix(kind)?.strip_prefix('/'),
        None => Some(given),
    }
}

/// The group named by `GroupId` (bare or ARN).
fn group<'a>(org: &'a Org, input: &Value) -> Result<&'a Group, ApiError> {
    let given = required_str(input, "GroupId")?;
    id_of(given, "group")
        .and_then(|id| org.group_by_id(id))
        .ok_or_else(|| not_found("GROUP", Some(given), format!("GROUP {given} not found.")))
}

/// A membership as the API shows it (`GroupMembership`).
fn membership_json(org: &Org, m: &Membership) -> Value {
    json!({
        "IdentityStoreId": org.identity_store.id,
        "MembershipId": m.id,
        "MembershipArn": arn("membership", &m.id),
        "GroupId": m.group_id,
        "MemberId": {"UserId": m.user_id},
        "CreatedAt": timestamp(FIXTURE_EPOCH),
        "UpdatedAt": timestamp(FIXTURE_EPOCH),
    })
}

/// One page of `memberships` (in membership id order, as the indexes give them).
fn list_memberships<'a>(
    world: &World,
    input: &Value,
    operation: &str,
    memberships: impl Iterator<Item = &'a Membership>,
) -> Result<Value, ApiError> {
    let pager = Pager::new(operation, input, PAGE, PAGE)?;
    let (page, next) = pager.page_sorted(memberships.map(|m| (m.id.clone(), m)));
    let page = page.into_iter().map(|m| membership_json(&world.org, m)).collect();
    Ok(Pager::output("GroupMemberships", page, next))
}

fn list_memberships_for_member(world: &World, input: &Value) -> Result<Value, ApiError> {
    let user = member_user(&world.org, input, "MemberId")?;
    list_memberships(world, input, "ListGroupMembershipsForMember", world.memberships.of_user(&user.id))
}

fn list_memberships_of_group(world: &World, input: &Value) -> Result<Value, ApiError> {
    let group = group(&world.org, input)?;
    list_memberships(world, input, "ListGroupMemberships", world.memberships.of_group(&group.id))
}

fn get_membership_id(world: &World, input: &Value) -> Result<Value, ApiError> {
    let org = &world.org;
    let group = group(org, input)?;
    let user = member_user(org, input, "MemberId")?;
    let Some(m) = world.memberships.of_user(&user.id).find(|m| m.group_id == group.id) else {
        return Err(not_found(
            "GROUP_MEMBERSHIP",
            None,
            format!("User {} is not a member of group {}.", user.id, group.id),
        ));
    };
    Ok(json!({
        "IdentityStoreId": org.identity_store.id,
        "MembershipId": m.id,
        "MembershipArn": arn("membership", &m.id),
    }))
}

fn delete_membership(world: &mut World, ctx: &Ctx<'_>, input: &Value) -> Result<Value, ApiError> {
    let given = required_str(input, "MembershipId")?;
    let Some(m) = id_of(given, "membership").and_then(|id| world.memberships.get(id)) else {
        return Err(not_found("GROUP_MEMBERSHIP", Some(given), format!("GROUP_MEMBERSHIP {given} not found.")));
    };
    let org = &world.org;
    let group_name = org.group_by_id(&m.group_id).map_or("", |g| g.display_name.as_str());
    let user_name = org.user_by_id(&m.user_id).map_or("", |u| u.user_name.as_str());
    if ctx.faults.membership_fails(&[&m.id, &m.group_id, group_name, &m.user_id, user_name]) {
        return Err(ApiError::conflict(format!(
            "The group membership {} is being modified by another request; try again later (injected fault).",
            m.id
        ))
        .with("Reason", "CONCURRENT_MODIFICATION"));
    }
    let id = m.id.clone();
    world.memberships.remove(&id);
    Ok(json!({}))
}

fn describe_group(org: &Org, input: &Value) -> Result<Value, ApiError> {
    Ok(group_json(org, group(org, input)?))
}

/// A group as `DescribeGroup` answers it, which is also the `Group` that `ListGroups` lists.
fn group_json(org: &Org, group: &Group) -> Value {
    let mut out = Map::new();
    out.insert("IdentityStoreId".to_owned(), json!(org.identity_store.id));
    out.insert("GroupId".to_owned(), json!(group.id));
    out.insert("GroupArn".to_owned(), json!(arn("group", &group.id)));
    out.insert("Revision".to_owned(), json!("1"));
    out.insert("DisplayName".to_owned(), json!(group.display_name));
    put_opt(&mut out, "Description", group.description.clone().filter(|d| !d.is_empty()));
    out.insert("CreatedAt".to_owned(), timestamp(FIXTURE_EPOCH));
    out.insert("UpdatedAt".to_owned(), timestamp(FIXTURE_EPOCH));
    Value::Object(out)
}

fn describe_user(org: &Org, input: &Value) -> Result<Value, ApiError> {
    Ok(user_json(org, member_user(org, input, "UserId")?))
}

/// A user as `DescribeUser` answers it, which is also the `User` that `ListUsers` lists.
fn user_json(org: &Org, user: &User) -> Value {
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
    Value::Object(out)
}

/// The `(AttributePath, AttributeValue)` of the deprecated `Filters` of `ListUsers` /
/// `ListGroups` (the model allows at most one), or `None` without a filter.
fn list_filter(input: &Value) -> Result<Option<(&str, &str)>, ApiError> {
    let Some(filter) = input.get("Filters").and_then(Value::as_array).and_then(|f| f.first()) else {
        return Ok(None);
    };
    let path = required_str(filter, "AttributePath")?;
    let value = required_str(filter, "AttributeValue")?;
    Ok(Some((path, value)))
}

/// `ListUsers`: every user, in user id order, each exactly as `DescribeUser` answers it. The
/// deprecated `Filters` may select by `UserName` (ignoring case, like `GetUserId`); any other
/// attribute path is a `ValidationException`.
fn list_users(org: &Org, input: &Value) -> Result<Value, ApiError> {
    let pager = Pager::new("ListUsers", input, PAGE, PAGE)?;
    let (page, next) = match list_filter(input)? {
        None => pager.page_sorted(org.users_after(pager.after()).map(|u| (u.id.clone(), u))),
        Some((path, value)) if path.eq_ignore_ascii_case("UserName") => {
            pager.page(org.user_by_name_ignoring_case(value).map(|u| (u.id.clone(), u)).into_iter().collect())
        }
        Some((path, _)) => {
            return Err(ApiError::validation(format!(
                "{path} is not a supported attribute path for filtering users; use UserName (or GetUserId)"
            )));
        }
    };
    let page = page.into_iter().map(|u| user_json(org, u)).collect();
    Ok(Pager::output("Users", page, next))
}

/// `ListGroups`: every group, in group id order, each exactly as `DescribeGroup` answers it. The
/// deprecated `Filters` may select by `DisplayName` (exact, like `GetGroupId`); any other
/// attribute path is a `ValidationException`.
fn list_groups(org: &Org, input: &Value) -> Result<Value, ApiError> {
    let pager = Pager::new("ListGroups", input, PAGE, PAGE)?;
    let (page, next) = match list_filter(input)? {
        None => pager.page_sorted(org.groups_after(pager.after()).map(|g| (g.id.clone(), g))),
        Some((path, value)) if path.eq_ignore_ascii_case("DisplayName") => {
            pager.page(org.group_by_name(value).map(|g| (g.id.clone(), g)).into_iter().collect())
        }
        Some((path, _)) => {
            return Err(ApiError::validation(format!(
                "{path} is not a supported attribute path for filtering groups; use DisplayName (or GetGroupId)"
            )));
        }
    };
    let page = page.into_iter().map(|g| group_json(org, g)).collect();
    Ok(Pager::output("Groups", page, next))
}
