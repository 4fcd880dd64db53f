//! The emulated operations, one module per service.
//!
//! A handler receives the JSON view of a request that already passed model validation and
//! [`crate::validation`]'s extra rules, and returns the JSON view of the answer or an
//! [`ApiError`]. Handlers only change state when they succeed.

use serde_json::Value;

use crate::api_error::ApiError;
use crate::faults::Faults;
use crate::service::AwsService;
use crate::world::{Now, World};

mod appstream;
mod identitystore;
mod kendra;
mod sso_admin;

/// What a handler may consult besides state.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub faults: &'a Faults,
    pub now: Now,
}

/// The operations the sandbox emulates for `service` (public as `emulated_operations`).
pub fn operations(service: AwsService) -> &'static [&'static str] {
    match service {
        AwsService::IdentityStore => identitystore::OPERATIONS,
        AwsService::SsoAdmin => sso_admin::OPERATIONS,
        AwsService::AppStream => appstream::OPERATIONS,
        AwsService::Kendra => kendra::OPERATIONS,
    }
}

pub(crate) fn handle(
    world: &mut World,
    ctx: &Ctx<'_>,
    service: AwsService,
    operation: &str,
    input: &Value,
) -> Result<Value, ApiError> {
    match service {
        AwsService::IdentityStore => identitystore::handle(world, ctx, operation, input),
        AwsService::SsoAdmin => sso_admin::handle(world, ctx, operation, input),
        AwsService::AppStream => appstream::handle(world, ctx, operation, input),
        AwsService::Kendra => kendra::handle(world, ctx, operation, input),
    }
}

/// A required string member. Model validation ran first, so a miss means a request the model
/// does not cover; it is answered the way AWS words a missing member.
pub(crate) fn required_str<'a>(input: &'a Value, member: &str) -> Result<&'a str, ApiError> {
    input.get(member).and_then(Value::as_str).ok_or_else(|| {
        ApiError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(member)
        ))
    })
}

pub(crate) fn optional_str<'a>(input: &'a Value, member: &str) -> Option<&'a str> {
    input.get(member).and_then(Value::as_str)
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An operation the model has but the sandbox does not emulate.
pub(crate) fn not_emulated(service: AwsService, operation: &str) -> ApiError {
    ApiError::unknown_operation(format!(
        "offboard-sandbox does not emulate {}.{operation}; it emulates {}",
        service.target_prefix(),
        operations(service).join(", ")
    ))
}

/// Inserts `value` under `member` unless it is `None`.
pub(crate) fn put_opt(obj: &mut serde_json::Map<String, Value>, member: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        obj.insert(member.to_owned(), v.into());
    }
}
