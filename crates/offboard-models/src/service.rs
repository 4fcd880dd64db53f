//! The four services offboard talks to, each with its embedded model.

use std::fmt;
use std::str::FromStr;
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

/// One row of [`SERVICES`]: everything offboard needs to know about one AWS service, in one
/// place. The adapter takes its call names and rate-limit quota from here, the CLI its `--tps`
/// keys (through [`Quota`]), and the sandbox its wire names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceInfo {
    pub service: Service,
    /// The botocore directory name of the model, which is also the AWS CLI's service name and
    /// the name the sandbox uses in fault settings and its request log (`sso-admin`, …).
    pub botocore_name: &'static str,
    /// The IAM action prefix (`sso:DeleteAccountAssignment`): used in call counts and messages,
    /// because it is what a reader writes into an IAM policy.
    pub iam_prefix: &'static str,
    /// The Smithy service shape name: the `X-Amz-Target` prefix of awsJson1_1 and the
    /// `/service/<name>/` path segment of rpcv2Cbor.
    pub target_prefix: &'static str,
    /// The Smithy namespace, which qualifies error shape ids in rpcv2Cbor `__type`.
    pub smithy_namespace: &'static str,
    /// The rate-limit quota the service's calls count against.
    pub quota: Quota,
}

/// The table of services, indexed by `Service as usize` (a test checks the order). Adding a
/// service means adding a variant, a row here and a model file; the array length makes the
/// compiler point at this table.
pub const SERVICES: [ServiceInfo; 4] = [
    ServiceInfo {
        service: Service::SsoAdmin,
        botocore_name: "sso-admin",
        iam_prefix: "sso",
        target_prefix: "SWBExternalService",
        smithy_namespace: "com.amazonaws.ssoadmin",
        quota: Quota::IdentityCenter,
    },
    ServiceInfo {
        service: Service::IdentityStore,
        botocore_name: "identitystore",
        iam_prefix: "identitystore",
        target_prefix: "AWSIdentityStore",
        smithy_namespace: "com.amazonaws.identitystore",
        // Whether AWS counts these calls in Identity Center's 20 TPS is not documented; by default
        // the quota shares Identity Center's bucket (see `QUOTAS`).
        quota: Quota::IdentityStore,
    },
    ServiceInfo {
        service: Service::AppStream,
        botocore_name: "appstream",
        iam_prefix: "appstream",
        target_prefix: "PhotonAdminProxyService",
        smithy_namespace: "com.amazonaws.appstream",
        quota: Quota::AppStream,
    },
    ServiceInfo {
        service: Service::Kendra,
        botocore_name: "kendra",
        iam_prefix: "kendra",
        target_prefix: "AWSKendraFrontendService",
        smithy_namespace: "com.amazonaws.kendra",
        quota: Quota::Kendra,
    },
];

/// A client-side rate limit: one bucket per quota, unless the quota shares another's (see
/// [`DefaultRate::Shares`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Quota {
    IdentityCenter,
    IdentityStore,
    AppStream,
    Kendra,
}

/// A quota's rate when `--tps` does not name it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DefaultRate {
    /// Its own bucket at this many calls per second.
    Tps(f64),
    /// No bucket of its own: its calls are counted in the other quota's bucket. Giving the quota
    /// a rate of its own (`--tps KEY=N`) gives it its own bucket.
    Shares(Quota),
}

/// One row of [`QUOTAS`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuotaInfo {
    pub quota: Quota,
    /// The key of `--tps KEY=N`.
    pub tps_key: &'static str,
    /// Other spellings `--tps` accepts.
    pub tps_aliases: &'static [&'static str],
    /// The rate when nothing else is configured. Identity Center: AWS documents 20 TPS shared by
    /// all its APIs. Identity Store: AWS publishes no rate, and does not say whether its calls
    /// count against Identity Center's 20 TPS; sharing that bucket is the conservative reading
    /// (it can only make offboard slower, never throttled for it). AppStream and Kendra publish
    /// no per-API rate for the operations offboard uses; 10 is a conservative default and
    /// throttling answers are retried anyway.
    pub default: DefaultRate,
}

