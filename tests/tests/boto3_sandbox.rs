//! `offboard sandbox serve` serves boto3, not only the Rust SDK: tests/python/boto3_sandbox.py
//! drives every operation offboard uses through botocore (AppStream over rpcv2Cbor) against a
//! real `offboard sandbox serve` process. boto3 comes from scripts/setup-moto.sh's .venv; the
//! test fails loudly when it is missing, it never skips.

use offboard_tests::cli::{example_fixture, offboard_bin, workspace_root};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the server however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn boto3_speaks_to_the_sandbox_server_for_every_operation() {
    let python = workspace_root().join(".venv/bin/python");
    assert!(python.is_file(), "{} is missing: run scripts/setup-moto.sh (it installs boto3 too)", python.display());

    let mut child = Command::new(offboard_bin())
        .args(["sandbox", "serve", "--org"])
        .arg(example_fixture())
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("offboard sandbox serve starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let server = Server(child);
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).expect("the server prints its URL");
    let url = first
        .trim()
        .strip_prefix("offboard sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from sandbox serve: {first:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let output = Command::new(&python)
        .arg(workspace_root().join("tests/python/boto3_sandbox.py"))
        .arg(&url)
        .output()
        .expect("python runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "boto3 check failed:\n{stderr}");
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the script prints JSON");

    // What botocore parsed must be typed as AWS types it: timestamps as datetimes (CBOR tag 1 in
    // AppStream, epoch seconds in awsJson), per-item batch errors, and mapping status history.
    assert_eq!(seen["stack_created_time_type"], "datetime", "{seen}");
    assert_eq!(seen["deletion_created_date_type"], "datetime", "{seen}");
    assert_eq!(seen["appstream_item_errors"], serde_json::json!(["STACK_NOT_FOUND"]));
    assert_eq!(seen["stacks"].as_array().map(Vec::len), Some(3));
    assert!(seen["sso_assignments"].as_u64().unwrap_or(0) >= 2, "{seen}");
    drop(server);
}
