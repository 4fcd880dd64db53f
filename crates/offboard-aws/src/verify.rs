//! Proving the result: re-read everything a plan touched and list what is still there.

use crate::call::Session;
use crate::clients::Clients;
use crate::edge;
use crate::error::{AwsError, CallFailure};
use crate::limits::Limits;
use offboard_core::grant::Grant;
use offboard_core::plan::Plan;
use std::collections::BTreeSet;

/// The plan's grants that are still present, in plan order. Empty means the plan's effect holds.
/// Kendra group mappings whose latest action is DELETING count as gone (Kendra finishes the
/// deletion on its own; no further call is needed or possible).
///
/// `apply` verifies as it goes (each phase while the next ones run) and reports the same in
/// [`ApplyReport::still_present`](crate::ApplyReport::still_present); this is for a plan
/// applied earlier.
pub async fn verify(clients: &Clients, plan: &Plan, limits: &Limits) -> Result<Vec<Grant>, AwsError> {
    let s = Session::new(clients, limits);
    let grants: Vec<&Grant> = plan.actions.iter().flat_map(|a| a.items.iter().map(|i| &i.grant)).collect();
    still_present(&s, edge::Place::of(plan), grants).await.map_err(AwsError::Call)
}

/// Which of `grants` are present right now, each once, in their order; the first failed read
/// (in that order, so the error is the same run to run) if any could not be read.
pub(crate) async fn still_present(
    s: &Session<'_>,
    at: edge::Place<'_>,
    grants: Vec<&Grant>,
) -> Result<Vec<Grant>, CallFailure> {
    let mut seen = BTreeSet::new();
    let grants: Vec<&Grant> = grants.into_iter().filter(|g| seen.insert(*g)).collect();
    let presence = edge::presence(s, at, &grants).await;
    if let Some(f) = grants.iter().find_map(|g| presence.of(g).err()) {
        return Err(f.clone());
    }
    Ok(grants.into_iter().filter(|g| presence.present().contains(*g)).cloned().collect())
}
