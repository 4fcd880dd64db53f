//! `offboard sandbox serve`: the AWS-compatible sandbox as a separate process, for tests and demos
//! that point an SDK, the AWS CLI, boto3 or `offboard --endpoint-url` at it.
//!
//! Prints exactly one line to stdout once it accepts connections,
//! `offboard sandbox listening on http://127.0.0.1:PORT`, and serves until Ctrl-C or SIGTERM.
//! Request log, state and faults are under `/_sandbox/` (see `offboard_sandbox::server`).

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use offboard_sandbox::{AwsService, Faults, FaultsError, Org, Sandbox};

#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    #[command(subcommand)]
    pub command: SandboxCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SandboxCommand {
    /// Serve Identity Store, SSO Admin, AppStream and Kendra on one port until Ctrl-C / SIGTERM.
    Serve(ServeArgs),
    /// Start the embedded sandbox (`--sandbox FIXTURE`) over: delete its saved state
    /// (.offboard/sandbox-state.json, or --sandbox-state FILE). The next command seeds it from the
    /// fixture again.
    Reset,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Org fixture to seed the sandbox with (format: crates/offboard-sandbox/FIXTURE.md).
    #[arg(long, value_name = "FIXTURE")]
    pub org: PathBuf,
    /// Address to listen on (port 0 picks a free port; the chosen one is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4566")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub faults: FaultArgs,
}

/// Fault injection; everything is off by default. See `offboard_sandbox::Faults`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FaultArgs {
    /// Seed of every random fault (same seed, same faults for a sequential client).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Rate limit of one service in requests per second; beyond it, ThrottlingException.
    /// Services: sso-admin, identitystore, appstream, kendra. Repeatable.
    #[arg(long, value_name = "SERVICE=N", value_parser = parse_tps)]
    pub tps: Vec<(AwsService, f64)>,
    /// Fraction of requests answered with a 5xx (InternalServerException / ServiceUnavailable).
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub error_rate: f64,
    /// Latency added to every request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Extra random latency (0..=MS) added to every request.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub jitter_ms: u64,
    /// Fraction of requests whose connection is closed without an answer (after applying them).
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub drop_rate: f64,
    /// How long SSO assignment deletions stay IN_PROGRESS and Kendra mapping actions pending.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub deletion_delay_ms: u64,
    /// An entity whose batch items fail: AppStream user name, Kendra entity id / user name /
    /// group name, or Kendra ACL group id. Repeatable.
    #[arg(long = "fail-entity", value_name = "NAME")]
    pub fail_entity: Vec<String>,
    /// A principal (id, user name or group name) whose SSO deletions end FAILED. Repeatable.
    #[arg(long = "fail-deletion", value_name = "PRINCIPAL")]
    pub fail_deletion: Vec<String>,
    /// Answer Organizations ListAccounts with AccessDeniedException (plans then show account
    /// ids without names).
    #[arg(long)]
    pub deny_organizations: bool,
    /// At most N SSO account-assignment operations IN_PROGRESS at once (AWS's quota is 10); a
    /// Delete/CreateAccountAssignment beyond it gets ConflictException (our guess at AWS's
    /// error) and changes nothing. Default: no limit.
    #[arg(long, value_name = "N")]
    pub max_outstanding_operations: Option<u32>,
}

impl FaultArgs {
    /// The fault settings these flags describe, checked.
    pub fn to_faults(&self) -> Result<Faults, FaultsError> {
        let mut faults = Faults::none()
            .with_seed(self.seed)
            .with_error_rate(self.error_rate)
            .with_latency(Duration::from_millis(self.latency_ms), Duration::from_millis(self.jitter_ms))
            .with_drop_rate(self.drop_rate)
            .with_deletion_delay(Duration::from_millis(self.deletion_delay_ms));
        for (service, tps) in &self.tps {
            faults = faults.with_tps(*service, *tps);
        }
        for entity in &self.fail_entity {
            faults = faults.with_failing_entity(entity.clone());
        }
        for principal in &self.fail_deletion {
            faults = faults.with_failing_deletion(principal.clone());
        }
        if self.deny_organizations {
            faults = faults.with_organizations_denied();
        }
        if let Some(max) = self.max_outstanding_operations {
            faults = faults.with_max_outstanding_operations(max);
        }
        faults.validate()?;
        Ok(faults)
    }
}

fn parse_tps(text: &str) -> Result<(AwsService, f64), String> {
    let (service, rate) =
        text.split_once('=').ok_or_else(|| format!("`{text}` is not SERVICE=N; expected e.g. sso-admin=20"))?;
    let service: AwsService = service.trim().parse().map_err(|e| format!("{e}"))?;
    let rate: f64 = rate
        .trim()
        .parse()
        .map_err(|_| format!("`{rate}` is not a number of requests per second; expected e.g. {service}=20"))?;
    if !rate.is_finite() || rate <= 0.0 {
        return Err(format!("the rate for {service} is {rate}; expected a positive number of requests per second"));
    }
    Ok((service, rate))
}

pub async fn run(global: &crate::cli::GlobalArgs, args: SandboxArgs) -> anyhow::Result<()> {
    match args.command {
        SandboxCommand::Serve(serve_args) => serve(serve_args, shutdown_signal(), &mut std::io::stdout()).await,
        SandboxCommand::Reset => {
            let path = crate::sandbox_state::path(global.sandbox_state.as_deref());
            let existed = crate::sandbox_state::reset(&path)?;
            let what = if existed { "removed" } else { "was not there" };
            writeln!(
                std::io::stdout(),
                "sandbox state {} {what}; the next --sandbox command starts from its fixture",
                path.display()
            )
            .context("cannot write to stdout")?;
            Ok(())
        }
    }
}

