//! Identity Store: turning the names a policy uses into Identity Center ids (and back).
//!
//! "Not found" is an answer here, not an error: it becomes `Resolution::NotFound`. But only
//! when AWS says the leaf is missing (`ResourceNotFoundException` with `ResourceType` `USER` or
//! `GROUP`): a missing identity store, or an answer that does not say what is missing, is an
//! error, because it would turn every leaver into "not found" and the plan into "No changes".

use crate::call::Session;
use crate::error::{CallFailure, FailureKind, ResourceType};
use aws_sdk_identitystore::types::{AlternateIdentifier, UniqueAttribute};
use aws_smithy_types::Document;
use offboard_models::Service;

/// Unique attribute paths `GetUserId` accepts, in the order offboard tries them.
pub(crate) const USER_NAME: &str = "userName";
pub(crate) const USER_EMAIL: &str = "emails.value";
const GROUP_NAME: &str = "displayName";
/// `ResourceType`s of a missing leaf.
const USER: ResourceType = ResourceType::User;
const GROUP: ResourceType = ResourceType::Group;
const MEMBERSHIP: ResourceType = ResourceType::GroupMembership;

fn unique(path: &str, value: &str) -> Result<AlternateIdentifier, CallFailure> {
    let attr = UniqueAttribute::builder()
        .attribute_path(path)
        .attribute_value(Document::String(value.to_owned()))
        .build()
        .map_err(|e| CallFailure {
            service: Service::IdentityStore.iam_prefix(),
            operation: "GetUserId",
            kind: FailureKind::Other,
            code: None,
            message: format!("could not build the lookup of {path} = {value}: {e}"),
            status: None,
            request_id: None,
            html: false,
            resource_type: None,
            attempts: 0,
        })?;
    Ok(AlternateIdentifier::UniqueAttribute(attr))
}

/// `None` when AWS says the `leaf` (`USER` / `GROUP`) itself does not exist.
fn not_found_is_none<T>(r: Result<T, CallFailure>, leaf: ResourceType) -> Result<Option<T>, CallFailure> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(f) if f.kind == FailureKind::NotFound && f.resource_type == Some(leaf) => Ok(None),
        Err(mut f) if f.kind == FailureKind::NotFound => {
            f.message = format!(
                "{} (the missing resource is {}, not the {} looked up: check sso.identity_store_id and the credentials' account and region)",
                f.message,
                f.resource_type.map_or("not named", ResourceType::as_str),
                leaf.as_str()
            );
            Err(f)
        }
        Err(f) => Err(f),
    }
}

/// The user id whose unique attribute `path` (`userName` or `emails.value`) equals `value`.
pub(crate) async fn user_id_by(
    s: &Session<'_>,
    store: &str,
    path: &str,
    value: &str,
) -> Result<Option<String>, CallFailure> {
    let id = unique(path, value)?;
    let r = s
        .call(Service::IdentityStore, "GetUserId", || {
            s.clients.identitystore.get_user_id().identity_store_id(store).alternate_identifier(id.clone()).send()
        })
        .await;
    Ok(not_found_is_none(r, USER)?.map(|a| a.value.user_id().to_owned()))
}

/// What `DescribeUser` tells about a user: its `userName` and primary email.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct UserNames {
    pub user_name: Option<String>,
    /// The email marked primary, or the only one.
    pub email: Option<String>,
}

/// The user's names; `None` when the store has no such user.
pub(crate) async fn describe_user(
    s: &Session<'_>,
    store: &str,
    user_id: &str,
) -> Result<Option<UserNames>, CallFailure> {
    let r = s
        .call(Service::IdentityStore, "DescribeUser", || {
            s.clients.identitystore.describe_user().identity_store_id(store).user_id(user_id).send()
        })
        .await;
    Ok(not_found_is_none(r, USER)?.map(|a| UserNames::of(a.value.user_name(), a.value.emails())))
}

