//! A private copy of the example policy repository, for tests that edit policies or run from
//! their own working directory, plus reading and writing plan files.

use offboard_core::Plan;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A temporary directory holding `policies/` (copied from the repository), where `offboard` runs.
#[derive(Debug)]
pub struct PolicyRepo {
    dir: TempDir,
}

impl PolicyRepo {
    /// A copy of the repository's `policies/`.
    pub fn example() -> PolicyRepo {
        let dir = tempfile::tempdir().expect("a temporary directory");
        copy_dir(&crate::cli::workspace_root().join("policies"), &dir.path().join("policies"));
        PolicyRepo { dir }
    }

    /// An empty directory: the test writes its own `policies/`.
    pub fn empty() -> PolicyRepo {
        PolicyRepo { dir: tempfile::tempdir().expect("a temporary directory") }
    }

    /// The working directory for `offboard` runs.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the repository.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn read(&self, relative: &str) -> String {
        let path = self.path(relative);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Replaces exactly one occurrence of `from` in a file.
    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let text = self.read(relative);
        assert_eq!(text.matches(from).count(), 1, "{relative} should contain {from:?} exactly once:\n{text}");
        self.write(relative, &text.replacen(from, to, 1));
    }

    /// Reads a plan file from the repository.
    pub fn plan(&self, relative: &str) -> Plan {
        read_plan(&self.path(relative))
    }
}

/// Parses a plan file strictly (unknown fields are errors).
pub fn read_plan(path: &Path) -> Plan {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Plan::from_json(&text).unwrap_or_else(|e| panic!("{} is not a valid plan: {e}", path.display()))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("cannot list {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", entry.path().display(), target.display()));
        }
    }
}
