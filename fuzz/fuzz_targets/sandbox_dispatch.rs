//! The sandbox's whole request path (decode, validate, handle, answer) against the example org
//! (`examples/sandbox/org.yaml`), fresh for every input: every request gets an answer, never a
//! panic, and the answer conforms to the model (the sandbox's own conformance check, on in
//! builds with debug assertions, which `cargo fuzz` makes by default). Input layout: `request.rs`.
#![no_main]

mod request;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use offboard_sandbox::Org;
use offboard_sandbox::fuzz_api::Dispatcher;

const ORG: &str = include_str!("../../examples/sandbox/org.yaml");

fn org() -> &'static Org {
    static ORG_ONCE: OnceLock<Org> = OnceLock::new();
    ORG_ONCE.get_or_init(|| Org::from_yaml_str(ORG, "examples/sandbox/org.yaml").expect("the example org loads"))
}

fuzz_target!(|data: &[u8]| {
    let Some(req) = request::split(data) else { return };
    let sandbox = Dispatcher::new(org().clone());
    let answer = sandbox.request(req.method, &req.path, req.target.as_deref(), &req.body);
    let (status, body) = answer.expect("with no faults every request is answered at once");
    assert!((200..600).contains(&status), "HTTP status {status}");
    assert!(!body.is_empty(), "an answer without a body");
    for entry in sandbox.request_log() {
        assert!(
            entry.conformance.is_empty(),
            "{} {}: the answer does not conform to the model: {:?}",
            entry.service,
            entry.operation,
            entry.conformance
        );
    }
});
