//! Source text → validated [`Policy`], or every problem found, each at `path:line:column`.
//!
//! The walk goes file by file and keeps going after a problem, so one run lists everything to
//! fix. Problems that need more than one file (a principal declared twice, a leaver who is
//! protected in `offboard.yaml`, a scope naming an unconfigured service) are checked once every
//! file has been read, and are reported at the place that has to change.

use super::raw::{self, Fields, Node, Reader, Value};
use super::{
    AppstreamConfig, Config, DEFAULT_MAX_REMOVALS, Guardrails, IdentityStoreConfig, Keep, KendraConfig,
    KendraIndexConfig, Leaver, Origin, Policy, PolicyError, PolicyErrors, SsoConfig, StackSelection,
};
use crate::grant::Service;
use crate::ids::IdKind;
use crate::principal::{PrincipalKind, PrincipalRef, Selector};
use std::collections::{BTreeSet, HashMap};
use time::Date;

pub use super::raw::MAX_FILE_BYTES;

/// One input file: its path as the user should see it, and its text. The caller does the I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub path: String,
    pub text: String,
}

/// The keys each mapping of the policy files accepts, in one place: the loader takes exactly
/// these, and the JSON Schemas (`schema.rs`) describe the same ones (a test keeps them in step).
pub(crate) mod keys {
    pub const CONFIG: &[&str] = &["version", "sso", "appstream", "kendra", "identity_store", "guardrails"];
    pub const IDENTITY_STORE: &[&str] = &["manage_memberships"];
    pub const SSO: &[&str] = &["instance_arn", "identity_store_id"];
    pub const APPSTREAM: &[&str] = &["authentication_type", "stacks"];
    pub const KENDRA: &[&str] = &["indexes"];
    pub const KENDRA_INDEX: &[&str] = &["id", "experiences", "data_sources"];
    pub const GUARDRAILS: &[&str] =
        &["protected_users", "protected_groups", "protected_accounts", "max_removals", "require_complete"];
    pub const LEAVER_FILE: &[&str] = &["version", "users", "groups"];
    pub const USER: &[&str] = &["user", "user_id", "reason", "effective", "scope", "keep"];
    pub const GROUP: &[&str] = &["group", "group_id", "kendra_group_id", "reason", "effective", "scope", "keep"];
    pub const KEEP: &[&str] = &["sso_accounts", "appstream_stacks", "kendra_experiences", "groups"];
}

/// The only policy format version this build reads.
pub const VERSION: i128 = 1;

pub(crate) const AUTHENTICATION_TYPES: [&str; 4] = ["API", "SAML", "USERPOOL", "AWS_AD"];
const DEFAULT_AUTHENTICATION_TYPE: &str = "USERPOOL";

/// Reads `offboard.yaml` alone.
pub fn load_config(config: &Source) -> Result<Config, PolicyErrors> {
    let read = read_config(config);
    match read.config {
        Some(config) if read.errors.is_empty() => Ok(config),
        _ => Err(PolicyErrors(sorted(read.errors))),
    }
}

/// Reads `offboard.yaml` and the leaver files into a validated [`Policy`].
pub fn load(config: &Source, leaver_files: &[Source]) -> Result<Policy, PolicyErrors> {
    let mut env = read_config(config);
    // Errors per file, in input order (config first), so the report reads file by file.
    let mut buckets: Vec<Vec<PolicyError>> = vec![std::mem::take(&mut env.errors)];
    let mut declared: Vec<(usize, Declared)> = Vec::new();
    for (i, file) in leaver_files.iter().enumerate() {
        let (leavers, errors) = read_leaver_file(file, &env);
        buckets.push(errors);
        declared.extend(leavers.into_iter().map(|d| (i + 1, d)));
    }
    check_duplicates(&declared, &mut buckets);
    check_protected(&env, &declared, &mut buckets);

    let errors: Vec<PolicyError> = buckets.into_iter().flat_map(sorted).collect();
    match env.config {
        Some(config) if errors.is_empty() => {
            Ok(Policy { config, leavers: declared.into_iter().map(|(_, d)| d.leaver).collect() })
        }
        _ => Err(PolicyErrors(errors)),
    }
}

fn sorted(mut errors: Vec<PolicyError>) -> Vec<PolicyError> {
    errors.sort_by_key(|e| e.origin.as_ref().map(|o| (o.line, o.column)));
    errors
}

