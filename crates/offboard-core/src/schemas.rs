//! The JSON Schemas (draft 2020-12) of offboard's four documents, generated from the Rust types
//! with schemars: `offboard schema config|leavers|plan|journal` prints them, and the repository
//! commits them under `docs/schemas/` (a test keeps the two equal).
//!
//! The plan ([`crate::plan::Plan`]) and a journal line ([`crate::outcome::Outcome`]) are serde
//! types and derive their schema; the policy files are read by a validating loader, and their
//! schemas come from the types in [`crate::policy::schema`].

use schemars::Schema;
use serde_json::Value;

/// A document offboard reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Document {
    /// `offboard.yaml`.
    Config,
    /// A leaver file.
    Leavers,
    /// A plan file (`offboard plan --out`).
    Plan,
    /// One line of an apply journal (`offboard apply --journal`, JSON Lines).
    Journal,
}

impl Document {
    pub const ALL: [Document; 4] = [Document::Config, Document::Leavers, Document::Plan, Document::Journal];

    /// `config`, `leavers`, `plan`, `journal`.
    pub fn name(self) -> &'static str {
        match self {
            Document::Config => "config",
            Document::Leavers => "leavers",
            Document::Plan => "plan",
            Document::Journal => "journal",
        }
    }

    /// The committed file's name: `<name>.schema.json`.
    pub fn file_name(self) -> String {
        format!("{}.schema.json", self.name())
    }

    pub fn schema(self) -> Schema {
        use crate::policy::schema::{config_schema, generator, leavers_schema};
        let mut schema = match self {
            Document::Config => config_schema(),
            Document::Leavers => leavers_schema(),
            Document::Plan => generator().into_root_schema_for::<crate::plan::Plan>(),
            Document::Journal => generator().into_root_schema_for::<crate::outcome::Outcome>(),
        };
        let title = match self {
            Document::Config => "offboard.yaml",
            Document::Leavers => "offboard leaver file",
            Document::Plan => "offboard plan file",
            Document::Journal => "offboard journal line",
        };
        schema.insert("title".to_owned(), Value::from(title));
        schema
    }

    /// The schema as printed and committed: pretty JSON and a final newline.
    pub fn schema_text(self) -> String {
        let mut text = serde_json::to_string_pretty(&self.schema()).unwrap_or_default();
        text.push('\n');
        text
    }
}