impl UserNames {
    /// The userName and the primary email (or the only one), as `DescribeUser` and `ListUsers`
    /// give them.
    fn of(user_name: Option<&str>, emails: &[aws_sdk_identitystore::types::Email]) -> UserNames {
        let email = emails
            .iter()
            .find(|e| e.primary())
            .or_else(|| if emails.len() == 1 { emails.first() } else { None })
            .and_then(|e| e.value())
            .map(str::to_owned);
        UserNames { user_name: user_name.map(str::to_owned), email }
    }
}

/// One user as `ListUsers` lists it: the same names `DescribeUser` gives, and every email
/// (`GetUserId` by `emails.value` matches any of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ListedUser {
    pub id: String,
    pub names: UserNames,
    pub emails: Vec<String>,
}

/// One group as `ListGroups` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ListedGroup {
    pub id: String,
    pub display_name: Option<String>,
}

/// At most `max_pages` pages of `ListUsers` (100 per page). A missing store is an error.
pub(crate) async fn list_users(
    s: &Session<'_>,
    store: &str,
    max_pages: usize,
) -> Result<crate::paginate::Listed<ListedUser>, CallFailure> {
    s.pages_up_to(
        max_pages,
        Service::IdentityStore,
        "ListUsers",
        crate::paginate::Retry::Yes,
        |token| {
            s.clients.identitystore.list_users().identity_store_id(store).max_results(100).set_next_token(token).send()
        },
        |page| {
            let users = page
                .users
                .into_iter()
                .map(|u| ListedUser {
                    names: UserNames::of(u.user_name(), u.emails()),
                    emails: u.emails().iter().filter_map(|e| e.value().map(str::to_owned)).collect(),
                    id: u.user_id,
                })
                .collect();
            (users, page.next_token)
        },
    )
    .await
}

/// At most `max_pages` pages of `ListGroups` (100 per page). A missing store is an error.
pub(crate) async fn list_groups(
    s: &Session<'_>,
    store: &str,
    max_pages: usize,
) -> Result<crate::paginate::Listed<ListedGroup>, CallFailure> {
    s.pages_up_to(
        max_pages,
        Service::IdentityStore,
        "ListGroups",
        crate::paginate::Retry::Yes,
        |token| {
            s.clients.identitystore.list_groups().identity_store_id(store).max_results(100).set_next_token(token).send()
        },
        |page| {
            let groups =
                page.groups.into_iter().map(|g| ListedGroup { display_name: g.display_name, id: g.group_id }).collect();
            (groups, page.next_token)
        },
    )
    .await
}

/// Every membership of one group (`ListGroupMemberships`, all pages) as (user id, membership).
/// A group the store no longer knows has none; a missing store is an error.
pub(crate) async fn members_of(
    s: &Session<'_>,
    store: &str,
    group_id: &str,
) -> Result<Vec<(String, Membership)>, CallFailure> {
    let r = s
        .pages(
            Service::IdentityStore,
            "ListGroupMemberships",
            crate::paginate::Retry::Yes,
            |token| {
                s.clients
                    .identitystore
                    .list_group_memberships()
                    .identity_store_id(store)
                    .group_id(group_id)
                    .max_results(100)
                    .set_next_token(token)
                    .send()
            },
            |page| (page.group_memberships, page.next_token),
        )
        .await;
    let rows = not_found_is_none(r, GROUP)?.unwrap_or_default();
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            let member = m.member_id.as_ref().and_then(|id| id.as_user_id().ok())?.clone();
            // Only rows of this very group, as for a member's listing.
            (m.group_id.as_deref() == Some(group_id)).then_some(())?;
            Some((member, Membership { membership_id: m.membership_id, group_id: group_id.to_owned() }))
        })
        .collect())
}

pub(crate) async fn group_id_by_name(s: &Session<'_>, store: &str, name: &str) -> Result<Option<String>, CallFailure> {
    let id = unique(GROUP_NAME, name)?;
    let r = s
        .call(Service::IdentityStore, "GetGroupId", || {
            s.clients.identitystore.get_group_id().identity_store_id(store).alternate_identifier(id.clone()).send()
        })
        .await;
    Ok(not_found_is_none(r, GROUP)?.map(|a| a.value.group_id().to_owned()))
}

