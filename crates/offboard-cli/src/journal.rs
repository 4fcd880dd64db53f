//! The apply journal: one JSON line per action outcome, appended and fsynced as each completes,
//! so a run killed at any moment still leaves a truthful record of what it did. Every line is
//! stamped with the digests of the plan being applied and of the policy it was made from, so
//! `offboard report` can tie each removal to the reviewed artifact.

use anyhow::Context;
use offboard_core::Plan;
use offboard_core::outcome::Outcome;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    plan_digest: String,
    policy_digest: String,
}

impl Journal {
    /// Open for appending (created if missing), for lines about `plan`. Opening before the
    /// first AWS call means a journal that cannot be written stops the run before anything is
    /// removed.
    pub fn open(path: &Path, plan: &Plan) -> anyhow::Result<Journal> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the journal {} for appending", path.display()))?;
        Ok(Journal {
            path: path.to_owned(),
            file,
            plan_digest: plan.digest(),
            policy_digest: plan.policy_digest.clone(),
        })
    }

    /// Append `outcome`, stamped with the plan's and the policy's digests.
    pub fn append(&mut self, outcome: &Outcome) -> anyhow::Result<()> {
        let stamped = Outcome {
            plan_digest: Some(self.plan_digest.clone()),
            policy_digest: Some(self.policy_digest.clone()),
            ..outcome.clone()
        };
        let mut line = stamped.to_json_line();
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot append to the journal {}", self.path.display()))
    }
}

/// The time of a journal line written by the CLI itself (refusals, verification findings).
pub fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
