//! Fault injection: throttling, server errors, latency, dropped connections, slow or failing
//! asynchronous deletions, a cap on outstanding SSO account-assignment operations (refused with
//! `ConflictException`, our guess at AWS's undocumented error), per-entity partial failures and
//! failing removals of group memberships.
//!
//! Every fault is off by default. Random faults draw from one RNG seeded with [`Faults::seed`], and
//! every request draws the same number of values whatever is enabled, so a sequential client sees
//! the same faults on every run with the same seed.
//!
//! Faults never corrupt state. A request answered with an injected error (throttling, 5xx) is
//! rejected before it is looked at, so it changed nothing. A dropped connection is decided up
//! front but carried out *after* the request was applied: the client sees a network error for a
//! request that did take effect, and its retry meets the new state (e.g. the retried
//! `DeleteAccountAssignment` finds the assignment gone or its deletion in progress). That is the
//! nastier, realistic case a reconciler must survive.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize, Serializer};

use crate::service::AwsService;

/// Which faults to inject. Build with [`Faults::none`] and the `with_*` methods, or deserialize
/// from JSON (`PUT /_sandbox/faults`); every field is optional there.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Seed of the RNG behind every random fault.
    pub seed: u64,
    /// Per-service request rate limit in requests per second (token bucket, burst = one second's
    /// worth, at least 1). Requests beyond it get `ThrottlingException`.
    #[serde(serialize_with = "serialize_tps")]
    pub tps: BTreeMap<AwsService, f64>,
    /// Fraction (0..=1) of requests answered with a 5xx: the service's internal error (500) or
    /// `ServiceUnavailableException` (503), chosen at random.
    pub error_rate: f64,
    /// Latency added to every request.
    pub latency_ms: u64,
    /// Extra latency, uniform in `0..=jitter_ms`, added to every request.
    pub jitter_ms: u64,
    /// Fraction (0..=1) of requests whose connection is closed without an answer, after the
    /// request was applied.
    pub drop_rate: f64,
    /// How long asynchronous work stays in progress: SSO `DeleteAccountAssignment` (IN_PROGRESS)
    /// and Kendra principal mapping actions (PROCESSING / DELETING). 0, the default, means the
    /// work is done by the next request. Evaluated when state is read, against the *current*
    /// setting, so lowering it finishes pending work at once.
    pub deletion_delay_ms: u64,
    /// Entities whose batch items fail: AppStream user names (BatchDisassociateUserStack /
    /// BatchAssociateUserStack get `INTERNAL_ERROR` for them), Kendra entity ids or the user name /
    /// group display name behind one (DisassociatePersonasFromEntities and
    /// DisassociateEntitiesFromExperience list them in `FailedEntityList`), and Kendra ACL group
    /// ids (DeletePrincipalMapping ends `FAILED`).
    pub fail_entities: BTreeSet<String>,
    /// Identity Store group memberships whose `DeleteGroupMembership` is refused with
    /// `ConflictException` (nothing changes), named by membership id, group id, group display
    /// name, user id or user name (a user name fails every membership of that user).
    pub fail_memberships: BTreeSet<String>,
    /// Principals whose SSO assignment deletions end `FAILED` (with a `FailureReason`): a
    /// principal id, a user name or a group display name.
    pub fail_deletions: BTreeSet<String>,
    /// AppStream user names whose `BatchDisassociateUserStack` items are answered as done but
    /// left in place: a service that says yes and does nothing, which only a re-read after
    /// apply can catch.
    pub ignore_entities: BTreeSet<String>,
    /// Organizations `ListAccounts` is answered `AccessDeniedException`, as for a role without
    /// `organizations:ListAccounts` (plans then show account ids without names).
    pub deny_organizations: bool,
    /// At most this many SSO account-assignment operations in progress at once per instance
    /// (`None`, the default: no limit). AWS has such a quota (10 outstanding asynchronous
    /// operations, not raisable) but does not document the error it answers beyond it; the
    /// sandbox refuses the `DeleteAccountAssignment` or `CreateAccountAssignment` that would
    /// exceed it with `ConflictException` naming the limit, and changes nothing. That error is
    /// our best guess. Only deletions stay in progress here (creations complete at once), so it
    /// bites together with `deletion_delay_ms`.
    pub max_outstanding_operations: Option<u32>,
}

