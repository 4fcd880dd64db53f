//! AWS errors as the sandbox answers them: code, HTTP status, message and extra members.

use serde_json::{Map, Value};

use crate::service::AwsService;

/// An error answer. The wire encoding (`__type`, namespacing, CBOR or JSON) is `wire`'s job.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiError {
    /// The error shape name, e.g. `ValidationException`.
    pub code: String,
    pub message: String,
    /// Members beyond `Message`, e.g. Identity Store's `ResourceType`.
    pub fields: Map<String, Value>,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError { code: code.to_owned(), message: message.into(), fields: Map::new() }
    }

    pub fn with(mut self, member: &str, value: impl Into<Value>) -> ApiError {
        self.fields.insert(member.to_owned(), value.into());
        self
    }

    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new("ValidationException", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new("ResourceNotFoundException", message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new("ConflictException", message)
    }

    pub fn invalid_combination(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidParameterCombinationException", message)
    }

    pub fn unknown_operation(message: impl Into<String>) -> ApiError {
        ApiError::new("UnknownOperationException", message)
    }

    pub fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new("SerializationException", message)
    }

    pub fn throttling() -> ApiError {
        ApiError::new("ThrottlingException", "Rate exceeded")
    }

    /// The service's own 500: `InternalServerException` where the model has it, AWS's common
    /// `InternalFailure` for a service whose model lists no server error (AppStream).
    pub fn internal(service: AwsService) -> ApiError {
        let code = if models_error(service, "InternalServerException") {
            "InternalServerException"
        } else {
            "InternalFailure"
        };
        ApiError::new(code, "The request processing has failed because of an unknown error, exception or failure.")
    }

    pub fn unavailable() -> ApiError {
        ApiError::new("ServiceUnavailableException", "The request has failed due to a temporary failure of the server.")
    }

    /// The HTTP status AWS sends with this error from `service`.
    pub fn status(&self, service: Option<AwsService>) -> u16 {
        match self.code.as_str() {
            "AccessDeniedException" => 403,
            "ResourceNotFoundException" => 404,
            "ConflictException" => 409,
            "ServiceQuotaExceededException" => 402,
            // A service whose model has no ThrottlingException (AppStream) throttles with AWS's
            // common error, which is a 400.
            "ThrottlingException" if service.is_some_and(|s| !models_error(s, "ThrottlingException")) => 400,
            "ThrottlingException" => 429,
            "InternalServerException" | "InternalFailure" => 500,
            "ServiceUnavailableException" => 503,
            _ => 400,
        }
    }

    /// Whether the error was made up by fault injection rather than by the emulated service.
    pub fn is_modeled_by(&self, service: AwsService, operation: &str) -> bool {
        service.model().error_shapes(operation).iter().any(|e| *e == self.code)
    }
}

/// Whether `service`'s model defines the error shape `code`. Errors it does not define are AWS's
/// common errors (throttling and 5xx of AppStream, `UnknownOperationException`, …).
pub(crate) fn models_error(service: AwsService, code: &str) -> bool {
    service.model().shape(code).is_some_and(|s| s.exception)
}
