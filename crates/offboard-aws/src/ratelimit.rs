//! Client-side rate limits: one token bucket per AWS quota.
//!
//! AWS throttles per service and account, and Identity Center counts the calls of all its APIs
//! together (the documented 20 TPS covers sso-admin *and* identitystore), so sso-admin and
//! identitystore share one bucket. Every attempt, retries included, takes a token first.
//!
//! The bucket holds at most one token: calls are paced evenly at `tps` rather than sent in
//! bursts, so offboard never exceeds the rate in any one-second window and leaves headroom for
//! other tools using the same account. Callers that find the bucket empty reserve a future slot
//! (the token count goes negative), which keeps waiting callers in arrival order without a queue.
//!
//! The rate adapts: a throttling answer halves it (AWS's real limit may be lower than
//! configured, or shared with other callers), and each success wins back a twentieth of the
//! configured rate, up to it. Backoff alone only delays the throttled call; without slowing the
//! whole bucket, ten concurrent deletions keep hammering a 5 TPS endpoint and run out of retries.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub use offboard_models::Quota;

/// Calls per second for each quota (retries included); `0` = unlimited. The defaults come from
/// the table of quotas in `offboard-models` (`QUOTAS`).
#[derive(Clone, Debug, PartialEq)]
pub struct Tps([f64; Quota::ALL.len()]);

impl Tps {
    pub fn get(&self, q: Quota) -> f64 {
        self.0[q as usize]
    }

    pub fn set(&mut self, q: Quota, tps: f64) {
        self.0[q as usize] = tps;
    }

    /// The same rate for every quota.
    pub fn all(tps: f64) -> Self {
        Tps([tps; Quota::ALL.len()])
    }

    /// No client-side rate limit at all (tests against local emulators).
    pub fn unlimited() -> Self {
        Tps::all(0.0)
    }
}

impl Default for Tps {
    fn default() -> Self {
        Tps(Quota::ALL.map(Quota::default_tps))
    }
}

/// A token bucket with capacity one, reservations and an adaptive rate. The arithmetic takes
/// the current time as an argument ([`TokenBucket::reserve`]), so it is tested without a clock.
#[derive(Debug)]
pub struct TokenBucket {
    /// Configured tokens per second; `None` = unlimited.
    max_rate: Option<f64>,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    last: Option<Instant>,
    /// Current rate: `max_rate`, lowered by throttling.
    rate: f64,
}

const CAPACITY: f64 = 1.0;
/// The rate never drops below this fraction of the configured one.
const MIN_RATE_FRACTION: f64 = 0.05;
/// Each success raises the rate by this fraction of the configured one.
const RECOVERY_FRACTION: f64 = 0.05;

