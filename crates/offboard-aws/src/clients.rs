//! The four SDK clients, built the way the AWS CLI resolves its configuration, plus a counter of
//! every HTTP call they send and the run's [`Progress`].

use crate::error::AwsError;
use crate::progress::Progress;
use aws_config::BehaviorVersion;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where and as whom to connect. Everything left `None` comes from `aws-config`'s default chain
/// (environment, shared config/credentials files, SSO, IMDS…), exactly like the AWS CLI,
/// including `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    /// One endpoint for all four services (the sandbox, moto, LocalStack).
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    /// Sandbox mode: fixed dummy credentials instead of the credential chain, so no real
    /// credentials are looked up (or leaked to a local emulator).
    pub static_credentials: bool,
}

/// The region used when nothing configures one but the target is an emulator.
pub const EMULATOR_REGION: &str = "us-east-1";

/// Attempt timeout for every call. Identity Center, AppStream and Kendra answer these operations
/// in well under a second; a call hanging for 30 s is treated as a dropped connection and retried.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The SDK clients of one run. Cheap to clone (the SDK clients are `Arc`s inside).
#[derive(Clone, Debug)]
pub struct Clients {
    pub(crate) sso: aws_sdk_ssoadmin::Client,
    pub(crate) identitystore: aws_sdk_identitystore::Client,
    pub(crate) appstream: aws_sdk_appstream::Client,
    pub(crate) kendra: aws_sdk_kendra::Client,
    /// `GetCallerIdentity` only: which account the credentials belong to.
    pub(crate) sts: aws_sdk_sts::Client,
    /// `ListAccounts` only: account names, best effort (`organizations.rs`).
    pub(crate) organizations: aws_sdk_organizations::Client,
    /// The region the clients talk to (`us-east-1` when a hand-built config names none).
    pub(crate) region: String,
    counter: CallCounter,
    /// Shared with every session made from these clients, and with whoever shows progress.
    progress: Progress,
}

impl Clients {
    /// Resolve configuration like the AWS CLI and build the clients.
    ///
    /// Region: `--region`, else the default chain (`AWS_REGION`, the profile). If nothing gives
    /// one, an emulator target (`endpoint_url` set, or sandbox credentials) defaults to
    /// `us-east-1`; real AWS is an error, because Identity Center lives in one region and a
    /// guessed region would only produce a confusing "instance not found".
    pub async fn connect(opts: &ConnectOptions) -> Result<Clients, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &opts.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(profile) = &opts.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if opts.static_credentials {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                "AKIDOFFBOARDSANDBOX",
                "offboard-sandbox-secret",
                None,
                None,
                "offboard-sandbox",
            ));
        }
        let mut config = loader.load().await;
        if config.region().is_none() {
            let emulator = opts.endpoint_url.is_some() || opts.static_credentials || config.endpoint_url().is_some();
            if !emulator {
                return Err(AwsError::NoRegion);
            }
            tracing::debug!(region = EMULATOR_REGION, "no region configured; using the emulator default");
            config = config.into_builder().region(aws_config::Region::new(EMULATOR_REGION)).build();
        }
        Ok(Clients::from_sdk_config(&config))
    }

    /// Build the clients from a ready `SdkConfig`. The SDK's retries are disabled (offboard
    /// retries itself, see [`crate::retry`]) and a call counter is attached.
    pub fn from_sdk_config(config: &aws_config::SdkConfig) -> Clients {
        let progress = Progress::new();
        let counter = CallCounter { progress: progress.clone(), ..CallCounter::default() };
        let timeouts = match config.timeout_config() {
            Some(t) if t.operation_attempt_timeout().is_some() => t.clone(),
            _ => TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        };
        macro_rules! client {
            ($krate:ident, $service:literal) => {
                $krate::Client::from_conf(
                    $krate::config::Builder::from(config)
                        // A hand-built SdkConfig may lack one; the SDK would panic on first use.
                        .behavior_version(config.behavior_version().unwrap_or_else(BehaviorVersion::latest))
                        .retry_config(RetryConfig::disabled())
                        .timeout_config(timeouts.clone())
                        .interceptor(counter.interceptor($service))
                        .build(),
                )
            };
        }
        Clients {
            sso: client!(aws_sdk_ssoadmin, "sso"),
            identitystore: client!(aws_sdk_identitystore, "identitystore"),
            appstream: client!(aws_sdk_appstream, "appstream"),
            kendra: client!(aws_sdk_kendra, "kendra"),
            sts: client!(aws_sdk_sts, "sts"),
            organizations: client!(aws_sdk_organizations, "organizations"),
            region: config.region().map_or_else(|| EMULATOR_REGION.to_owned(), ToString::to_string),
            counter,
            progress,
        }
    }

    /// Calls sent so far through these clients (retries included), by operation.
    pub fn call_stats(&self) -> CallStats {
        self.counter.snapshot()
    }

    /// The progress counters of everything done through these clients (calls, throttling
    /// answers, retries, apply's items). Clone it to watch a run from another task or thread.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }
}

