//! JSON Schemas (draft 2020-12) of the two policy files, for editors (`# yaml-language-server:
//! $schema=…`) and other tools: `offboard schema config` and `offboard schema leavers`.
//!
//! The policy files are read by the hand-written validating loader (`load.rs`), not by serde,
//! so the types here exist only to describe what that loader accepts; they are never built.
//! Keys come from `load::keys`, the lists the loader itself takes (the test below fails when a
//! key is added to one side only); docs, defaults and enums come from the doc comments and
//! attributes below. The schema is the editor's help, the loader is the authority: identifiers
//! are checked against the AWS models only by the loader (`offboard validate`).
#![allow(dead_code)] // schema-only types: described, never constructed

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// `offboard.yaml`: the environment, where offboard looks and what it never touches.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "offboard.yaml")]
struct ConfigFile {
    /// The policy format version: 1.
    version: Version,
    /// IAM Identity Center: account assignments, and the Identity Store of the instance.
    sso: Option<Sso>,
    /// AppStream 2.0: user–stack associations.
    appstream: Option<Appstream>,
    /// Kendra: experience personas and access, and ACL group mappings.
    kendra: Option<Kendra>,
    /// Identity Store group memberships: whether offboard removes leavers' memberships.
    identity_store: Option<IdentityStore>,
    /// What is never removed, and limits on a plan.
    guardrails: Option<Guardrails>,
}

/// A leaver file (any number, anywhere under the policy paths): the users and groups who leave.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "offboard leaver file")]
struct LeaverFile {
    /// The policy format version: 1.
    version: Version,
    /// Users who leave.
    users: Option<Vec<UserLeaver>>,
    /// Groups that are retired.
    groups: Option<Vec<GroupLeaver>>,
}

/// Must be 1.
struct Version;

