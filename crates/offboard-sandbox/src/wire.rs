//! The two wire protocols: reading a request into (service, operation, JSON view) and writing an
//! answer or an error the way the official SDKs expect.
//!
//! - awsJson1_1: `POST /`, `X-Amz-Target: <ServiceShape>.<Operation>`, JSON bodies. Errors are
//!   `{"__type": "<ErrorShape>", "Message": ...}` plus the shape's other members, with the HTTP
//!   status of the error (the Rust SDK and botocore read `__type`; they strip any namespace).
//! - rpcv2Cbor (AppStream): `POST /service/<ServiceShape>/operation/<Operation>`, CBOR bodies,
//!   `smithy-protocol: rpc-v2-cbor` on answers. Errors carry `__type` as the full shape id
//!   (`com.amazonaws.appstream#ResourceNotFoundException`), as the smithy spec says.
//!
//! Every answer has an `x-amzn-RequestId` header; Identity Store errors repeat it in their
//! `RequestId` member, as the model has one.

use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::cbor;
use crate::service::{AwsService, Protocol};

/// A request addressed to an emulated operation.
#[derive(Clone, Debug)]
pub(crate) struct ApiRequest {
    pub service: AwsService,
    pub operation: String,
    pub protocol: Protocol,
    pub params: Value,
}

/// A request that cannot be routed or read, answered before faults and validation.
#[derive(Clone, Debug)]
pub(crate) struct Rejected {
    pub service: Option<AwsService>,
    pub operation: String,
    pub protocol: Protocol,
    pub params: Value,
    pub error: ApiError,
}

/// An answer ready for HTTP.
#[derive(Clone, Debug)]
pub(crate) struct WireResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// True for rpcv2Cbor answers, which carry `smithy-protocol: rpc-v2-cbor`.
    pub smithy_protocol: bool,
}

const CBOR_PREFIX: &str = "/service/";

/// Reads a request. `target` is the `X-Amz-Target` header, if any.
pub(crate) fn decode(method: &str, path: &str, target: Option<&str>, body: &[u8]) -> Result<ApiRequest, Box<Rejected>> {
    if let Some(rest) = path.strip_prefix(CBOR_PREFIX) {
        let (service_name, operation) = match rest.split_once("/operation/") {
            Some((s, op)) => (s, op.trim_end_matches('/')),
            None => (rest, ""),
        };
        let service = AwsService::from_target_prefix(service_name);
        let reject = |error: ApiError, params: Value| {
            Box::new(Rejected {
                service,
                operation: operation.to_owned(),
                protocol: Protocol::RpcV2Cbor,
                params,
                error,
            })
        };
        if method != "POST" {
            return Err(reject(
                ApiError::unknown_operation(format!("rpcv2Cbor requests use POST, not {method}")),
                Value::Null,
            ));
        }
        let params = cbor::decode(body).map_err(|e| reject(ApiError::serialization(e), Value::Null))?;
        let Some(service) = service else {
            return Err(reject(unknown_service(service_name), params));
        };
        return route(service, operation, Protocol::RpcV2Cbor, params);
    }
    let Some(target) = target else {
        return Err(Box::new(Rejected {
            service: None,
            operation: String::new(),
            protocol: Protocol::AwsJson1_1,
            params: Value::Null,
            error: ApiError::unknown_operation(format!(
                "{method} {path} names no operation; send POST / with an X-Amz-Target header (awsJson1_1) or POST /service/<Service>/operation/<Operation> (rpcv2Cbor)"
            )),
        }));
    };
    let (prefix, operation) = target.rsplit_once('.').unwrap_or((target, ""));
    let service = AwsService::from_target_prefix(prefix);
    let params = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(Value::Object(Map::new()))
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(v @ Value::Object(_)) => Ok(v),
            Ok(_) => Err("the body is not a JSON object; expected the input structure as an object".to_owned()),
            Err(e) => Err(format!("the body is not valid JSON: {e}")),
        }
    };
    let rejected = |error: ApiError, params: Value| {
        Box::new(Rejected { service, operation: operation.to_owned(), protocol: Protocol::AwsJson1_1, params, error })
    };
    let params = params.map_err(|e| rejected(ApiError::serialization(e), Value::Null))?;
    if method != "POST" {
        return Err(rejected(
            ApiError::unknown_operation(format!("awsJson1_1 requests use POST, not {method}")),
            params,
        ));
    }
    match service {
        Some(service) => route(service, operation, Protocol::AwsJson1_1, params),
        None => Err(rejected(unknown_service(prefix), params)),
    }
}

