//! Deterministic identifiers: the same fixture yields the same ids on every run and machine.
//!
//! Every id the fixture does not spell out is derived from a SHA-256 digest of a kind tag and the
//! entity's readable name, so tests and the example policies can rely on stable ids without the
//! fixture author inventing UUIDs.

use sha2::{Digest, Sha256};

/// SHA-256 of the parts, each terminated by a NUL so `("ab", "c")` and `("a", "bc")` differ.
pub(crate) fn digest(parts: &[&str]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hasher.finalize().into()
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Inverse of [`hex`]; `None` for odd lengths or non-hex characters. Only the lower-case form
/// [`hex`] writes is accepted (the `hex` crate would take upper case too), so a pagination token
/// has exactly one spelling and an edited one is refused.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.bytes().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    hex::decode(text).ok()
}

/// A version-4-shaped UUID (`8-4-4-4-12`, lower case) derived from the parts.
pub(crate) fn uuid_from(parts: &[&str]) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest(parts)[..16]);
    // Set the version and variant bits so the value looks like the v4 UUIDs AWS hands out.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// An Identity Store resource id (user, group or membership).
///
/// AWS prefixes resource ids of a `d-xxxxxxxxxx` store with the store's ten hex digits
/// (`906700a1b2-<uuid>`); stores identified by a UUID use bare UUIDs.
pub(crate) fn identity_store_resource_id(store_id: &str, kind: &str, name: &str) -> String {
    let uuid = uuid_from(&["identitystore", store_id, kind, name]);
    match store_id.strip_prefix("d-") {
        Some(prefix) => format!("{prefix}-{uuid}"),
        None => uuid,
    }
}

/// A permission set ARN under `instance_arn`: `arn:aws:sso:::permissionSet/<ins>/ps-<16 hex>`.
pub(crate) fn permission_set_arn(instance_arn: &str, name: &str) -> String {
    let instance = instance_arn.rsplit('/').next().unwrap_or(instance_arn);
    let partition = instance_arn.split(':').nth(1).unwrap_or("aws");
    let suffix = hex(&digest(&["permission-set", instance_arn, name])[..8]);
    format!("arn:{partition}:sso:::permissionSet/{instance}/ps-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = identity_store_resource_id("d-906700a1b2", "user", "alice");
        assert_eq!(a, identity_store_resource_id("d-906700a1b2", "user", "alice"));
        assert_ne!(a, identity_store_resource_id("d-906700a1b2", "user", "bob"));
        assert_ne!(a, identity_store_resource_id("d-906700a1b2", "group", "alice"));
        assert!(a.starts_with("906700a1b2-"), "{a}");
        assert_eq!(a.len(), 47);
        let plain = identity_store_resource_id("1b2c3d4e-0000-4000-8000-000000000000", "user", "x");
        assert_eq!(plain.len(), 36);
    }

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&bytes), "0001abff");
        assert_eq!(unhex("0001abff").unwrap(), bytes);
        assert!(unhex("abc").is_none());
        assert!(unhex("zz").is_none());
        assert!(unhex("0001ABFF").is_none(), "one spelling only");
    }

    #[test]
    fn permission_set_arn_has_the_aws_shape() {
        let arn = permission_set_arn("arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6", "Admin");
        assert!(arn.starts_with("arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/ps-"), "{arn}");
        assert_eq!(arn.rsplit("ps-").next().unwrap().len(), 16);
    }
}
