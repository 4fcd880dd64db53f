//! Entry points for the fuzz targets in `fuzz/` (`scripts/fuzz.sh`, see `docs/fuzzing.md`).
//!
//! Not part of the supported API: they expose the request decoding and the request path of
//! [`crate::Sandbox`] without a socket, so a fuzzer can feed them millions of inputs a second.
//! They add no behaviour of their own.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use serde_json::Value;

use crate::app::{App, Reply};
use crate::faults::Faults;
use crate::fixture::Org;
use crate::request_log::LoggedRequest;
use crate::service::{AwsService, Protocol};
use crate::{cbor, wire};

/// What the sandbox made of a request before handling it.
#[derive(Clone, Debug, PartialEq)]
pub enum Decoded {
    /// Routed to an emulated operation, with the JSON view of its input.
    Routed { service: AwsService, operation: String, protocol: Protocol, params: Value },
    /// Answered with an error before any handler ran.
    Rejected { code: String, message: String },
}

/// Decodes one HTTP request as the server does: `target` is the `X-Amz-Target` header, if any.
pub fn decode_request(method: &str, path: &str, target: Option<&str>, body: &[u8]) -> Decoded {
    match wire::decode(method, path, target, body) {
        Ok(req) => Decoded::Routed {
            service: req.service,
            operation: req.operation,
            protocol: req.protocol,
            params: req.params,
        },
        Err(rejected) => Decoded::Rejected { code: rejected.error.code, message: rejected.error.message },
    }
}

/// Decodes an rpcv2Cbor request body into its JSON view, or says why it cannot be read.
pub fn decode_cbor(body: &[u8]) -> Result<Value, String> {
    cbor::decode(body)
}

/// A sandbox without a server: requests go through the same path as over HTTP (route, faults,
/// validation, handler, conformance check, request log, answer).
#[derive(Debug)]
pub struct Dispatcher {
    app: App,
}

impl Dispatcher {
    /// A sandbox holding `org`, with no faults.
    pub fn new(org: Org) -> Dispatcher {
        Dispatcher { app: App::new(org, Faults::none()) }
    }

    /// Answers one request; returns the HTTP status and body. `None` if the answer was not ready
    /// at once, which only injected latency (not configured here) causes.
    pub fn request(&self, method: &str, path: &str, target: Option<&str>, body: &[u8]) -> Option<(u16, Vec<u8>)> {
        let call = pin!(self.app.call(wire::decode(method, path, target, body)));
        match call.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Reply::Respond { response, .. }) => Some((response.status, response.body)),
            Poll::Ready(Reply::Drop) | Poll::Pending => None,
        }
    }

    /// Every request answered so far, each with the findings of the model-conformance check of
    /// its answer (made in builds with debug assertions, as `cargo fuzz` builds by default).
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.app.request_log()
    }
}
