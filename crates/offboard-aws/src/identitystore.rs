//! Identity Store: turning the names a policy uses into Identity Center ids (and back).
//!
//! "Not found" is an answer here, not an error: it becomes `Resolution::NotFound`.

use crate::call::Session;
use crate::error::{CallFailure, FailureKind};
use aws_sdk_identitystore::types::{AlternateIdentifier, UniqueAttribute};
use aws_smithy_types::Document;
use offboard_models::Service;

/// Unique attribute paths `GetUserId` accepts, in the order offboard tries them.
pub(crate) const USER_NAME: &str = "userName";
pub(crate) const USER_EMAIL: &str = "emails.value";
const GROUP_NAME: &str = "displayName";

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
            attempts: 0,
        })?;
    Ok(AlternateIdentifier::UniqueAttribute(attr))
}

fn not_found_is_none<T>(r: Result<T, CallFailure>) -> Result<Option<T>, CallFailure> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(f) if f.kind == FailureKind::NotFound => Ok(None),
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
    Ok(not_found_is_none(r)?.map(|a| a.value.user_id().to_owned()))
}

/// The user's `userName`; `Some(None)` if the user exists without one (should not happen).
pub(crate) async fn user_name_of(
    s: &Session<'_>,
    store: &str,
    user_id: &str,
) -> Result<Option<Option<String>>, CallFailure> {
    let r = s
        .call(Service::IdentityStore, "DescribeUser", || {
            s.clients.identitystore.describe_user().identity_store_id(store).user_id(user_id).send()
        })
        .await;
    Ok(not_found_is_none(r)?.map(|a| a.value.user_name().map(str::to_owned)))
}

pub(crate) async fn group_id_by_name(s: &Session<'_>, store: &str, name: &str) -> Result<Option<String>, CallFailure> {
    let id = unique(GROUP_NAME, name)?;
    let r = s
        .call(Service::IdentityStore, "GetGroupId", || {
            s.clients.identitystore.get_group_id().identity_store_id(store).alternate_identifier(id.clone()).send()
        })
        .await;
    Ok(not_found_is_none(r)?.map(|a| a.value.group_id().to_owned()))
}
