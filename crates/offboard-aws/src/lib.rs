//! The AWS adapter of offboard: reads live access and executes plans through the official Rust
//! SDKs. SDK types stop here: the public API takes and returns `offboard-core` types.
//!
//! | concept | module |
//! |---|---|
//! | building the clients (region, profile, endpoint, sandbox credentials), counting calls | [`clients`] |
//! | how far a run has got: calls, throttling answers, retries, apply's items, for progress display | [`progress`] |
//! | reading what the policy's leavers have | [`read`] ([`read_state`]) |
//! | per-principal or per-container reads, whichever costs fewer calls | [`read_strategy`] |
//! | carrying out a plan | [`mod@apply`] ([`apply()`]) |
//! | re-reading what a plan touched | [`mod@verify`] ([`verify()`]) |
//! | rate limits, retries, error classification | [`ratelimit`], [`retry`], [`error`] |
//! | one module per access edge: observe, re-read, remove (crate-private) | `edge/` |
//! | resolving principals, the Identity Center instance, permission set labels | `identitystore.rs`, `sso.rs` |
//! | every paginated listing | `paginate.rs` |
//! | the places it looks must exist: Identity Store, Kendra index and data sources | `containers.rs` |
//! | account names (Organizations `ListAccounts`, best effort) | [`organizations`] |
//! | where apply would act now (account, region, instance, identity store) and the plan's leavers as the Identity Store resolves them now, for apply's check | [`current`] |
//!
//! Every call goes through one path (`call.rs`): a token from the service's bucket, the SDK
//! call with the SDK's own retries off, classification of a failure, jittered backoff within a
//! bounded budget. Every HTTP request is counted by operation ([`CallStats`]), and with the
//! throttling answers and retries in the clients' [`Progress`].
//!
//! Decisions a reader would otherwise have to dig for:
//! - **Region**: `--region`, else the default chain; an emulator target defaults to
//!   `us-east-1`, real AWS without a region is an error ([`Clients::connect`]).
//! - **Retries** are ours, not the SDK's ([`retry`]), so they are rate-limited, counted,
//!   bounded in total time, and include `ConflictException`.
//! - **Rate limits** are sliding windows per quota (at most ⌊rate⌋ calls in any ⌊rate⌋/rate
//!   seconds), Identity Center's shared by sso-admin and, unless given its own,
//!   identitystore, halving on throttling ([`ratelimit`]).
//! - **Group-inherited SSO assignments** listed for a user are never the user's grants.
//! - **AppStream `"*"`** needs no `DescribeStacks`: associations are listed per user.
//! - **Kendra group mappings** are read at index level and at each configured data source; a
//!   mapping is present unless its latest effective action is DELETING/DELETED (details in
//!   `edge/kendra_group_mapping.rs`). A mapping changed after the plan (newer `OrderingId`) is not deleted.
//! - **Groups declared by id** are not looked up (their name stays unknown).
//! - **Apply never fails as a whole**: each item gets an [`offboard_core::outcome::Outcome`];
//!   failures are final once the retry budget is spent, and are re-read before being called
//!   failures where AWS's answer was ambiguous (batch item errors).

pub mod apply;
mod call;
pub mod clients;
mod containers;
pub mod error;
pub mod limits;
pub mod organizations;
pub mod progress;
pub mod ratelimit;
pub mod read;
pub mod read_strategy;
pub mod retry;
pub mod verify;

mod directory;
mod edge;
mod identitystore;
mod paginate;
mod sso;

pub use apply::{ApplyReport, apply};
pub use clients::{CallStats, Clients, ConnectOptions};
pub use error::{AwsError, CallFailure, FailureKind, ResourceType};
pub use limits::Limits;
pub use progress::{CallSummary, Progress, ProgressSnapshot};
pub use ratelimit::{Quota, Tps};
pub use read::{Current, current, read_state};
pub use read_strategy::ReadStrategy;
pub use retry::RetryPolicy;
pub use verify::verify;
