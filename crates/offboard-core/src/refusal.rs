//! Why `offboard apply` refuses a plan: one typed reason each, and the pure checks that find them.
//!
//! A reviewed plan is only safe to carry out while it still describes the world it was reviewed
//! against. Each check here answers one part of that question from data alone — the plan's own
//! fields, the policy's digest as the caller computed it, the guardrail — and the caller passes
//! the clock in (`now`), like everywhere else in this crate. That keeps every refusal decidable in
//! a unit test, and keeps the order in which they run (and the I/O between them, such as loading
//! the policy files again) in the binary, which is the only place that knows what to read.
//!
//! The messages are what the operator reads on stderr after `error: `. Each one says what is
//! wrong and what to do instead; they are byte-identical to the ones `offboard apply` printed
//! before the checks moved here, because tests and CI logs match on them.

use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One reason not to carry out a plan. Nothing has been sent to AWS when one is returned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `created_at` is not a time at all, so the plan's age cannot be known. The plan file was
    /// not written by `offboard plan` as it is, or was edited.
    #[error("the plan's created_at `{created_at}` is not an RFC 3339 time")]
    CreatedAtUnreadable {
        created_at: String,
        #[source]
        source: time::error::Parse,
    },
    /// The plan is older than `--max-plan-age`: access may have changed since it was reviewed.
    #[error(
        "refused: the plan was made at {created_at} ({} ago), older than --max-plan-age {}s; run `offboard plan` again and review the new plan",
        compact_age(*.age),
        .max_age.as_secs()
    )]
    PlanTooOld { created_at: String, age: time::Duration, max_age: Duration },
    /// The policy files on disk now are not the ones the plan was made from: what was reviewed
    /// is not what the repository says any more.
    #[error(
        "refused: the policy changed after this plan was made (plan {plan_digest}, files now {current_digest}); run `offboard plan` again and review the new plan"
    )]
    PolicyChanged { plan_digest: String, current_digest: String },
    /// More removals than `guardrails.max_removals`, and `--allow-large` was not given: a
    /// policy mistake (a too-wide group, a wrong account) should not go through unnoticed.
    #[error(
        "refused: the plan removes {removals} grants, more than guardrails.max_removals ({max_removals}); review it and pass --allow-large if it is intended"
    )]
    TooManyRemovals { removals: usize, max_removals: u32 },
    /// An action's API request names other grants than its items do, so what a reviewer read
    /// (the items) is not what would be sent (the request).
    #[error(
        "refused: the request of action {action_id} does not match its items ({detail}); the plan file was changed after `offboard plan` wrote it, make a new plan"
    )]
    RequestMismatch { action_id: String, detail: String },
    /// The plan file is not the one that was reviewed (`--expect-plan-digest`).
    #[error(
        "refused: the plan file's digest is {actual}, not the expected {expected}; apply the exact file whose digest the reviewed plan showed"
    )]
    PlanDigestMismatch { expected: String, actual: String },
    /// Parts of the plan file are not what the policy on this machine plans now
    /// ([`crate::authority`]); each was listed with the rule it breaks.
    #[error(
        "refused: {count} part(s) of the plan file are not what the policy on this machine would plan now (listed above); nothing was sent. Make a new plan with `offboard plan` and review it"
    )]
    Unauthorized { count: usize },
    /// The plan was made somewhere else: another AWS account (other credentials), region,
    /// Identity Center instance or identity store. There, every grant would read as "already
    /// removed", and nothing would be.
    #[error(
        "refused: this plan was made in {planned}, but apply runs in {now} ({what}); apply with the credentials and region the plan was made with, or make a new plan here"
    )]
    Elsewhere { planned: String, now: String, what: String },
}

/// Refuses to apply a plan made in another place (see [`Refusal::Elsewhere`]).
pub fn check_location(planned: &crate::plan::Location, now: &crate::plan::Location) -> Result<(), Refusal> {
    let differences = planned.differences(now);
    if differences.is_empty() {
        return Ok(());
    }
    let what = differences
        .iter()
        .map(|(what, p, n)| format!("{what} {p} in the plan, {n} now"))
        .collect::<Vec<_>>()
        .join("; ");
    Err(Refusal::Elsewhere { planned: planned.to_string(), now: now.to_string(), what })
}

