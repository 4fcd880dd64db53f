//! The four emulated AWS services and the two wire protocols.

use serde::{Deserialize, Serialize};

/// An emulated AWS service: offboard-models' `Service`, so that names (`sso-admin`, also in
/// fault settings, CLI flags and the request log), target prefixes and namespaces come from its
/// one table, `offboard_models::SERVICES`, rather than from a copy here.
pub use offboard_models::{Service as AwsService, UnknownService};

/// How a request reached the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// `POST /` with `X-Amz-Target` and a JSON body.
    #[serde(rename = "awsJson1_1")]
    AwsJson1_1,
    /// `POST /service/<Service>/operation/<Op>` with a CBOR body.
    #[serde(rename = "rpcv2Cbor")]
    RpcV2Cbor,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::AwsJson1_1 => "awsJson1_1",
            Protocol::RpcV2Cbor => "rpcv2Cbor",
        }
    }
}
