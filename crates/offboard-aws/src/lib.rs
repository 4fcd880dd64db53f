//! The AWS adapter of offboard: reads live access and executes plans through the official Rust
//! SDKs. SDK types stop here: the public API takes and returns `offboard-core` types.
//!
//! | concept | module |
//! |---|---|
//! | building the clients (region, profile, endpoint, sandbox credentials), counting calls | [`clients`] |
//! | reading what the policy's leavers have | [`read`] ([`read_state`]) |
//! | carrying out a plan | [`apply`] ([`apply()`]) |
//! | re-reading what a plan touched | [`verify`] ([`verify()`]) |
//! | rate limits, retries, error classification | [`ratelimit`], [`retry`], [`error`] |
//! | one module per AWS service (crate-private) | `sso.rs`, `identitystore.rs`, `appstream.rs`, `kendra.rs` |
//!
//! Every call goes through one path (`call.rs`): a token from the service's bucket, the SDK
//! call with the SDK's own retries off, classification of a failure, jittered backoff within a
//! bounded budget. Every HTTP request is counted by operation ([`CallStats`]).

pub mod apply;
mod call;
pub mod clients;
pub mod error;
pub mod limits;
pub mod ratelimit;
pub mod read;
pub mod retry;
pub mod verify;

mod appstream;
mod identitystore;
mod kendra;
mod sso;

pub use apply::{ApplyReport, apply};
pub use clients::{CallStats, Clients, ConnectOptions};
pub use error::{AwsError, CallFailure, FailureKind};
pub use limits::Limits;
pub use ratelimit::PerService;
pub use read::read_state;
pub use retry::RetryPolicy;
pub use verify::verify;