impl JsonSchema for Version {
    fn schema_name() -> Cow<'static, str> {
        "Version".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "description": "The policy format version: 1.", "const": 1 })
    }
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Sso {
    /// The Identity Center instance ARN, e.g. `arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6`.
    instance_arn: String,
    /// The instance's Identity Store id (`d-…`); checked against `ListInstances`, or discovered
    /// with it when left out.
    identity_store_id: Option<String>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Appstream {
    /// The authentication type of the leavers' AppStream users.
    #[schemars(extend("default" = "USERPOOL"))]
    authentication_type: Option<AuthenticationType>,
    /// Stack names, or `["*"]` for every stack (the default).
    #[schemars(length(min = 1), extend("default" = ["*"]))]
    stacks: Option<Vec<String>>,
}

#[derive(JsonSchema)]
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
enum AuthenticationType {
    API,
    SAML,
    USERPOOL,
    AWS_AD,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Kendra {
    /// The Kendra indexes to read.
    #[schemars(length(min = 1))]
    indexes: Vec<KendraIndex>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct KendraIndex {
    /// The index id (36 characters).
    id: String,
    /// Experience ids whose personas and entity access are read.
    experiences: Option<Vec<String>>,
    /// Data sources whose group mappings are read; left out: the index level only.
    data_sources: Option<Vec<String>>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct IdentityStore {
    /// `true`: offboard removes leavers' group memberships. `false`: your identity provider
    /// owns them; plans show what still reaches leavers through them.
    manage_memberships: bool,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Guardrails {
    /// Identity Store user names that are never a leaver and never lose access.
    protected_users: Option<Vec<String>>,
    /// Groups (displayName or group id) whose grants and memberships are never removed.
    protected_groups: Option<Vec<String>>,
    /// Accounts whose assignments are never removed: a 12-digit id (quote ids that start with
    /// 0), or the account's name in AWS Organizations (needs `organizations:ListAccounts`).
    protected_accounts: Option<Vec<AccountIdOrName>>,
    /// `apply` refuses a plan with more removals unless `--allow-large`.
    #[schemars(range(min = 1), extend("default" = 500))]
    max_removals: Option<u32>,
    /// `true`: `plan` exits 1 while any leaver would keep access the policy does not keep on
    /// purpose.
    #[schemars(extend("default" = false))]
    require_complete: Option<bool>,
}

/// A user who leaves. Exactly one of `user` and `user_id`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, extend("oneOf" = [{"required": ["user"]}, {"required": ["user_id"]}]))]
struct UserLeaver {
    /// The Identity Store userName.
    user: Option<String>,
    /// The Identity Store user id.
    user_id: Option<String>,
    /// Why: shown in plans and written to the journal (e.g. the HR ticket).
    #[schemars(length(min = 1))]
    reason: String,
    /// Not removed before this date (UTC), e.g. 2026-11-20.
    #[schemars(extend("format" = "date"))]
    effective: Option<String>,
    /// Services to remove access from; left out: every configured service.
    #[schemars(length(min = 1))]
    scope: Option<Vec<ScopeService>>,
    /// Exceptions: access that stays.
    keep: Option<Keep>,
}

/// A group that is retired. Exactly one of `group` and `group_id`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, extend("oneOf" = [{"required": ["group"]}, {"required": ["group_id"]}]))]
struct GroupLeaver {
    /// The Identity Store group displayName.
    group: Option<String>,
    /// The Identity Store group id.
    group_id: Option<String>,
    /// The ACL group id of the group's Kendra principal mappings.
    kendra_group_id: Option<String>,
    /// Why: shown in plans and written to the journal.
    #[schemars(length(min = 1))]
    reason: String,
    /// Not removed before this date (UTC), e.g. 2026-11-20.
    #[schemars(extend("format" = "date"))]
    effective: Option<String>,
    /// Services to remove access from; left out: every configured service.
    #[schemars(length(min = 1))]
    scope: Option<Vec<ScopeService>>,
    /// Exceptions: access that stays.
    keep: Option<Keep>,
}

/// A service of a leaver's `scope`.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
enum ScopeService {
    /// IAM Identity Center account assignments.
    Sso,
    /// AppStream 2.0 stack associations.
    Appstream,
    /// Kendra personas, experience access and group mappings.
    Kendra,
    /// Identity Store group memberships (where offboard manages them).
    IdentityStore,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Keep {
    /// Accounts whose assignments stay (12-digit ids).
    sso_accounts: Option<Vec<AccountId>>,
    /// AppStream stacks whose associations stay.
    appstream_stacks: Option<Vec<String>>,
    /// Kendra experiences whose persona and access stay.
    kendra_experiences: Option<Vec<String>>,
    /// Groups (displayName or group id) whose memberships stay.
    groups: Option<Vec<String>>,
}

/// A 12-digit AWS account id: a string, or a bare number without a leading 0.
struct AccountId;

impl JsonSchema for AccountId {
    fn schema_name() -> Cow<'static, str> {
        "AccountId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A 12-digit AWS account id; quote it when it starts with 0.",
            "anyOf": [
                { "type": "string", "pattern": "^[0-9]{12}$" },
                { "type": "integer", "minimum": 100_000_000_000u64, "maximum": 999_999_999_999u64 }
            ]
        })
    }
}

/// An account id, or an account name as AWS Organizations has it.
struct AccountIdOrName;

impl JsonSchema for AccountIdOrName {
    fn schema_name() -> Cow<'static, str> {
        "AccountIdOrName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A 12-digit AWS account id (quote it when it starts with 0), or the account's name in AWS Organizations.",
            "anyOf": [
                { "type": "string", "pattern": "^[0-9]{12}$" },
                { "type": "string", "pattern": "^[ -~]*[^0-9][ -~]*$", "minLength": 1, "maxLength": super::load::MAX_ACCOUNT_NAME },
                { "type": "integer", "minimum": 100_000_000_000u64, "maximum": 999_999_999_999u64 }
            ]
        })
    }
}

/// The generator of every offboard schema: draft 2020-12.
pub fn generator() -> SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12().into_generator()
}

/// The loader refuses `key: null`, so optional keys of the policy files are optional, not
/// nullable: takes `null` out of what schemars generates for an `Option` (`"type": [T,
/// "null"]`, or `anyOf` a schema and `{"type": "null"}`).
fn without_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    map.insert("type".to_owned(), only);
                }
            }
            let null = serde_json::json!({"type": "null"});
            if let Some(Value::Array(any)) = map.get("anyOf")
                && any.len() == 2
                && any.contains(&null)
            {
                let other = any.iter().find(|s| **s != null).cloned();
                map.remove("anyOf");
                if let Some(Value::Object(other)) = other {
                    for (k, v) in other {
                        map.entry(k).or_insert(v);
                    }
                }
            }
            map.values_mut().for_each(without_null);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null),
        _ => {}
    }
}

