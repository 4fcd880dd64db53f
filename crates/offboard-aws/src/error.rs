//! Errors of the adapter, and the classification of failed AWS calls.
//!
//! Every failed SDK call is turned into a [`CallFailure`] at once: plain data (service, operation,
//! AWS error code, HTTP status, request id, attempts) with a [`FailureKind`] that decides whether
//! it is retried. SDK error types never leave this crate.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::fmt;

/// What went wrong with one call, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// `ThrottlingException`, HTTP 429 and friends: retried with backoff.
    Throttling,
    /// `ConflictException`: another operation on the same resource is in progress; retried.
    Conflict,
    /// HTTP 5xx / `InternalServerException`: retried.
    Server,
    /// No (complete) answer: timeout, connection refused or dropped, truncated response. The
    /// request may or may not have been carried out; retried, and the next answer tells.
    Transport,
    /// `ResourceNotFoundException`: final, and for a removal it means "already gone".
    NotFound,
    /// The endpoint does not implement the operation (emulators): final; callers that have a
    /// fallback switch to it.
    Unsupported,
    /// Anything else (AccessDenied, Validation, …): final for the item and reported.
    Other,
}

impl FailureKind {
    pub fn is_retryable(self) -> bool {
        matches!(self, FailureKind::Throttling | FailureKind::Conflict | FailureKind::Server | FailureKind::Transport)
    }
}

/// Error codes that mean "slow down", across the AWS protocols.
const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
];
const CONFLICT_CODES: &[&str] = &["ConflictException", "ConcurrentModificationException"];
const SERVER_CODES: &[&str] = &[
    "InternalServerException",
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];
const UNSUPPORTED_CODES: &[&str] = &[
    "UnknownOperationException",
    "UnknownOperation",
    "InvalidAction",
    "NotImplemented",
    "NotImplementedException",
    "UnsupportedOperation",
    "UnsupportedOperationException",
];

/// Classify an error answer from its AWS error code and HTTP status. Codes win over statuses
/// (a 400 `ThrottlingException` is throttling); a status alone decides when no code was sent.
pub fn classify_answer(code: Option<&str>, status: Option<u16>) -> FailureKind {
    if let Some(code) = code {
        if THROTTLING_CODES.contains(&code) {
            return FailureKind::Throttling;
        }
        if CONFLICT_CODES.contains(&code) {
            return FailureKind::Conflict;
        }
        if SERVER_CODES.contains(&code) {
            return FailureKind::Server;
        }
        if code == "ResourceNotFoundException" {
            return FailureKind::NotFound;
        }
        if UNSUPPORTED_CODES.contains(&code) {
            return FailureKind::Unsupported;
        }
    }
    match status {
        Some(429) => FailureKind::Throttling,
        Some(409) if code.is_none() => FailureKind::Conflict,
        Some(404 | 405 | 501) if code.is_none() => FailureKind::Unsupported,
        Some(s) if s >= 500 => FailureKind::Server,
        _ => FailureKind::Other,
    }
}

/// The `ResourceType` of an Identity Store `ResourceNotFoundException`: what is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceType {
    User,
    Group,
    IdentityStore,
    GroupMembership,
    /// Another value (`RESOURCE_POLICY`, or one newer than this code).
    Other,
}

impl ResourceType {
    fn parse(text: &str) -> ResourceType {
        match text {
            "USER" => ResourceType::User,
            "GROUP" => ResourceType::Group,
            "IDENTITY_STORE" => ResourceType::IdentityStore,
            "GROUP_MEMBERSHIP" => ResourceType::GroupMembership,
            _ => ResourceType::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::User => "USER",
            ResourceType::Group => "GROUP",
            ResourceType::IdentityStore => "IDENTITY_STORE",
            ResourceType::GroupMembership => "GROUP_MEMBERSHIP",
            ResourceType::Other => "another resource",
        }
    }
}

/// One failed AWS call (after any retries), as plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFailure {
    /// IAM-style service prefix: `sso`, `identitystore`, `appstream`, `kendra`.
    pub service: &'static str,
    pub operation: &'static str,
    pub kind: FailureKind,
    pub code: Option<String>,
    pub message: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    /// The error answer was an HTML page rather than an AWS error shape: emulators answer
    /// unimplemented operations that way, which [`CallFailure::looks_unsupported`] recognises.
    pub html: bool,
    /// Identity Store's `ResourceNotFoundException` says what is missing (`USER`, `GROUP`,
    /// `IDENTITY_STORE`…): only a missing leaf is "not found", a missing store is an error.
    pub resource_type: Option<ResourceType>,
    pub attempts: u32,
}

