//! `offboard schema config|leavers|plan|journal`: print a JSON Schema (draft 2020-12), for
//! editors (`# yaml-language-server: $schema=…`) and other tools. The same files are committed
//! under `docs/schemas/`.

use crate::exit::{CliError, Outcome};
use crate::output;
use offboard_core::schemas::Document;

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Which document: config (offboard.yaml), leavers (a leaver file), plan (plan.json) or
    /// journal (one line of an apply journal).
    #[arg(value_enum, value_name = "DOCUMENT")]
    pub document: SchemaDocument,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaDocument {
    Config,
    Leavers,
    Plan,
    Journal,
}

impl From<SchemaDocument> for Document {
    fn from(d: SchemaDocument) -> Document {
        match d {
            SchemaDocument::Config => Document::Config,
            SchemaDocument::Leavers => Document::Leavers,
            SchemaDocument::Plan => Document::Plan,
            SchemaDocument::Journal => Document::Journal,
        }
    }
}

pub fn run(args: SchemaArgs) -> Result<Outcome, CliError> {
    let text = Document::from(args.document).schema_text();
    output::line(text.trim_end()).map_err(CliError::io("cannot write the schema to stdout"))?;
    Ok(Outcome::Success)
}
