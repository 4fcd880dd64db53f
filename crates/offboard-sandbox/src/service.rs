//! The four emulated AWS services and the two wire protocols.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An emulated AWS service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AwsService {
    #[serde(rename = "identitystore")]
    IdentityStore,
    #[serde(rename = "sso-admin")]
    SsoAdmin,
    #[serde(rename = "appstream")]
    AppStream,
    #[serde(rename = "kendra")]
    Kendra,
}

impl AwsService {
    pub const ALL: [AwsService; 4] =
        [AwsService::IdentityStore, AwsService::SsoAdmin, AwsService::AppStream, AwsService::Kendra];

    /// The name used in fault settings, CLI flags and the request log (the AWS CLI's name).
    pub fn name(self) -> &'static str {
        match self {
            AwsService::IdentityStore => "identitystore",
            AwsService::SsoAdmin => "sso-admin",
            AwsService::AppStream => "appstream",
            AwsService::Kendra => "kendra",
        }
    }

    /// The Smithy service shape name: the `X-Amz-Target` prefix of awsJson1_1 and the
    /// `/service/<name>/` segment of rpcv2Cbor.
    pub fn target_prefix(self) -> &'static str {
        match self {
            AwsService::IdentityStore => "AWSIdentityStore",
            AwsService::SsoAdmin => "SWBExternalService",
            AwsService::AppStream => "PhotonAdminProxyService",
            AwsService::Kendra => "AWSKendraFrontendService",
        }
    }

    /// The Smithy namespace, used to qualify error shape ids in rpcv2Cbor `__type`.
    pub fn smithy_namespace(self) -> &'static str {
        match self {
            AwsService::IdentityStore => "com.amazonaws.identitystore",
            AwsService::SsoAdmin => "com.amazonaws.ssoadmin",
            AwsService::AppStream => "com.amazonaws.appstream",
            AwsService::Kendra => "com.amazonaws.kendra",
        }
    }

    pub fn from_target_prefix(prefix: &str) -> Option<AwsService> {
        AwsService::ALL.into_iter().find(|s| s.target_prefix() == prefix)
    }

    /// The operations the sandbox emulates for this service.
    pub fn emulated_operations(self) -> &'static [&'static str] {
        crate::services::operations(self)
    }

    /// The embedded official model of the service.
    pub fn model(self) -> &'static offboard_models::Model {
        self.models_service().model()
    }

    fn models_service(self) -> offboard_models::Service {
        match self {
            AwsService::IdentityStore => offboard_models::Service::IdentityStore,
            AwsService::SsoAdmin => offboard_models::Service::SsoAdmin,
            AwsService::AppStream => offboard_models::Service::AppStream,
            AwsService::Kendra => offboard_models::Service::Kendra,
        }
    }
}

impl fmt::Display for AwsService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A service name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown service `{0}`; expected one of identitystore, sso-admin, appstream, kendra")]
pub struct UnknownService(pub String);

impl FromStr for AwsService {
    type Err = UnknownService;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AwsService::ALL.into_iter().find(|svc| svc.name() == s).ok_or_else(|| UnknownService(s.to_owned()))
    }
}

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
