//! Shared support for the end-to-end tests in `tests/tests/`: starting moto, the sandbox and the binary.
pub mod moto;
