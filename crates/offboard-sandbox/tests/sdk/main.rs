//! The sandbox through the official Rust SDKs (one test binary: linking the four SDK crates once
//! keeps the build affordable).

mod appstream;
mod common;
mod conformance;
mod container_reads;
mod control;
mod example_org;
mod experience_entities;
mod faults;
mod identitystore;
mod kendra;
mod memberships;
mod sso_admin;
