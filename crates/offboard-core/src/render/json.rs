//! The plan as JSON: exactly the `plan.json` artifact (`Plan::to_json`), so `show --format json`
//! and `plan --format json` print what `apply` would read. Schema: `docs/plan-format.md`.

use crate::plan::Plan;

pub fn render(plan: &Plan) -> String {
    plan.to_json()
}