/// What the leaver files need from the config, even when the config itself has errors.
struct Env {
    config: Option<Config>,
    errors: Vec<PolicyError>,
    path: String,
    /// Services with a section in `offboard.yaml`, whether or not the section is valid.
    configured: BTreeSet<Service>,
    /// False when the config could not be read at all: config-dependent checks are skipped
    /// rather than drowning the real problem in follow-on errors.
    usable: bool,
    protected_users: Vec<(String, Origin)>,
    protected_groups: Vec<(String, Origin)>,
}

/// A leaver as read, with where its principal is named (for the protected-principal message).
struct Declared {
    leaver: Leaver,
    name_at: Origin,
}

fn read_config(src: &Source) -> Env {
    let mut env = Env {
        config: None,
        errors: Vec::new(),
        path: src.path.clone(),
        configured: BTreeSet::new(),
        usable: false,
        protected_users: Vec::new(),
        protected_groups: Vec::new(),
    };
    let root = match raw::parse(&src.path, &src.text) {
        Ok(root) => root,
        Err(e) => {
            env.errors.push(e);
            return env;
        }
    };
    let mut r = Reader::new(&src.path, &src.text);
    let config = config_document(&mut r, &root, &mut env);
    env.errors.extend(r.errors);
    env.config = config;
    env
}

fn no_hint(_: &str) -> Option<String> {
    None
}

fn config_document(r: &mut Reader<'_>, root: &Node, env: &mut Env) -> Option<Config> {
    if matches!(root.value, Value::Null) {
        r.error(root, "the config file is empty; expected `version: 1` and at least one of sso, appstream, kendra");
        return None;
    }
    let top = r.fields(root, "offboard.yaml", keys::CONFIG, &no_hint)?;
    if !version(r, &top) {
        return None;
    }
    env.usable = true;
    for (key, service) in [("sso", Service::Sso), ("appstream", Service::Appstream), ("kendra", Service::Kendra)] {
        if top.has(key) {
            env.configured.insert(service);
        }
    }
    if env.configured.is_empty() {
        r.error(
            root,
            "configures no service, so nothing could ever be removed; add at least one of `sso:`, `appstream:`, `kendra:`",
        );
    }
    let errors_before = r.errors.len();
    let identity_store = top.get("identity_store").and_then(|n| identity_store_config(r, n));
    if let (Some(i), Some(n)) = (&identity_store, top.get("identity_store")) {
        if !top.has("sso") {
            r.error(
                n,
                "identity_store: needs an `sso:` section: the identity store is the one of the Identity Center \
                 instance named there",
            );
        } else if i.manage_memberships {
            env.configured.insert(Service::IdentityStore);
        }
    }
    let sso = top.get("sso").and_then(|n| sso_config(r, n));
    let appstream = top.get("appstream").and_then(|n| appstream_config(r, n));
    let kendra = top.get("kendra").and_then(|n| kendra_config(r, n));
    let guardrails = match top.get("guardrails") {
        Some(n) => guardrails(r, n, env),
        None => Some(Guardrails::default()),
    };
    if r.errors.len() > errors_before {
        return None;
    }
    Some(Config { sso, appstream, kendra, identity_store, guardrails: guardrails? })
}

/// `identity_store: { manage_memberships: true }`.
fn identity_store_config(r: &mut Reader<'_>, node: &Node) -> Option<IdentityStoreConfig> {
    let f = r.fields(node, "identity_store", keys::IDENTITY_STORE, &no_hint)?;
    let manage_memberships = match f.get("manage_memberships") {
        None => {
            r.error(
                f.at,
                "identity_store: `manage_memberships` is missing; add manage_memberships: true (offboard removes \
                 leavers' group memberships) or false (your identity provider owns them)",
            );
            None
        }
        Some(n) => boolean(r, n, "identity_store.manage_memberships"),
    };
    Some(IdentityStoreConfig { manage_memberships: manage_memberships? })
}

