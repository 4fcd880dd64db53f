//! Finding and reading the policy files: the I/O half of policy loading (the pure half is
//! `offboard_core::policy::load`).
//!
//! Paths are kept as the user wrote them (relative to the working directory, never made
//! absolute), because they end up in error messages and in plan files that are reviewed on
//! another machine.

use anyhow::{Context, bail};
use offboard_core::Policy;
use offboard_core::policy::Source;
use offboard_core::policy::load::MAX_FILE_BYTES;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The file name of the environment file.
pub const CONFIG_FILE: &str = "offboard.yaml";
/// The policy directory used when no path is given (if it exists; else `.`).
pub const DEFAULT_POLICY_DIR: &str = "policies";

/// The policy files found and read, ready for `offboard_core::policy::load`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyInputs {
    pub config: Source,
    pub leaver_files: Vec<Source>,
    /// The config path as shown to the user (e.g. `policies/offboard.yaml`).
    pub config_path: String,
    /// The policy paths used, as given or defaulted (e.g. `["policies"]`).
    pub policy_paths: Vec<String>,
}

/// Finds and reads the config and leaver files, relative to the working directory.
///
/// - config: `config` if given; else `./offboard.yaml` if it exists; else `offboard.yaml` in the
///   first directory among the policy paths.
/// - policy paths: `paths`, or `policies` if it exists, else `.`. A file is a leaver file; a
///   directory is walked recursively for `*.yaml` / `*.yml` in sorted order, skipping hidden
///   entries (`.github`, `.git`) and the config file itself.
pub fn discover(config: Option<&Path>, paths: &[PathBuf]) -> anyhow::Result<PolicyInputs> {
    discover_in(Path::new("."), config, paths)
}

/// [`discover`], then load and validate. The error lists every problem, one per line, each as
/// `path:line:column: …`.
pub fn load(config: Option<&Path>, paths: &[PathBuf]) -> anyhow::Result<(PolicyInputs, Policy)> {
    let inputs = discover(config, paths)?;
    let policy = validate(&inputs)?;
    Ok((inputs, policy))
}

/// Validates discovered inputs (see [`load`]).
pub fn validate(inputs: &PolicyInputs) -> anyhow::Result<Policy> {
    offboard_core::policy::load(&inputs.config, &inputs.leaver_files).map_err(|errors| {
        let n = errors.0.len();
        anyhow::anyhow!("the policy has {n} problem{}:\n{errors}", if n == 1 { "" } else { "s" })
    })
}

/// [`discover`] with relative paths resolved against `cwd` (so tests need not change the
/// process's working directory). Displayed paths stay as written.
fn discover_in(cwd: &Path, config: Option<&Path>, paths: &[PathBuf]) -> anyhow::Result<PolicyInputs> {
    let paths: Vec<PathBuf> = if paths.is_empty() {
        let default = if cwd.join(DEFAULT_POLICY_DIR).is_dir() { DEFAULT_POLICY_DIR } else { "." };
        vec![PathBuf::from(default)]
    } else {
        paths.to_vec()
    };
    for p in &paths {
        if !cwd.join(p).exists() {
            bail!("policy path `{}` does not exist; pass leaver files or directories that contain them", p.display());
        }
    }

    let config_path = match config {
        Some(c) => {
            if !cwd.join(c).is_file() {
                bail!("config file `{}` (--config) does not exist or is not a file", c.display());
            }
            c.to_path_buf()
        }
        None => find_config(cwd, &paths)?,
    };
    let config_id = identity(&cwd.join(&config_path));

    let mut files: Vec<PathBuf> = Vec::new();
    for p in &paths {
        let full = cwd.join(p);
        if full.is_dir() {
            walk(cwd, p, &mut files).with_context(|| format!("cannot list policy directory `{}`", p.display()))?;
        } else {
            files.push(p.clone());
        }
    }
    // The config is never a leaver file, and a file reached twice (a directory and a file in
    // it) is read once: otherwise every entry in it would be "declared twice".
    let mut seen = vec![config_id];
    let mut leaver_files = Vec::new();
    for f in files {
        let id = identity(&cwd.join(&f));
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        leaver_files.push(read(cwd, &f)?);
    }
    if leaver_files.is_empty() {
        tracing::info!(paths = ?paths, "no leaver files found");
    }

    Ok(PolicyInputs {
        config: read(cwd, &config_path)?,
        leaver_files,
        config_path: display(&config_path),
        policy_paths: paths.iter().map(|p| display(p)).collect(),
    })
}

