//! The planner: policy × observed state → plan (being written by the lead).

use crate::plan::Plan;
use crate::policy::Policy;
use crate::state::ObservedState;
use time::OffsetDateTime;

/// Inputs of planning besides the policy and the state: the injected clock and the paths to
/// record in the plan.
#[derive(Clone, Debug)]
pub struct PlanInputs {
    pub now: OffsetDateTime,
    pub config_path: String,
    pub policy_paths: Vec<String>,
}

pub fn plan(_policy: &Policy, _state: &ObservedState, _inputs: &PlanInputs) -> Plan {
    unimplemented!("being written")
}