impl CallFailure {
    pub(crate) fn from_sdk<E>(service: &'static str, operation: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        use aws_smithy_types::error::display::DisplayErrorContext;
        let request_id = aws_sdk_ssoadmin::operation::RequestId::request_id(err).map(str::to_owned);
        let base = |kind, message: String| CallFailure {
            service,
            operation,
            kind,
            code: None,
            message,
            status: None,
            request_id: request_id.clone(),
            html: false,
            resource_type: None,
            attempts: 0,
        };
        match err {
            SdkError::ServiceError(ctx) => {
                let e = ctx.err();
                let raw = ctx.raw();
                let status = raw.status().as_u16();
                let code = e.code().map(str::to_owned);
                let html = raw.headers().get("content-type").is_some_and(|c| c.starts_with("text/html"));
                // A modeled member the generic error metadata does not carry: read it from the
                // JSON body (awsJson; AppStream's CBOR errors have no such member).
                let resource_type = raw
                    .body()
                    .bytes()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                    .and_then(|v| v.get("ResourceType").and_then(|t| t.as_str()).map(ResourceType::parse));
                CallFailure {
                    kind: classify_answer(code.as_deref(), Some(status)),
                    code,
                    message: e.message().map(str::to_owned).unwrap_or_else(|| format!("HTTP {status}")),
                    status: Some(status),
                    html,
                    resource_type,
                    ..base(FailureKind::Other, String::new())
                }
            }
            SdkError::TimeoutError(_) => base(FailureKind::Transport, "timed out".into()),
            SdkError::ResponseError(ctx) => {
                let status = ctx.raw().status().as_u16();
                CallFailure {
                    status: Some(status),
                    ..base(FailureKind::Transport, format!("unreadable answer: {}", DisplayErrorContext(err)))
                }
            }
            SdkError::DispatchFailure(d) => {
                // Everything but a client-side mistake (`is_user`) is the network's fault: refused,
                // reset or closed connections, timeouts (hyper reports a connection closed before
                // the answer as a transient "other" error).
                let kind = if d.is_user() { FailureKind::Other } else { FailureKind::Transport };
                base(kind, format!("request not delivered: {}", DisplayErrorContext(err)))
            }
            other => base(FailureKind::Other, format!("{}", DisplayErrorContext(other))),
        }
    }

    /// True if the endpoint most likely does not implement this operation at all. Besides the
    /// explicit codes and statuses, an HTML 500 without an AWS error code counts: that is how
    /// moto answers operations it lacks (its NotImplementedError), while AWS itself always sends
    /// a JSON/CBOR error shape.
    pub fn looks_unsupported(&self) -> bool {
        self.kind == FailureKind::Unsupported || (self.code.is_none() && self.status == Some(500) && self.html)
    }
}

impl fmt::Display for CallFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} failed", self.service, self.operation)?;
        if let Some(code) = &self.code {
            write!(f, ": {code}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status}")?;
            if let Some(id) = &self.request_id {
                write!(f, ", request id {id}")?;
            }
            f.write_str(")")?;
        }
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        match self.kind {
            FailureKind::Other if self.code.as_deref() == Some("AccessDeniedException") => {
                write!(f, "; the credentials in use need the IAM permission {}:{}", self.service, self.operation)
            }
            FailureKind::Throttling | FailureKind::Server | FailureKind::Transport | FailureKind::Conflict => {
                f.write_str("; the retry budget ran out, re-run later or raise the retry limits")
            }
            _ => Ok(()),
        }
    }
}

impl std::error::Error for CallFailure {}