fn unknown_service(name: &str) -> ApiError {
    let [others @ .., last] = AwsService::LISTING_ORDER.map(AwsService::target_prefix);
    ApiError::unknown_operation(format!(
        "unknown service `{name}`; offboard-sandbox serves {} and {last}",
        others.join(", ")
    ))
}

/// Whether the service's model offers rpcv2Cbor (botocore's `smithy-rpc-v2-cbor`); every model
/// offers awsJson1_1.
fn speaks_cbor(service: AwsService) -> bool {
    service.model().protocols().iter().any(|p| p == "smithy-rpc-v2-cbor")
}

fn route(service: AwsService, operation: &str, protocol: Protocol, params: Value) -> Result<ApiRequest, Box<Rejected>> {
    if protocol == Protocol::RpcV2Cbor && !speaks_cbor(service) {
        return Err(Box::new(Rejected {
            service: Some(service),
            operation: operation.to_owned(),
            protocol,
            params,
            error: ApiError::unknown_operation(format!(
                "{} speaks awsJson1_1 only; send POST / with X-Amz-Target",
                service.target_prefix()
            )),
        }));
    }
    if !crate::services::operations(service).contains(&operation) {
        let error = if service.model().has_operation(operation) {
            crate::services::not_emulated(service, operation)
        } else {
            ApiError::unknown_operation(format!("{} has no operation `{operation}`", service.target_prefix()))
        };
        return Err(Box::new(Rejected {
            service: Some(service),
            operation: operation.to_owned(),
            protocol,
            params,
            error,
        }));
    }
    Ok(ApiRequest { service, operation: operation.to_owned(), protocol, params })
}

/// Writes a successful answer.
pub(crate) fn encode_output(service: AwsService, operation: &str, protocol: Protocol, output: &Value) -> WireResponse {
    match protocol {
        Protocol::AwsJson1_1 => WireResponse {
            status: 200,
            content_type: "application/x-amz-json-1.1",
            body: output.to_string().into_bytes(),
            smithy_protocol: false,
        },
        Protocol::RpcV2Cbor => {
            let model = service.model();
            WireResponse {
                status: 200,
                content_type: "application/cbor",
                body: cbor::encode(output, model, model.output_shape(operation)),
                smithy_protocol: true,
            }
        }
    }
}

/// The error body's members as JSON (without `__type`), as checked against the model.
pub(crate) fn error_members(service: Option<AwsService>, error: &ApiError, request_id: &str) -> Value {
    let mut body = Map::new();
    body.insert("Message".to_owned(), Value::String(error.message.clone()));
    for (k, v) in &error.fields {
        body.insert(k.clone(), v.clone());
    }
    // Identity Store's error shapes have a `RequestId` member, and AWS fills it in on every
    // error; the other three models have no such member.
    let repeats_request_id = match service {
        Some(AwsService::IdentityStore) => true,
        Some(AwsService::SsoAdmin | AwsService::AppStream | AwsService::Kendra) | None => false,
    };
    if repeats_request_id {
        body.insert("RequestId".to_owned(), Value::String(request_id.to_owned()));
    }
    Value::Object(body)
}

