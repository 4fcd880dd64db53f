//! Where AWS calls go: real AWS through aws-config's default chain (like the AWS CLI), any
//! endpoint given with `--endpoint-url`/`AWS_ENDPOINT_URL` (moto, LocalStack, a sandbox started
//! with `offboard sandbox serve`), or an embedded sandbox started in this process (`--sandbox`).

use crate::cli::GlobalArgs;
use crate::exit::CliError;
use anyhow::Context;
use offboard_aws::{Clients, ConnectOptions};
use offboard_sandbox::{Faults, Org, RunningSandbox, Sandbox};

/// The clients of this run, and the embedded sandbox they talk to, if any. The sandbox lives as
/// long as this value, so keep it alive until the last call.
#[derive(Debug)]
pub struct Target {
    pub clients: Clients,
    _sandbox: Option<RunningSandbox>,
}

pub async fn connect(global: &GlobalArgs) -> Result<Target, CliError> {
    let mut options = ConnectOptions {
        endpoint_url: global.endpoint_url.clone(),
        region: global.region.clone(),
        profile: global.profile.clone(),
        static_credentials: false,
    };
    let mut sandbox = None;
    if let Some(fixture) = &global.sandbox {
        let org = Org::from_path(fixture)
            .with_context(|| format!("cannot load the sandbox fixture {}", fixture.display()))
            .map_err(CliError::Sandbox)?;
        let running = Sandbox::start(org, Faults::none())
            .await
            .context("cannot start the embedded sandbox")
            .map_err(CliError::Sandbox)?;
        tracing::info!(url = %running.url(), fixture = %fixture.display(), "embedded sandbox started");
        options.endpoint_url = Some(running.url());
        options.static_credentials = true;
        // Name the region here so aws-config never walks its chain (which ends at the EC2
        // instance metadata service) for a run that must not leave this machine.
        options.region.get_or_insert_with(|| offboard_aws::clients::EMULATOR_REGION.to_owned());
        sandbox = Some(running);
    }
    let clients = Clients::connect(&options).await.map_err(CliError::aws("cannot set up the AWS clients"))?;
    Ok(Target { clients, _sandbox: sandbox })
}
