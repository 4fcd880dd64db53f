//! Content digests (`sha256:<hex>`) of canonical JSON, for policies, observed state and plans.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::{BufWriter, Write};

/// Digest of a value's JSON form. serde_json writes struct fields in declaration order and our
/// maps are BTreeMaps, so the JSON of a value is canonical and the digest is stable.
pub fn sha256_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Streamed into the hash rather than built as one buffer: the observed state of 10,000
    // leavers is megabytes of JSON, and growing that buffer was a large share of planning time.
    // Serializing our own plain data types cannot fail (no maps with non-string keys, no custom
    // Serialize impls that error); if it did, the digest of what was written so far still
    // differs visibly from the right one, rather than a panic.
    //
    // Buffered: serde_json writes each quote, key and value as its own small write, and feeding
    // those one by one to the hasher costs more than copying them into a buffer and hashing
    // whole blocks of it. Through the buffer's own type rather than `sha256_written`'s
    // `dyn Write`, so that each of those small writes is an inlined copy, not a virtual call.
    buffered_sha256(|out| Ok(serde_json::to_writer(out, value)?))
}

/// Bytes of JSON gathered before they are hashed: a multiple of SHA-256's 64-byte block.
const HASH_BUFFER: usize = 16 * 1024;

/// An `io::Write` that feeds a SHA-256.
struct Hashing(Sha256);

impl std::io::Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Digest of whatever `write` writes, streamed into the hash: for a plan file, whose JSON is
/// hundreds of megabytes at 10,000 leavers and is never built in memory.
pub fn sha256_written(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> String {
    buffered_sha256(|out| write(out))
}

/// Digest of what `write` writes into a buffer in front of the hash.
fn buffered_sha256(write: impl FnOnce(&mut BufWriter<Hashing>) -> std::io::Result<()>) -> String {
    let mut hashing = BufWriter::with_capacity(HASH_BUFFER, Hashing(Sha256::new()));
    // `Hashing` never fails; an error of `write` itself leaves a visibly different digest.
    let _ = write(&mut hashing);
    // Hashing the buffer's tail: `Hashing` never fails, so neither does the flush.
    let _ = hashing.flush();
    let (Hashing(sha), _) = hashing.into_parts();
    format!("sha256:{:x}", sha.finalize())
}

pub fn sha256_bytes(bytes: &[u8]) -> String {
    // The digest's `LowerHex` (from sha2's `generic-array`) writes the 64 lower-case hex digits.
    format!("sha256:{:x}", Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_json_digest_is_the_digest_of_the_json() {
        let value = serde_json::json!({"a": [1, 2, {"b": "c"}], "d": "é"});
        assert_eq!(sha256_json(&value), sha256_bytes(&serde_json::to_vec(&value).unwrap()));
    }

    #[test]
    fn digests_are_prefixed_lower_case_hex() {
        // SHA-256 of the empty input (FIPS 180-2 examples).
        assert_eq!(sha256_bytes(b""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_bytes(b"abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
