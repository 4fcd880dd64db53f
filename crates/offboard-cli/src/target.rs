//! Where AWS calls go: real AWS through aws-config's default chain (like the AWS CLI), any
//! endpoint given with `--endpoint-url`/`AWS_ENDPOINT_URL` (moto, LocalStack, a sandbox started
//! with `offboard sandbox serve`), or an embedded sandbox started in this process (`--sandbox`),
//! whose state is kept between processes in a file (`crate::sandbox_state`).

use crate::cli::GlobalArgs;
use crate::exit::CliError;
#[cfg(feature = "sandbox")]
use crate::sandbox_state::{self, Fixture};
#[cfg(feature = "sandbox")]
use anyhow::Context;
use offboard_aws::{Clients, ConnectOptions};
#[cfg(feature = "sandbox")]
use offboard_sandbox::{Faults, Org, RunningSandbox, Sandbox, SavedWorld};
#[cfg(feature = "sandbox")]
use std::path::PathBuf;

/// The clients of this run, and the embedded sandbox they talk to, if any. The sandbox lives as
/// long as this value, so keep it alive until the last call.
#[derive(Debug)]
pub struct Target {
    pub clients: Clients,
    /// `--read-strategy`, for every read of this run.
    pub read_strategy: offboard_aws::ReadStrategy,
    #[cfg(feature = "sandbox")]
    sandbox: Option<Embedded>,
}

/// An embedded sandbox and where its state is kept.
#[cfg(feature = "sandbox")]
#[derive(Debug)]
struct Embedded {
    running: RunningSandbox,
    fixture: Fixture,
    state_path: PathBuf,
    /// The state as loaded (or as the fixture made it): saved again only when it changed.
    loaded: SavedWorld,
}

pub async fn connect(global: &GlobalArgs) -> Result<Target, CliError> {
    #[cfg_attr(not(feature = "sandbox"), allow(unused_mut))]
    let mut options = ConnectOptions {
        endpoint_url: global.endpoint_url.clone(),
        region: global.region.clone(),
        profile: global.profile.clone(),
        static_credentials: false,
    };
    #[cfg(feature = "sandbox")]
    let mut sandbox = None;
    #[cfg(feature = "sandbox")]
    if let Some(fixture_path) = &global.sandbox {
        let embedded = start_embedded(fixture_path, global).await.map_err(CliError::Sandbox)?;
        options.endpoint_url = Some(embedded.running.url());
        options.static_credentials = true;
        // Name the region here so aws-config never walks its chain (which ends at the EC2
        // instance metadata service) for a run that must not leave this machine.
        options.region.get_or_insert_with(|| offboard_aws::clients::EMULATOR_REGION.to_owned());
        sandbox = Some(embedded);
    }
    let clients = Clients::connect(&options).await.map_err(CliError::aws("cannot set up the AWS clients"))?;
    Ok(Target {
        clients,
        read_strategy: global.read_strategy.into(),
        #[cfg(feature = "sandbox")]
        sandbox,
    })
}

#[cfg(feature = "sandbox")]
async fn start_embedded(fixture_path: &std::path::Path, global: &GlobalArgs) -> anyhow::Result<Embedded> {
    let fixture = Fixture::read(fixture_path)?;
    let org = Org::from_yaml_str(&fixture.text, &fixture_path.display().to_string())
        .with_context(|| format!("cannot load the sandbox fixture {}", fixture_path.display()))?;
    let state_path = sandbox_state::path(global.sandbox_state.as_deref());
    let saved = sandbox_state::load(&state_path, &fixture)?;
    let resumed = saved.is_some();
    let running = match saved {
        Some(saved) => Sandbox::resume(org, saved, Faults::none()).await,
        None => Sandbox::start(org, Faults::none()).await,
    }
    .context("cannot start the embedded sandbox")?;
    tracing::info!(
        url = %running.url(),
        fixture = %fixture_path.display(),
        state = %state_path.display(),
        resumed,
        "embedded sandbox started"
    );
    let loaded = running.save();
    if !resumed {
        // Created from the fixture on first use, so the file is there for the next command.
        sandbox_state::save(&state_path, &fixture, loaded.clone())?;
    }
    Ok(Embedded { running, fixture, state_path, loaded })
}

impl Target {
    /// Saves the embedded sandbox's state if this command changed it, then passes `result`
    /// through. Call it once the command made its last AWS call, whatever the outcome: a failed
    /// apply may have removed access too. A failure to save is the command's error unless it
    /// already failed (then the save failure is logged).
    #[cfg(not(feature = "sandbox"))]
    pub fn persist<T>(&self, result: Result<T, CliError>) -> Result<T, CliError> {
        result
    }

    /// See the other `persist`.
    #[cfg(feature = "sandbox")]
    pub fn persist<T>(&self, result: Result<T, CliError>) -> Result<T, CliError> {
        let Some(embedded) = &self.sandbox else { return result };
        let now = embedded.running.save();
        if now == embedded.loaded {
            return result;
        }
        let saved = sandbox_state::save(&embedded.state_path, &embedded.fixture, now);
        match (result, saved) {
            (result, Ok(())) => {
                tracing::debug!(state = %embedded.state_path.display(), "sandbox state saved");
                result
            }
            (Ok(_), Err(err)) => Err(CliError::Sandbox(err)),
            (Err(failed), Err(err)) => {
                tracing::error!(error = format!("{err:#}"), "cannot save the sandbox state");
                Err(failed)
            }
        }
    }
}