/// The table of quotas, indexed by `Quota as usize`.
pub const QUOTAS: [QuotaInfo; 4] = [
    QuotaInfo {
        quota: Quota::IdentityCenter,
        tps_key: "sso",
        tps_aliases: &["identity-center"],
        default: DefaultRate::Tps(20.0),
    },
    QuotaInfo {
        quota: Quota::IdentityStore,
        tps_key: "identitystore",
        tps_aliases: &["identity-store"],
        default: DefaultRate::Shares(Quota::IdentityCenter),
    },
    QuotaInfo { quota: Quota::AppStream, tps_key: "appstream", tps_aliases: &[], default: DefaultRate::Tps(10.0) },
    QuotaInfo { quota: Quota::Kendra, tps_key: "kendra", tps_aliases: &[], default: DefaultRate::Tps(10.0) },
];

impl Quota {
    pub const ALL: [Quota; 4] = [Quota::IdentityCenter, Quota::IdentityStore, Quota::AppStream, Quota::Kendra];

    pub fn info(self) -> &'static QuotaInfo {
        &QUOTAS[self as usize]
    }

    pub fn tps_key(self) -> &'static str {
        self.info().tps_key
    }

    /// The quota whose bucket this one uses when it has no rate of its own.
    pub fn shares_by_default(self) -> Option<Quota> {
        match self.info().default {
            DefaultRate::Shares(q) => Some(q),
            DefaultRate::Tps(_) => None,
        }
    }

    /// The default rate: its own, or that of the quota it shares.
    pub fn default_tps(self) -> f64 {
        match self.info().default {
            DefaultRate::Tps(tps) => tps,
            DefaultRate::Shares(q) => q.default_tps(),
        }
    }

    /// The quota a `--tps` key names (its key or an alias).
    pub fn from_tps_key(key: &str) -> Option<Quota> {
        QUOTAS.iter().find(|q| q.tps_key == key || q.tps_aliases.contains(&key)).map(|q| q.quota)
    }
}

impl Service {
    pub const ALL: [Service; 4] = [Service::SsoAdmin, Service::IdentityStore, Service::AppStream, Service::Kendra];

    /// The service's row of [`SERVICES`].
    pub fn info(self) -> &'static ServiceInfo {
        &SERVICES[self as usize]
    }

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
        self.info().target_prefix
    }

    pub fn from_target_prefix(prefix: &str) -> Option<Service> {
        SERVICES.iter().find(|s| s.target_prefix == prefix).map(|s| s.service)
    }

    /// The botocore directory name of the model (`sso-admin`, `identitystore`, …).
    pub fn botocore_name(self) -> &'static str {
        self.info().botocore_name
    }

    /// The IAM action prefix (`sso`, `identitystore`, `appstream`, `kendra`).
    pub fn iam_prefix(self) -> &'static str {
        self.info().iam_prefix
    }

    pub fn quota(self) -> Quota {
        self.info().quota
    }
}

impl Service {
    /// The order in which services are listed to people (error messages, the sandbox's fault
    /// settings): the Identity Store first, where a person is found, then the access they hold.
    /// [`SERVICES`] keeps its own order because it is indexed by the enum; this one is kept
    /// separate so that those listings read the same whatever the table order.
    pub const LISTING_ORDER: [Service; 4] =
        [Service::IdentityStore, Service::SsoAdmin, Service::AppStream, Service::Kendra];

    /// The Smithy namespace (`com.amazonaws.ssoadmin`), which qualifies error shape ids in
    /// rpcv2Cbor `__type`.
    pub fn smithy_namespace(self) -> &'static str {
        self.info().smithy_namespace
    }

    /// The service whose botocore name (`sso-admin`, `identitystore`, …) this is.
    pub fn from_botocore_name(name: &str) -> Option<Service> {
        SERVICES.iter().find(|s| s.botocore_name == name).map(|s| s.service)
    }
}

