//! The sandbox's request decoding (awsJson1_1 and rpcv2Cbor): every request must be routed or
//! rejected with an error answer, never a panic. Input layout: `request.rs`.
#![no_main]

mod request;

use libfuzzer_sys::fuzz_target;
use offboard_sandbox::fuzz_api::{Decoded, decode_cbor, decode_request};

fuzz_target!(|data: &[u8]| {
    let _ = decode_cbor(data);
    let Some(req) = request::split(data) else { return };
    match decode_request(req.method, &req.path, req.target.as_deref(), &req.body) {
        Decoded::Routed { params, .. } => assert!(params.is_object(), "a routed request's input is not an object"),
        Decoded::Rejected { code, message } => {
            assert!(!code.is_empty() && !message.is_empty(), "a rejection without code or message")
        }
    }
});