impl TokenBucket {
    /// `tps <= 0`, NaN or infinite means unlimited.
    pub fn new(tps: f64) -> Self {
        let max_rate = (tps.is_finite() && tps > 0.0).then_some(tps);
        Self {
            max_rate,
            state: Mutex::new(BucketState { tokens: CAPACITY, last: None, rate: max_rate.unwrap_or(0.0) }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, BucketState> {
        // A poisoned lock only means another task panicked mid-update of plain numbers; they
        // are still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Take a token at `now`; returns how long the caller must wait before sending.
    pub fn reserve(&self, now: Instant) -> Duration {
        if self.max_rate.is_none() {
            return Duration::ZERO;
        }
        let mut s = self.state();
        let rate = s.rate;
        if let Some(last) = s.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            s.tokens = (s.tokens + elapsed * rate).min(CAPACITY);
        }
        if s.last.is_none_or(|l| now > l) {
            s.last = Some(now);
        }
        s.tokens -= 1.0;
        if s.tokens >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-s.tokens / rate) }
    }

    /// The endpoint said "slow down": halve the rate.
    pub fn throttled(&self) {
        if let Some(max) = self.max_rate {
            let mut s = self.state();
            s.rate = (s.rate / 2.0).max(max * MIN_RATE_FRACTION);
        }
    }

    /// A call went through: win back some rate.
    pub fn succeeded(&self) {
        if let Some(max) = self.max_rate {
            let mut s = self.state();
            s.rate = (s.rate + max * RECOVERY_FRACTION).min(max);
        }
    }

    /// The current rate in calls per second (`None` = unlimited).
    pub fn rate(&self) -> Option<f64> {
        self.max_rate.map(|_| self.state().rate)
    }

    /// Wait for a token.
    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The buckets of one run.
#[derive(Debug)]
pub struct RateLimiter {
    buckets: [TokenBucket; Quota::ALL.len()],
}

impl RateLimiter {
    pub fn new(tps: &Tps) -> Self {
        Self { buckets: Quota::ALL.map(|q| TokenBucket::new(tps.get(q))) }
    }

    fn bucket(&self, q: Quota) -> &TokenBucket {
        &self.buckets[q as usize]
    }

    pub async fn acquire(&self, q: Quota) {
        self.bucket(q).acquire().await
    }

    pub fn throttled(&self, q: Quota) {
        self.bucket(q).throttled()
    }

    pub fn succeeded(&self, q: Quota) {
        self.bucket(q).succeeded()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn paces_back_to_back_calls_evenly() {
        let b = TokenBucket::new(20.0);
        let t0 = Instant::now();
        // Ten callers arriving at the same instant are spaced 50 ms apart, in arrival order.
        let waits: Vec<Duration> = (0..10).map(|_| b.reserve(t0)).collect();
        for (i, w) in waits.iter().enumerate() {
            let expected = ms(50 * i as u64);
            assert!(w.abs_diff(expected) < ms(1), "caller {i}: {w:?} vs {expected:?}");
        }
    }

    #[test]
    fn refills_with_time_but_never_beyond_one_token() {
        let b = TokenBucket::new(10.0);
        let t0 = Instant::now();
        assert_eq!(b.reserve(t0), Duration::ZERO);
        // 100 ms later a token is back.
        assert_eq!(b.reserve(t0 + ms(100)), Duration::ZERO);
        // A long idle period does not bank a burst: after 10 s, one free call, then pacing.
        assert_eq!(b.reserve(t0 + ms(10_100)), Duration::ZERO);
        let w = b.reserve(t0 + ms(10_100));
        assert!(w.abs_diff(ms(100)) < ms(1), "{w:?}");
    }

    #[test]
    fn calls_within_any_second_never_exceed_the_rate() {
        // Simulate 200 callers arriving in clumps; compute when each is allowed to send.
        let b = TokenBucket::new(5.0);
        let t0 = Instant::now();
        let mut sends = Vec::new();
        for i in 0..200u64 {
            let arrive = t0 + ms((i / 20) * 700);
            sends.push(arrive + b.reserve(arrive));
        }
        sends.sort();
        for (i, s) in sends.iter().enumerate() {
            let in_window = sends[i..].iter().take_while(|x| x.duration_since(*s) < ms(999)).count();
            assert!(in_window <= 5, "{in_window} sends within one second starting at #{i}");
        }
    }

    #[test]
    fn throttling_halves_the_rate_and_successes_win_it_back() {
        let b = TokenBucket::new(20.0);
        b.throttled();
        assert_eq!(b.rate(), Some(10.0));
        let t0 = Instant::now();
        assert_eq!(b.reserve(t0), Duration::ZERO);
        let w = b.reserve(t0);
        assert!(w.abs_diff(ms(100)) < ms(1), "paced at the lowered rate: {w:?}");
        for _ in 0..10 {
            b.succeeded();
        }
        assert_eq!(b.rate(), Some(20.0), "back to the configured rate, never above");
        for _ in 0..100 {
            b.throttled();
        }
        assert_eq!(b.rate(), Some(1.0), "floored at 5% of the configured rate");
        let unlimited = TokenBucket::new(0.0);
        unlimited.throttled();
        assert_eq!(unlimited.rate(), None);
        assert!(unlimited.reserve(t0).is_zero());
    }

    #[test]
    fn zero_or_nonsense_rates_mean_unlimited() {
        for tps in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            let b = TokenBucket::new(tps);
            let t0 = Instant::now();
            assert!((0..100).all(|_| b.reserve(t0).is_zero()), "{tps}");
        }
    }

    #[test]
    fn identity_center_is_one_quota_for_both_apis() {
        let mut tps = Tps::default();
        tps.set(Quota::AppStream, 5.0);
        tps.set(Quota::Kendra, 7.0);
        assert_eq!(tps.get(Quota::IdentityCenter), 20.0);
        assert_eq!(tps.get(Quota::AppStream), 5.0);
        assert_eq!(tps.get(Quota::Kendra), 7.0);
        use offboard_models::Service;
        assert_eq!(Service::SsoAdmin.quota(), Service::IdentityStore.quota());
    }
}
