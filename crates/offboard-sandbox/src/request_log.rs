//! The request log: every AWS request the sandbox answered (or dropped), in arrival order.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One logged request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// 1-based position in the log.
    pub seq: u64,
    /// `identitystore`, `sso-admin`, `appstream`, `kendra`, or `unknown` when the request named
    /// no known service.
    pub service: String,
    pub operation: String,
    /// `awsJson1_1` or `rpcv2Cbor`.
    pub protocol: String,
    /// The request body as JSON (CBOR bodies converted).
    pub params: Value,
    /// HTTP status sent, or that would have been sent when the connection was dropped.
    pub status: u16,
    /// Error code (e.g. `ValidationException`) when the answer was an error.
    pub error: Option<String>,
    /// Error message when the answer was an error.
    pub message: Option<String>,
    /// The injected fault, if any: `throttled`, `server_error`, `dropped_connection`.
    pub fault: Option<String>,
    /// The `x-amzn-RequestId` sent.
    pub request_id: String,
    /// Where the answer disagrees with the official model (checked in debug builds only; empty
    /// when the answer conforms or was not checked).
    pub conformance: Vec<String>,
}

/// The log itself; appends assign `seq`.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Vec<LoggedRequest>,
    next_seq: u64,
}

impl RequestLog {
    pub fn push(&mut self, mut entry: LoggedRequest) {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        self.entries.push(entry);
    }

    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.entries.clone()
    }

    /// Empties the log; sequence numbers continue.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
