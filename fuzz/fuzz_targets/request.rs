//! How the sandbox targets read their input as an HTTP request.
//!
//! Byte 0: bit 0 chooses the protocol (0 awsJson1_1 with `X-Amz-Target`, 1 rpcv2Cbor at
//! `/service/<Service>/operation/<Op>`); bits 1..=3 all set make the method GET instead of POST.
//! Byte 1 picks the operation from [`operations`]: every emulated operation of every service,
//! then one the models have but the sandbox does not emulate, and one nobody has.
//! The rest is the body.

use offboard_sandbox::{AwsService, emulated_operations};

pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub target: Option<String>,
    pub body: Vec<u8>,
}

pub fn operations() -> Vec<(AwsService, &'static str)> {
    let mut ops: Vec<(AwsService, &'static str)> = AwsService::LISTING_ORDER
        .into_iter()
        .flat_map(|s| emulated_operations(s).iter().map(move |op| (s, *op)))
        .collect();
    ops.push((AwsService::Kendra, "CreateIndex"));
    ops.push((AwsService::AppStream, "NoSuchOperation"));
    ops
}

pub fn split(data: &[u8]) -> Option<Request> {
    let [mode, pick, body @ ..] = data else { return None };
    let ops = operations();
    let (service, operation) = ops[usize::from(*pick) % ops.len()];
    let method = if mode & 0b1110 == 0b1110 { "GET" } else { "POST" };
    let prefix = service.target_prefix();
    let (path, target) = if mode & 1 == 0 {
        ("/".to_owned(), Some(format!("{prefix}.{operation}")))
    } else {
        (format!("/service/{prefix}/operation/{operation}"), None)
    };
    Some(Request { method, path, target, body: body.to_vec() })
}