/// Refuses a plan file whose digest (`sha256:` of its bytes) is not `expected`; `expected` may
/// be given with or without the `sha256:` prefix, in either case.
pub fn check_plan_digest(expected: &str, actual: &str) -> Result<(), Refusal> {
    let bare = |d: &str| d.trim().trim_start_matches("sha256:").to_ascii_lowercase();
    if bare(expected) == bare(actual) {
        Ok(())
    } else {
        Err(Refusal::PlanDigestMismatch { expected: expected.to_owned(), actual: actual.to_owned() })
    }
}

/// Refuses a plan made more than `max_age` before `now`, or whose `created_at` is unreadable.
///
/// A plan dated in the future (a clock skewed between the machine that planned and the one that
/// applies) is not refused: its age is negative, so it is not older than any limit.
pub fn check_plan_age(created_at: &str, now: OffsetDateTime, max_age: Duration) -> Result<(), Refusal> {
    let created = OffsetDateTime::parse(created_at, &Rfc3339)
        .map_err(|source| Refusal::CreatedAtUnreadable { created_at: created_at.to_owned(), source })?;
    let age = now - created;
    // A limit too large for `time::Duration` (e.g. `--max-plan-age 100000000000d`) means "any
    // age", not an overflow.
    if age > time::Duration::try_from(max_age).unwrap_or(time::Duration::MAX) {
        return Err(Refusal::PlanTooOld { created_at: created_at.to_owned(), age, max_age });
    }
    Ok(())
}

/// Refuses a plan whose recorded policy digest differs from the digest of the policy as it is
/// now (`Policy::digest` of the files loaded again from the plan's own paths).
pub fn check_policy_digest(plan_digest: &str, current_digest: &str) -> Result<(), Refusal> {
    if plan_digest != current_digest {
        return Err(Refusal::PolicyChanged {
            plan_digest: plan_digest.to_owned(),
            current_digest: current_digest.to_owned(),
        });
    }
    Ok(())
}

/// Refuses more than `max_removals` removals unless `allow_large`. Exactly `max_removals` is
/// allowed: the guardrail is the largest plan that needs no second look.
pub fn check_removal_count(removals: usize, max_removals: u32, allow_large: bool) -> Result<(), Refusal> {
    // `u32` always fits in `usize` on the targets offboard builds for (32- and 64-bit); should
    // it not, no plan could reach the limit, so saturating is the honest reading.
    let limit = usize::try_from(max_removals).unwrap_or(usize::MAX);
    if removals > limit && !allow_large {
        return Err(Refusal::TooManyRemovals { removals, max_removals });
    }
    Ok(())
}