/// `true` or `false`, and nothing YAML 1.1 would also have called a boolean.
fn boolean(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<bool> {
    match &node.value {
        Value::Bool(b) => Some(*b),
        other => {
            let found = other.found();
            r.error(node, format!("{what}: expected true or false, found {found}"));
            None
        }
    }
}

/// Checks `version: 1`. False when the file is of another version and should not be read further.
fn version(r: &mut Reader<'_>, top: &Fields<'_>) -> bool {
    let Some(node) = top.get("version") else {
        r.error(top.at, "`version` is missing; add `version: 1` as the first line");
        return true;
    };
    match &node.value {
        Value::Int(VERSION) => true,
        Value::Int(other) => {
            r.error(node, format!("version: {other} is not supported; this offboard reads `version: 1`"));
            false
        }
        Value::Str(s) if s.trim() == "1" => {
            r.error(node, "version: expected the number 1, found the text \"1\"; write `version: 1` without quotes");
            true
        }
        other => {
            let found = other.found();
            r.error(node, format!("version: expected the number 1, found {found}; write `version: 1`"));
            false
        }
    }
}

fn sso_config(r: &mut Reader<'_>, node: &Node) -> Option<SsoConfig> {
    let f = r.fields(node, "sso", keys::SSO, &no_hint)?;
    let instance_arn = match f.get("instance_arn") {
        Some(n) => ident(r, n, "sso.instance_arn", IdKind::InstanceArn),
        None => {
            let rule = IdKind::InstanceArn.rule();
            r.error(f.at, format!("sso: `instance_arn` is missing; add instance_arn: {}", rule.example));
            None
        }
    };
    let identity_store_id = match f.get("identity_store_id") {
        Some(n) => Some(ident(r, n, "sso.identity_store_id", IdKind::IdentityStoreId)?),
        None => None,
    };
    Some(SsoConfig { instance_arn: instance_arn?, identity_store_id })
}

fn appstream_config(r: &mut Reader<'_>, node: &Node) -> Option<AppstreamConfig> {
    let f = r.fields(node, "appstream", keys::APPSTREAM, &no_hint)?;
    let authentication_type = match f.get("authentication_type") {
        None => Some(DEFAULT_AUTHENTICATION_TYPE.to_owned()),
        Some(n) => {
            let expected = "an AppStream authentication type (API, SAML, USERPOOL or AWS_AD)";
            let value = r.string(n, "appstream.authentication_type", expected);
            match value {
                Some(v) if AUTHENTICATION_TYPES.contains(&v.as_str()) => Some(v),
                Some(v) => {
                    let upper = v.to_uppercase();
                    let hint = if AUTHENTICATION_TYPES.contains(&upper.as_str()) {
                        format!("write it in capitals: {upper}")
                    } else {
                        format!("use one of {}", AUTHENTICATION_TYPES.join(", "))
                    };
                    r.error(
                        n,
                        format!("appstream.authentication_type: {v:?} is not an AppStream authentication type; {hint}"),
                    );
                    None
                }
                None => None,
            }
        }
    };
    let stacks = match f.get("stacks") {
        None => Some(StackSelection::All),
        Some(n) => stacks(r, n),
    };
    Some(AppstreamConfig { authentication_type: authentication_type?, stacks: stacks? })
}

fn stacks(r: &mut Reader<'_>, node: &Node) -> Option<StackSelection> {
    const WHAT: &str = "appstream.stacks";
    let items = r.list(node, WHAT, "stack names, or [\"*\"] for every stack")?;
    if items.is_empty() {
        r.error(
            node,
            format!("{WHAT}: is empty, so no stack would be read; write [\"*\"] for every stack, or list stack names"),
        );
        return None;
    }
    let star = items.iter().position(|n| matches!(&n.value, Value::Str(s) if s == "*"));
    match star {
        Some(_) if items.len() == 1 => Some(StackSelection::All),
        Some(i) => {
            r.error(&items[i], format!("{WHAT}[{i}]: \"*\" means every stack and cannot be combined with names; write either [\"*\"] or only the names"));
            None
        }
        None => ident_list(r, node, WHAT, IdKind::AppstreamStackName).map(StackSelection::Named),
    }
}

fn kendra_config(r: &mut Reader<'_>, node: &Node) -> Option<KendraConfig> {
    let f = r.fields(node, "kendra", keys::KENDRA, &no_hint)?;
    let Some(list) = f.get("indexes") else {
        r.error(
            f.at,
            format!("kendra: `indexes` is missing; add indexes: [{{id: {}}}]", IdKind::KendraIndexId.rule().example),
        );
        return None;
    };
    let items = r.list(list, "kendra.indexes", "indexes ({id, experiences, data_sources})")?;
    if items.is_empty() {
        r.error(list, "kendra.indexes: is empty, so nothing in Kendra would be read; list at least one index, or remove `kendra:`");
        return None;
    }
    let mut indexes = Vec::new();
    let mut seen: HashMap<String, Origin> = HashMap::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let what = format!("kendra.indexes[{i}]");
        let Some(f) = r.fields(item, &what, keys::KENDRA_INDEX, &no_hint) else {
            ok = false;
            continue;
        };
        let id = match f.get("id") {
            Some(n) => {
                let id = ident(r, n, &format!("{what}.id"), IdKind::KendraIndexId);
                if let Some(id) = &id {
                    if let Some(first) = seen.get(id) {
                        r.error(
                            n,
                            format!("{what}.id: index {id} is listed twice (first at {first}); merge the two entries"),
                        );
                    } else {
                        seen.insert(id.clone(), r.origin(n));
                    }
                }
                id
            }
            None => {
                r.error(item, format!("{what}: `id` is missing; add id: {}", IdKind::KendraIndexId.rule().example));
                None
            }
        };
        let experiences = optional_ident_list(r, &f, "experiences", &what, IdKind::KendraExperienceId);
        let data_sources = optional_ident_list(r, &f, "data_sources", &what, IdKind::KendraDataSourceId);
        match (id, experiences, data_sources) {
            (Some(id), Some(experiences), Some(data_sources)) => {
                indexes.push(KendraIndexConfig { id, experiences, data_sources })
            }
            _ => ok = false,
        }
    }
    ok.then_some(KendraConfig { indexes })
}

