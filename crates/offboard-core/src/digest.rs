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
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}
