//! The four services offboard talks to, each with its embedded model.

use std::sync::LazyLock;

use crate::model::Model;

/// An AWS service whose official model is embedded in this crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// IAM Identity Center admin (`sso-admin`).
    SsoAdmin,
    IdentityStore,
    AppStream,
    Kendra,
}

static SSO_ADMIN: LazyLock<Model> =
    LazyLock::new(|| parse(Service::SsoAdmin, include_str!("../models/sso-admin/service-2.json")));
static IDENTITY_STORE: LazyLock<Model> =
    LazyLock::new(|| parse(Service::IdentityStore, include_str!("../models/identitystore/service-2.json")));
static APP_STREAM: LazyLock<Model> =
    LazyLock::new(|| parse(Service::AppStream, include_str!("../models/appstream/service-2.json")));
static KENDRA: LazyLock<Model> =
    LazyLock::new(|| parse(Service::Kendra, include_str!("../models/kendra/service-2.json")));

/// The embedded models are part of the build, not input: a parse failure is a broken build, which
/// the `every_embedded_model_parses` test catches before anything ships.
fn parse(service: Service, text: &str) -> Model {
    match Model::from_json(text) {
        Ok(model) => model,
        Err(e) => panic!("the embedded {} model is broken: {e}", service.botocore_name()),
    }
}

impl Service {
    pub const ALL: [Service; 4] = [Service::SsoAdmin, Service::IdentityStore, Service::AppStream, Service::Kendra];

    /// The parsed model, parsed on first use.
    pub fn model(self) -> &'static Model {
        match self {
            Service::SsoAdmin => &SSO_ADMIN,
            Service::IdentityStore => &IDENTITY_STORE,
            Service::AppStream => &APP_STREAM,
            Service::Kendra => &KENDRA,
        }
    }

    /// The `X-Amz-Target` prefix (and, for AppStream's rpcv2Cbor, the service name in the path).
    pub fn target_prefix(self) -> &'static str {
        match self {
            Service::SsoAdmin => "SWBExternalService",
            Service::IdentityStore => "AWSIdentityStore",
            Service::AppStream => "PhotonAdminProxyService",
            Service::Kendra => "AWSKendraFrontendService",
        }
    }

    pub fn from_target_prefix(prefix: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.target_prefix() == prefix)
    }

    /// The botocore directory name of the model (`sso-admin`, `identitystore`, …).
    pub fn botocore_name(self) -> &'static str {
        match self {
            Service::SsoAdmin => "sso-admin",
            Service::IdentityStore => "identitystore",
            Service::AppStream => "appstream",
            Service::Kendra => "kendra",
        }
    }
}
