//! Outcomes of applied actions: the apply journal's line format.
//!
//! `offboard apply` writes one [`Outcome`] per action *item* (one grant) as a single JSON object
//! on its own line (JSON Lines), appended and flushed as each item completes, so a journal cut
//! short by a crash is still valid up to its last line. A line looks like:
//!
//! ```json
//! {"time":"2026-11-21T09:14:03.120Z","action_id":"sso_assignments-1","operation":"DeleteAccountAssignment",
//!  "principal":{"kind":"USER","name":"alice@example.com"},"reason":"HR-4211 left",
//!  "grant":{"kind":"sso_assignment","account_id":"222222222222",...},
//!  "request_id":"0b6f…","deletion_request_id":"7c2d…","result":{"status":"removed"},"attempts":1}
//! ```
//!
//! - `time`: when the item completed, RFC 3339 UTC, supplied by the adapter (core reads no clock).
//! - `request_id`: the AWS request id (`x-amzn-RequestId`) of the call that removed the grant, as
//!   CloudTrail records it; absent when no call was needed (`already_removed` found by a re-read)
//!   or none was answered.
//! - `deletion_request_id`: Identity Center only, the id of the asynchronous deletion that
//!   `DescribeAccountAssignmentDeletionStatus` answers for.
//! - `attempts`: HTTP attempts made for this item's removal call (retries included).
//! - `result.status`: `removed` | `already_removed` (both success) | `failed` with `error`, the
//!   final outcomes; or one of two records that are not outcomes of the removal call:
//!   - `sending`: an *intent*, written (and fsynced) right before the call that removes the item
//!     is sent. An intent with no final outcome after it is a call that was in flight when the
//!     run was killed: its effect is unknown until the next plan or apply reads it.
//!   - `still_present`: written by the verification after apply, which re-read the grant and
//!     found it there. It follows the item's final outcome and overrides it as evidence.
//! - `plan_digest`, `policy_digest`: the digests of the plan that was applied and of the policy it
//!   was made from, so evidence ties each removal to the reviewed artifact. Set by the CLI; absent
//!   in journals written before they existed.

use crate::grant::Grant;
use crate::plan::{Action, ActionItem};
use crate::principal::PrincipalRef;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub time: String,
    pub action_id: String,
    pub operation: String,
    pub principal: PrincipalRef,
    pub reason: String,
    pub grant: Grant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_request_id: Option<String>,
    pub result: OutcomeResult,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_digest: Option<String>,
}

