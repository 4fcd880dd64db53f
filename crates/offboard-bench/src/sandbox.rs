//! The sandbox as a child process (`offboard sandbox serve`), and its control endpoints under
//! `/_sandbox/` (request log, state).
//!
//! The control endpoints are plain HTTP/1.1 on 127.0.0.1 with a `Content-Length` body; a dozen
//! lines of std networking read them, which keeps an HTTP client stack out of the benchmark.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};
use serde::Deserialize;

/// A running `offboard sandbox serve`; killed when dropped.
#[derive(Debug)]
pub struct ServedSandbox {
    child: Child,
    /// `127.0.0.1:PORT`.
    addr: String,
}

/// What the sandbox is started with.
#[derive(Debug)]
pub struct ServeOptions<'a> {
    pub fixture: &'a Path,
    pub deletion_delay_ms: u64,
    /// `--max-outstanding-operations`, passed only when the binary has the flag.
    pub cap: Option<u64>,
    /// Its stderr (logs) go here.
    pub log: &'a Path,
}

impl ServedSandbox {
    /// Starts the sandbox on a free port with Identity Center limited to 20 TPS per service, and
    /// waits for its one "listening on" line.
    pub fn start(offboard: &Path, options: &ServeOptions) -> anyhow::Result<ServedSandbox> {
        let log = File::create(options.log).with_context(|| format!("cannot create {}", options.log.display()))?;
        let mut command = Command::new(offboard);
        command
            .args(["--color", "never", "sandbox", "serve", "--org"])
            .arg(options.fixture)
            .args(["--addr", "127.0.0.1:0", "--tps", "sso-admin=20", "--tps", "identitystore=20"])
            .args(["--deletion-delay-ms", &options.deletion_delay_ms.to_string()]);
        if let Some(cap) = options.cap {
            command.args(["--max-outstanding-operations", &cap.to_string()]);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", offboard.display()))?;
        let mut line = String::new();
        let read = match child.stdout.take() {
            Some(out) => BufReader::new(out).read_line(&mut line),
            None => Ok(0),
        };
        let addr = line.trim_end().strip_prefix("offboard sandbox listening on http://").map(str::to_owned);
        match (read, addr) {
            (Ok(_), Some(addr)) => Ok(ServedSandbox { child, addr }),
            (read, _) => {
                let _ = child.kill();
                let _ = child.wait();
                let logged = std::fs::read_to_string(options.log).unwrap_or_default();
                let tail: Vec<&str> = logged.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
                bail!(
                    "the sandbox did not start (read {:?}, {read:?}); its last log lines ({}):\n{}",
                    line.trim_end(),
                    options.log.display(),
                    tail.join("\n")
                )
            }
        }
    }

    /// `http://127.0.0.1:PORT`, for `--endpoint-url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Request counts since the last [`ServedSandbox::clear_requests`].
    pub fn request_counts(&self) -> anyhow::Result<Counts> {
        let body = self.control("GET", "requests")?;
        let log: Vec<Logged> = serde_json::from_slice(&body).context("the sandbox's request log is not JSON")?;
        Ok(Counts::of(&log))
    }

    pub fn clear_requests(&self) -> anyhow::Result<()> {
        self.control("DELETE", "requests").map(|_| ())
    }

    /// `GET /_sandbox/faults`, as JSON.
    pub fn faults(&self) -> anyhow::Result<serde_json::Value> {
        let body = self.control("GET", "faults")?;
        serde_json::from_slice(&body).context("the sandbox's fault settings are not JSON")
    }

    /// `GET /_sandbox/state`, as JSON.
    pub fn state(&self) -> anyhow::Result<serde_json::Value> {
        let body = self.control("GET", "state")?;
        serde_json::from_slice(&body).context("the sandbox's state is not JSON")
    }

    /// Sets the fault field `max_outstanding_operations` with `PUT /_sandbox/faults`, keeping the
    /// other settings, for a sandbox that has the field but not yet the serve flag. False when the
    /// sandbox does not know the field.
    pub fn set_cap_by_faults(&self, cap: u64) -> anyhow::Result<bool> {
        let mut faults = self.faults()?;
        let Some(fields) = faults.as_object_mut() else {
            bail!("the sandbox's fault settings are not a JSON object: {faults}");
        };
        fields.insert("max_outstanding_operations".to_owned(), cap.into());
        let body = serde_json::to_vec(&faults).context("cannot encode fault settings")?;
        let (status, answer) = self.request("PUT", "faults", &body)?;
        let text = String::from_utf8_lossy(&answer);
        match status {
            200 => Ok(true),
            400 if text.contains("unknown field `max_outstanding_operations`") => Ok(false),
            _ => bail!("PUT {}/_sandbox/faults answered {status}: {text}", self.url()),
        }
    }

    fn control(&self, method: &str, path: &str) -> anyhow::Result<Vec<u8>> {
        let (status, body) = self.request(method, path, &[])?;
        if status != 200 {
            bail!("{method} {}/_sandbox/{path} answered {status}: {}", self.url(), String::from_utf8_lossy(&body));
        }
        Ok(body)
    }

    /// One request to a control path: its status and body.
    fn request(&self, method: &str, path: &str, body: &[u8]) -> anyhow::Result<(u16, Vec<u8>)> {
        let what = || format!("{method} {}/_sandbox/{path}", self.url());
        let mut stream = TcpStream::connect(&self.addr).with_context(what)?;
        write!(
            stream,
            "{method} /_sandbox/{path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        )
        .with_context(what)?;
        stream.write_all(body).with_context(what)?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).with_context(what)?;
        let split =
            answer.windows(4).position(|w| w == b"\r\n\r\n").with_context(|| format!("{}: no HTTP answer", what()))?;
        let head = String::from_utf8_lossy(&answer[..split]);
        // "HTTP/1.1 200 OK"
        let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).with_context(|| {
            format!("{}: not an HTTP status line: {}", what(), head.lines().next().unwrap_or_default())
        })?;
        Ok((status, answer.split_off(split + 4)))
    }
}

