//! YAML text → a located, untyped tree, and the typed reads over it that report located errors.
//!
//! Policy files are not deserialized straight into structs. serde stops at the first problem,
//! and a reviewer wants every problem of a file at once; serde's messages also cannot say what
//! would be right. So the text is parsed (under strict budgets) into a [`Node`] tree that keeps
//! each value's `line:column` and source span, and `load` walks that tree, collecting errors.
//!
//! The source span matters for numbers: YAML reads `012345678901` as the number 12345678901,
//! and only the original text lets a message say "quote it: \"012345678901\"".

use super::{Origin, PolicyError};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Budget, DuplicateKeyPolicy, Options, Spanned};
use std::fmt;

/// Largest policy file accepted, in bytes. Checked before parsing, so a 100 MB file fails at once.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Deepest nesting accepted. The policy format needs 5 levels; 32 leaves room and stops stack abuse.
pub const MAX_DEPTH: usize = 32;
/// Most alias expansions replayed per file (YAML bombs expand aliases exponentially).
pub const MAX_ALIAS_REPLAY: usize = 10_000;
/// Most aliases (`*name`) per file.
pub const MAX_ALIASES: usize = 1_000;
/// Most YAML nodes per file: about 20 000 leavers, far beyond any real policy file.
pub const MAX_NODES: usize = 200_000;

/// A YAML value with where it was written.
#[derive(Debug)]
pub struct Node {
    pub value: Value,
    pub line: u32,
    pub column: u32,
    /// Byte range of the value's text in the source (where the parser knows it).
    span: Option<(usize, usize)>,
}

#[derive(Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in source order; duplicates are kept so they can be reported with both places.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// How messages name what was found: "a list", "the number 12", "true".
    pub fn found(&self) -> String {
        match self {
            Value::Null => "nothing (null)".to_owned(),
            Value::Bool(b) => format!("the boolean {b}"),
            Value::Int(i) => format!("the number {i}"),
            Value::Float(f) => format!("the number {}", float_words(*f)),
            Value::Str(s) => format!("the text {:?}", shorten(s)),
            Value::Seq(_) => "a list".to_owned(),
            Value::Map(_) => "a mapping".to_owned(),
        }
    }
}

