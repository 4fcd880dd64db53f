//! Per principal or per container: how each service is read.
//!
//! A plan for three leavers is cheapest asking each service about those three: one listing per
//! principal (`GetUserId`, `ListAccountAssignmentsForPrincipal`, `DescribeUserStackAssociations`
//! by user…). A plan for a thousand leavers in a directory of two thousand users is cheaper
//! listing the containers once and matching locally: the directory (`ListUsers`, `ListGroups`,
//! 100 per page), each group's members, each (account, permission set) of Identity Center, each
//! AppStream stack (25 per page). Time is calls: Identity Center answers 20 per second across
//! all its APIs, and AWS will not raise that. So each service takes whichever needs fewer calls,
//! and logs both estimates with its choice.
//!
//! The per-principal cost is known before reading (one listing per principal and name). The
//! per-container cost is not: nobody knows how many users a directory holds, or to how many
//! accounts a permission set is provisioned, before listing them. A container listing therefore
//! runs with a page budget equal to the per-principal cost, and is abandoned for the
//! per-principal reads as soon as it cannot be cheaper. The choice thus never costs more than
//! twice the cheaper strategy, and costs exactly it whenever the containers are the cheaper.
//!
//! Both strategies give the same observed state: `tests/read_strategies.rs` compares them on
//! generated organisations and on the shipped fixture. Apply's re-reads before acting choose
//! the same way, with exact costs: the plan names the containers it touches.

/// Which reads to make. `Cheaper` is the default; the others force one strategy (to compare
/// them, or to work around an endpoint that lacks a container listing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadStrategy {
    #[default]
    Cheaper,
    PerPrincipal,
    PerContainer,
}

impl ReadStrategy {
    /// The page budget of a container listing whose size is unknown, when the per-principal
    /// reads would cost `per_principal` calls: 0 (do not list) when forced per principal,
    /// unlimited when forced per container.
    pub(crate) fn budget(self, per_principal: usize) -> usize {
        match self {
            ReadStrategy::Cheaper => per_principal,
            ReadStrategy::PerPrincipal => 0,
            ReadStrategy::PerContainer => usize::MAX,
        }
    }

    /// Whether to read per container when both costs are known. A tie goes to the
    /// per-principal reads, which touch less.
    pub(crate) fn prefers_container(self, per_principal: usize, per_container: usize) -> bool {
        match self {
            ReadStrategy::Cheaper => per_container < per_principal,
            ReadStrategy::PerPrincipal => false,
            ReadStrategy::PerContainer => true,
        }
    }

    /// [`Self::prefers_container`], logged and announced to the progress display.
    pub(crate) fn per_container(
        self,
        s: &crate::call::Session<'_>,
        what: &'static str,
        per_principal: usize,
        per_container: usize,
    ) -> bool {
        let chosen = self.prefers_container(per_principal, per_container);
        choose(s, what, chosen, per_principal, Some(per_container));
        chosen
    }
}

/// Logs a read-strategy choice and announces the calls it costs to the progress display.
/// `per_container` is `None` when its listing was abandoned because it reached the
/// per-principal cost.
pub(crate) fn choose(
    s: &crate::call::Session<'_>,
    what: &'static str,
    container: bool,
    per_principal: usize,
    per_container: Option<usize>,
) {
    let cost = if container { per_container.unwrap_or(per_principal) } else { per_principal };
    s.progress().expect_calls(cost as u64);
    log_choice(what, container, per_principal, per_container)
}

fn log_choice(what: &'static str, container: bool, per_principal: usize, per_container: Option<usize>) {
    let per_container = per_container.map_or_else(|| format!("≥ {per_principal}"), |c| c.to_string());
    tracing::info!(
        reads = what,
        chosen = if container { "per container" } else { "per principal" },
        per_principal_calls = per_principal,
        per_container_calls = %per_container,
        "read strategy"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cheaper_takes_the_container_only_when_it_is_strictly_cheaper() {
        assert!(ReadStrategy::Cheaper.prefers_container(10, 9));
        assert!(!ReadStrategy::Cheaper.prefers_container(10, 10));
        assert!(!ReadStrategy::Cheaper.prefers_container(3, 40));
        assert!(ReadStrategy::PerContainer.prefers_container(1, 40));
        assert!(!ReadStrategy::PerPrincipal.prefers_container(40, 1));
    }

    #[test]
    fn budgets_follow_the_strategy() {
        assert_eq!(ReadStrategy::Cheaper.budget(7), 7);
        assert_eq!(ReadStrategy::PerPrincipal.budget(7), 0);
        assert_eq!(ReadStrategy::PerContainer.budget(7), usize::MAX);
    }
}