fn guardrails(r: &mut Reader<'_>, node: &Node, env: &mut Env) -> Option<Guardrails> {
    let f = r.fields(node, "guardrails", keys::GUARDRAILS, &no_hint)?;
    let users = optional_located_list(r, &f, "protected_users", "guardrails", IdKind::UserName);
    let groups = optional_located_list(r, &f, "protected_groups", "guardrails", IdKind::GroupDisplayName);
    let accounts = match f.get("protected_accounts") {
        None => Some(Vec::new()),
        Some(n) => account_ids_or_names(r, n, "guardrails.protected_accounts"),
    };
    let max_removals = match f.get("max_removals") {
        None => Some(DEFAULT_MAX_REMOVALS),
        Some(n) => match &n.value {
            Value::Int(v) => match u32::try_from(*v) {
                Ok(0) => {
                    r.error(n, "guardrails.max_removals: 0 would refuse every plan; use at least 1 (default 500)");
                    None
                }
                Ok(v) => Some(v),
                Err(_) => {
                    r.error(
                        n,
                        format!(
                            "guardrails.max_removals: {v} is out of range; use a whole number from 1 to {}",
                            u32::MAX
                        ),
                    );
                    None
                }
            },
            other => {
                let found = other.found();
                r.error(n, format!("guardrails.max_removals: expected a whole number such as 500, found {found}"));
                None
            }
        },
    };
    let require_complete = match f.get("require_complete") {
        None => Some(false),
        Some(n) => boolean(r, n, "guardrails.require_complete"),
    };
    let users = users?;
    let groups = groups?;
    let guardrails = Guardrails {
        require_complete: require_complete?,
        protected_users: users.iter().map(|(s, _)| s.clone()).collect(),
        protected_groups: groups.iter().map(|(s, _)| s.clone()).collect(),
        protected_accounts: accounts?,
        max_removals: max_removals?,
        resolved_account_names: Default::default(),
    };
    env.protected_users = users;
    env.protected_groups = groups;
    Some(guardrails)
}

/// One identifier, checked against its rule. Account ids written as bare numbers get their own
/// message, because YAML has already changed them (leading zeros dropped).
fn ident(r: &mut Reader<'_>, node: &Node, what: &str, kind: IdKind) -> Option<String> {
    let rule = kind.rule();
    if kind == IdKind::AccountId {
        match &node.value {
            // A bare 12-digit number without a leading zero is the same account id either way.
            Value::Int(v) if (100_000_000_000..=999_999_999_999).contains(v) => return Some(v.to_string()),
            Value::Int(_) | Value::Float(_) => {
                let raw = r.raw(node).unwrap_or("").to_owned();
                let found = node.value.found();
                r.error(
                    node,
                    format!(
                        "{what}: {raw} is read by YAML as {found}, which is not a 12-digit account id; quote it: \"{raw}\""
                    ),
                );
                return None;
            }
            _ => {}
        }
    }
    let expected = format!("{} (e.g. {})", rule.noun, rule.example);
    let value = r.string(node, what, &expected)?;
    match rule.check(&value) {
        Ok(()) => Some(value),
        Err(e) => {
            r.error(node, format!("{what}: {e}"));
            None
        }
    }
}

