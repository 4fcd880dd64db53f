//! Policy loading: the input is one YAML file, read as `offboard.yaml` on its own and as a
//! leaver file next to the example config (`policies/offboard.yaml`). Every input must give a
//! policy or errors located in the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use offboard_core::policy::load::load_config;
use offboard_core::policy::{PolicyErrors, Source, load};

const CONFIG: &str = include_str!("../../policies/offboard.yaml");

fn check(errors: &PolicyErrors) {
    assert!(!errors.0.is_empty(), "an error without any message");
    for e in &errors.0 {
        assert!(e.origin.is_some(), "an error about a file without its location: {e}");
    }
    let _ = errors.to_string();
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let fuzzed_config = Source { path: "offboard.yaml".to_owned(), text: text.clone() };
    if let Err(errors) = load_config(&fuzzed_config) {
        check(&errors);
    }
    let config = Source { path: "offboard.yaml".to_owned(), text: CONFIG.to_owned() };
    let leavers = Source { path: "leavers/fuzz.yaml".to_owned(), text };
    match load(&config, &[leavers]) {
        Ok(policy) => {
            let _ = policy.digest();
        }
        Err(errors) => check(&errors),
    }
});