/// Starts the sandbox, announces it on `out`, and serves until `shutdown` completes.
async fn serve(args: ServeArgs, shutdown: impl Future<Output = ()>, out: &mut impl Write) -> anyhow::Result<()> {
    let faults = args.faults.to_faults().context("invalid fault flags")?;
    let org = Org::from_path(&args.org).map_err(anyhow::Error::new).context("cannot load the org fixture")?;
    let sandbox = Sandbox::start_on(org, faults, args.addr).await?;
    writeln!(out, "offboard sandbox listening on {}", sandbox.url()).context("cannot write to stdout")?;
    out.flush().context("cannot write to stdout")?;
    shutdown.await;
    tracing::info!("shutting the sandbox down");
    sandbox.shutdown().await;
    Ok(())
}

/// Completes on Ctrl-C or, on Unix, SIGTERM (what `kill` and CI runners send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM; stop with Ctrl-C");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cmd {
        #[command(flatten)]
        sandbox: SandboxArgs,
    }

    fn parse(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        let mut argv = vec!["sandbox"];
        argv.extend_from_slice(args);
        Cmd::try_parse_from(argv).and_then(|c| match c.sandbox.command {
            SandboxCommand::Serve(s) => Ok(s),
            SandboxCommand::Reset => Err(clap::Error::new(clap::error::ErrorKind::InvalidSubcommand)),
        })
    }

    fn fixture() -> String {
        format!("{}/../../examples/sandbox/org.yaml", env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn every_fault_flag_reaches_the_settings() {
        let args = parse(&[
            "serve",
            "--org",
            "org.yaml",
            "--seed",
            "9",
            "--tps",
            "sso-admin=20",
            "--tps",
            "kendra=2.5",
            "--error-rate",
            "0.1",
            "--latency-ms",
            "5",
            "--jitter-ms",
            "3",
            "--drop-rate",
            "0.05",
            "--deletion-delay-ms",
            "250",
            "--fail-entity",
            "alice",
            "--fail-entity",
            "summer-interns",
            "--fail-deletion",
            "bob",
            "--max-outstanding-operations",
            "10",
        ])
        .unwrap();
        assert_eq!(args.addr, "127.0.0.1:4566".parse().unwrap());
        let expected = Faults::none()
            .with_seed(9)
            .with_tps(AwsService::SsoAdmin, 20.0)
            .with_tps(AwsService::Kendra, 2.5)
            .with_error_rate(0.1)
            .with_latency(Duration::from_millis(5), Duration::from_millis(3))
            .with_drop_rate(0.05)
            .with_deletion_delay(Duration::from_millis(250))
            .with_failing_entity("alice")
            .with_failing_entity("summer-interns")
            .with_failing_deletion("bob")
            .with_max_outstanding_operations(10);
        assert_eq!(args.faults.to_faults().unwrap(), expected);
        assert_eq!(parse(&["serve", "--org", "o.yaml"]).unwrap().faults.to_faults().unwrap(), Faults::none());
    }

    #[test]
    fn bad_flags_say_what_would_be_right() {
        let err = parse(&["serve", "--org", "o", "--tps", "s3=5"]).unwrap_err().to_string();
        assert!(err.contains("expected one of identitystore, sso-admin, appstream, kendra"), "{err}");
        let err = parse(&["serve", "--org", "o", "--tps", "kendra"]).unwrap_err().to_string();
        assert!(err.contains("SERVICE=N"), "{err}");
        let err = parse(&["serve", "--org", "o", "--tps", "kendra=0"]).unwrap_err().to_string();
        assert!(err.contains("positive"), "{err}");
        assert!(parse(&["serve"]).is_err(), "--org is required");
        let args = parse(&["serve", "--org", "o", "--error-rate", "1.5"]).unwrap();
        assert!(args.faults.to_faults().unwrap_err().to_string().contains("error_rate"));
        let args = parse(&["serve", "--org", "o", "--max-outstanding-operations", "0"]).unwrap();
        assert!(args.faults.to_faults().unwrap_err().to_string().contains("at least 1"));
    }

    #[tokio::test]
    async fn serve_prints_one_line_and_stops_on_shutdown() {
        let args = parse(&["serve", "--org", &fixture(), "--addr", "127.0.0.1:0"]).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let mut out = Vec::new();
        let server = async {
            serve(args, async { stopped.await.unwrap_or(()) }, &mut out).await.unwrap();
        };
        // Shutdown may be requested before the server is up: the line is printed first anyway.
        let stopper = async {
            stop.send(()).unwrap();
        };
        tokio::join!(server, stopper);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        let url = text.trim_end().strip_prefix("offboard sandbox listening on http://127.0.0.1:").unwrap();
        assert!(url.parse::<u16>().unwrap() > 0, "{text}");
    }

    #[tokio::test]
    async fn a_bad_fixture_is_reported_with_its_location() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.yaml");
        std::fs::write(&path, "version: 2\n").unwrap();
        let args = parse(&["serve", "--org", path.to_str().unwrap(), "--addr", "127.0.0.1:0"]).unwrap();
        let err = serve(args, async {}, &mut Vec::new()).await.unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("bad.yaml:"), "{text}");
    }
}
