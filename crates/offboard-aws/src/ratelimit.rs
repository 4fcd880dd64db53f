//! Client-side rate limits: one sliding-window limiter per AWS quota.
//!
//! AWS throttles per service and account, and Identity Center counts the calls of all its APIs
//! together (20 TPS, not raisable). Whether Identity Store calls count in that 20 TPS is not
//! documented, so by default they share Identity Center's limiter (the conservative reading);
//! `--tps identitystore=N` gives them one of their own. Every attempt, retries included, is
//! admitted by the limiter first.
//!
//! The limit: at most ⌊rate⌋ calls in any window of ⌊rate⌋/rate seconds: at 20 TPS at most 20
//! calls in any one second, at 2.5 TPS at most 2 in any 0.8 s, and below 1 TPS one call per
//! 1/rate seconds. Calls go out in bursts up to that, not evenly paced: ten Identity Center
//! deletions started together leave at once rather than over half a second, which keeps all ten
//! of Identity Center's outstanding-deletion slots busy. A limiter that keeps this never gets
//! throttled by a token bucket of capacity ⌊rate⌋ or more that refills at `rate` (AWS's
//! documented model, and the sandbox's): a window's calls spend at most ⌊rate⌋ tokens, and by
//! the time the next window's first call is due the bucket has refilled ⌊rate⌋ tokens. The
//! window is rounded up to whole microseconds (plus one) so that floating-point rounding can never
//! make the bucket a hair short; `a_client_obeying_the_window_is_never_throttled_by_the_sandbox_bucket`
//! checks it against the sandbox's arithmetic.
//!
//! Callers reserve a send time without a queue: the limiter remembers the send times of the last
//! ⌊rate⌋ reservations, and a new one may go at the later of now and the window after the
//! ⌊rate⌋-th last; it is told how long to wait. Reservations are granted in arrival order.
//!
//! The rate adapts: a throttling answer halves it (AWS's real limit may be lower than
//! configured, or shared with other callers), and each success wins back a twentieth of the
//! configured rate, up to it. Backoff alone only delays the throttled call; without slowing the
//! whole limiter, ten concurrent deletions keep hammering a 5 TPS endpoint and run out of
//! retries.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub use offboard_models::Quota;

/// Calls per second for each quota (retries included); `0` = unlimited. A quota not set here
/// takes its default from the table of quotas in `offboard-models` (`QUOTAS`); a quota whose
/// default is to share another's (Identity Store shares Identity Center's) uses that one's
/// limiter until it is given a rate of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Tps([Option<f64>; Quota::ALL.len()]);

impl Tps {
    /// The rate calls of `q` are held to: its own, or that of the quota it shares.
    pub fn get(&self, q: Quota) -> f64 {
        match (self.0[q as usize], q.shares_by_default()) {
            (Some(tps), _) => tps,
            (None, Some(shared)) => self.get(shared),
            (None, None) => q.default_tps(),
        }
    }

    /// Give `q` a rate, and with it a limiter of its own.
    pub fn set(&mut self, q: Quota, tps: f64) {
        self.0[q as usize] = Some(tps);
    }

    /// The quota whose limiter counts the calls of `q`.
    pub fn limiter_of(&self, q: Quota) -> Quota {
        match (self.0[q as usize], q.shares_by_default()) {
            (None, Some(shared)) => self.limiter_of(shared),
            _ => q,
        }
    }

    /// The same rate for every quota with a limiter of its own; quotas that share one by default
    /// keep sharing it.
    pub fn all(tps: f64) -> Self {
        Tps(Quota::ALL.map(|q| q.shares_by_default().is_none().then_some(tps)))
    }

    /// No client-side rate limit at all (tests against local emulators).
    pub fn unlimited() -> Self {
        Tps::all(0.0)
    }
}

impl Default for Tps {
    fn default() -> Self {
        Tps([None; Quota::ALL.len()])
    }
}