fn policy_schema<T: JsonSchema>() -> Schema {
    let mut value = generator().into_root_schema_for::<T>().to_value();
    without_null(&mut value);
    Schema::try_from(value).unwrap_or_default()
}

/// The schema of `offboard.yaml`.
pub fn config_schema() -> Schema {
    policy_schema::<ConfigFile>()
}

/// The schema of a leaver file.
pub fn leavers_schema() -> Schema {
    policy_schema::<LeaverFile>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::load::keys;
    use serde_json::Value;
    use std::collections::BTreeSet;

    /// The property names of an object schema, following one `$ref` into `$defs`.
    fn properties(root: &Value, schema: &Value) -> BTreeSet<String> {
        let schema = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => &root["$defs"][r.trim_start_matches("#/$defs/")],
            None => schema,
        };
        assert_eq!(schema["additionalProperties"], Value::Bool(false), "unknown keys are refused: {schema}");
        schema["properties"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }

    fn set(keys: &[&str]) -> BTreeSet<String> {
        keys.iter().map(|k| (*k).to_owned()).collect()
    }

    /// The schema reached from `root` by object keys (`items` for list elements).
    fn at<'a>(root: &'a Value, path: &[&str]) -> &'a Value {
        let mut here = root;
        for step in path {
            if let Some(r) = here.get("$ref").and_then(Value::as_str) {
                here = &root["$defs"][r.trim_start_matches("#/$defs/")];
            }
            here = if *step == "items" { &here["items"] } else { &here["properties"][*step] };
        }
        here
    }

    #[test]
    fn every_key_the_loader_takes_is_in_the_schema_and_no_other() {
        let config = serde_json::to_value(config_schema()).unwrap();
        let cases: [(&[&str], &[&str]); 7] = [
            (&[], keys::CONFIG),
            (&["sso"], keys::SSO),
            (&["appstream"], keys::APPSTREAM),
            (&["kendra"], keys::KENDRA),
            (&["kendra", "indexes", "items"], keys::KENDRA_INDEX),
            (&["identity_store"], keys::IDENTITY_STORE),
            (&["guardrails"], keys::GUARDRAILS),
        ];
        for (path, keys) in cases {
            assert_eq!(properties(&config, at(&config, path)), set(keys), "offboard.yaml at {path:?}");
        }
        let leavers = serde_json::to_value(leavers_schema()).unwrap();
        let cases: [(&[&str], &[&str]); 5] = [
            (&[], keys::LEAVER_FILE),
            (&["users", "items"], keys::USER),
            (&["groups", "items"], keys::GROUP),
            (&["users", "items", "keep"], keys::KEEP),
            (&["groups", "items", "keep"], keys::KEEP),
        ];
        for (path, keys) in cases {
            assert_eq!(properties(&leavers, at(&leavers, path)), set(keys), "leaver file at {path:?}");
        }
    }

    #[test]
    fn enums_and_defaults_are_those_of_the_loader() {
        let config = serde_json::to_value(config_schema()).unwrap();
        assert_eq!(config["$schema"], "https://json-schema.org/draft/2020-12/schema");
        let auth = at(&config, &["appstream", "authentication_type"]);
        let auth = &config["$defs"][auth["$ref"].as_str().unwrap().trim_start_matches("#/$defs/")];
        let names: Vec<&str> = auth["enum"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(names, super::super::load::AUTHENTICATION_TYPES);
        assert_eq!(at(&config, &["appstream", "authentication_type"])["default"], "USERPOOL");
        assert_eq!(at(&config, &["guardrails", "max_removals"])["default"], crate::policy::DEFAULT_MAX_REMOVALS);
        let leavers = serde_json::to_value(leavers_schema()).unwrap();
        let scope = at(&leavers, &["users", "items", "scope", "items"]);
        let scope = &leavers["$defs"][scope["$ref"].as_str().unwrap().trim_start_matches("#/$defs/")];
        let text = scope.to_string();
        for service in crate::grant::Service::ALL {
            assert!(text.contains(&format!("\"{}\"", service.as_str())), "scope {service:?} missing: {text}");
        }
    }
}