/// `12345678901.0` reads as `12345678901`: that is how YAML saw the digits the user typed.
fn float_words(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 { format!("{f:.0}") } else { format!("{f}") }
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        // `referenced` is where the value is used (for an alias: the `*alias`), which is where
        // the user looks when a message points at it.
        let at = spanned.referenced;
        let span = at.span();
        let span = match (span.byte_offset(), span.byte_len()) {
            (Some(o), Some(l)) => usize::try_from(o).ok().zip(usize::try_from(l).ok()),
            _ => None,
        };
        Ok(Node {
            value: spanned.value,
            line: u32::try_from(at.line()).unwrap_or(u32::MAX),
            column: u32::try_from(at.column()).unwrap_or(u32::MAX),
            span,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        // Beyond i128 it is no identifier anyway; keep it a number so it is reported as one.
        Ok(i128::try_from(v).map(Value::Int).unwrap_or(Value::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = a.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = a.next_key::<Node>()? {
            let value = a.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

fn options() -> Options {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_aliases = MAX_ALIASES;
    budget.max_anchors = MAX_ALIASES;
    budget.max_nodes = MAX_NODES;
    budget.max_documents = 1;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES;
    budget.max_reader_input_bytes = Some(MAX_FILE_BYTES);
    let mut options = Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = MAX_ALIAS_REPLAY;
    options.alias_limits.max_replay_stack_depth = MAX_DEPTH;
    // Duplicates are reported by `Reader::fields`, naming both places.
    options.duplicate_keys = DuplicateKeyPolicy::PassThrough;
    // Only `true`/`false` are booleans: `no` is a Norwegian country code, not a boolean.
    options.strict_booleans = true;
    // `.inf` reaches the schema walk, which reports it as the wrong type, with the others.
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    options.with_snippet = false;
    options
}

/// Parses one file under the size and budget limits.
pub fn parse(path: &str, text: &str) -> Result<Node, PolicyError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(PolicyError {
            origin: Some(Origin { path: path.to_owned(), line: 1, column: 1 }),
            message: format!(
                "the file is {} bytes; a policy file may be at most {MAX_FILE_BYTES} bytes (1 MiB): \
                 split it into several leaver files",
                text.len()
            ),
        });
    }
    serde_saphyr::from_str_with_options::<Node>(text, options()).map_err(|e| yaml_error(path, &e))
}

fn yaml_error(path: &str, err: &serde_saphyr::Error) -> PolicyError {
    let origin = err.location().filter(|l| l.line() > 0).map(|l| Origin {
        path: path.to_owned(),
        line: u32::try_from(l.line()).unwrap_or(u32::MAX),
        column: u32::try_from(l.column()).unwrap_or(u32::MAX),
    });
    let origin = origin.or_else(|| Some(Origin { path: path.to_owned(), line: 1, column: 1 }));
    PolicyError { origin, message: yaml_message(original(err)) }
}

/// The error under any snippet or alias wrapping.
fn original(mut err: &serde_saphyr::Error) -> &serde_saphyr::Error {
    loop {
        match err {
            serde_saphyr::Error::WithSnippet { error, .. } | serde_saphyr::Error::AliasError { error, .. } => {
                err = error;
            }
            other => return other,
        }
    }
}

fn yaml_message(err: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error as E;
    const TOO_COMPLEX: &str = "the YAML is too large or too complex for a policy file";
    match err {
        E::AliasReplayLimitExceeded { .. }
        | E::AliasReplayCounterOverflow { .. }
        | E::AliasExpansionLimitExceeded { .. } => {
            format!(
                "{TOO_COMPLEX}: its aliases expand to more than {MAX_ALIAS_REPLAY} nodes (a \"billion laughs\" \
                 YAML bomb looks like this); write the values out instead of nesting aliases"
            )
        }
        E::AliasReplayStackDepthExceeded { .. } => {
            format!("{TOO_COMPLEX}: aliases nest more than {MAX_DEPTH} levels deep; write the values out")
        }
        E::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => {
                format!("{TOO_COMPLEX}: it nests more than {MAX_DEPTH} levels deep; a policy needs at most 5")
            }
            BudgetBreach::Aliases { .. } | BudgetBreach::Anchors { .. } | BudgetBreach::AliasAnchorRatio { .. } => {
                format!("{TOO_COMPLEX}: it uses more than {MAX_ALIASES} anchors or aliases; write the values out")
            }
            BudgetBreach::Documents { .. } => {
                "a policy file holds one YAML document; remove the `---` separators or split the file".to_owned()
            }
            BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => {
                format!("{TOO_COMPLEX}: it has more than {MAX_NODES} YAML nodes; split it into several files")
            }
            other => format!("{TOO_COMPLEX}: a parser limit was exceeded ({other:?}); simplify or split the file"),
        },
        E::MultipleDocuments { .. } => {
            "a policy file holds one YAML document; remove the `---` separators or split the file".to_owned()
        }
        other => {
            use serde_saphyr::MessageFormatter;
            let text = serde_saphyr::UserMessageFormatter.format_message(other);
            // The parser's text may quote input; keep control characters out of terminals.
            let text: String = text
                .chars()
                .flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] })
                .collect();
            format!("this is not valid YAML: {text}; fix the syntax (check indentation, quotes and brackets)")
        }
    }
}

/// Reads a parsed file, collecting every error with its location.
pub struct Reader<'a> {
    pub path: &'a str,
    text: &'a str,
    pub errors: Vec<PolicyError>,
}

/// The entries of a mapping whose keys have been checked: each allowed key at most once.
pub struct Fields<'n> {
    /// Where the mapping is (for "missing key" errors).
    pub at: &'n Node,
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _, _)| *k == key).map(|(_, _, v)| *v)
    }
    pub fn key_node(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _, _)| *k == key).map(|(_, k, _)| *k)
    }
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _, _)| *k == key)
    }
}