/// At most ⌊rate⌋ calls in any window of ⌊rate⌋/rate seconds, with reservations and an
/// adaptive rate. The arithmetic takes the current time as an argument ([`Window::reserve`]),
/// so it is tested without a clock.
#[derive(Debug)]
pub struct Window {
    /// Configured calls per second; `None` = unlimited.
    max_rate: Option<f64>,
    state: Mutex<WindowState>,
}

#[derive(Debug)]
struct WindowState {
    /// Send times granted to the most recent reservations, oldest first, at most
    /// ⌊max_rate⌋ of them (the most any window can hold).
    sends: VecDeque<Instant>,
    /// Current rate: `max_rate`, lowered by throttling.
    rate: f64,
}

/// The rate never drops below this fraction of the configured one.
const MIN_RATE_FRACTION: f64 = 0.05;
/// Each success raises the rate by this fraction of the configured one.
const RECOVERY_FRACTION: f64 = 0.05;

/// Calls per window and the window's length at `rate` (> 0).
fn window_of(rate: f64) -> (usize, Duration) {
    let calls = rate.floor().max(1.0);
    // Rounded up to whole microseconds, plus one: a token bucket refilling at `rate` has
    // refilled `calls` tokens by then even after floating-point rounding.
    let micros = (calls / rate * 1e6).ceil() + 1.0;
    (calls as usize, Duration::from_micros(micros as u64))
}