impl Drop for ServedSandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fields of a logged request the benchmark counts.
#[derive(Debug, Deserialize)]
struct Logged {
    service: String,
    operation: String,
    fault: Option<String>,
}

/// Calls per (service, operation), and how many of them were throttled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub calls: BTreeMap<(String, String), Tally>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub calls: u64,
    pub throttled: u64,
}

impl Counts {
    fn of(log: &[Logged]) -> Counts {
        let mut counts = Counts::default();
        for entry in log {
            let tally = counts.calls.entry((entry.service.clone(), entry.operation.clone())).or_default();
            tally.calls += 1;
            if entry.fault.as_deref() == Some("throttled") {
                tally.throttled += 1;
            }
        }
        counts
    }

    /// Calls (throttled included) to the services of one quota.
    pub fn quota(&self, services: &[&str]) -> Tally {
        let mut sum = Tally::default();
        for ((service, _), tally) in &self.calls {
            if services.contains(&service.as_str()) {
                sum.calls += tally.calls;
                sum.throttled += tally.throttled;
            }
        }
        sum
    }

    pub fn total(&self) -> Tally {
        let mut sum = Tally::default();
        for tally in self.calls.values() {
            sum.calls += tally.calls;
            sum.throttled += tally.throttled;
        }
        sum
    }
}

/// Identity Center's quota covers both of these services.
pub const IDENTITY_CENTER: &[&str] = &["sso-admin", "identitystore"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_by_operation_and_sum_by_quota() {
        let log: Vec<Logged> = serde_json::from_str(
            r#"[
              {"service": "sso-admin", "operation": "ListInstances", "fault": null, "seq": 1},
              {"service": "identitystore", "operation": "GetUserId", "fault": "throttled"},
              {"service": "identitystore", "operation": "GetUserId", "fault": null},
              {"service": "kendra", "operation": "DescribeIndex", "fault": "server_error"}
            ]"#,
        )
        .unwrap();
        let counts = Counts::of(&log);
        assert_eq!(counts.calls[&("identitystore".into(), "GetUserId".into())], Tally { calls: 2, throttled: 1 });
        assert_eq!(counts.quota(IDENTITY_CENTER), Tally { calls: 3, throttled: 1 });
        assert_eq!(counts.quota(&["kendra"]), Tally { calls: 1, throttled: 0 });
        assert_eq!(counts.total().calls, 4);
    }
}
