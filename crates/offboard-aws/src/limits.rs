//! How fast and how hard offboard may work against AWS.

use crate::ratelimit::Tps;
use crate::read_strategy::ReadStrategy;
use crate::retry::RetryPolicy;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Calls per second per quota (retries included), defaults from the table of quotas:
    /// Identity Center 20 (documented, shared by all its APIs; Identity Store shares it unless
    /// given its own), AppStream and Kendra 10 (no published rate; throttling answers are
    /// retried anyway). `0` = unlimited.
    pub tps: Tps,
    /// Identity Center deletions (`DeleteAccountAssignment`) outstanding at once. AWS documents
    /// a per-instance limit of 10 outstanding asynchronous account-assignment operations that
    /// cannot be raised; newer AWS pages may say otherwise, hence configurable. Deletions by
    /// others on the same instance count against AWS's limit too: Identity Center then answers
    /// `ConflictException`, which is retried.
    pub max_in_flight_deletions: usize,
    /// AWS calls outstanding at once for reads and batch removals (the rate limiters still cap
    /// the rate; this caps memory and sockets).
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// How long one Identity Center deletion may stay IN_PROGRESS before it is reported failed.
    pub deletion_timeout: Duration,
    /// Identity Center deletions are polled on an adaptive schedule (see
    /// `edge::sso_assignment::PollClock`): first at `first_deletion_estimate` after a deletion
    /// started, then at the completion time learnt from earlier deletions.
    pub first_deletion_estimate: Duration,
    /// The longest wait between two polls of Identity Center deletions that are overdue (still
    /// IN_PROGRESS after the learnt completion time); shorter waits back off up to it.
    pub max_deletion_poll_gap: Duration,
    /// How often Kendra principal-mapping deletions still in progress are polled. (Identity
    /// Center deletions are not polled at a fixed interval: see `first_deletion_estimate`.)
    pub poll_interval: Duration,
    /// Per-principal or per-container reads (`read_strategy.rs`); the cheaper by default.
    pub read_strategy: ReadStrategy,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            tps: Tps::default(),
            max_in_flight_deletions: 10,
            concurrency: 8,
            retry: RetryPolicy::default(),
            deletion_timeout: Duration::from_secs(300),
            first_deletion_estimate: Duration::from_millis(100),
            max_deletion_poll_gap: Duration::from_secs(2),
            poll_interval: Duration::from_secs(1),
            read_strategy: ReadStrategy::Cheaper,
        }
    }
}
