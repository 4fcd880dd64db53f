//! The pure domain of offboard.
//!
//! Data flows one way through this crate, and each step has its own module:
//!
//! ```text
//! policy files ──policy::load──▶ Policy ──(adapter reads AWS)──▶ ObservedState
//!        Policy × ObservedState ──planner::plan──▶ Plan ──render──▶ text | markdown | json
//! ```
//!
//! Nothing here performs I/O, reads a clock or knows about the AWS SDK: the caller passes file
//! contents in, passes the current time in, and passes the observed AWS state in. That is what
//! makes plans reproducible (same inputs, byte-identical JSON) and the whole core unit-testable.

pub mod authority;
pub mod digest;
pub mod drift;
pub mod edge;
pub mod grant;
pub mod ids;
pub mod outcome;
pub mod plan;
pub mod planner;
pub mod policy;
pub mod principal;
pub mod refusal;
pub mod render;
pub mod report;
pub mod schemas;
pub mod state;

pub use grant::{Grant, Service};
pub use plan::{Action, ApiRequest, Phase, Plan};
pub use planner::{PlanInputs, plan};
pub use policy::{Config, Leaver, Policy};
pub use principal::{PrincipalKind, PrincipalRef, Selector};
pub use state::{ObservedPrincipal, ObservedState, Resolution};