/// An age as `1d3h`, `2h5m` or `4m10s`: the two largest units are all an operator needs to see
/// how stale a plan is. A negative age (never refused) shows as `0m0s`.
fn compact_age(age: time::Duration) -> String {
    let s = age.whole_seconds().max(0);
    if s >= 86_400 {
        format!("{}d{}h", s / 86_400, s % 86_400 / 3600)
    } else if s >= 3600 {
        format!("{}h{}m", s / 3600, s % 3600 / 60)
    } else {
        format!("{}m{}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_plan_made_in_another_account_region_or_instance_is_refused() {
        use crate::plan::Location;
        let here = Location {
            account_id: "111111111111".into(),
            region: "us-east-1".into(),
            instance_arn: Some("arn:aws:sso:::instance/ssoins-1".into()),
            identity_store_id: Some("d-1".into()),
        };
        assert_eq!(check_location(&here, &here.clone()), Ok(()));
        let elsewhere = Location { account_id: "222222222222".into(), region: "eu-west-1".into(), ..here.clone() };
        let err = check_location(&here, &elsewhere).unwrap_err().to_string();
        assert!(err.contains("AWS account 111111111111 in the plan, 222222222222 now"), "{err}");
        assert!(err.contains("region us-east-1 in the plan, eu-west-1 now"), "{err}");
        assert!(!err.contains("identity store d-1 in the plan"), "only what differs: {err}");
        let no_store = Location { identity_store_id: None, ..here.clone() };
        let err = check_location(&here, &no_store).unwrap_err().to_string();
        assert!(err.contains("identity store d-1 in the plan, none now"), "{err}");
    }

    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-20 12:00:00 UTC);
    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn a_plan_within_the_age_limit_passes_and_one_beyond_it_is_refused() {
        assert_eq!(check_plan_age("2026-11-19T12:00:00Z", NOW, DAY), Ok(()), "exactly the limit is allowed");
        assert_eq!(check_plan_age("2026-11-20T11:59:00Z", NOW, DAY), Ok(()));
        let err = check_plan_age("2026-11-19T11:59:59Z", NOW, DAY).unwrap_err();
        assert_eq!(
            err,
            Refusal::PlanTooOld {
                created_at: "2026-11-19T11:59:59Z".to_owned(),
                age: time::Duration::seconds(86_401),
                max_age: DAY,
            }
        );
    }

    #[test]
    fn the_age_refusal_names_the_time_the_age_and_the_limit() {
        let err = check_plan_age("2000-01-01T00:00:00Z", NOW, DAY).unwrap_err();
        assert_eq!(
            err.to_string(),
            "refused: the plan was made at 2000-01-01T00:00:00Z (9820d12h ago), older than --max-plan-age 86400s; \
             run `offboard plan` again and review the new plan"
        );
        let err = check_plan_age("2026-11-20T09:30:00Z", NOW, Duration::from_secs(3600)).unwrap_err();
        assert!(err.to_string().contains("(2h30m ago), older than --max-plan-age 3600s;"), "{err}");
        let err = check_plan_age("2026-11-20T11:55:30Z", NOW, Duration::from_secs(60)).unwrap_err();
        assert!(err.to_string().contains("(4m30s ago)"), "{err}");
    }

    #[test]
    fn a_future_plan_is_not_too_old_and_a_huge_limit_does_not_overflow() {
        assert_eq!(check_plan_age("2026-11-21T00:00:00Z", NOW, Duration::ZERO), Ok(()));
        assert_eq!(check_plan_age("1970-01-01T00:00:00Z", NOW, Duration::MAX), Ok(()));
    }

    #[test]
    fn an_unreadable_created_at_is_refused_with_the_parse_error_as_cause() {
        let err = check_plan_age("yesterday", NOW, DAY).unwrap_err();
        assert_eq!(err.to_string(), "the plan's created_at `yesterday` is not an RFC 3339 time");
        assert!(matches!(&err, Refusal::CreatedAtUnreadable { created_at, .. } if created_at == "yesterday"));
        let cause = std::error::Error::source(&err).expect("the parse error is kept as the cause");
        assert!(!cause.to_string().is_empty());
    }

    #[test]
    fn a_changed_policy_digest_is_refused_naming_both_digests() {
        assert_eq!(check_policy_digest("sha256:aa", "sha256:aa"), Ok(()));
        let err = check_policy_digest("sha256:aa", "sha256:bb").unwrap_err();
        assert_eq!(
            err.to_string(),
            "refused: the policy changed after this plan was made (plan sha256:aa, files now sha256:bb); \
             run `offboard plan` again and review the new plan"
        );
    }

    #[test]
    fn more_removals_than_the_guardrail_need_allow_large() {
        assert_eq!(check_removal_count(2, 2, false), Ok(()), "exactly the guardrail is allowed");
        assert_eq!(check_removal_count(0, 0, false), Ok(()));
        assert_eq!(check_removal_count(3, 2, true), Ok(()));
        let err = check_removal_count(3, 2, false).unwrap_err();
        assert_eq!(err, Refusal::TooManyRemovals { removals: 3, max_removals: 2 });
        assert_eq!(
            err.to_string(),
            "refused: the plan removes 3 grants, more than guardrails.max_removals (2); \
             review it and pass --allow-large if it is intended"
        );
    }

    #[test]
    fn a_request_mismatch_says_the_file_was_changed_and_what_to_do() {
        let err =
            Refusal::RequestMismatch { action_id: "a3".to_owned(), detail: "account 1111 not in the items".to_owned() };
        assert_eq!(
            err.to_string(),
            "refused: the request of action a3 does not match its items (account 1111 not in the items); \
             the plan file was changed after `offboard plan` wrote it, make a new plan"
        );
    }
}
