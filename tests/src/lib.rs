//! Shared support for the end-to-end tests in `tests/tests/`: starting moto, the sandbox and the
//! binary, and reading what they leave behind (state, plans, journals).
pub mod access;
pub mod apply_contract;
pub mod cli;
pub mod journal;
pub mod moto;
pub mod policy_repo;
pub mod sandbox;
pub mod sso;
