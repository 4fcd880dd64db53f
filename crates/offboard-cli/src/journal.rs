//! The apply journal: one JSON line per action outcome, appended and fsynced as each completes,
//! so a run killed at any moment still leaves a truthful record of what it did.

use anyhow::Context;
use offboard_core::outcome::Outcome;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Open for appending (created if missing). Opening before the first AWS call means a
    /// journal that cannot be written stops the run before anything is removed.
    pub fn open(path: &Path) -> anyhow::Result<Journal> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the journal {} for appending", path.display()))?;
        Ok(Journal { path: path.to_owned(), file })
    }

    pub fn append(&mut self, outcome: &Outcome) -> anyhow::Result<()> {
        let mut line = outcome.to_json_line();
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot append to the journal {}", self.path.display()))
    }
}
