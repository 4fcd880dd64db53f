//! How fast and how hard offboard may work against AWS.

use crate::ratelimit::Tps;
use crate::read_strategy::ReadStrategy;
use crate::retry::RetryPolicy;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Calls per second per quota (retries included), defaults from the table of quotas:
    /// Identity Center 20 (documented, shared by all its APIs), AppStream and Kendra 10 (no
    /// published rate; throttling answers are retried anyway). `0` = unlimited.
    pub tps: Tps,
    /// Identity Center deletions (`DeleteAccountAssignment`) still IN_PROGRESS at once.
    pub max_in_flight_deletions: usize,
    /// AWS calls outstanding at once for reads and batch removals (the token buckets still cap
    /// the rate; this caps memory and sockets).
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// How long one Identity Center deletion may stay IN_PROGRESS before it is reported failed.
    pub deletion_timeout: Duration,
    /// How often IN_PROGRESS deletions are polled.
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
            poll_interval: Duration::from_secs(1),
            read_strategy: ReadStrategy::Cheaper,
        }
    }
}
