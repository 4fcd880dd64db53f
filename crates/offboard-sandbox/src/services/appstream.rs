//! AppStream 2.0 (`PhotonAdminProxyService`): stacks and user-stack associations. Served over
//! rpcv2Cbor and awsJson1_1 alike; handlers see the same JSON view either way.
//!
//! Behaviour where AWS documents little (chosen, not observed):
//! - `DescribeUserStackAssociations` needs `StackName`, or `UserName` with `AuthenticationType`
//!   (or all three); anything else, or an `AuthenticationType` other than `USERPOOL` with a user
//!   name, is `InvalidParameterCombinationException`. An unknown stack lists nothing.
//! - `BatchDisassociateUserStack`: an item naming an unknown stack fails with `STACK_NOT_FOUND`,
//!   a `USERPOOL` user not in the user pool with `USER_NAME_NOT_FOUND`, a non-`USERPOOL`
//!   authentication type with `DIRECTORY_NOT_FOUND` (no directory is configured), a user in
//!   [`crate::Faults::fail_entities`] with `INTERNAL_ERROR`. Removing an association that does
//!   not exist succeeds (nothing to do). A user in [`crate::Faults::ignore_entities`] gets no
//!   error and keeps the association. `BatchAssociateUserStack` checks the same way.
//! - `DescribeStacks` with `Names` answers `ResourceNotFoundException` for the first unknown name.

use serde_json::{Map, Value, json};

use super::{Ctx, not_emulated, put_opt};
use crate::api_error::ApiError;
use crate::fixture::StackAssociation;
use crate::pagination::Pager;
use crate::service::AwsService;
use crate::world::{FIXTURE_EPOCH, World, timestamp};

pub(super) const OPERATIONS: &[&str] =
    &["DescribeStacks", "DescribeUserStackAssociations", "BatchDisassociateUserStack", "BatchAssociateUserStack"];

/// The output list `UserStackAssociationList` holds at most 25 items.
const ASSOCIATION_PAGE: usize = 25;
const STACK_PAGE: usize = 25;

pub(super) fn handle(world: &mut World, ctx: &Ctx<'_>, operation: &str, input: &Value) -> Result<Value, ApiError> {
    match operation {
        "DescribeStacks" => describe_stacks(world, input),
        "DescribeUserStackAssociations" => describe_associations(world, input),
        "BatchDisassociateUserStack" => batch(world, ctx, input, false),
        "BatchAssociateUserStack" => batch(world, ctx, input, true),
        other => Err(not_emulated(AwsService::AppStream, other)),
    }
}

fn describe_stacks(world: &World, input: &Value) -> Result<Value, ApiError> {
    let stacks = &world.org.appstream.stacks;
    let names: Option<Vec<&str>> =
        input.get("Names").and_then(Value::as_array).map(|list| list.iter().filter_map(Value::as_str).collect());
    if let Some(names) = &names
        && let Some(missing) = names.iter().find(|n| !stacks.iter().any(|s| s.name == **n))
    {
        return Err(ApiError::not_found(format!("The stack {missing} was not found.")));
    }
    let pager = Pager::new("DescribeStacks", input, STACK_PAGE, STACK_PAGE)?;
    let items = stacks
        .iter()
        .filter(|s| names.as_ref().is_none_or(|n| n.contains(&s.name.as_str())))
        .map(|s| {
            let mut stack = Map::new();
            stack.insert("Arn".to_owned(), json!(s.arn));
            stack.insert("Name".to_owned(), json!(s.name));
            put_opt(&mut stack, "Description", s.description.clone());
            put_opt(&mut stack, "DisplayName", s.display_name.clone());
            stack.insert("CreatedTime".to_owned(), timestamp(FIXTURE_EPOCH));
            stack.insert("StackErrors".to_owned(), json!([]));
            (s.name.clone(), Value::Object(stack))
        })
        .collect();
    Ok(pager.list_output("Stacks", items))
}

fn association_json(a: &StackAssociation) -> Value {
    json!({
        "StackName": a.stack_name,
        "UserName": a.user_name,
        "AuthenticationType": a.authentication_type,
    })
}

/// The paging key of an association. Its parts are joined with NUL, which sorts below every
/// character a name can hold, so keys sort exactly as the associations do (by stack, then user,
/// then type; with `|` a user `bob.x` would sort before `bob`).
fn association_key(a: &StackAssociation) -> String {
    format!("{}\0{}\0{}", a.stack_name, a.user_name, a.authentication_type)
}

fn association_from_key(key: &str) -> Option<StackAssociation> {
    let mut parts = key.split('\0');
    let (stack_name, user_name, authentication_type) = (parts.next()?, parts.next()?, parts.next()?);
    Some(StackAssociation {
        stack_name: stack_name.to_owned(),
        user_name: user_name.to_owned(),
        authentication_type: authentication_type.to_owned(),
    })
}

