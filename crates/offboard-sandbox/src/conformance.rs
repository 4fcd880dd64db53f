//! Self-checks of every answer against the official model (debug builds): member names, types and
//! required members of outputs and error bodies, and that an error is one the operation declares.
//! Findings go into the request log's `conformance` field; tests assert it stays empty.

use serde_json::Value;

use crate::api_error::{ApiError, models_error};
use crate::service::AwsService;

/// Whether answers are checked: in debug builds (tests), not in release builds (benchmarks).
pub(crate) const ENABLED: bool = cfg!(debug_assertions);

pub(crate) fn check_output(service: AwsService, operation: &str, output: &Value) -> Vec<String> {
    match service.model().validate_output(operation, output) {
        Ok(()) => Vec::new(),
        Err(violations) => violations.0.iter().map(ToString::to_string).collect(),
    }
}

/// Checks an error answer. Errors the model does not define at all (throttling and 5xx of a
/// service whose model omits them, `UnknownOperationException`, `SerializationException`) are
/// AWS's common errors and are not checked.
pub(crate) fn check_error(service: AwsService, operation: &str, error: &ApiError, members: &Value) -> Vec<String> {
    if !models_error(service, &error.code) {
        return Vec::new();
    }
    let mut findings: Vec<String> = match service.model().validate_error(&error.code, members) {
        Ok(()) => Vec::new(),
        Err(violations) => violations.0.iter().map(ToString::to_string).collect(),
    };
    let common = matches!(
        error.code.as_str(),
        "ThrottlingException" | "InternalServerException" | "AccessDeniedException" | "ValidationException"
    );
    if !common && !error.is_modeled_by(service, operation) {
        findings.push(format!("{} is not among the errors the model declares for {operation}", error.code));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn findings_name_what_is_wrong() {
        assert!(check_output(AwsService::Kendra, "DescribeIndex", &json!({"Id": "x", "Status": "ACTIVE"})).is_empty());
        let bad = check_output(AwsService::Kendra, "DescribeIndex", &json!({"Id": 5, "Bogus": true}));
        assert_eq!(bad.len(), 2, "{bad:?}");
        let members = json!({"Message": "m"});
        assert!(check_error(AwsService::Kendra, "DescribeIndex", &ApiError::not_found("m"), &members).is_empty());
        let undeclared = check_error(AwsService::Kendra, "DescribeIndex", &ApiError::conflict("m"), &members);
        assert!(undeclared[0].contains("not among the errors"), "{undeclared:?}");
        let missing_required = check_output(AwsService::IdentityStore, "GetUserId", &json!({"UserId": "u"}));
        assert!(!missing_required.is_empty());
        // Common errors of a model without them are not checked.
        assert!(check_error(AwsService::AppStream, "DescribeStacks", &ApiError::throttling(), &members).is_empty());
    }
}
