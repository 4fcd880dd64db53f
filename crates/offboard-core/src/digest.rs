//! Content digests (`sha256:<hex>`) of canonical JSON, for policies, observed state and plans.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Digest of a value's JSON form. serde_json writes struct fields in declaration order and our
/// maps are BTreeMaps, so the JSON of a value is canonical and the digest is stable.
pub fn sha256_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serializing our own plain data types to a Vec cannot fail (no maps with non-string keys,
    // no custom Serialize impls that error); fall back to the Debug-free empty input otherwise
    // rather than panic, which would still change the digest visibly.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    sha256_bytes(&bytes)
}

pub fn sha256_bytes(bytes: &[u8]) -> String {
    // The digest's `LowerHex` (from sha2's `generic-array`) writes the 64 lower-case hex digits.
    format!("sha256:{:x}", Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_prefixed_lower_case_hex() {
        // SHA-256 of the empty input (FIPS 180-2 examples).
        assert_eq!(sha256_bytes(b""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_bytes(b"abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
