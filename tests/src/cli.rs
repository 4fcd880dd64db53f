//! Running the real `offboard` binary from tests.
//!
//! # Why the binary is built here
//!
//! `env!("CARGO_BIN_EXE_offboard")` exists only inside the package that owns the binary
//! (`offboard-cli`), and a binary-only crate cannot be a dependency, so nothing makes cargo build
//! `target/<profile>/offboard` before these tests run: `cargo test --workspace` compiles the
//! binary's *unit-test harness*, not the binary. Looking for a file there (what
//! `assert_cmd::cargo::cargo_bin` does) would therefore either fail on a fresh checkout or,
//! worse, silently test a stale binary left over from an earlier build.
//!
//! So [`offboard_bin`] runs `cargo build -p offboard-cli --bin offboard` once per test process
//! (cargo's own fingerprinting makes it a no-op when nothing changed), with the cargo that runs
//! the tests (`$CARGO`) and the same profile, and takes the executable's path from cargo's JSON
//! messages rather than guessing it. `cargo test` has released its build lock by the time tests
//! run, so the nested build does not deadlock. Set `OFFBOARD_BIN` to test a prebuilt binary
//! instead (e.g. a release artifact in CI).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The region every test run names, so aws-config never walks its chain for one.
pub const REGION: &str = "us-east-1";

/// The `offboard` executable, built on first use (see the module docs).
///
/// # Panics
/// When the build fails; the panic carries cargo's output.
pub fn offboard_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| match std::env::var_os("OFFBOARD_BIN") {
        Some(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            assert!(path.is_file(), "OFFBOARD_BIN={} is not a file", path.display());
            path
        }
        _ => build_offboard(),
    })
}

fn build_offboard() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(&cargo);
    command
        .current_dir(workspace_root())
        .args(["build", "-p", "offboard-cli", "--bin", "offboard", "--message-format=json-render-diagnostics"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(profile) = current_profile() {
        command.args(["--profile", &profile]);
    }
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", cargo.to_string_lossy()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "`cargo build -p offboard-cli` failed ({}):\n{stdout}", output.status);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "offboard")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo built offboard-cli but named no `offboard` executable:\n{stdout}"))
}

/// The cargo profile these tests were built with, from where the test executable lives
/// (`<target>/<profile dir>/deps/<test>`): `debug` is the dev profile, any other name is itself.
fn current_profile() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    match deps.parent()?.file_name()?.to_str()? {
        "debug" => Some("dev".to_owned()),
        other => Some(other.to_owned()),
    }
}

/// The repository root (this package lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// `examples/sandbox/org.yaml`.
pub fn example_fixture() -> PathBuf {
    workspace_root().join("examples/sandbox/org.yaml")
}

/// An `offboard` command that runs in `cwd` against `endpoint_url` (a sandbox or moto), with
/// dummy static credentials, and an environment that cannot reach anything else: no AWS
/// variables or config files from the developer's machine, the instance metadata service off,
/// no GitHub step summary, no colour.
pub fn offboard_at(cwd: &Path, endpoint_url: &str) -> Command {
    let mut command = bare_offboard(cwd);
    command.env("AWS_ACCESS_KEY_ID", "test").env("AWS_SECRET_ACCESS_KEY", "test").args([
        "--endpoint-url",
        endpoint_url,
        "--region",
        REGION,
    ]);
    command
}

/// An `offboard` command in `cwd` with the hermetic environment of [`offboard_at`] but no
/// endpoint and no credentials (for `--sandbox`, `validate` and `show`).
pub fn bare_offboard(cwd: &Path) -> Command {
    let mut command = Command::new(offboard_bin());
    command.current_dir(cwd).stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if name_text.starts_with("AWS_") || name_text == "GITHUB_STEP_SUMMARY" || name_text == "RUST_LOG" {
            command.env_remove(&name);
        }
    }
    command
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("NO_COLOR", "1")
        .args(["--color", "never"]);
    command
}

/// What one finished run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The arguments, for failure messages.
    pub args: String,
}

impl Run {
    /// Runs `command` to completion.
    pub fn of(command: &mut Command) -> Run {
        Spawned::start(command).wait()
    }

    fn from_output(output: Output, args: String) -> Run {
        let Output { status, stdout, stderr } = output;
        Run {
            code: status.code(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            args,
        }
    }

    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(self.code, Some(code), "offboard {} exited {:?}, expected {code}\n{self}", self.args, self.code);
        self
    }

    /// Asserts that stdout contains `needle`.
    pub fn expect_stdout(self, needle: &str) -> Run {
        assert!(self.stdout.contains(needle), "stdout of offboard {} lacks {needle:?}\n{self}", self.args);
        self
    }

    /// Asserts that stderr contains `needle`.
    pub fn expect_stderr(self, needle: &str) -> Run {
        assert!(self.stderr.contains(needle), "stderr of offboard {} lacks {needle:?}\n{self}", self.args);
        self
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "--- stdout ---\n{}\n--- stderr ---\n{}", self.stdout, self.stderr)
    }
}

/// A started `offboard` process, for runs that overlap or get killed.
///
/// Its output goes to anonymous temporary files, not pipes: a pipe nobody reads while the test
/// polls or waits for another process would fill up and stall the process.
#[derive(Debug)]
pub struct Spawned {
    child: std::process::Child,
    stdout: std::fs::File,
    stderr: std::fs::File,
    args: String,
}

impl Spawned {
    /// Starts `command` with stdout and stderr captured.
    pub fn start(command: &mut Command) -> Spawned {
        let args = format!("{:?}", command.get_args().collect::<Vec<_>>());
        let stdout = tempfile::tempfile().expect("a temporary file for stdout");
        let stderr = tempfile::tempfile().expect("a temporary file for stderr");
        let child = command
            .stdout(stdout.try_clone().expect("a second handle"))
            .stderr(stderr.try_clone().expect("a second handle"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run offboard {args}: {e}"));
        Spawned { child, stdout, stderr, args }
    }

    /// Whether the process has ended.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// SIGKILL (on Unix; `TerminateProcess` elsewhere): no chance to clean up or flush.
    pub fn kill(&mut self) {
        // An already finished process cannot be killed; `wait` then reports how it ended.
        let _ = self.child.kill();
    }

    /// Waits for the end and collects what it printed.
    pub fn wait(mut self) -> Run {
        let status = self.child.wait().unwrap_or_else(|e| panic!("cannot wait for offboard {}: {e}", self.args));
        let output = Output { status, stdout: read_all(&mut self.stdout), stderr: read_all(&mut self.stderr) };
        Run::from_output(output, self.args)
    }
}

fn read_all(file: &mut std::fs::File) -> Vec<u8> {
    use std::io::{Read, Seek, SeekFrom};
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_end(&mut bytes)).expect("the captured output");
    bytes
}