/// Writes an error answer.
pub(crate) fn encode_error(
    service: Option<AwsService>,
    protocol: Protocol,
    error: &ApiError,
    request_id: &str,
) -> WireResponse {
    let mut body = match error_members(service, error, request_id) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let status = error.status(service);
    match protocol {
        Protocol::AwsJson1_1 => {
            body.insert("__type".to_owned(), Value::String(error.code.clone()));
            WireResponse {
                status,
                content_type: "application/x-amz-json-1.1",
                body: Value::Object(body).to_string().into_bytes(),
                smithy_protocol: false,
            }
        }
        Protocol::RpcV2Cbor => {
            // An rpcv2Cbor request that named no known service is answered as AppStream, the
            // one service that speaks rpcv2Cbor, would answer it.
            let service = service.unwrap_or(AwsService::AppStream);
            body.insert("__type".to_owned(), Value::String(format!("{}#{}", service.smithy_namespace(), error.code)));
            let model = service.model();
            let shape = model.shape(&error.code).map(|s| s.name.as_str());
            WireResponse {
                status,
                content_type: "application/cbor",
                body: cbor::encode(&Value::Object(body), model, shape),
                smithy_protocol: true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_json_and_cbor() {
        let req = decode("POST", "/", Some("AWSKendraFrontendService.DescribeIndex"), br#"{"Id":"x"}"#).unwrap();
        assert_eq!(req.service, AwsService::Kendra);
        assert_eq!(req.operation, "DescribeIndex");
        let mut body = Vec::new();
        ciborium::into_writer(&ciborium::Value::Map(vec![]), &mut body).unwrap();
        let req = decode("POST", "/service/PhotonAdminProxyService/operation/DescribeStacks", None, &body).unwrap();
        assert_eq!(req.protocol, Protocol::RpcV2Cbor);
        assert_eq!(req.operation, "DescribeStacks");
    }

    #[test]
    fn unknown_things_are_unknown_operations() {
        let err = decode("POST", "/", Some("AWSKendraFrontendService.CreateIndex"), b"{}").unwrap_err();
        assert_eq!(err.error.code, "UnknownOperationException");
        assert!(err.error.message.contains("does not emulate"), "{}", err.error.message);
        let err = decode("POST", "/", Some("Nope.Thing"), b"{}").unwrap_err();
        assert_eq!(err.error.code, "UnknownOperationException");
        assert!(
            err.error.message.ends_with(
                "serves AWSIdentityStore, SWBExternalService, PhotonAdminProxyService and AWSKendraFrontendService"
            ),
            "{}",
            err.error.message
        );
        let err = decode("POST", "/", None, b"{}").unwrap_err();
        assert_eq!(err.error.code, "UnknownOperationException");
        let err = decode("POST", "/", Some("AWSKendraFrontendService.DescribeIndex"), b"[1]").unwrap_err();
        assert_eq!(err.error.code, "SerializationException");
        let err = decode("POST", "/service/AWSKendraFrontendService/operation/DescribeIndex", None, &[]).unwrap_err();
        assert_eq!(err.error.code, "UnknownOperationException");
    }

    /// serde_json's recursion limit (128) bounds awsJson1_1 bodies; on a 2 MiB stack, what a
    /// tokio worker has.
    #[test]
    fn deeply_nested_json_is_a_serialization_error() {
        let check = || {
            let body = format!("{{\"Id\":{}", "[".repeat(100_000));
            let err = decode("POST", "/", Some("AWSKendraFrontendService.DescribeIndex"), body.as_bytes()).unwrap_err();
            assert_eq!(err.error.code, "SerializationException");
            assert!(err.error.message.contains("recursion limit exceeded"), "{}", err.error.message);
        };
        std::thread::Builder::new().stack_size(2 << 20).spawn(check).unwrap().join().unwrap();
    }

    #[test]
    fn json_errors_carry_type_and_status() {
        let err = ApiError::not_found("gone");
        let wire = encode_error(Some(AwsService::Kendra), Protocol::AwsJson1_1, &err, "rid");
        assert_eq!(wire.status, 404);
        let body: Value = serde_json::from_slice(&wire.body).unwrap();
        assert_eq!(body["__type"], "ResourceNotFoundException");
        assert_eq!(body["Message"], "gone");
        let wire = encode_error(Some(AwsService::IdentityStore), Protocol::AwsJson1_1, &err, "rid");
        let body: Value = serde_json::from_slice(&wire.body).unwrap();
        assert_eq!(body["RequestId"], "rid");
    }

    #[test]
    fn cbor_errors_use_full_shape_ids() {
        let err = ApiError::invalid_combination("no");
        let wire = encode_error(Some(AwsService::AppStream), Protocol::RpcV2Cbor, &err, "rid");
        assert_eq!(wire.status, 400);
        assert!(wire.smithy_protocol);
        let body = cbor::decode(&wire.body).unwrap();
        assert_eq!(body["__type"], "com.amazonaws.appstream#InvalidParameterCombinationException");
    }
}
