//! Drift: access that an earlier `offboard apply` removed and that is back.
//!
//! `offboard plan --journal FILE` reads the apply journal into a [`RemovalHistory`]; every grant
//! the new plan would remove that the journal shows as removed before is "regained". The
//! renderers annotate those grants (`render/drift.rs`); this module only knows the history.
//!
//! A grant is matched by its AWS ids alone, not by how the policy named the principal: a leaver
//! re-declared by id instead of by name still regained the same assignment.

use crate::grant::Grant;
use crate::outcome::{Outcome, OutcomeResult};
use crate::plan::Plan;
use crate::principal::PrincipalRef;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The last time the journal saw each grant gone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemovalHistory {
    removed: BTreeMap<Grant, PastRemoval>,
}

/// When and how a grant was last seen removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastRemoval {
    /// The journal's time (RFC 3339).
    pub time: String,
    /// False when the run found it already gone (no call was made).
    pub removed_by_this_run: bool,
    pub request_id: Option<String>,
}

impl PastRemoval {
    /// The calendar date (UTC) of the removal, e.g. `2026-11-21`; the raw time when it does not
    /// parse (a hand-edited journal), so nothing is hidden.
    pub fn date(&self) -> String {
        OffsetDateTime::parse(&self.time, &Rfc3339)
            .map(|t| t.to_offset(time::UtcOffset::UTC).date().to_string())
            .unwrap_or_else(|_| self.time.clone())
    }

    /// `regained since 2026-11-21 (removed 2026-11-21T09:14:03Z, request 0b6f…)`.
    pub fn annotation(&self) -> String {
        let how = match (&self.removed_by_this_run, &self.request_id) {
            (true, Some(id)) => format!("removed {}, request {id}", self.time),
            (true, None) => format!("removed {}", self.time),
            (false, _) => format!("found already removed {}", self.time),
        };
        format!("regained since {} ({how})", self.date())
    }
}

/// A grant the plan removes again, with the earlier removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regained<'a> {
    pub principal: &'a PrincipalRef,
    pub grant: &'a Grant,
    pub removal: &'a PastRemoval,
}

impl RemovalHistory {
    /// From journal outcomes in the order they were written: a later success replaces an earlier
    /// one (the most recent time the grant was known to be gone); failures are no removal.
    pub fn from_outcomes<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Self {
        let mut removed = BTreeMap::new();
        for o in outcomes {
            let removed_by_this_run = match o.result {
                OutcomeResult::Removed => true,
                OutcomeResult::AlreadyRemoved => false,
                OutcomeResult::Failed { .. } | OutcomeResult::Sending => continue,
                // Verification found it there after all: it was never known gone.
                OutcomeResult::StillPresent => {
                    removed.remove(&o.grant);
                    continue;
                }
            };
            removed.insert(
                o.grant.clone(),
                PastRemoval { time: o.time.clone(), removed_by_this_run, request_id: o.request_id.clone() },
            );
        }
        RemovalHistory { removed }
    }

    pub fn is_empty(&self) -> bool {
        self.removed.is_empty()
    }

    pub fn get(&self, grant: &Grant) -> Option<&PastRemoval> {
        self.removed.get(grant)
    }

    /// Every grant the plan removes that was removed before, in plan order.
    pub fn regained<'a>(&'a self, plan: &'a Plan) -> Vec<Regained<'a>> {
        plan.principals
            .iter()
            .flat_map(|p| p.remove.iter().map(move |g| (&p.principal, g)))
            .filter_map(|(principal, grant)| self.get(grant).map(|removal| Regained { principal, grant, removal }))
            .collect()
    }
}
