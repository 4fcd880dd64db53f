//! The embedded sandbox's state between processes: `offboard --sandbox FIXTURE plan|apply` keeps
//! what changed since the fixture in a JSON file (default [`DEFAULT_PATH`], or
//! `--sandbox-state FILE`), so a plan after an apply sees the removals done.
//!
//! - The file is created from the fixture on first use and rewritten after each command that
//!   changed the sandbox.
//! - It records the fixture's digest (SHA-256 of its bytes). A state made from another fixture
//!   (or from the same file before an edit) is refused with a message naming
//!   `offboard sandbox reset`, which deletes it.
//! - Writes are atomic: a temporary file in the same directory, fsynced, then renamed over the
//!   old one (and the directory fsynced). A process killed at any point leaves the old state or
//!   the new one, never a torn file.
//! - One command at a time: two processes that change the same state concurrently each write
//!   their own result, and the last rename wins.

use anyhow::{Context, bail};
use offboard_sandbox::SavedWorld;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the state lives unless `--sandbox-state` says otherwise, relative to the working
/// directory.
pub const DEFAULT_PATH: &str = ".offboard/sandbox-state.json";

/// The layout of the state file; a file of another layout is refused (reset starts over).
const FORMAT: u32 = 1;

/// Test hook: when this environment variable is set, a state write stops the process (exit
/// code [`CRASH_EXIT_CODE`]) right after the temporary file is written and fsynced, before the
/// rename: the worst moment for a kill. Tests use it to show the state stays readable.
pub const CRASH_AFTER_TEMP_ENV: &str = "OFFBOARD_TEST_CRASH_AFTER_STATE_TEMP";
pub const CRASH_EXIT_CODE: i32 = 86;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: u32,
    /// The fixture path as given when the state was created (for messages only).
    fixture: String,
    /// `sha256:<hex>` of the fixture's bytes.
    fixture_digest: String,
    world: SavedWorld,
}

/// A fixture, read once: its path, bytes and digest.
#[derive(Debug)]
pub struct Fixture {
    pub path: PathBuf,
    pub text: String,
    pub digest: String,
}

impl Fixture {
    pub fn read(path: &Path) -> anyhow::Result<Fixture> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!("cannot read the sandbox fixture {} (expected a readable YAML file)", path.display())
        })?;
        let digest = offboard_core::digest::sha256_bytes(text.as_bytes());
        Ok(Fixture { path: path.to_owned(), text, digest })
    }
}

/// The state file to use: `--sandbox-state`, else [`DEFAULT_PATH`].
pub fn path(explicit: Option<&Path>) -> PathBuf {
    explicit.map_or_else(|| PathBuf::from(DEFAULT_PATH), Path::to_owned)
}

/// The saved state for `fixture`, or `None` when there is no state file yet.
pub fn load(path: &Path, fixture: &Fixture) -> anyhow::Result<Option<SavedWorld>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(anyhow::Error::new(err).context(format!("cannot read the sandbox state {}", path.display())));
        }
    };
    let file: StateFile = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "the sandbox state {} is not a state file this offboard can read; run `offboard sandbox reset` \
             (or delete the file) to start over from the fixture",
            path.display()
        )
    })?;
    if file.format != FORMAT {
        bail!(
            "the sandbox state {} has format {} where this offboard writes format {FORMAT}; run `offboard sandbox reset` \
             (or delete the file) to start over from the fixture",
            path.display(),
            file.format
        );
    }
    if file.fixture_digest != fixture.digest {
        bail!(
            "the sandbox state {} was made from another fixture ({}, {}) than {} ({}); run `offboard sandbox reset` \
             (or delete the file) to start over from {}, or pass --sandbox-state FILE to keep both",
            path.display(),
            file.fixture,
            file.fixture_digest,
            fixture.path.display(),
            fixture.digest,
            fixture.path.display()
        );
    }
    Ok(Some(file.world))
}

/// Writes the state atomically (see the module docs).
pub fn save(path: &Path, fixture: &Fixture, world: SavedWorld) -> anyhow::Result<()> {
    let file = StateFile {
        format: FORMAT,
        fixture: fixture.path.display().to_string(),
        fixture_digest: fixture.digest.clone(),
        world,
    };
    let mut bytes = serde_json::to_vec_pretty(&file).context("cannot serialise the sandbox state")?;
    bytes.push(b'\n');
    write_atomically(path, &bytes).with_context(|| format!("cannot save the sandbox state to {}", path.display()))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create the directory {}", dir.display()))?;
    let name = path.file_name().context("the state path names no file; expected e.g. .offboard/sandbox-state.json")?;
    let temp = dir.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut out = std::fs::File::create(&temp)?;
        out.write_all(bytes)?;
        out.sync_all()?;
        if std::env::var_os(CRASH_AFTER_TEMP_ENV).is_some() {
            // The test hook: die like a killed process, with the new state only in the temp file.
            std::process::exit(CRASH_EXIT_CODE);
        }
        std::fs::rename(&temp, path)?;
        // Make the rename itself durable.
        #[cfg(unix)]
        std::fs::File::open(&dir)?.sync_all()?;
        Ok::<(), std::io::Error>(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    Ok(result?)
}

/// Deletes the state file and any temporary files a killed write left beside it. Whether there
/// was a state file.
pub fn reset(path: &Path) -> anyhow::Result<bool> {
    let existed = match std::fs::remove_file(path) {
        Ok(()) => true,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => false,
        Err(err) => {
            return Err(anyhow::Error::new(err).context(format!("cannot delete the sandbox state {}", path.display())));
        }
    };
    if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        let prefix = format!(".{}.tmp-", name.to_string_lossy());
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
    Ok(existed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(text: &str) -> Fixture {
        Fixture {
            path: "org.yaml".into(),
            text: text.to_owned(),
            digest: offboard_core::digest::sha256_bytes(text.as_bytes()),
        }
    }

    #[test]
    fn missing_state_is_none_and_garbage_says_how_to_start_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        assert!(load(&path, &fixture("a")).unwrap().is_none());
        std::fs::write(&path, "{\"format\": 1, \"fixt").unwrap();
        let err = format!("{:#}", load(&path, &fixture("a")).unwrap_err());
        assert!(err.contains("offboard sandbox reset"), "{err}");
        assert!(reset(&path).unwrap());
        assert!(!reset(&path).unwrap());
        assert!(!path.exists());
    }
}