/// A list of identifiers with their places; an identifier listed twice is an error.
fn located_ident_list(r: &mut Reader<'_>, node: &Node, what: &str, kind: IdKind) -> Option<Vec<(String, Origin)>> {
    let rule = kind.rule();
    let items = r.list(node, what, &format!("{}s", rule.noun.trim_start_matches("an ").trim_start_matches("a ")))?;
    let mut out: Vec<(String, Origin)> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let item_what = format!("{what}[{i}]");
        match ident(r, item, &item_what, kind) {
            Some(v) => {
                if let Some((_, first)) = out.iter().find(|(s, _)| *s == v) {
                    let first = first.clone();
                    r.error(item, format!("{item_what}: {v:?} is listed twice (first at {first}); remove one"));
                    ok = false;
                } else {
                    out.push((v, r.origin(item)));
                }
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// The longest account name AWS Organizations accepts (`AccountName`: 1..50 printable ASCII).
pub const MAX_ACCOUNT_NAME: usize = 50;

/// `guardrails.protected_accounts`: 12-digit account ids, or account names as AWS Organizations
/// has them (resolved to ids when offboard reads the accounts, see
/// [`crate::policy::Policy::resolve_account_names`]). A value of digits only is an id.
fn account_ids_or_names(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<Vec<String>> {
    let items = r.list(node, what, "12-digit account ids or account names")?;
    let mut out: Vec<(String, Origin)> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let item_what = format!("{what}[{i}]");
        let value = match &item.value {
            Value::Str(name) if !name.chars().all(|c| c.is_ascii_digit()) => {
                let printable = name.chars().all(|c| (' '..='~').contains(&c));
                if printable && !name.trim().is_empty() && name.chars().count() <= MAX_ACCOUNT_NAME {
                    Some(name.clone())
                } else {
                    r.error(
                        item,
                        format!(
                            "{item_what}: {name:?} is neither a 12-digit account id nor an account name \
                             (1 to {MAX_ACCOUNT_NAME} printable ASCII characters, as in AWS Organizations)"
                        ),
                    );
                    None
                }
            }
            _ => ident(r, item, &item_what, IdKind::AccountId),
        };
        match value {
            Some(v) => {
                if let Some((_, first)) = out.iter().find(|(s, _)| *s == v) {
                    let first = first.clone();
                    r.error(item, format!("{item_what}: {v:?} is listed twice (first at {first}); remove one"));
                    ok = false;
                } else {
                    out.push((v, r.origin(item)));
                }
            }
            None => ok = false,
        }
    }
    ok.then(|| out.into_iter().map(|(s, _)| s).collect())
}

fn ident_list(r: &mut Reader<'_>, node: &Node, what: &str, kind: IdKind) -> Option<Vec<String>> {
    located_ident_list(r, node, what, kind).map(|v| v.into_iter().map(|(s, _)| s).collect())
}

/// An optional list key: absent is an empty list.
fn optional_located_list(
    r: &mut Reader<'_>,
    f: &Fields<'_>,
    key: &str,
    parent: &str,
    kind: IdKind,
) -> Option<Vec<(String, Origin)>> {
    match f.get(key) {
        None => Some(Vec::new()),
        Some(n) => located_ident_list(r, n, &format!("{parent}.{key}"), kind),
    }
}

fn optional_ident_list(
    r: &mut Reader<'_>,
    f: &Fields<'_>,
    key: &str,
    parent: &str,
    kind: IdKind,
) -> Option<Vec<String>> {
    optional_located_list(r, f, key, parent, kind).map(|v| v.into_iter().map(|(s, _)| s).collect())
}

// ---------------------------------------------------------------------------------------------
// Leaver files

fn read_leaver_file(src: &Source, env: &Env) -> (Vec<Declared>, Vec<PolicyError>) {
    let root = match raw::parse(&src.path, &src.text) {
        Ok(root) => root,
        Err(e) => return (Vec::new(), vec![e]),
    };
    let mut r = Reader::new(&src.path, &src.text);
    let declared = leaver_document(&mut r, &root, env);
    (declared, r.errors)
}

fn leaver_document(r: &mut Reader<'_>, root: &Node, env: &Env) -> Vec<Declared> {
    if matches!(root.value, Value::Null) {
        r.error(
            root,
            "the leaver file is empty; expected `version: 1` and `users:` and/or `groups:`, or delete the file",
        );
        return Vec::new();
    }
    let Some(top) = r.fields(root, "leaver file", keys::LEAVER_FILE, &|key: &str| {
        (key == "sso" || key == "appstream" || key == "kendra" || key == "guardrails").then(|| {
            "that belongs in offboard.yaml (the environment); a leaver file has only version, users and groups"
                .to_owned()
        })
    }) else {
        return Vec::new();
    };
    if !version(r, &top) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for kind in [PrincipalKind::User, PrincipalKind::Group] {
        let key = list_key(kind);
        let Some(list) = top.get(key) else { continue };
        let Some(items) = r.list(list, key, &format!("{} entries", kind.noun())) else { continue };
        for (i, item) in items.iter().enumerate() {
            if let Some(d) = leaver_entry(r, item, kind, &format!("{key}[{i}]"), env) {
                out.push(d);
            }
        }
    }
    out
}

fn list_key(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "users",
        PrincipalKind::Group => "groups",
    }
}

/// (name key, id key, rule of the name) of a principal kind.
fn selector_keys(kind: PrincipalKind) -> (&'static str, &'static str, IdKind) {
    match kind {
        PrincipalKind::User => ("user", "user_id", IdKind::UserName),
        PrincipalKind::Group => ("group", "group_id", IdKind::GroupDisplayName),
    }
}

fn entry_hint(kind: PrincipalKind) -> impl Fn(&str) -> Option<String> {
    move |key: &str| match (kind, key) {
        (PrincipalKind::User, "kendra_group_id") => Some(
            "`kendra_group_id` applies to groups only (the Kendra ACL group of a group being retired); remove it here"
                .to_owned(),
        ),
        (PrincipalKind::User, "group" | "group_id") => {
            Some("a user entry names `user` or `user_id`; put groups under `groups:`".to_owned())
        }
        (PrincipalKind::Group, "user" | "user_id") => {
            Some("a group entry names `group` or `group_id`; put users under `users:`".to_owned())
        }
        _ => None,
    }
}

fn leaver_entry(r: &mut Reader<'_>, item: &Node, kind: PrincipalKind, what: &str, env: &Env) -> Option<Declared> {
    let (name_key, id_key, name_kind) = selector_keys(kind);
    let allowed: &[&str] = match kind {
        PrincipalKind::User => keys::USER,
        PrincipalKind::Group => keys::GROUP,
    };
    let f = r.fields(item, what, allowed, &entry_hint(kind))?;

    let scope = scope(r, &f, what, env);
    let selector = match (f.get(name_key), f.get(id_key)) {
        (Some(_), Some(_)) => {
            let second = f.key_node(id_key).unwrap_or(item);
            r.error(second, format!("{what}: set either `{name_key}` or `{id_key}`, not both"));
            None
        }
        (None, None) => {
            let id_example = IdKind::PrincipalId.rule().example;
            let name_example = name_kind.rule().example;
            r.error(
                item,
                format!(
                    "{what}: names no {noun}; add `{name_key}: {name_example}` (Identity Store {attr}) or `{id_key}: {id_example}`",
                    noun = kind.noun(),
                    attr = if kind == PrincipalKind::User { "userName" } else { "displayName" },
                ),
            );
            None
        }
        (Some(n), None) => {
            let name = ident(r, n, &format!("{what}.{name_key}"), name_kind);
            // The user name is also the AppStream user name the adapter looks up.
            let name = match name {
                Some(v)
                    if kind == PrincipalKind::User
                        && scope.as_ref().is_some_and(|s| s.contains(&Service::Appstream)) =>
                {
                    ident(r, n, &format!("{what}.{name_key}"), IdKind::AppstreamUserName).map(|_| v)
                }
                other => other,
            };
            name.map(|v| (Selector::Name(v), r.origin(n)))
        }
        (None, Some(n)) => {
            ident(r, n, &format!("{what}.{id_key}"), IdKind::PrincipalId).map(|v| (Selector::Id(v), r.origin(n)))
        }
    };

    let reason = match f.get("reason") {
        Some(n) => r.non_empty_string(
            n,
            &format!("{what}.reason"),
            "why access is removed, e.g. \"HR-4211 left 2026-11-20\" (shown in plans and the journal)",
        ),
        None => {
            r.error(
                item,
                format!(
                    "{what}: `reason` is missing; add reason: <why access is removed, e.g. HR-4211 left 2026-11-20>, \
                     which is shown in plans and written to the journal"
                ),
            );
            None
        }
    };

    let effective = match f.get("effective") {
        None => Some(None),
        Some(n) => effective(r, n, &format!("{what}.effective")).map(Some),
    };

    let keep = match f.get("keep") {
        None => Some(Keep::default()),
        Some(n) => keep(r, n, &format!("{what}.keep")),
    };

    let kendra_group_id = match f.get("kendra_group_id") {
        None => Some(None),
        Some(n) => ident(r, n, &format!("{what}.kendra_group_id"), IdKind::KendraGroupId).map(Some),
    };

    let (selector, name_at) = selector?;
    let leaver = Leaver {
        principal: PrincipalRef { kind, selector },
        reason: reason?,
        effective: effective?,
        scope: scope?,
        keep: keep?,
        kendra_group_id: kendra_group_id?,
        origin: r.origin(item),
    };
    Some(Declared { leaver, name_at })
}

fn effective(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let expected = "a date written YYYY-MM-DD, e.g. 2026-11-20 (UTC)";
    if let Value::Str(s) = &node.value {
        return match Date::parse(s.trim(), format) {
            Ok(d) => Some(d),
            Err(e) => {
                r.error(node, format!("{what}: {s:?} is not a valid date ({e}); expected {expected}"));
                None
            }
        };
    }
    let found = node.value.found();
    r.error(node, format!("{what}: expected {expected}, found {found}"));
    None
}

fn scope(r: &mut Reader<'_>, f: &Fields<'_>, what: &str, env: &Env) -> Option<BTreeSet<Service>> {
    let Some(node) = f.get("scope") else {
        return Some(env.configured.clone());
    };
    let what = format!("{what}.scope");
    let names: Vec<&str> = Service::ALL.iter().map(|s| s.as_str()).collect();
    let items = r.list(node, &what, "services (sso, appstream, kendra, identity_store)")?;
    if items.is_empty() {
        r.error(
            node,
            format!(
                "{what}: is empty, so nothing would be removed; list services ({}) or remove `scope` to mean every configured service",
                names.join(", ")
            ),
        );
        return None;
    }
    let mut out = BTreeSet::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let item_what = format!("{what}[{i}]");
        let Some(name) = r.string(item, &item_what, "a service name (sso, appstream, kendra or identity_store)") else {
            ok = false;
            continue;
        };
        let Some(service) = Service::ALL.into_iter().find(|s| s.as_str() == name) else {
            let near = raw::closest(&name, &names).map(|n| format!("did you mean {n}? ")).unwrap_or_default();
            r.error(item, format!("{item_what}: unknown service {name:?}; {near}valid: {}", names.join(", ")));
            ok = false;
            continue;
        };
        if env.usable && !env.configured.contains(&service) && service == Service::IdentityStore {
            r.error(
                item,
                format!(
                    "{item_what}: {} does not let offboard remove group memberships (it needs \
                     identity_store: {{ manage_memberships: true }}), so this would remove nothing; \
                     set that there or remove identity_store from scope",
                    env.path
                ),
            );
            ok = false;
            continue;
        }
        if env.usable && !env.configured.contains(&service) {
            r.error(
                item,
                format!(
                    "{item_what}: {service} is not configured in {} (it has no `{service}:` section), so this would \
                     remove nothing; configure {service} there or remove it from scope",
                    env.path
                ),
            );
            ok = false;
            continue;
        }
        out.insert(service);
    }
    ok.then_some(out)
}

fn keep(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<Keep> {
    let f = r.fields(node, what, keys::KEEP, &no_hint)?;
    let sso_accounts = optional_ident_list(r, &f, "sso_accounts", what, IdKind::AccountId);
    let appstream_stacks = optional_ident_list(r, &f, "appstream_stacks", what, IdKind::AppstreamStackName);
    let kendra_experiences = optional_ident_list(r, &f, "kendra_experiences", what, IdKind::KendraExperienceId);
    let groups = optional_ident_list(r, &f, "groups", what, IdKind::GroupDisplayName);
    Some(Keep {
        groups: groups?,
        sso_accounts: sso_accounts?,
        appstream_stacks: appstream_stacks?,
        kendra_experiences: kendra_experiences?,
    })
}

// ---------------------------------------------------------------------------------------------
// Checks across files

/// Names compare without case. It is the safe reading both ways: two entries that differ only in
/// case are almost surely one person with two conflicting entries, and a protected name must not
/// slip through a guardrail by being written in other capitals.
fn principal_key(p: &PrincipalRef) -> (PrincipalKind, bool, String) {
    match &p.selector {
        Selector::Name(n) => (p.kind, true, n.to_lowercase()),
        Selector::Id(i) => (p.kind, false, i.to_lowercase()),
    }
}

fn check_duplicates(declared: &[(usize, Declared)], buckets: &mut [Vec<PolicyError>]) {
    let mut first: HashMap<(PrincipalKind, bool, String), &Origin> = HashMap::new();
    for (file, d) in declared {
        let key = principal_key(&d.leaver.principal);
        match first.get(&key) {
            Some(at) => buckets[*file].push(PolicyError {
                origin: Some(d.leaver.origin.clone()),
                message: format!(
                    "{} is declared twice: here and at {at}; declare each principal once (merge the two entries)",
                    d.leaver.principal
                ),
            }),
            None => {
                first.insert(key, &d.leaver.origin);
            }
        }
    }
}

fn check_protected(env: &Env, declared: &[(usize, Declared)], buckets: &mut [Vec<PolicyError>]) {
    for (file, d) in declared {
        let Selector::Name(name) = &d.leaver.principal.selector else { continue };
        let (list, key) = match d.leaver.principal.kind {
            PrincipalKind::User => (&env.protected_users, "protected_users"),
            PrincipalKind::Group => (&env.protected_groups, "protected_groups"),
        };
        let lower = name.to_lowercase();
        if let Some((_, at)) = list.iter().find(|(p, _)| p.to_lowercase() == lower) {
            buckets[*file].push(PolicyError {
                origin: Some(d.name_at.clone()),
                message: format!(
                    "{} is protected (guardrails.{key} at {at}) and can never be a leaver; remove this entry, \
                     or remove it from guardrails.{key} first if that is really intended",
                    d.leaver.principal
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(path: &str, text: &str) -> Source {
        Source { path: path.into(), text: text.into() }
    }

    const CONFIG: &str = "version: 1\nsso:\n  instance_arn: arn:aws:sso:::instance/ssoins-1234567890abcdef\n";

    #[test]
    fn minimal_policy_loads_with_defaults() {
        let policy = load(
            &src("offboard.yaml", CONFIG),
            &[src("l.yaml", "version: 1\nusers:\n  - user: a@x.com\n    reason: left\n")],
        )
        .unwrap();
        assert_eq!(policy.leavers.len(), 1);
        let l = &policy.leavers[0];
        assert_eq!(l.principal, PrincipalRef::user_name("a@x.com"));
        assert_eq!(l.scope, BTreeSet::from([Service::Sso]));
        assert_eq!(l.origin, Origin { path: "l.yaml".into(), line: 3, column: 5 });
        assert_eq!(policy.config.guardrails.max_removals, DEFAULT_MAX_REMOVALS);
    }

    #[test]
    fn errors_are_sorted_by_file_then_position() {
        let errs = load(
            &src("offboard.yaml", CONFIG),
            &[src("l.yaml", "version: 1\nusers:\n  - user: a@x.com\n    bogus: 1\n  - user: b@x.com\n")],
        )
        .unwrap_err();
        let lines: Vec<u32> = errs.0.iter().map(|e| e.origin.as_ref().unwrap().line).collect();
        let mut sorted_lines = lines.clone();
        sorted_lines.sort();
        assert_eq!(lines, sorted_lines);
        assert_eq!(errs.0.len(), 3, "{errs}");
    }
}