/// The group's `displayName` (`Some(None)` if it has none); `None` when the store has no such
/// group.
pub(crate) async fn describe_group(
    s: &Session<'_>,
    store: &str,
    group_id: &str,
) -> Result<Option<Option<String>>, CallFailure> {
    let r = s
        .call(Service::IdentityStore, "DescribeGroup", || {
            s.clients.identitystore.describe_group().identity_store_id(store).group_id(group_id).send()
        })
        .await;
    Ok(not_found_is_none(r, GROUP)?.map(|a| a.value.display_name().map(str::to_owned)))
}

/// One membership as `ListGroupMembershipsForMember` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Membership {
    pub membership_id: String,
    pub group_id: String,
}

/// Every group membership of a user: all pages of `ListGroupMembershipsForMember`. A user the
/// store no longer knows has none; a missing store is an error.
pub(crate) async fn memberships_of(
    s: &Session<'_>,
    store: &str,
    user_id: &str,
) -> Result<Vec<Membership>, CallFailure> {
    use aws_sdk_identitystore::types::MemberId;
    let r = s
        .pages(
            Service::IdentityStore,
            "ListGroupMembershipsForMember",
            crate::paginate::Retry::Yes,
            |token| {
                s.clients
                    .identitystore
                    .list_group_memberships_for_member()
                    .identity_store_id(store)
                    .member_id(MemberId::UserId(user_id.to_owned()))
                    .max_results(100)
                    .set_next_token(token)
                    .send()
            },
            |page| (page.group_memberships, page.next_token),
        )
        .await;
    let rows = not_found_is_none(r, USER)?.unwrap_or_default();
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            // Only memberships of this very user: a row naming another member is not its to lose.
            let member = m.member_id.as_ref().and_then(|id| id.as_user_id().ok())?;
            (member == user_id).then_some(())?;
            Some(Membership { membership_id: m.membership_id, group_id: m.group_id? })
        })
        .collect())
}

/// `DeleteGroupMembership`. `Ok(None)` when the store has no such membership (already
/// removed); a missing store is an error.
pub(crate) async fn delete_membership(
    s: &Session<'_>,
    store: &str,
    membership_id: &str,
) -> Result<Option<crate::call::Answer<()>>, CallFailure> {
    let r = s
        .call(Service::IdentityStore, "DeleteGroupMembership", || {
            s.clients
                .identitystore
                .delete_group_membership()
                .identity_store_id(store)
                .membership_id(membership_id)
                .send()
        })
        .await;
    Ok(not_found_is_none(r, MEMBERSHIP)?.map(|a| crate::call::Answer {
        value: (),
        request_id: a.request_id,
        attempts: a.attempts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_found(resource_type: Option<ResourceType>) -> Result<(), CallFailure> {
        Err(CallFailure {
            service: "identitystore",
            operation: "GetUserId",
            kind: FailureKind::NotFound,
            code: Some("ResourceNotFoundException".into()),
            message: "not found".into(),
            status: Some(404),
            request_id: None,
            html: false,
            resource_type,
            attempts: 1,
        })
    }

    #[test]
    fn only_a_missing_leaf_of_the_looked_up_kind_is_not_found() {
        assert_eq!(not_found_is_none(not_found(Some(ResourceType::User)), USER), Ok(None));
        assert_eq!(not_found_is_none(not_found(Some(ResourceType::Group)), GROUP), Ok(None));
        for other in [Some(ResourceType::IdentityStore), Some(ResourceType::Group), Some(ResourceType::Other), None] {
            let err = not_found_is_none(not_found(other), USER).unwrap_err();
            assert!(err.message.contains("not the USER looked up"), "{other:?}: {err}");
        }
        let err = not_found_is_none(not_found(Some(ResourceType::IdentityStore)), GROUP).unwrap_err();
        assert!(err.message.contains("the missing resource is IDENTITY_STORE"), "{err}");
    }
}