fn describe_associations(world: &World, input: &Value) -> Result<Value, ApiError> {
    let stack = input.get("StackName").and_then(Value::as_str);
    let user = input.get("UserName").and_then(Value::as_str);
    let auth = input.get("AuthenticationType").and_then(Value::as_str);
    match (stack, user, auth) {
        (None, None, _) => {
            return Err(ApiError::invalid_combination(
                "You must specify either a StackName, or a UserName and an AuthenticationType.",
            ));
        }
        (_, Some(_), None) | (_, None, Some(_)) => {
            return Err(ApiError::invalid_combination("UserName and AuthenticationType must be specified together."));
        }
        (_, Some(_), Some(a)) if a != "USERPOOL" => {
            return Err(ApiError::invalid_combination(format!(
                "AuthenticationType {a} is not supported with UserName; specify USERPOOL."
            )));
        }
        _ => {}
    }
    let pager = Pager::new("DescribeUserStackAssociations", input, ASSOCIATION_PAGE, ASSOCIATION_PAGE)?;
    // Read from the index that fits: one user's associations, or one stack's starting right after
    // the previous page. Either way only what the answer needs.
    let (page, next) = match (stack, user) {
        (_, Some(u)) => pager.page(
            world
                .associations
                .of_user(u)
                .filter(|a| stack.is_none_or(|s| a.stack_name == s))
                .filter(|a| auth.is_none_or(|t| a.authentication_type == t))
                .map(|a| (association_key(a), a))
                .collect(),
        ),
        (Some(s), None) => {
            let after = pager.after().and_then(association_from_key);
            pager.page_sorted(world.associations.of_stack(s, after.as_ref()).map(|a| (association_key(a), a)))
        }
        (None, None) => (Vec::new(), None),
    };
    let page: Vec<Value> = page.into_iter().map(association_json).collect();
    let mut out = Map::new();
    // The model's list has length 1..25: an empty answer leaves the member out.
    if !page.is_empty() {
        out.insert("UserStackAssociations".to_owned(), Value::Array(page));
    }
    put_opt(&mut out, "NextToken", next);
    Ok(Value::Object(out))
}

/// One item of a batch request, as sent.
fn item(value: &Value) -> Result<(StackAssociation, Value), ApiError> {
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ApiError::validation(format!("Each UserStackAssociation must specify {name}")))
    };
    let assoc = StackAssociation {
        stack_name: field("StackName")?,
        user_name: field("UserName")?,
        authentication_type: field("AuthenticationType")?,
    };
    // Errors echo the association as AWS read it: the members the model has, as sent (including
    // SendEmailNotification, if any). A member the model lacks is skipped on input, as AWS skips
    // it, so it is not in the answer either.
    let echoed: Map<String, Value> = ["StackName", "UserName", "AuthenticationType", "SendEmailNotification"]
        .into_iter()
        .filter_map(|name| value.get(name).map(|v| (name.to_owned(), v.clone())))
        .collect();
    Ok((assoc, Value::Object(echoed)))
}

fn batch(world: &mut World, ctx: &Ctx<'_>, input: &Value, associate: bool) -> Result<Value, ApiError> {
    let items = input
        .get("UserStackAssociations")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::validation("UserStackAssociations must be specified"))?
        .iter()
        .map(item)
        .collect::<Result<Vec<_>, _>>()?;
    let mut errors = Vec::new();
    for (assoc, sent) in items {
        let failure = if !world.org.appstream.stacks.iter().any(|s| s.name == assoc.stack_name) {
            Some(("STACK_NOT_FOUND", format!("The stack {} was not found.", assoc.stack_name)))
        } else if assoc.authentication_type != "USERPOOL" {
            Some((
                "DIRECTORY_NOT_FOUND",
                format!("No {} directory is configured for stack {}.", assoc.authentication_type, assoc.stack_name),
            ))
        } else if !world.org.appstream.user_pool.contains(&assoc.user_name) {
            Some(("USER_NAME_NOT_FOUND", format!("The user {} was not found in the user pool.", assoc.user_name)))
        } else if ctx.faults.entity_fails(&[&assoc.user_name]) {
            Some(("INTERNAL_ERROR", "An internal error occurred; try again later.".to_owned()))
        } else {
            None
        };
        match failure {
            Some((code, message)) => errors.push(json!({
                "UserStackAssociation": sent,
                "ErrorCode": code,
                "ErrorMessage": message,
            })),
            None if associate => {
                world.associations.insert(assoc);
            }
            None if ctx.faults.ignore_entities.contains(&assoc.user_name) => {}
            None => {
                world.associations.remove(&assoc);
            }
        }
    }
    Ok(json!({"errors": errors}))
}