/// Settings that cannot work, e.g. a rate outside 0..=1.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid fault settings: {0}")]
pub struct FaultsError(pub String);

impl Faults {
    /// No faults at all (the default).
    pub fn none() -> Faults {
        Faults::default()
    }

    pub fn with_seed(mut self, seed: u64) -> Faults {
        self.seed = seed;
        self
    }

    pub fn with_tps(mut self, service: AwsService, tps: f64) -> Faults {
        self.tps.insert(service, tps);
        self
    }

    pub fn with_error_rate(mut self, rate: f64) -> Faults {
        self.error_rate = rate;
        self
    }

    pub fn with_latency(mut self, fixed: Duration, jitter: Duration) -> Faults {
        self.latency_ms = duration_ms(fixed);
        self.jitter_ms = duration_ms(jitter);
        self
    }

    pub fn with_drop_rate(mut self, rate: f64) -> Faults {
        self.drop_rate = rate;
        self
    }

    pub fn with_deletion_delay(mut self, delay: Duration) -> Faults {
        self.deletion_delay_ms = duration_ms(delay);
        self
    }

    pub fn with_failing_entity(mut self, entity: impl Into<String>) -> Faults {
        self.fail_entities.insert(entity.into());
        self
    }

    pub fn with_ignored_entity(mut self, entity: impl Into<String>) -> Faults {
        self.ignore_entities.insert(entity.into());
        self
    }

    pub fn with_failing_membership(mut self, membership: impl Into<String>) -> Faults {
        self.fail_memberships.insert(membership.into());
        self
    }

    pub fn with_failing_deletion(mut self, principal: impl Into<String>) -> Faults {
        self.fail_deletions.insert(principal.into());
        self
    }

    pub fn with_max_outstanding_operations(mut self, max: u32) -> Faults {
        self.max_outstanding_operations = Some(max);
        self
    }

    pub fn with_organizations_denied(mut self) -> Faults {
        self.deny_organizations = true;
        self
    }

    pub fn deletion_delay(&self) -> Duration {
        Duration::from_millis(self.deletion_delay_ms)
    }

    /// Checks that rates are fractions, rate limits positive and the outstanding-operation cap at
    /// least 1.
    pub fn validate(&self) -> Result<(), FaultsError> {
        if self.max_outstanding_operations == Some(0) {
            return Err(FaultsError(
                "max_outstanding_operations is 0; expected at least 1 (leave it out for no limit)".to_owned(),
            ));
        }
        for (name, rate) in [("error_rate", self.error_rate), ("drop_rate", self.drop_rate)] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(FaultsError(format!("{name} is {rate}; expected a fraction between 0 and 1 (e.g. 0.1)")));
            }
        }
        for (service, tps) in listed(&self.tps) {
            if !tps.is_finite() || tps <= 0.0 {
                return Err(FaultsError(format!(
                    "tps for {service} is {tps}; expected a positive number of requests per second"
                )));
            }
        }
        Ok(())
    }

    /// Whether any of `names` (an id and the readable names behind it) is a failing entity.
    pub(crate) fn entity_fails(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.fail_entities.contains(*n))
    }

    /// Whether any of `names` (a membership id and the ids and names of its group and user) is a
    /// membership whose removal fails.
    pub(crate) fn membership_fails(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.fail_memberships.contains(*n))
    }

    /// Whether any of `names` is a principal whose deletions fail.
    pub(crate) fn deletion_fails(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.fail_deletions.contains(*n))
    }
}

/// The rate limits in [`AwsService::LISTING_ORDER`]: the order in which fault settings have
/// always been written and checked. Iterating the map itself would follow the enum's order,
/// which is the order of offboard-models' table and differs.
fn listed(tps: &BTreeMap<AwsService, f64>) -> impl Iterator<Item = (AwsService, f64)> + '_ {
    AwsService::LISTING_ORDER.into_iter().filter_map(|service| tps.get(&service).map(|t| (service, *t)))
}

