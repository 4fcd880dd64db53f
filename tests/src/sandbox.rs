//! One sandbox per test, shared by every `offboard` run of that test.
//!
//! `offboard --sandbox` keeps its sandbox's state in a file between processes; here, instead, the
//! test process owns the sandbox (on its own tokio
//! runtime, so the test itself stays synchronous and simply blocks on the binary) and every run
//! reaches it with `--endpoint-url`; the test then reads the sandbox's state and request log.

use aws_sdk_ssoadmin::config::{BehaviorVersion, Credentials, Region};
use offboard_sandbox::{Faults, LoggedRequest, Org, RunningSandbox, Sandbox, StateSnapshot};
use std::future::Future;
use std::path::Path;
use std::process::Command;

/// A running sandbox plus the runtime that serves it.
#[derive(Debug)]
pub struct TestSandbox {
    // Dropped before the runtime: the server stops while the runtime is still there.
    sandbox: RunningSandbox,
    runtime: tokio::runtime::Runtime,
}

impl TestSandbox {
    /// The example organisation (`examples/sandbox/org.yaml`) with these faults.
    pub fn example(faults: Faults) -> TestSandbox {
        let fixture = crate::cli::example_fixture();
        let org = Org::from_path(&fixture).unwrap_or_else(|e| panic!("cannot load {}: {e}", fixture.display()));
        TestSandbox::start(org, faults)
    }

    pub fn start(org: Org, faults: Faults) -> TestSandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime for the sandbox");
        let sandbox = runtime.block_on(Sandbox::start(org, faults)).expect("the sandbox starts");
        TestSandbox { sandbox, runtime }
    }

    pub fn url(&self) -> String {
        self.sandbox.url()
    }

    pub fn snapshot(&self) -> StateSnapshot {
        self.sandbox.snapshot()
    }

    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.sandbox.request_log()
    }

    pub fn clear_request_log(&self) {
        self.sandbox.clear_request_log();
    }

    pub fn org(&self) -> Org {
        self.sandbox.org()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.sandbox.set_faults(faults).expect("valid fault settings");
    }

    /// Runs a future (e.g. an SDK call) on the sandbox's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// An `offboard` command in `cwd` pointed at this sandbox.
    pub fn offboard(&self, cwd: &Path) -> Command {
        crate::cli::offboard_at(cwd, &self.url())
    }

    /// An SSO Admin client for this sandbox, for tests that change state behind offboard's back.
    pub fn sso_admin(&self) -> aws_sdk_ssoadmin::Client {
        let config = aws_sdk_ssoadmin::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(crate::cli::REGION))
            .credentials_provider(credentials())
            .endpoint_url(self.url())
            .build();
        aws_sdk_ssoadmin::Client::from_conf(config)
    }

    /// An Identity Store client for this sandbox.
    pub fn identity_store(&self) -> aws_sdk_identitystore::Client {
        let config = aws_sdk_identitystore::Config::builder()
            .behavior_version(aws_sdk_identitystore::config::BehaviorVersion::latest())
            .region(aws_sdk_identitystore::config::Region::new(crate::cli::REGION))
            .credentials_provider(credentials())
            .endpoint_url(self.url())
            .build();
        aws_sdk_identitystore::Client::from_conf(config)
    }

    /// An AppStream client for this sandbox.
    pub fn appstream(&self) -> aws_sdk_appstream::Client {
        let config = aws_sdk_appstream::Config::builder()
            .behavior_version(aws_sdk_appstream::config::BehaviorVersion::latest())
            .region(aws_sdk_appstream::config::Region::new(crate::cli::REGION))
            .credentials_provider(credentials())
            .endpoint_url(self.url())
            .build();
        aws_sdk_appstream::Client::from_conf(config)
    }

    /// A Kendra client for this sandbox.
    pub fn kendra(&self) -> aws_sdk_kendra::Client {
        let config = aws_sdk_kendra::Config::builder()
            .behavior_version(aws_sdk_kendra::config::BehaviorVersion::latest())
            .region(aws_sdk_kendra::config::Region::new(crate::cli::REGION))
            .credentials_provider(credentials())
            .endpoint_url(self.url())
            .build();
        aws_sdk_kendra::Client::from_conf(config)
    }
}

fn credentials() -> Credentials {
    Credentials::new("test", "test", None, None, "offboard-tests")
}