fn find_config(cwd: &Path, paths: &[PathBuf]) -> anyhow::Result<PathBuf> {
    let mut looked = vec![format!("./{CONFIG_FILE}")];
    if cwd.join(CONFIG_FILE).is_file() {
        return Ok(PathBuf::from(CONFIG_FILE));
    }
    if let Some(dir) = paths.iter().find(|p| cwd.join(p).is_dir()) {
        let candidate = dir.join(CONFIG_FILE);
        if cwd.join(&candidate).is_file() {
            return Ok(candidate);
        }
        let shown = display(&candidate);
        if shown != CONFIG_FILE {
            looked.push(shown);
        }
    }
    bail!(
        "no {CONFIG_FILE} found (looked for {}); create one (see README.md, Writing policies) or pass --config FILE",
        looked.join(" and ")
    )
}

/// Collects `*.yaml` / `*.yml` under `dir`, depth first in file-name order, skipping hidden
/// entries (and everything under a hidden directory). Symlinked directories are not followed (a
/// link cycle would never end); symlinked files are read. The paths are `dir` joined with the
/// path below it, so they stay as the user wrote them.
fn walk(cwd: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let root = cwd.join(dir);
    // The root itself is never skipped for its name: `.` and `./policies` are what users pass.
    let entries = walkdir::WalkDir::new(&root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in entries {
        let entry = entry.map_err(io_error)?;
        let path = dir.join(entry.path().strip_prefix(&root).unwrap_or(entry.path()));
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        if file_type.is_symlink() && entry.path().is_dir() {
            tracing::warn!(path = %path.display(), "skipping a symlinked directory under the policy paths");
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if name.ends_with(".yaml") || name.ends_with(".yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// walkdir wraps an I/O error in its own, which names the path; the caller's context already
/// names the policy directory, so the OS's message is kept as it is. With links not followed
/// walkdir reports no other kind of error, but one would be kept whole.
fn io_error(err: walkdir::Error) -> std::io::Error {
    let text = err.to_string();
    err.into_io_error().unwrap_or_else(|| std::io::Error::other(text))
}

/// What identifies a file on disk, to tell whether two paths are the same file. Only compared,
/// never shown.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A path as shown: as written, with a leading `./` dropped (`./policies/a.yaml` → `policies/a.yaml`).
fn display(path: &Path) -> String {
    let shown = path.strip_prefix(".").unwrap_or(path);
    if shown.as_os_str().is_empty() { ".".to_owned() } else { shown.to_string_lossy().into_owned() }
}

/// Reads one file, refusing one over the size limit before reading it.
fn read(cwd: &Path, path: &Path) -> anyhow::Result<Source> {
    let shown = display(path);
    let full = cwd.join(path);
    let size = std::fs::metadata(&full).with_context(|| format!("cannot read `{shown}`"))?.len();
    let limit = MAX_FILE_BYTES as u64;
    if size > limit {
        bail!("{shown}: the file is {size} bytes; a policy file may be at most {limit} bytes (1 MiB): split it");
    }
    // Bounded even if the file grows after the size check: one byte over lets core report it.
    let mut bytes = Vec::new();
    std::fs::File::open(&full)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read `{shown}`"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{shown}: is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(Source { path: shown, text })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const CONFIG: &str = "version: 1\nsso:\n  instance_arn: arn:aws:sso:::instance/ssoins-1234567890abcdef\n";
    const LEAVER: &str = "version: 1\nusers:\n  - user: a@example.com\n    reason: left\n";

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn leaver_paths(inputs: &PolicyInputs) -> Vec<&str> {
        inputs.leaver_files.iter().map(|s| s.path.as_str()).collect()
    }

    #[test]
    fn defaults_to_the_policies_directory_and_its_config() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "policies/offboard.yaml", CONFIG);
        write(root, "policies/leavers/b.yaml", LEAVER);
        write(root, "policies/leavers/a.yml", LEAVER);
        write(root, "policies/groups/g.yaml", LEAVER);
        write(root, "policies/README.md", "not yaml");
        write(root, "policies/.github/workflows/ci.yaml", "on: push");
        write(root, "policies/.hidden.yaml", "x: 1");
        let inputs = discover_in(root, None, &[]).unwrap();
        assert_eq!(inputs.config_path, "policies/offboard.yaml");
        assert_eq!(inputs.config.path, "policies/offboard.yaml");
        assert_eq!(inputs.config.text, CONFIG);
        assert_eq!(inputs.policy_paths, vec!["policies"]);
        assert_eq!(
            leaver_paths(&inputs),
            vec!["policies/groups/g.yaml", "policies/leavers/a.yml", "policies/leavers/b.yaml"]
        );
    }

    #[test]
    fn directories_are_walked_depth_first_in_name_order() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "offboard.yaml", CONFIG);
        for rel in ["p/b.yaml", "p/a/z.yml", "p/a.yaml", "p/a/y/x.yaml", "p/c.txt", "p/.d/hidden.yaml", "p/C.yaml"] {
            write(root, rel, LEAVER);
        }
        let inputs = discover_in(root, None, &[PathBuf::from("./p")]).unwrap();
        // Byte order of names: `C` before `a`, and the directory `a` before the file `a.yaml`.
        assert_eq!(leaver_paths(&inputs), vec!["p/C.yaml", "p/a/y/x.yaml", "p/a/z.yml", "p/a.yaml", "p/b.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_files_are_read_and_symlinked_directories_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "offboard.yaml", CONFIG);
        write(root, "elsewhere/real.yaml", LEAVER);
        write(root, "p/own.yaml", LEAVER);
        std::os::unix::fs::symlink(root.join("elsewhere/real.yaml"), root.join("p/linked.yaml")).unwrap();
        std::os::unix::fs::symlink(root.join("elsewhere"), root.join("p/linked-dir")).unwrap();
        // A cycle: following it would never end.
        std::os::unix::fs::symlink(root.join("p"), root.join("p/loop")).unwrap();
        let inputs = discover_in(root, None, &[PathBuf::from("p")]).unwrap();
        assert_eq!(leaver_paths(&inputs), vec!["p/linked.yaml", "p/own.yaml"]);
        // A policy path that is itself a link to a directory is walked: the user named it.
        std::os::unix::fs::symlink(root.join("p"), root.join("via-link")).unwrap();
        let inputs = discover_in(root, None, &[PathBuf::from("via-link")]).unwrap();
        assert_eq!(leaver_paths(&inputs), vec!["via-link/linked.yaml", "via-link/own.yaml"]);
    }

    #[test]
    fn config_in_the_working_directory_wins_and_dot_is_the_fallback_path() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "offboard.yaml", CONFIG);
        write(root, "leavers/x.yaml", LEAVER);
        let inputs = discover_in(root, None, &[]).unwrap();
        assert_eq!(inputs.config_path, "offboard.yaml");
        assert_eq!(inputs.policy_paths, vec!["."]);
        // The config itself is not taken as a leaver file.
        assert_eq!(leaver_paths(&inputs), vec!["leavers/x.yaml"]);
    }

    #[test]
    fn explicit_config_and_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "env/prod.yaml", CONFIG);
        write(root, "people/one.yaml", LEAVER);
        write(root, "people/two.yaml", LEAVER);
        let inputs = discover_in(
            root,
            Some(Path::new("env/prod.yaml")),
            &[PathBuf::from("people/two.yaml"), PathBuf::from("people")],
        )
        .unwrap();
        assert_eq!(inputs.config_path, "env/prod.yaml");
        assert_eq!(inputs.policy_paths, vec!["people/two.yaml", "people"]);
        // A file reached twice (given, and inside a given directory) is read once, in first-seen order.
        assert_eq!(leaver_paths(&inputs), vec!["people/two.yaml", "people/one.yaml"]);
    }

    #[test]
    fn config_is_found_in_the_first_directory_among_the_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "extra.yaml", LEAVER);
        write(root, "repo/offboard.yaml", CONFIG);
        write(root, "repo/l.yaml", LEAVER);
        let inputs = discover_in(root, None, &[PathBuf::from("extra.yaml"), PathBuf::from("repo")]).unwrap();
        assert_eq!(inputs.config_path, "repo/offboard.yaml");
        assert_eq!(leaver_paths(&inputs), vec!["extra.yaml", "repo/l.yaml"]);
    }

    #[test]
    fn missing_config_says_what_was_looked_for() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "policies/l.yaml", LEAVER);
        let err = discover_in(root, None, &[]).unwrap_err().to_string();
        assert_eq!(
            err,
            "no offboard.yaml found (looked for ./offboard.yaml and policies/offboard.yaml); \
             create one (see README.md, Writing policies) or pass --config FILE"
        );
        // With `.` as the policy path, ./offboard.yaml is the only place, named once.
        let err = discover_in(root, None, &[PathBuf::from(".")]).unwrap_err().to_string();
        assert!(err.starts_with("no offboard.yaml found (looked for ./offboard.yaml);"), "{err}");
        let err = discover_in(root, Some(Path::new("nope.yaml")), &[]).unwrap_err().to_string();
        assert!(err.contains("config file `nope.yaml` (--config) does not exist"), "{err}");
    }

    #[test]
    fn missing_policy_path_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "offboard.yaml", CONFIG);
        let err = discover_in(tmp.path(), None, &[PathBuf::from("leavers/gone.yaml")]).unwrap_err().to_string();
        assert!(err.starts_with("policy path `leavers/gone.yaml` does not exist"), "{err}");
    }

    #[test]
    fn oversized_file_is_refused_by_its_size() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "offboard.yaml", CONFIG);
        let big = root.join("leavers/big.yaml");
        fs::create_dir_all(big.parent().unwrap()).unwrap();
        // A sparse file: its size says 100 MiB without writing 100 MiB.
        fs::File::create(&big).unwrap().set_len(100 * 1024 * 1024).unwrap();
        let err = discover_in(root, None, &[PathBuf::from("leavers")]).unwrap_err().to_string();
        assert_eq!(
            err,
            "leavers/big.yaml: the file is 104857600 bytes; a policy file may be at most 1048576 bytes (1 MiB): split it"
        );
    }

    #[test]
    fn non_utf8_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "offboard.yaml", CONFIG);
        fs::write(root.join("bad.yaml"), b"version: 1\n\xff\xfe").unwrap();
        let err = discover_in(root, None, &[PathBuf::from("bad.yaml")]).unwrap_err().to_string();
        assert!(err.starts_with("bad.yaml: is not UTF-8 text (invalid byte at offset 11)"), "{err}");
    }

    #[test]
    fn validate_lists_every_problem() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "offboard.yaml", CONFIG);
        write(root, "l.yaml", "version: 1\nusers:\n  - user: a@example.com\n  - user: b@example.com\n");
        let inputs = discover_in(root, None, &[PathBuf::from("l.yaml")]).unwrap();
        let err = validate(&inputs).unwrap_err().to_string();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines[0], "the policy has 2 problems:");
        assert!(lines[1].starts_with("l.yaml:3:5: users[0]: `reason` is missing"), "{err}");
        assert!(lines[2].starts_with("l.yaml:4:5: users[1]: `reason` is missing"), "{err}");
    }

    #[test]
    fn the_example_repository_is_discovered_and_valid() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let inputs = discover_in(&repo, None, &[]).unwrap();
        assert_eq!(inputs.config_path, "policies/offboard.yaml");
        assert!(leaver_paths(&inputs).contains(&"policies/leavers/2026-11-alice-wong.yaml"), "{inputs:?}");
        validate(&inputs).unwrap();
    }
}