impl Window {
    /// `tps <= 0`, NaN or infinite means unlimited.
    pub fn new(tps: f64) -> Self {
        let max_rate = (tps.is_finite() && tps > 0.0).then_some(tps);
        Self { max_rate, state: Mutex::new(WindowState { sends: VecDeque::new(), rate: max_rate.unwrap_or(0.0) }) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WindowState> {
        // A poisoned lock only means another task panicked mid-update of plain numbers; they
        // are still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserve a send time for a caller arriving at `now`; returns how long it must wait.
    pub fn reserve(&self, now: Instant) -> Duration {
        let Some(max_rate) = self.max_rate else { return Duration::ZERO };
        let mut s = self.state();
        let (calls, window) = window_of(s.rate);
        let mut at = now;
        // Arrival order: never before an earlier reservation.
        if let Some(&last) = s.sends.back() {
            at = at.max(last);
        }
        // The window that ends with this call may hold `calls` calls: it must start after the
        // `calls`-th last one.
        if s.sends.len() >= calls {
            at = at.max(s.sends[s.sends.len() - calls] + window);
        }
        s.sends.push_back(at);
        let keep = (max_rate.floor() as usize).max(1);
        while s.sends.len() > keep {
            s.sends.pop_front();
        }
        at.saturating_duration_since(now)
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

    /// Wait for a send time.
    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The limiters of one run.
#[derive(Debug)]
pub struct RateLimiter {
    windows: [Window; Quota::ALL.len()],
    /// The quota whose limiter counts each quota's calls (itself, or the one it shares).
    route: [Quota; Quota::ALL.len()],
}

impl RateLimiter {
    pub fn new(tps: &Tps) -> Self {
        Self { windows: Quota::ALL.map(|q| Window::new(tps.get(q))), route: Quota::ALL.map(|q| tps.limiter_of(q)) }
    }

    fn window(&self, q: Quota) -> &Window {
        &self.windows[self.route[q as usize] as usize]
    }

    pub async fn acquire(&self, q: Quota) {
        self.window(q).acquire().await
    }

    pub fn throttled(&self, q: Quota) {
        self.window(q).throttled()
    }

    pub fn succeeded(&self, q: Quota) {
        self.window(q).succeeded()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// When each caller of `arrivals` may send, in arrival order.
    fn sends(w: &Window, arrivals: &[Instant]) -> Vec<Instant> {
        arrivals.iter().map(|a| *a + w.reserve(*a)).collect()
    }

    #[test]
    fn a_burst_up_to_the_rate_goes_at_once_and_the_rest_waits_a_window() {
        let w = Window::new(20.0);
        let t0 = Instant::now();
        // Twenty callers at the same instant all go now; the next twenty wait one second, in
        // arrival order.
        let waits: Vec<Duration> = (0..45).map(|_| w.reserve(t0)).collect();
        assert!(waits[..20].iter().all(|w| w.is_zero()), "{waits:?}");
        for (i, wait) in waits[20..40].iter().enumerate() {
            assert!(wait.abs_diff(ms(1000)) < ms(1), "caller {}: {wait:?}", i + 20);
        }
        assert!(waits[40..].iter().all(|wait| wait.abs_diff(ms(2000)) < ms(1)), "{:?}", &waits[40..]);
        assert!(waits.windows(2).all(|p| p[0] <= p[1]), "arrival order");
    }

    #[test]
    fn fractional_rates_allow_whole_calls_per_shorter_window() {
        // 2.5 TPS: two calls in any 0.8 s.
        let w = Window::new(2.5);
        let t0 = Instant::now();
        let waits: Vec<Duration> = (0..6).map(|_| w.reserve(t0)).collect();
        let expected = [0, 0, 800, 800, 1600, 1600];
        for (wait, e) in waits.iter().zip(expected) {
            assert!(wait.abs_diff(ms(e)) < ms(1), "{waits:?}");
        }
        // Below one call per second: one call per 1/rate.
        let w = Window::new(0.5);
        let waits: Vec<Duration> = (0..3).map(|_| w.reserve(t0)).collect();
        for (wait, e) in waits.iter().zip([0, 2000, 4000]) {
            assert!(wait.abs_diff(ms(e)) < ms(1), "{waits:?}");
        }
    }

    #[test]
    fn idle_time_allows_a_full_window_again_but_never_more() {
        let w = Window::new(10.0);
        let t0 = Instant::now();
        assert!((0..10).all(|_| w.reserve(t0).is_zero()));
        // After a long idle period: one window's worth at once, not ten seconds' worth.
        let later = t0 + ms(10_000);
        assert!((0..10).all(|_| w.reserve(later).is_zero()));
        let wait = w.reserve(later);
        assert!(wait.abs_diff(ms(1000)) < ms(1), "{wait:?}");
        // Half a window after a burst: still waits for the burst's window to end.
        let w = Window::new(10.0);
        assert!((0..10).all(|_| w.reserve(t0).is_zero()));
        let wait = w.reserve(t0 + ms(500));
        assert!(wait.abs_diff(ms(500)) < ms(1), "{wait:?}");
    }

    #[test]
    fn calls_within_any_second_never_exceed_the_rate() {
        // Simulate 200 callers arriving in clumps; compute when each is allowed to send.
        let w = Window::new(5.0);
        let t0 = Instant::now();
        let arrivals: Vec<Instant> = (0..200u64).map(|i| t0 + ms((i / 20) * 700)).collect();
        let mut sends = sends(&w, &arrivals);
        sends.sort();
        for (i, s) in sends.iter().enumerate() {
            let in_window = sends[i..].iter().take_while(|x| x.duration_since(*s) < ms(1000)).count();
            assert!(in_window <= 5, "{in_window} sends within one second starting at #{i}");
        }
    }

    /// The sandbox's token bucket (`offboard-sandbox/src/faults.rs`: capacity max(tps, 1), full at
    /// the first request, refilled at tps per second), fed the very send times the window grants.
    struct SandboxBucket {
        tps: f64,
        tokens: f64,
        last: Option<Instant>,
    }

    impl SandboxBucket {
        fn take(&mut self, now: Instant) -> bool {
            let capacity = self.tps.max(1.0);
            let last = *self.last.get_or_insert(now);
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.tps).min(capacity);
            self.last = Some(now);
            if self.tokens >= 1.0 {
                self.tokens -= 1.0;
                true
            } else {
                false
            }
        }
    }

    #[test]
    fn a_client_obeying_the_window_is_never_throttled_by_the_sandbox_bucket() {
        for tps in [20.0, 10.0, 7.0, 5.0, 2.5, 1.5, 1.0, 0.7, 0.3, 33.3] {
            let w = Window::new(tps);
            let mut bucket = SandboxBucket { tps, tokens: tps.max(1.0), last: None };
            let t0 = Instant::now();
            // Clumps of arrivals of every size, with pauses of every length between them.
            let mut arrivals = Vec::new();
            for clump in 0..60u64 {
                let at = t0 + ms(clump * clump * 37 % 2900);
                arrivals.extend(std::iter::repeat_n(at, (clump % 23) as usize + 1));
            }
            arrivals.sort();
            let sends = sends(&w, &arrivals);
            for (i, s) in sends.iter().enumerate() {
                assert!(bucket.take(*s), "{tps} TPS: send #{i} at {:?} throttled", s.duration_since(t0));
            }
        }
    }

    #[test]
    fn throttling_halves_the_rate_and_successes_win_it_back() {
        let w = Window::new(20.0);
        w.throttled();
        assert_eq!(w.rate(), Some(10.0));
        let t0 = Instant::now();
        // Ten calls per second now.
        assert!((0..10).all(|_| w.reserve(t0).is_zero()));
        let wait = w.reserve(t0);
        assert!(wait.abs_diff(ms(1000)) < ms(1), "held to the lowered rate: {wait:?}");
        for _ in 0..10 {
            w.succeeded();
        }
        assert_eq!(w.rate(), Some(20.0), "back to the configured rate, never above");
        for _ in 0..100 {
            w.throttled();
        }
        assert_eq!(w.rate(), Some(1.0), "floored at 5% of the configured rate");
        let unlimited = Window::new(0.0);
        unlimited.throttled();
        assert_eq!(unlimited.rate(), None);
        assert!(unlimited.reserve(t0).is_zero());
    }

    #[test]
    fn zero_or_nonsense_rates_mean_unlimited() {
        for tps in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            let w = Window::new(tps);
            let t0 = Instant::now();
            assert!((0..100).all(|_| w.reserve(t0).is_zero()), "{tps}");
        }
    }

    #[test]
    fn identity_store_shares_identity_centers_limiter_unless_given_its_own_rate() {
        let mut tps = Tps::default();
        tps.set(Quota::AppStream, 5.0);
        tps.set(Quota::Kendra, 7.0);
        assert_eq!(tps.get(Quota::IdentityCenter), 20.0);
        assert_eq!(tps.get(Quota::IdentityStore), 20.0);
        assert_eq!(tps.get(Quota::AppStream), 5.0);
        assert_eq!(tps.get(Quota::Kendra), 7.0);
        assert_eq!(tps.limiter_of(Quota::IdentityStore), Quota::IdentityCenter);
        tps.set(Quota::IdentityCenter, 4.0);
        assert_eq!(tps.get(Quota::IdentityStore), 4.0, "a shared limiter has the sharer's rate");
        assert_eq!(Tps::all(3.0).limiter_of(Quota::IdentityStore), Quota::IdentityCenter);

        // Shared: Identity Store calls use up Identity Center's window.
        let limiter = RateLimiter::new(&Tps::default());
        let t0 = Instant::now();
        for _ in 0..20 {
            assert!(limiter.window(Quota::IdentityStore).reserve(t0).is_zero());
        }
        assert!(!limiter.window(Quota::IdentityCenter).reserve(t0).is_zero(), "the window is shared");

        // Its own rate: its own window.
        tps.set(Quota::IdentityStore, 2.0);
        assert_eq!(tps.limiter_of(Quota::IdentityStore), Quota::IdentityStore);
        let limiter = RateLimiter::new(&tps);
        assert!((0..2).all(|_| limiter.window(Quota::IdentityStore).reserve(t0).is_zero()));
        assert!(!limiter.window(Quota::IdentityStore).reserve(t0).is_zero());
        assert!((0..4).all(|_| limiter.window(Quota::IdentityCenter).reserve(t0).is_zero()));
    }
}