/// HTTP calls sent, by `service:Operation` (IAM-style names, e.g. `sso:DeleteAccountAssignment`).
/// Every attempt counts, so retries show up here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CallStats {
    pub by_operation: BTreeMap<String, u64>,
}

impl CallStats {
    pub fn total(&self) -> u64 {
        self.by_operation.values().sum()
    }

    pub fn get(&self, operation: &str) -> u64 {
        self.by_operation.get(operation).copied().unwrap_or(0)
    }

    /// The calls made since `earlier` (a snapshot of the same clients).
    pub fn since(&self, earlier: &CallStats) -> CallStats {
        let by_operation = self
            .by_operation
            .iter()
            .map(|(op, n)| (op.clone(), n.saturating_sub(earlier.get(op))))
            .filter(|(_, n)| *n > 0)
            .collect();
        CallStats { by_operation }
    }
}

impl fmt::Display for CallStats {
    /// A two-column table: operation, calls; then the total.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.by_operation.keys().map(String::len).max().unwrap_or(0).max("total".len());
        for (op, n) in &self.by_operation {
            writeln!(f, "{op:<width$}  {n:>6}")?;
        }
        writeln!(f, "{:<width$}  {:>6}", "total", self.total())
    }
}

#[derive(Clone, Debug, Default)]
struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    progress: Progress,
}

impl CallCounter {
    fn interceptor(&self, service: &'static str) -> CountCalls {
        CountCalls { service, counts: Arc::clone(&self.counts), progress: self.progress.clone() }
    }

    fn snapshot(&self) -> CallStats {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        CallStats { by_operation: counts.clone() }
    }
}

/// Counts each HTTP request right before it is sent: the SDK's own retries are off, so one
/// transmit is one attempt of ours.
#[derive(Debug)]
struct CountCalls {
    service: &'static str,
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    /// Counted here too, so progress and [`CallStats`] never disagree on the number of calls.
    progress: Progress,
}

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "offboard-call-counter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg.load::<Metadata>().map(|m| m.name().to_owned()).unwrap_or_else(|| "unknown".to_owned());
        let key = format!("{}:{}", self.service, op);
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(key).or_insert(0) += 1;
        self.progress.call_sent();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(pairs: &[(&str, u64)]) -> CallStats {
        CallStats { by_operation: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect() }
    }

    #[test]
    fn since_subtracts_and_drops_zeroes() {
        let before = stats(&[("sso:ListInstances", 1), ("identitystore:GetUserId", 3)]);
        let after =
            stats(&[("sso:ListInstances", 1), ("identitystore:GetUserId", 5), ("kendra:ListEntityPersonas", 2)]);
        let d = after.since(&before);
        assert_eq!(d, stats(&[("identitystore:GetUserId", 2), ("kendra:ListEntityPersonas", 2)]));
        assert_eq!(d.total(), 4);
        assert_eq!(d.get("sso:ListInstances"), 0);
    }

    #[test]
    fn table_lists_each_operation_and_the_total() {
        let s = stats(&[("sso:DeleteAccountAssignment", 7), ("appstream:BatchDisassociateUserStack", 1)]).to_string();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 3, "{s}");
        assert!(lines[0].starts_with("appstream:BatchDisassociateUserStack") && lines[0].ends_with(" 1"), "{s}");
        assert!(lines[2].starts_with("total") && lines[2].ends_with(" 8"), "{s}");
    }

    #[tokio::test]
    async fn connect_honours_an_explicit_region_and_always_has_one_for_emulators() {
        // Whatever the environment of the test run says, a sandbox connection ends up with a
        // region (the chain's, or the emulator default).
        let opts = ConnectOptions { static_credentials: true, ..ConnectOptions::default() };
        let clients = Clients::connect(&opts).await.unwrap();
        assert!(clients.sso.config().region().is_some());
        let opts = ConnectOptions {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            region: Some("eu-west-3".into()),
            ..ConnectOptions::default()
        };
        let clients = Clients::connect(&opts).await.unwrap();
        assert_eq!(clients.kendra.config().region().map(|r| r.as_ref()), Some("eu-west-3"));
    }
}