impl Outcome {
    /// The outcome of `item` of action `a` at `time`: no call facts (request ids, attempts) and
    /// no digests yet; the adapter adds the first, the CLI stamps the second.
    pub fn of(a: &Action, item: &ActionItem, time: String, result: OutcomeResult) -> Outcome {
        Outcome {
            time,
            action_id: a.id.clone(),
            operation: a.request.operation().to_owned(),
            principal: item.principal.clone(),
            reason: item.reason.clone(),
            grant: item.grant.clone(),
            request_id: None,
            deletion_request_id: None,
            result,
            attempts: 0,
            plan_digest: None,
            policy_digest: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutcomeResult {
    /// This run removed the grant.
    Removed,
    /// The grant was already gone when this run looked (or AWS said so): nothing to do.
    AlreadyRemoved,
    /// The grant could not be removed; `error` says why and, where possible, what to do.
    Failed { error: String },
    /// Intent, not an outcome: the call that removes this item is about to be sent.
    Sending,
    /// Verification, not an outcome: the grant was re-read after apply and is still there.
    StillPresent,
}

impl OutcomeResult {
    /// Whether the grant is known to be gone: removed, or already removed.
    pub fn is_success(&self) -> bool {
        matches!(self, OutcomeResult::Removed | OutcomeResult::AlreadyRemoved)
    }

    /// An intent record: said before a call, not what came of it.
    pub fn is_intent(&self) -> bool {
        matches!(self, OutcomeResult::Sending)
    }

    /// `removed`, `already removed`, `failed`, `sending` or `still present`, for human-readable
    /// lines.
    pub fn label(&self) -> &'static str {
        match self {
            OutcomeResult::Removed => "removed",
            OutcomeResult::AlreadyRemoved => "already removed",
            OutcomeResult::Failed { .. } => "failed",
            OutcomeResult::Sending => "sending",
            OutcomeResult::StillPresent => "still present",
        }
    }
}

impl Outcome {
    pub fn is_success(&self) -> bool {
        self.result.is_success()
    }

    /// The journal line: compact JSON, no trailing newline.
    pub fn to_json_line(&self) -> String {
        // Serializing this plain data type cannot fail; an empty object would at least keep the
        // journal parseable line by line rather than panic mid-apply.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    pub fn from_json_line(line: &str) -> Result<Outcome, serde_json::Error> {
        serde_json::from_str(line)
    }
}

/// Counts of a set of outcomes, for summary lines (`Apply: 5 removed, 1 already removed, 0 failed.`).
/// Intents are not counted: each is followed by its outcome, or is reported as in flight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutcomeCounts {
    pub removed: usize,
    pub already_removed: usize,
    pub failed: usize,
    /// Verification findings: grants re-read after apply and found still there.
    #[serde(default)]
    pub still_present: usize,
}

impl OutcomeCounts {
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Self {
        let mut c = OutcomeCounts::default();
        for o in outcomes {
            match o.result {
                OutcomeResult::Removed => c.removed += 1,
                OutcomeResult::AlreadyRemoved => c.already_removed += 1,
                OutcomeResult::Failed { .. } => c.failed += 1,
                OutcomeResult::StillPresent => c.still_present += 1,
                OutcomeResult::Sending => {}
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::SsoAssignment;
    use crate::principal::PrincipalKind;

    fn sample(result: OutcomeResult) -> Outcome {
        Outcome {
            time: "2026-11-21T09:14:03.120Z".into(),
            action_id: "sso_assignments-1".into(),
            operation: "DeleteAccountAssignment".into(),
            principal: PrincipalRef::user_name("alice@example.com"),
            reason: "HR-4211 left".into(),
            grant: Grant::SsoAssignment(SsoAssignment {
                account_id: "222222222222".into(),
                permission_set_arn: "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef".into(),
                principal_type: PrincipalKind::User,
                principal_id: "90670000-0000-0000-0000-000000000001".into(),
            }),
            request_id: Some("req-1".into()),
            deletion_request_id: None,
            result,
            attempts: 2,
            plan_digest: None,
            policy_digest: None,
        }
    }

    #[test]
    fn journal_line_round_trips_and_is_one_line() {
        for r in [
            OutcomeResult::Removed,
            OutcomeResult::AlreadyRemoved,
            OutcomeResult::Failed { error: "AccessDenied: no\nway".into() },
        ] {
            let o = sample(r);
            let line = o.to_json_line();
            assert!(!line.contains('\n'), "{line}");
            assert_eq!(Outcome::from_json_line(&line).unwrap(), o);
        }
    }

    #[test]
    fn result_is_tagged_by_status() {
        let line = sample(OutcomeResult::Failed { error: "boom".into() }).to_json_line();
        assert!(line.contains(r#""result":{"status":"failed","error":"boom"}"#), "{line}");
        let line = sample(OutcomeResult::AlreadyRemoved).to_json_line();
        assert!(line.contains(r#""result":{"status":"already_removed"}"#), "{line}");
        assert!(!line.contains("deletion_request_id"), "absent ids are omitted: {line}");
    }

    #[test]
    fn digests_are_optional_so_older_journals_still_read() {
        let old = sample(OutcomeResult::Removed).to_json_line();
        assert!(!old.contains("digest"), "absent digests are omitted: {old}");
        let mut stamped = sample(OutcomeResult::Removed);
        stamped.plan_digest = Some("sha256:aa".into());
        stamped.policy_digest = Some("sha256:bb".into());
        let line = stamped.to_json_line();
        assert!(line.contains(r#""plan_digest":"sha256:aa","policy_digest":"sha256:bb""#), "{line}");
        assert_eq!(Outcome::from_json_line(&line).unwrap(), stamped);
        assert_eq!(Outcome::from_json_line(&old).unwrap().plan_digest, None);
    }

    #[test]
    fn counts_split_success_and_failure() {
        let os = [
            sample(OutcomeResult::Removed),
            sample(OutcomeResult::Removed),
            sample(OutcomeResult::AlreadyRemoved),
            sample(OutcomeResult::Failed { error: "x".into() }),
        ];
        assert_eq!(
            OutcomeCounts::of(&os),
            OutcomeCounts { removed: 2, already_removed: 1, failed: 1, still_present: 0 }
        );
        assert!(!os[3].is_success());
        assert!(os[2].is_success());
    }

    #[test]
    fn intents_are_not_counted_and_still_present_is_no_success() {
        let os = [sample(OutcomeResult::Sending), sample(OutcomeResult::Removed), sample(OutcomeResult::StillPresent)];
        assert_eq!(
            OutcomeCounts::of(&os),
            OutcomeCounts { removed: 1, already_removed: 0, failed: 0, still_present: 1 }
        );
        assert!(!os[0].is_success() && os[0].result.is_intent());
        assert!(!os[2].is_success() && !os[2].result.is_intent());
        let line = os[0].to_json_line();
        assert!(line.contains(r#""result":{"status":"sending"}"#), "{line}");
        assert_eq!(Outcome::from_json_line(&os[2].to_json_line()).unwrap(), os[2]);
    }
}
