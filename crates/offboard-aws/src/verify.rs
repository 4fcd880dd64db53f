//! Proving the result: re-read everything a plan touched and list what is still there.

use crate::call::Session;
use crate::clients::Clients;
use crate::edge;
use crate::error::AwsError;
use crate::limits::Limits;
use offboard_core::grant::Grant;
use offboard_core::plan::Plan;
use std::collections::BTreeSet;

/// The plan's grants that are still present, in plan order. Empty means the plan's effect holds.
/// Kendra group mappings whose latest action is DELETING count as gone (Kendra finishes the
/// deletion on its own; no further call is needed or possible).
pub async fn verify(clients: &Clients, plan: &Plan, limits: &Limits) -> Result<Vec<Grant>, AwsError> {
    let s = Session::new(clients, limits);
    let mut seen = BTreeSet::new();
    let grants: Vec<&Grant> =
        plan.actions.iter().flat_map(|a| a.items.iter().map(|i| &i.grant)).filter(|g| seen.insert(*g)).collect();
    let presence = edge::presence(&s, edge::Place::of(plan), &grants).await;
    // Report the first failed read in plan order, so the error is the same run to run.
    for g in &grants {
        if let Err(f) = presence.of(g) {
            return Err(AwsError::Call(f.clone()));
        }
    }
    Ok(grants.into_iter().filter(|g| presence.present().contains(*g)).cloned().collect())
}
