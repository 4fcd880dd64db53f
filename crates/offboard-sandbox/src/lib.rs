//! `offboard-sandbox`: an AWS-compatible emulator of the Identity Store, IAM Identity Center
//! admin (SSO Admin), AppStream 2.0 and Kendra operations offboard uses.
//!
//! One HTTP server on `127.0.0.1` speaks the real wire protocols — awsJson1_1 (`X-Amz-Target`)
//! for all four services and rpcv2Cbor for AppStream (what the current Rust SDK and boto3 send) —
//! so the official SDKs cannot tell it from AWS for these operations. Requests are validated
//! against the official models (`offboard-models`), state comes from an org fixture
//! ([`fixture`], format in `FIXTURE.md`), and faults are opt-in and seeded ([`Faults`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use offboard_sandbox::{Faults, Org, Sandbox};
//!
//! let org = Org::from_path("examples/sandbox/org.yaml")?;
//! let sandbox = Sandbox::start(org, Faults::none()).await?;
//! // point an SDK client's endpoint_url at sandbox.url() ...
//! let state = sandbox.snapshot();
//! assert!(!state.sso_assignments.is_empty());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Tests that run the sandbox as a separate process (`offboard sandbox serve`) read the same log,
//! state and fault settings over HTTP under `/_sandbox/` (see [`server`]).

mod api_error;
mod app;
mod cbor;
mod conformance;
pub mod faults;
pub mod fixture;
#[doc(hidden)]
pub mod fuzz_api;
mod ids;
mod organizations;
mod pagination;
mod request_log;
pub mod server;
mod service;
mod services;
pub mod snapshot;
mod state;
mod sts;
mod wire;
mod world;

pub use faults::{Faults, FaultsError};
pub use fixture::{FixtureError, Org};
pub use request_log::LoggedRequest;
pub use server::{RunningSandbox, Sandbox, SandboxError, serve};
pub use service::{AwsService, Protocol, UnknownService};
pub use services::operations as emulated_operations;
pub use snapshot::StateSnapshot;
pub use world::SavedWorld;