/// Errors of `connect`, `read_state` and `verify`. Apply never fails as a whole: it reports each
/// item's outcome instead.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error(transparent)]
    Call(#[from] CallFailure),
    #[error(
        "no AWS region is configured: pass --region, set AWS_REGION, or set `region` in the AWS profile (Identity Center must be called in the region of its instance)"
    )]
    NoRegion,
    #[error(
        "the Identity Center instance {instance_arn} was not found by sso:ListInstances (found: {found}); check `sso.instance_arn` in offboard.yaml and the region/profile in use, or set `sso.identity_store_id`"
    )]
    InstanceNotFound { instance_arn: String, found: String },
    #[error(
        "{what} needs the Identity Store, but offboard.yaml has no `sso` section; add `sso.instance_arn` (and optionally `sso.identity_store_id`)"
    )]
    NoIdentityStore { what: String },
    #[error(
        "Kendra experience {experience_id} of index {index_id} was not found ({detail}); check `kendra.indexes` in offboard.yaml"
    )]
    ExperienceNotFound { index_id: String, experience_id: String, detail: String },
    #[error(
        "sso.identity_store_id in offboard.yaml is {configured}, but the Identity Center instance {instance_arn} uses the Identity Store {actual}; set `sso.identity_store_id: {actual}` (or remove it to use the instance's own)"
    )]
    IdentityStoreMismatch { configured: String, instance_arn: String, actual: String },
    #[error(
        "the Kendra index {index_id} was not found ({detail}); check `kendra.indexes[].id` in offboard.yaml and the region/profile in use"
    )]
    IndexNotFound { index_id: String, detail: String },
    #[error(
        "the Kendra data source {data_source_id} of index {index_id} was not found ({detail}); check `kendra.indexes[].data_sources` in offboard.yaml"
    )]
    DataSourceNotFound { index_id: String, data_source_id: String, detail: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_decide_before_statuses() {
        assert_eq!(classify_answer(Some("ThrottlingException"), Some(400)), FailureKind::Throttling);
        assert_eq!(classify_answer(Some("ConflictException"), Some(409)), FailureKind::Conflict);
        assert_eq!(classify_answer(Some("InternalServerException"), Some(500)), FailureKind::Server);
        assert_eq!(classify_answer(Some("ResourceNotFoundException"), Some(404)), FailureKind::NotFound);
        assert_eq!(classify_answer(Some("AccessDeniedException"), Some(403)), FailureKind::Other);
        assert_eq!(classify_answer(Some("ValidationException"), Some(400)), FailureKind::Other);
        assert_eq!(classify_answer(Some("UnknownOperationException"), Some(400)), FailureKind::Unsupported);
    }

    #[test]
    fn statuses_decide_without_a_code() {
        assert_eq!(classify_answer(None, Some(429)), FailureKind::Throttling);
        assert_eq!(classify_answer(None, Some(503)), FailureKind::Server);
        assert_eq!(classify_answer(None, Some(500)), FailureKind::Server);
        assert_eq!(classify_answer(None, Some(404)), FailureKind::Unsupported);
        assert_eq!(classify_answer(None, Some(501)), FailureKind::Unsupported);
        assert_eq!(classify_answer(None, Some(400)), FailureKind::Other);
        // A modeled 404 with a code other than not-found is not "unsupported".
        assert_eq!(classify_answer(Some("SomethingElse"), Some(404)), FailureKind::Other);
    }

    #[test]
    fn only_transient_kinds_are_retried() {
        for k in [FailureKind::Throttling, FailureKind::Conflict, FailureKind::Server, FailureKind::Transport] {
            assert!(k.is_retryable(), "{k:?}");
        }
        for k in [FailureKind::NotFound, FailureKind::Unsupported, FailureKind::Other] {
            assert!(!k.is_retryable(), "{k:?}");
        }
    }

    fn failure(code: Option<&str>, status: u16, content_type: &str) -> CallFailure {
        CallFailure {
            service: "sso",
            operation: "ListAccountAssignmentDeletionStatus",
            kind: classify_answer(code, Some(status)),
            code: code.map(str::to_owned),
            message: "m".into(),
            status: Some(status),
            request_id: None,
            html: content_type.starts_with("text/html"),
            resource_type: None,
            attempts: 1,
        }
    }

    #[test]
    fn html_500_without_code_looks_unsupported_but_json_500_does_not() {
        assert!(failure(None, 500, "text/html; charset=utf-8").looks_unsupported());
        assert!(!failure(Some("InternalServerException"), 500, "application/x-amz-json-1.1").looks_unsupported());
        assert!(!failure(None, 500, "application/json").looks_unsupported());
        assert!(failure(Some("UnknownOperationException"), 400, "application/json").looks_unsupported());
    }

    #[test]
    fn messages_say_what_and_what_to_do() {
        let mut f = failure(Some("AccessDeniedException"), 403, "application/x-amz-json-1.1");
        f.request_id = Some("r-1".into());
        let s = f.to_string();
        assert!(s.contains("sso:ListAccountAssignmentDeletionStatus failed: AccessDeniedException"), "{s}");
        assert!(s.contains("request id r-1"), "{s}");
        assert!(s.contains("need the IAM permission"), "{s}");
    }
}
