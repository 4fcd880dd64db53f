//! Retries: jittered exponential backoff with a bounded number of attempts *and* a bounded total
//! wait.
//!
//! The SDK's own retry layer is switched off (`RetryConfig::disabled()` in [`crate::clients`])
//! and retries happen here instead, for three reasons:
//! - every attempt passes through our token bucket and is counted, so the rate limit holds for
//!   retries too and the journal can say how many attempts an item took;
//! - `ConflictException` (another operation on the same assignment in progress) is transient
//!   for us, while the SDK's standard strategy treats it as final;
//! - the total time spent waiting is bounded per call, so a throttled or failing endpoint makes
//!   `apply` report the item as failed within a known time instead of stalling.

use std::time::Duration;

/// How hard to retry one call.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles with every retry, up to `max_backoff`.
    pub base: Duration,
    pub max_backoff: Duration,
    /// The sum of all backoff waits of one call never exceeds this.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_total_wait: Duration::from_secs(60),
        }
    }
}

/// The retry state of one call.
#[derive(Debug)]
pub struct Backoff<'p> {
    policy: &'p RetryPolicy,
    attempts: u32,
    waited: Duration,
}

impl<'p> Backoff<'p> {
    pub fn new(policy: &'p RetryPolicy) -> Self {
        Self { policy, attempts: 0, waited: Duration::ZERO }
    }

    /// Record that an attempt is being made; returns its 1-based number.
    pub fn attempt(&mut self) -> u32 {
        self.attempts += 1;
        self.attempts
    }

    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The wait before the next attempt, or `None` when the budget (attempts or total wait) is
    /// spent. `unit` is a random number in `[0, 1)`, passed in so tests can pin it.
    ///
    /// "Equal jitter": half the exponential step is fixed and half is random, so a crowd of
    /// retrying workers spreads out (the random half) while each still backs off for real (the
    /// fixed half) — pure "full jitter" may retry a throttled endpoint immediately.
    pub fn next_delay(&mut self, unit: f64) -> Option<Duration> {
        if self.attempts >= self.policy.max_attempts {
            return None;
        }
        let exp = self.attempts.saturating_sub(1).min(30);
        let step = self.policy.base.saturating_mul(1u32 << exp).min(self.policy.max_backoff);
        let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.0 };
        let delay = step / 2 + step.mul_f64(unit / 2.0);
        if self.waited + delay > self.policy.max_total_wait {
            return None;
        }
        self.waited += delay;
        Some(delay)
    }

    pub fn waited(&self) -> Duration {
        self.waited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 6,
            base: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            max_total_wait: Duration::from_secs(60),
        }
    }

    #[test]
    fn delays_grow_exponentially_within_jitter_bounds() {
        let p = policy();
        for unit in [0.0, 0.5, 0.999_999] {
            let mut b = Backoff::new(&p);
            let mut delays = Vec::new();
            loop {
                b.attempt();
                match b.next_delay(unit) {
                    Some(d) => delays.push(d),
                    None => break,
                }
            }
            // 6 attempts → 5 waits in between.
            assert_eq!(delays.len(), 5, "unit {unit}: {delays:?}");
            let steps = [100u64, 200, 400, 800, 1000];
            for (d, step) in delays.iter().zip(steps) {
                let step = Duration::from_millis(step);
                assert!(*d >= step / 2 && *d <= step, "unit {unit}: {d:?} not in [{:?}, {step:?}]", step / 2);
            }
        }
    }

    #[test]
    fn total_wait_is_bounded() {
        let p = RetryPolicy { max_attempts: 100, max_total_wait: Duration::from_millis(1500), ..policy() };
        let mut b = Backoff::new(&p);
        let mut total = Duration::ZERO;
        let mut n = 0;
        loop {
            b.attempt();
            match b.next_delay(0.999) {
                Some(d) => {
                    total += d;
                    n += 1;
                }
                None => break,
            }
        }
        assert!(total <= p.max_total_wait, "{total:?}");
        assert_eq!(total, b.waited());
        assert!(n < 99, "the wait budget, not the attempt budget, must have stopped it ({n} retries)");
    }

    #[test]
    fn one_attempt_means_no_retry_and_bad_randoms_are_tamed() {
        let p = RetryPolicy { max_attempts: 1, ..policy() };
        let mut b = Backoff::new(&p);
        b.attempt();
        assert_eq!(b.next_delay(0.3), None);

        let p = policy();
        let mut b = Backoff::new(&p);
        b.attempt();
        assert_eq!(b.next_delay(f64::NAN), Some(Duration::from_millis(50)));
        b.attempt();
        assert_eq!(b.next_delay(7.0), Some(Duration::from_millis(200)));
    }
}