fn serialize_tps<S: Serializer>(tps: &BTreeMap<AwsService, f64>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(listed(tps))
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What the fault engine decided for one request.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Decision {
    pub latency: Duration,
    pub injected: Option<InjectedError>,
    /// Close the connection without answering, after applying the request.
    pub drop_connection: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InjectedError {
    Throttled,
    /// A 5xx: the service's internal error (`unavailable == false`) or a 503.
    ServerError {
        unavailable: bool,
    },
}

/// Faults plus the mutable parts behind them (RNG, token buckets).
#[derive(Debug)]
pub(crate) struct FaultEngine {
    faults: Faults,
    rng: StdRng,
    buckets: BTreeMap<AwsService, Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl FaultEngine {
    pub fn new(faults: Faults) -> FaultEngine {
        let rng = StdRng::seed_from_u64(faults.seed);
        FaultEngine { faults, rng, buckets: BTreeMap::new() }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Replaces the settings and restarts the RNG and rate limits from scratch.
    pub fn replace(&mut self, faults: Faults) {
        *self = FaultEngine::new(faults);
    }

    /// Decides the faults of one request to `service` arriving at `now`.
    pub fn decide(&mut self, service: AwsService, now: Instant) -> Decision {
        // Always draw the same four values so enabling one fault does not shift the others.
        let jitter_draw: f64 = self.rng.random();
        let error_draw: f64 = self.rng.random();
        let kind_draw: bool = self.rng.random();
        let drop_draw: f64 = self.rng.random();

        let jitter = (jitter_draw * (self.faults.jitter_ms as f64 + 1.0)).floor() as u64;
        let latency = Duration::from_millis(self.faults.latency_ms.saturating_add(jitter.min(self.faults.jitter_ms)));

        let throttled = match self.faults.tps.get(&service) {
            Some(&tps) => !self.take_token(service, tps, now),
            None => false,
        };
        let injected = if throttled {
            Some(InjectedError::Throttled)
        } else if error_draw < self.faults.error_rate {
            Some(InjectedError::ServerError { unavailable: kind_draw })
        } else {
            None
        };
        Decision { latency, injected, drop_connection: injected.is_none() && drop_draw < self.faults.drop_rate }
    }

    fn take_token(&mut self, service: AwsService, tps: f64, now: Instant) -> bool {
        let capacity = tps.max(1.0);
        let bucket = self.buckets.entry(service).or_insert(Bucket { tokens: capacity, last: now });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * tps).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_faults_decide_nothing() {
        let mut engine = FaultEngine::new(Faults::none());
        let now = Instant::now();
        for _ in 0..100 {
            let d = engine.decide(AwsService::Kendra, now);
            assert_eq!(d.injected, None);
            assert!(!d.drop_connection);
            assert_eq!(d.latency, Duration::ZERO);
        }
    }

    #[test]
    fn same_seed_same_decisions() {
        let faults = Faults::none()
            .with_seed(42)
            .with_error_rate(0.3)
            .with_drop_rate(0.2)
            .with_latency(Duration::from_millis(1), Duration::from_millis(5));
        let now = Instant::now();
        let run = |faults: &Faults| {
            let mut e = FaultEngine::new(faults.clone());
            (0..50).map(|_| e.decide(AwsService::SsoAdmin, now)).collect::<Vec<_>>()
        };
        let a = run(&faults);
        assert_eq!(a, run(&faults));
        assert!(a.iter().any(|d| d.injected.is_some()));
        assert!(a.iter().any(|d| d.drop_connection));
        assert!(a.iter().all(|d| d.latency <= Duration::from_millis(6)));
        assert_ne!(a, run(&faults.clone().with_seed(43)));
    }

    #[test]
    fn token_bucket_throttles_a_burst_and_refills() {
        let mut engine = FaultEngine::new(Faults::none().with_tps(AwsService::SsoAdmin, 2.0));
        let t0 = Instant::now();
        let burst: Vec<_> = (0..3).map(|_| engine.decide(AwsService::SsoAdmin, t0).injected).collect();
        assert_eq!(burst, vec![None, None, Some(InjectedError::Throttled)]);
        // Other services are not limited.
        assert_eq!(engine.decide(AwsService::Kendra, t0).injected, None);
        // Half a second later one token is back.
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(engine.decide(AwsService::SsoAdmin, t1).injected, None);
        assert_eq!(engine.decide(AwsService::SsoAdmin, t1).injected, Some(InjectedError::Throttled));
    }

    #[test]
    fn validation_explains_bad_rates() {
        let err = Faults::none().with_error_rate(1.5).validate().unwrap_err();
        assert!(err.to_string().contains("between 0 and 1"), "{err}");
        let err = Faults::none().with_tps(AwsService::Kendra, 0.0).validate().unwrap_err();
        assert!(err.to_string().contains("kendra"), "{err}");
        assert!(Faults::none().with_drop_rate(0.5).validate().is_ok());
        let err = Faults::none().with_max_outstanding_operations(0).validate().unwrap_err();
        assert!(err.to_string().contains("max_outstanding_operations is 0"), "{err}");
        assert!(Faults::none().with_max_outstanding_operations(1).validate().is_ok());
    }

    #[test]
    fn faults_round_trip_through_json() {
        let faults = Faults::none()
            .with_tps(AwsService::AppStream, 5.0)
            .with_failing_entity("alice")
            .with_deletion_delay(Duration::from_millis(20));
        let json = serde_json::to_string(&faults).unwrap();
        assert!(json.contains("\"appstream\":5.0"), "{json}");
        let back: Faults = serde_json::from_str(&json).unwrap();
        assert_eq!(back, faults);
        let partial: Faults = serde_json::from_str(r#"{"error_rate":0.25}"#).unwrap();
        assert_eq!(partial.error_rate, 0.25);
        assert_eq!(partial.max_outstanding_operations, None, "no cap unless asked for");
        let capped: Faults = serde_json::from_str(r#"{"max_outstanding_operations":10}"#).unwrap();
        assert_eq!(capped, Faults::none().with_max_outstanding_operations(10));
        assert!(serde_json::to_string(&capped).unwrap().contains(r#""max_outstanding_operations":10"#));
        assert!(serde_json::from_str::<Faults>(r#"{"eror_rate":0.25}"#).is_err());
    }

    #[test]
    fn failing_memberships_match_any_name_of_the_membership() {
        let faults: Faults = serde_json::from_str(r#"{"fail_memberships":["Finance","m-1"]}"#).unwrap();
        assert_eq!(faults, Faults::none().with_failing_membership("m-1").with_failing_membership("Finance"));
        assert!(faults.membership_fails(&["m-2", "g-1", "Finance", "u-1", "tara"]));
        assert!(faults.membership_fails(&["m-1", "g-2", "Data Science", "u-1", "tara"]));
        assert!(!faults.membership_fails(&["m-2", "g-2", "Data Science", "u-1", "tara"]));
        // Entity and deletion faults are separate sets.
        assert!(!faults.entity_fails(&["Finance"]));
        assert!(!faults.deletion_fails(&["Finance"]));
    }

    #[test]
    fn rate_limits_are_written_and_checked_identity_store_first() {
        let all = AwsService::ALL.into_iter().rev().fold(Faults::none(), |f, s| f.with_tps(s, 1.0));
        // The text, not a `Value`: a `Value`'s map would sort the keys itself.
        let json = serde_json::to_string(&all).unwrap();
        assert!(json.contains(r#""tps":{"identitystore":1.0,"sso-admin":1.0,"appstream":1.0,"kendra":1.0}"#), "{json}");
        let err = serde_json::from_str::<Faults>(r#"{"tps":{"s3":1}}"#).unwrap_err().to_string();
        assert!(err.contains("expected one of `identitystore`, `sso-admin`, `appstream`, `kendra`"), "{err}");
        let two_bad = Faults::none().with_tps(AwsService::SsoAdmin, 0.0).with_tps(AwsService::IdentityStore, -1.0);
        assert!(two_bad.validate().unwrap_err().to_string().contains("tps for identitystore"));
    }
}