/// The botocore names in [`Service::LISTING_ORDER`], for messages that list them.
const LISTED_NAMES: [&str; 4] = {
    let mut names = [""; 4];
    let mut i = 0;
    while i < names.len() {
        names[i] = SERVICES[Service::LISTING_ORDER[i] as usize].botocore_name;
        i += 1;
    }
    names
};

/// Shows the botocore name, which is what people type (`--tps sso-admin=5`) and read in logs.
impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.botocore_name())
    }
}

/// A service name that is not the botocore name of one of the four services.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown service `{0}`; expected one of {names}", names = LISTED_NAMES.join(", "))]
pub struct UnknownService(pub String);

/// Parses a botocore name, the inverse of `Display`.
impl FromStr for Service {
    type Err = UnknownService;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Service::from_botocore_name(s).ok_or_else(|| UnknownService(s.to_owned()))
    }
}

/// Serialized as the botocore name (`"sso-admin"`), also as a map key.
impl serde::Serialize for Service {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.botocore_name())
    }
}

/// Deserialized from the botocore name. An unknown name is reported the way serde reports an
/// unknown enum variant, listing the names in [`Service::LISTING_ORDER`].
impl<'de> serde::Deserialize<'de> for Service {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = Service;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "one of {}", LISTED_NAMES.join(", "))
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Service, E> {
                Service::from_botocore_name(name).ok_or_else(|| E::unknown_variant(name, &LISTED_NAMES))
            }
        }
        deserializer.deserialize_str(Name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_are_indexed_by_their_enums() {
        for s in Service::ALL {
            assert_eq!(s.info().service, s);
        }
        for q in Quota::ALL {
            assert_eq!(q.info().quota, q);
        }
    }

    #[test]
    fn tps_keys_and_aliases_name_one_quota_each() {
        assert_eq!(Quota::from_tps_key("sso"), Some(Quota::IdentityCenter));
        assert_eq!(Quota::from_tps_key("identity-center"), Some(Quota::IdentityCenter));
        assert_eq!(Quota::from_tps_key("kendra"), Some(Quota::Kendra));
        assert_eq!(Quota::from_tps_key("identitystore"), Some(Quota::IdentityStore));
        assert_eq!(Quota::from_tps_key("identity-store"), Some(Quota::IdentityStore));
        assert_eq!(Quota::from_tps_key("sso-admin"), None);
    }

    #[test]
    fn identity_store_shares_identity_centers_quota_by_default() {
        assert_eq!(Service::IdentityStore.quota(), Quota::IdentityStore);
        assert_eq!(Quota::IdentityStore.shares_by_default(), Some(Quota::IdentityCenter));
        assert_eq!(Quota::IdentityStore.default_tps(), Quota::IdentityCenter.default_tps());
        for q in Quota::ALL {
            // A quota shares one with a rate of its own: no chains, no cycles.
            if let Some(shared) = q.shares_by_default() {
                assert_eq!(shared.shares_by_default(), None, "{q:?}");
            }
        }
    }

    #[test]
    fn the_listing_order_names_every_service_once() {
        let mut listed = Service::LISTING_ORDER.to_vec();
        listed.sort();
        assert_eq!(listed, Service::ALL);
        assert_eq!(LISTED_NAMES, ["identitystore", "sso-admin", "appstream", "kendra"]);
    }

    #[test]
    fn botocore_names_parse_display_and_serialize_alike() {
        for s in Service::ALL {
            assert_eq!(s.to_string().parse::<Service>(), Ok(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.botocore_name()));
            assert_eq!(serde_json::from_str::<Service>(&json).unwrap(), s);
        }
        let err = "s3".parse::<Service>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown service `s3`; expected one of identitystore, sso-admin, appstream, kendra"
        );
        let err = serde_json::from_str::<Service>("\"sso\"").unwrap_err().to_string();
        assert!(
            err.starts_with(
                "unknown variant `sso`, expected one of `identitystore`, `sso-admin`, `appstream`, `kendra`"
            ),
            "{err}"
        );
    }
}
