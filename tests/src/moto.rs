//! A `moto_server` (moto 5.2.5, installed by `scripts/setup-moto.sh`) running for one test.
//!
//! Tests that need moto fail loudly when it is missing: [`MotoServer::start`] panics and names the
//! setup script. Each server listens on its own free loopback port, so tests run in parallel.
//!
//! # What moto 5.2.5 does with the operations offboard uses
//!
//! Found by running moto_server 5.2.5 with boto3 (client-side validation off) and with the Rust
//! SDKs (aws-sdk-ssoadmin 1.125, aws-sdk-identitystore 1.122); `tests/tests/moto_harness.rs` pins
//! the facts marked (pinned). "Real model" means botocore 1.44.5 as embedded in `offboard-models`.
//! "Rust SDK" says whether the SDK call succeeds against moto.
//!
//! | service / operation | moto | Rust SDK | what differs from AWS |
//! |---|---|---|---|
//! | sso-admin ListInstances | yes | ok (pinned) | Always exactly one instance per account+region, created when that region's backend is first touched: `InstanceArn` `arn:aws:sso:::instance/ssoins-<16 [a-z0-9]>`, `IdentityStoreId` `d-<10 [a-z0-9]>` (letters beyond `f`, so it fails the real `d-[0-9a-f]{10}` pattern), `OwnerAccountId` `123456789012`, `Status` `ACTIVE`, `Name` null, no `NextToken`. Random per server; the same after the same `seed` (pinned); a new one after `reset` (pinned). |
//! | sso-admin ListPermissionSets | yes | ok, paginator too | ARNs only; `MaxResults`/`NextToken`. Unknown instance ARN: empty list, not an error. |
//! | sso-admin DescribePermissionSet | yes | ok | Unknown ARN: `ResourceNotFoundException` "Could not find PermissionSet with id ps-…". |
//! | sso-admin CreatePermissionSet | yes | **fails unless `SessionDuration` is given** (pinned) | Without it moto answers `"SessionDuration": 3600` (a number; AWS sends ISO-8601 text) and the SDK cannot deserialize the response; pass e.g. `.session_duration("PT1H")`. **`PermissionSetArn` is `arn:aws:sso:::instance/ssoins-…/ps-<16 [a-z0-9]>`**, not AWS's `arn:aws:sso:::permissionSet/ssoins-…/ps-…`, so it fails the real pattern (pinned). Instance ARN not checked. |
//! | sso-admin ListAccountAssignments | yes | ok, paginator too | Needs exact `AccountId` + `PermissionSetArn`; items `{AccountId, PermissionSetArn, PrincipalType, PrincipalId}`; sends `"NextToken": null`. |
//! | sso-admin ListAccountAssignmentsForPrincipal | yes | ok, paginator too | Honours `Filter.AccountId`; same items. |
//! | sso-admin CreateAccountAssignment | yes | ok | Synchronous: `Status` `SUCCEEDED` at once. **No existence checks** (any permission set ARN, principal id, account id is stored); duplicates are stored twice. |
//! | sso-admin DeleteAccountAssignment | yes | ok | Synchronous, `Status` `SUCCEEDED`, `RequestId` = the creation's. No exact match on all six fields: `ResourceNotFoundException` with an empty message. |
//! | sso-admin DescribeAccountAssignmentDeletionStatus | yes | ok | Knows only request ids returned by DeleteAccountAssignment; always `SUCCEEDED`; unknown id: `ResourceNotFoundException`, empty message. |
//! | sso-admin ListAccountAssignmentDeletionStatus | **no** | fails (unhandled error) | Not implemented: HTTP 500 with an HTML body (the SDK retries it as a 500 first). |
//! | identitystore CreateUser | yes | ok (pinned) | Requires `UserName`, `DisplayName`, `Name.GivenName`, `Name.FamilyName` (else `ValidationException`); duplicate `UserName`: `ConflictException`. Returns `{UserId (uuid4), IdentityStoreId}`. |
//! | identitystore CreateGroup | yes | ok | Duplicate `DisplayName`: `ConflictException`. |
//! | identitystore CreateGroupMembership | yes | ok; `membership_arn()` is `""` | Checks the user and group exist (`ResourceNotFoundException`). No `MembershipArn`. |
//! | identitystore GetUserId | partly | ok; `user_arn()` is `""` (pinned) | `UniqueAttribute` path `userName` or `emails.value` (case-insensitive); `ExternalId` not implemented (always `ResourceNotFoundException` "USER not found."). **No `UserArn`** (required in the real model; the SDK fills in `""`). |
//! | identitystore GetGroupId | partly | ok; `group_arn()` is `""` | `UniqueAttribute` path `displayName` only; no `ExternalId`; no `GroupArn`. |
//! | identitystore DescribeUser | yes | ok; `user_arn()`, `revision()` are `""` | Unknown user: `ResourceNotFoundException` "USER not found." with `ResourceType` `USER`. |
//! | identitystore ListGroupMembershipsForMember | yes | ok, paginator too; `membership_arn()` is `""` | Items `{IdentityStoreId, MembershipId, GroupId, MemberId: {UserId}}`: no `MembershipArn`, no timestamps. |
//! | identitystore ListGroupMemberships | yes | ok, paginator too; `membership_arn()` is `""` | Same items as ListGroupMembershipsForMember. An unknown `GroupId` lists nothing (read from moto's source; AWS: `ResourceNotFoundException`). |
//! | identitystore GetGroupMembershipId | yes | ok; `membership_arn()` is `""` | No `MembershipArn`. Not a member: `ResourceNotFoundException` with `ResourceType` `GROUP_MEMBERSHIP` (HTTP 400, where AWS sends 404). Unknown group or user is the same answer (no separate `GROUP` / `USER`). |
//! | identitystore DeleteGroupMembership | yes | ok | Synchronous. **An unknown or already deleted `MembershipId` answers success** (AWS lists `ResourceNotFoundException`); `parity_moto.rs` pins it. |
//! | identitystore DescribeGroup | yes | ok; `group_arn()`, `revision()` are `""` | No `GroupArn`, `Revision` or timestamps; `ExternalIds` `[]`. Unknown group: `ResourceNotFoundException` with `ResourceType` `GROUP`. |
//!
//! Seeding and state:
//! - There is no identity store resource: any `IdentityStoreId` string is accepted and silently
//!   starts an empty store. Create users and groups in the id ListInstances reports.
//! - moto checks none of the real model's input constraints (lengths, patterns, enums): e.g.
//!   `TargetId: "1"` reaches the lookup and yields 404 where AWS answers 400. Error bodies are
//!   awsJson (`__type` + `message`).
//! - Credentials and signatures are not checked; with access key `test` the account is
//!   `123456789012`. State is per account and region.
//! - [`MotoServer::reset`] (`POST /moto-api/reset`) drops all state; [`MotoServer::seed`]
//!   (`POST /moto-api/seed?a=N`) makes ids deterministic from then on. Ids still depend on the moto
//!   version and on the order of calls, so read them from ListInstances / the create calls rather
//!   than hard-coding them.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