impl<'a> Reader<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Self {
        Self { path, text, errors: Vec::new() }
    }

    pub fn origin(&self, node: &Node) -> Origin {
        Origin { path: self.path.to_owned(), line: node.line.max(1), column: node.column.max(1) }
    }

    pub fn error(&mut self, node: &Node, message: impl Into<String>) {
        let origin = self.origin(node);
        self.errors.push(PolicyError { origin: Some(origin), message: message.into() });
    }

    /// The text the user typed for a scalar (e.g. `012345678901`), when the parser knows it.
    pub fn raw(&self, node: &Node) -> Option<&'a str> {
        let (start, len) = node.span?;
        self.text.get(start..start.checked_add(len)?).filter(|s| !s.is_empty())
    }

    /// The entries of a mapping, with unknown and duplicate keys reported. `null` (a key with
    /// nothing after it) reads as an empty mapping. `hint` explains a key that is known to be
    /// misplaced (e.g. `kendra_group_id` on a user).
    pub fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
        hint: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Fields<'n>> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return Some(Fields { at: node, entries: Vec::new() }),
            other => {
                let found = other.found();
                self.error(node, format!("{what}: expected a mapping with keys {}, found {found}", allowed.join(", ")));
                return None;
            }
        };
        let mut out: Vec<(&'n str, &'n Node, &'n Node)> = Vec::new();
        for (key, value) in entries {
            let Value::Str(name) = &key.value else {
                let found = key.value.found();
                self.error(key, format!("{what}: a key must be one of {}, found {found}", allowed.join(", ")));
                continue;
            };
            if !allowed.contains(&name.as_str()) {
                let mut msg = format!("{what}: unknown key `{name}`");
                if let Some(h) = hint(name) {
                    msg.push_str(&format!("; {h}"));
                } else if let Some(near) = closest(name, allowed) {
                    msg.push_str(&format!("; did you mean `{near}`? Valid keys here: {}", allowed.join(", ")));
                } else {
                    msg.push_str(&format!("; valid keys here: {}", allowed.join(", ")));
                }
                self.error(key, msg);
                continue;
            }
            if let Some((_, first, _)) = out.iter().find(|(k, _, _)| *k == name) {
                let first = self.origin(first);
                self.error(key, format!("{what}: `{name}` is set twice (first at {first}); keep one"));
                continue;
            }
            out.push((name.as_str(), key, value));
        }
        Some(Fields { at: node, entries: out })
    }

    /// A string value. Other scalars are the wrong type: the message quotes what the user typed
    /// so that "quote it" is a copy-paste fix.
    pub fn string(&mut self, node: &Node, what: &str, expected: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let found = node.value.found();
                let raw = self.raw(node).unwrap_or("");
                self.error(
                    node,
                    format!("{what}: expected {expected}, found {found}; if it is meant as text, quote it: \"{raw}\""),
                );
                None
            }
            other => {
                let found = other.found();
                self.error(node, format!("{what}: expected {expected}, found {found}"));
                None
            }
        }
    }

    /// A string that must not be empty or blank.
    pub fn non_empty_string(&mut self, node: &Node, what: &str, expected: &str) -> Option<String> {
        let s = self.string(node, what, expected)?;
        if s.trim().is_empty() {
            self.error(node, format!("{what}: is empty; expected {expected}"));
            return None;
        }
        Some(s)
    }

    /// The items of a list; `null` reads as an empty list.
    pub fn list<'n>(&mut self, node: &'n Node, what: &str, expected: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            Value::Null => Some(&[]),
            other => {
                let found = other.found();
                self.error(node, format!("{what}: expected a list of {expected}, found {found}; write it as [a, b] or one `- item` per line"));
                None
            }
        }
    }
}

/// The allowed key nearest to a typo, if it is near enough to be the likely intent: at most 2
/// edits (Levenshtein, over characters), or a quarter of the key's length for long keys. The typo
/// is compared in lower case, as every key is written; of equally near keys the first in
/// `allowed` wins, so the same typo always gets the same suggestion.
pub fn closest<'k>(name: &str, allowed: &[&'k str]) -> Option<&'k str> {
    let lower = name.to_lowercase();
    allowed
        .iter()
        .map(|k| (strsim::levenshtein(&lower, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_key_suggestion() {
        assert_eq!(closest("resaon", &["user", "reason", "scope"]), Some("reason"));
        assert_eq!(closest("Reason", &["user", "reason"]), Some("reason"));
        assert_eq!(closest("completely_else", &["user", "reason"]), None);
    }

    #[test]
    fn closest_counts_plain_edits_and_breaks_ties_by_order() {
        // A swap of two letters is two edits (Levenshtein, not Damerau): still near enough.
        assert_eq!(closest("raeson", &["reason"]), Some("reason"));
        // Three edits are too many for a short key, but not for a long one (a quarter of 16).
        assert_eq!(closest("reasonxyz", &["reason"]), None);
        assert_eq!(closest("identty_stor_i", &["identity_store_id"]), Some("identity_store_id"));
        // `scape` is one edit from both `scope` and `shape`: the first listed wins.
        assert_eq!(closest("scape", &["scope", "shape"]), Some("scope"));
        assert_eq!(closest("scape", &["shape", "scope"]), Some("shape"));
    }

    #[test]
    fn raw_text_of_an_unquoted_number_survives() {
        let text = "a: 012345678901\n";
        let node = parse("t.yaml", text).unwrap();
        let Value::Map(entries) = &node.value else { panic!("not a map: {node:?}") };
        let r = Reader::new("t.yaml", text);
        assert_eq!(r.raw(&entries[0].1), Some("012345678901"));
        assert!(matches!(entries[0].1.value, Value::Int(_) | Value::Float(_)));
        assert_eq!((entries[0].1.line, entries[0].1.column), (1, 4));
    }

    #[test]
    fn only_true_and_false_are_booleans() {
        let node = parse("t.yaml", "a: no\nb: yes\nc: true\n").unwrap();
        let Value::Map(entries) = &node.value else { panic!("not a map") };
        assert!(matches!(&entries[0].1.value, Value::Str(s) if s == "no"));
        assert!(matches!(&entries[1].1.value, Value::Str(s) if s == "yes"));
        assert!(matches!(entries[2].1.value, Value::Bool(true)));
    }
}