/// How often and how long to poll a starting server. moto imports all its services on start,
/// which takes a couple of seconds, more on a loaded CI machine.
const READY_POLLS: u32 = 600;
const READY_POLL_INTERVAL: Duration = Duration::from_millis(50);
/// A fresh port can be taken by someone else between our probe and moto's bind: retry.
const START_ATTEMPTS: u32 = 3;

/// A running `moto_server`; killed when dropped.
#[derive(Debug)]
pub struct MotoServer {
    /// `http://127.0.0.1:<port>`, for `endpoint_url`.
    pub url: String,
    addr: SocketAddr,
    log: PathBuf,
    child: Child,
}

impl MotoServer {
    /// Starts moto from `$MOTO_SERVER`, else `<workspace>/.venv/bin/moto_server`.
    ///
    /// # Panics
    /// When the binary is missing (run `scripts/setup-moto.sh`) or the server does not answer.
    pub fn start() -> MotoServer {
        MotoServer::start_with(&MotoServer::binary())
    }

    /// Where [`MotoServer::start`] looks for `moto_server`.
    pub fn binary() -> PathBuf {
        match std::env::var_os("MOTO_SERVER") {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => workspace_root().join(".venv/bin/moto_server"),
        }
    }

    /// Starts the given `moto_server` binary.
    ///
    /// # Panics
    /// As [`MotoServer::start`].
    pub fn start_with(binary: &Path) -> MotoServer {
        assert!(
            binary.is_file(),
            "moto_server not found at {}: run `bash scripts/setup-moto.sh` in the repository root \
             (it installs moto into .venv), or set MOTO_SERVER to a moto_server binary",
            binary.display()
        );
        let mut last_failure = String::new();
        for _ in 0..START_ATTEMPTS {
            match try_start(binary) {
                Ok(server) => return server,
                Err(failure) => last_failure = failure,
            }
        }
        panic!("moto_server ({}) did not start after {START_ATTEMPTS} attempts: {last_failure}", binary.display());
    }

    /// Drops all of moto's state (`POST /moto-api/reset`).
    pub fn reset(&self) {
        self.post_admin("/moto-api/reset");
    }

    /// Makes moto's random ids deterministic from now on (`POST /moto-api/seed?a=<seed>`).
    pub fn seed(&self, seed: u64) {
        self.post_admin(&format!("/moto-api/seed?a={seed}"));
    }

    fn post_admin(&self, path: &str) {
        let status = http_status(self.addr, "POST", path)
            .unwrap_or_else(|e| panic!("POST {path} to moto at {} failed: {e}", self.url));
        assert_eq!(status, 200, "POST {path} to moto at {} answered {status}; see {}", self.url, self.log.display());
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // Already exited is fine; anything else would leave a stray server, which kill prevents.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn workspace_root() -> PathBuf {
    // This crate lives in <workspace>/tests.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("cannot bind a loopback port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| format!("cannot read the bound port: {e}"))
}

fn try_start(binary: &Path) -> Result<MotoServer, String> {
    let port = free_port()?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    // moto logs every request; a pipe nobody reads would fill up and stall it, so log to a file.
    let log = std::env::temp_dir().join(format!("offboard-moto-{}-{port}.log", std::process::id()));
    let log_file = std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let log_err = log_file.try_clone().map_err(|e| format!("cannot share {}: {e}", log.display()))?;
    let child = Command::new(binary)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    let mut server = MotoServer { url: format!("http://{addr}"), addr, log, child };
    for _ in 0..READY_POLLS {
        if let Ok(Some(status)) = server.child.try_wait() {
            let output = std::fs::read_to_string(&server.log).unwrap_or_default();
            return Err(format!("it exited with {status}; its output:\n{output}"));
        }
        if let Ok(200) = http_status(addr, "GET", "/moto-api/data.json") {
            return Ok(server);
        }
        thread::sleep(READY_POLL_INTERVAL);
    }
    let output = std::fs::read_to_string(&server.log).unwrap_or_default();
    // Dropping `server` kills the child.
    Err(format!("it did not answer on {} within {READY_POLLS} polls; its output:\n{output}", server.url))
}

/// One HTTP/1.1 request with an empty body; returns the status code.
fn http_status(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let response = String::from_utf8_lossy(&raw);
    response.split_whitespace().nth(1).and_then(|code| code.parse().ok()).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not an HTTP response: {response:.80}"))
    })
}
