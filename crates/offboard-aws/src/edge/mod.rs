//! Access edges, the adapter's half: one module per kind of access, each implementing
//! [`AccessEdge`] for the core's edge type (`offboard_core::edge`): how to observe it in AWS for
//! a plan, how to re-read whether it is still there right before acting, and how to remove it.
//!
//! Dispatch over the edges uses the core's exhaustive `for_phase!`, so a new edge that has no
//! adapter module fails to compile here.

mod appstream_association;
mod batch;
mod group_membership;
mod kendra_experience_entity;
mod kendra_group_mapping;
mod kendra_persona;
mod sso_assignment;

pub(crate) use kendra_experience_entity::SharedEntities;

use crate::apply::Journal;
use crate::call::{Session, bounded};
use crate::error::{AwsError, CallFailure};
use offboard_core::edge::{Edge, Phase};
use offboard_core::for_phase;
use offboard_core::grant::Grant;
use offboard_core::plan::{Action, ActionItem};
use offboard_core::policy::{Config, Leaver};
use offboard_core::state::Resolution;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A declared leaver whose scope covers the edge being observed, as the Identity Store
/// resolved it. A leaver it does not know is still observed by the edges that name principals
/// without an Identity Store id (AppStream user names, Kendra ACL group ids).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subject<'a> {
    pub leaver: &'a Leaver,
    pub resolution: &'a Resolution,
}

impl Subject<'_> {
    /// The Identity Store id, when found.
    pub(crate) fn id(&self) -> Option<&str> {
        self.resolution.id()
    }
}

/// What one edge saw of one subject: its grants, and for Kendra group mappings the latest
/// `OrderingId` of each (the planner reports a mapping a plan could never win).
#[derive(Clone, Debug, Default)]
pub(crate) struct Seen {
    pub grants: BTreeSet<Grant>,
    pub latest_ordering_ids: Vec<(Grant, i64)>,
}

impl From<BTreeSet<Grant>> for Seen {
    fn from(grants: BTreeSet<Grant>) -> Self {
        Seen { grants, latest_ordering_ids: Vec::new() }
    }
}

/// Where to look: the environment config, the Identity Center instance and its identity store.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Where<'a> {
    pub config: &'a Config,
    pub instance_arn: Option<&'a str>,
    pub identity_store_id: Option<&'a str>,
    /// The memberships of the user leavers, when they were read per group
    /// (`directory::memberships_by_group`): user id → memberships.
    pub memberships: Option<&'a std::collections::HashMap<String, Vec<crate::identitystore::Membership>>>,
    /// Kendra experience listings shared by the edges that read them (`None`: read each time).
    pub kendra_entities: Option<&'a kendra_experience_entity::SharedEntities>,
}

/// Where `apply` and `verify` re-read a plan's grants: the instance and identity store the plan
/// was read in (`apply` refused the plan before if it is not where it acts now). Edges whose
/// reads name neither ignore it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Place<'a> {
    pub instance_arn: Option<&'a str>,
    pub identity_store_id: Option<&'a str>,
}

impl<'a> Place<'a> {
    pub(crate) fn of(plan: &'a offboard_core::plan::Plan) -> Self {
        Place {
            instance_arn: plan.location.instance_arn.as_deref(),
            identity_store_id: plan.location.identity_store_id.as_deref(),
        }
    }
}

/// What the adapter does with one kind of access.
pub(crate) trait AccessEdge: Edge + Ord + Clone + Into<Grant> {
    /// The grants of each subject (same order as `subjects`), for `plan`. Reads that several
    /// subjects share are made once.
    async fn observe(s: &Session<'_>, at: Where<'_>, subjects: &[Subject<'_>]) -> Result<Vec<Seen>, AwsError>;

    /// Which of `grants` are present right now, with as few reads as possible. A grant whose
    /// read failed is unknown, with the failure: never guessed present or absent.
    async fn presence(s: &Session<'_>, at: Place<'_>, grants: &[&Self]) -> Presence;

    /// Carry out this phase's actions (each already checked against its items), re-reading
    /// nothing: `presence` was read right before. Every item gets one outcome in `journal`.
    async fn remove(s: &Session<'_>, actions: &[&Action], presence: &Presence, journal: &mut Journal<'_>);
}

/// Which grants are present right now. A grant whose read failed is in `unknown` with the
/// failure.
#[derive(Debug, Default)]
pub(crate) struct Presence {
    present: BTreeSet<Grant>,
    unknown: HashMap<Grant, CallFailure>,
    /// Group mappings: what their recent actions say about changes (`remove` checks them
    /// against the plan's `OrderingId`).
    mapping_changes: HashMap<Grant, MappingChanges>,
}

/// What a Kendra group mapping's recent actions (the ones that took effect, not FAILED) say
/// about changes to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MappingChanges {
    /// The highest `OrderingId`: Kendra ignores a delete with a lower one.
    pub latest_ordering_id: Option<i64>,
    /// The action Kendra received last: its `OrderingId` and `ReceivedAt` in epoch milliseconds.
    pub last_received: Option<(i64, i64)>,
}

impl Presence {
    pub(crate) fn of(&self, g: &Grant) -> Result<bool, &CallFailure> {
        match self.unknown.get(g) {
            Some(f) => Err(f),
            None => Ok(self.present.contains(g)),
        }
    }

    /// A group mapping's changes as its re-read saw them (none known: default).
    pub(crate) fn mapping_changes(&self, g: &Grant) -> MappingChanges {
        self.mapping_changes.get(g).copied().unwrap_or_default()
    }

    pub(crate) fn present(&self) -> &BTreeSet<Grant> {
        &self.present
    }

    /// Record one read's answer for the grants it covers: `found` are the present ones.
    pub(crate) fn record<E: AccessEdge>(&mut self, members: &[&E], read: Result<BTreeSet<Grant>, CallFailure>) {
        match read {
            Ok(found) => {
                for g in members {
                    let g: Grant = (*g).clone().into();
                    if found.contains(&g) {
                        self.present.insert(g);
                    }
                }
            }
            Err(f) => {
                for g in members {
                    self.unknown.insert((*g).clone().into(), f.clone());
                }
            }
        }
    }

    pub(crate) fn set_mapping_changes(&mut self, g: Grant, changes: MappingChanges) {
        self.mapping_changes.insert(g, changes);
    }

    fn merge(&mut self, other: Presence) {
        self.present.extend(other.present);
        self.unknown.extend(other.unknown);
        self.mapping_changes.extend(other.mapping_changes);
    }
}

/// Group `grants` by the read that answers for them, run the reads (bounded), and record them.
/// `read_of` names the read; `run` performs one and returns the present grants of its group.
pub(crate) async fn presence_by_read<'g, E, K, Fut>(
    s: &Session<'_>,
    grants: &[&'g E],
    read_of: impl Fn(&E) -> K,
    run: impl Fn(K, Vec<&'g E>) -> Fut,
) -> Presence
where
    E: AccessEdge,
    K: Ord + Clone,
    Fut: std::future::Future<Output = (Vec<&'g E>, Result<BTreeSet<Grant>, CallFailure>)>,
{
    let mut groups: BTreeMap<K, Vec<&'g E>> = BTreeMap::new();
    for g in grants {
        groups.entry(read_of(g)).or_default().push(*g);
    }
    let reads: Vec<Fut> = groups.into_iter().map(|(k, members)| run(k, members)).collect();
    let mut p = Presence::default();
    for (members, r) in bounded(reads, s.limits.concurrency).await {
        p.record(&members, r);
    }
    p
}

/// One removal call of an edge whose calls are independent: its action, the items it will send
/// (for the intent record), and the future that sends it and returns the items' outcomes.
pub(crate) struct Call<'a, F> {
    pub action: &'a Action,
    pub sending: Vec<&'a ActionItem>,
    pub run: F,
}

/// Run the calls, up to `concurrency` at once, and journal their outcomes in action order: the
/// removal loop of every edge whose actions are independent calls. Each call's intent records
/// are written before its future is first polled, so before anything is sent.
pub(crate) async fn journal_in_order<F>(s: &Session<'_>, calls: Vec<Call<'_, F>>, journal: &mut Journal<'_>)
where
    F: std::future::Future<Output = Vec<offboard_core::outcome::Outcome>>,
{
    use futures::StreamExt;
    let limit = s.limits.concurrency.max(1);
    let mut waiting = calls.into_iter();
    let mut running = futures::stream::FuturesOrdered::new();
    loop {
        while running.len() < limit {
            let Some(call) = waiting.next() else { break };
            if !call.sending.is_empty() {
                journal.intend(call.action, &call.sending);
            }
            running.push_back(call.run);
        }
        let Some(outs) = running.next().await else { break };
        outs.into_iter().for_each(|o| journal.record(o));
    }
}

/// The items of `a` that are present right now: those its call will carry.
pub(crate) fn present_items<'a>(a: &'a Action, presence: &Presence) -> Vec<&'a ActionItem> {
    a.items.iter().filter(|i| matches!(presence.of(&i.grant), Ok(true))).collect()
}

/// The grants of every subject, edge by edge, in the order of `subjects`. `in_scope(subject,
/// phase)` says whether the edge observes the subject.
///
/// The edges read at the same time, each service within its own rate limit, so a plan takes
/// as long as its slowest service rather than the sum of all of them.
pub(crate) async fn observe(
    s: &Session<'_>,
    at: Where<'_>,
    subjects: &[Subject<'_>],
    in_scope: impl Fn(&Subject<'_>, Phase) -> bool,
) -> Result<Vec<Seen>, AwsError> {
    let reads: Vec<_> = Phase::ALL
        .into_iter()
        .map(|phase| {
            let (index, chosen): (Vec<usize>, Vec<Subject<'_>>) =
                subjects.iter().enumerate().filter(|(_, sub)| in_scope(sub, phase)).map(|(i, sub)| (i, *sub)).unzip();
            async move {
                if chosen.is_empty() {
                    return Ok((index, Vec::new()));
                }
                let found = for_phase!(phase, E => <E as AccessEdge>::observe(s, at, &chosen).await)?;
                Ok::<_, AwsError>((index, found))
            }
        })
        .collect();
    let mut out: Vec<Seen> = vec![Seen::default(); subjects.len()];
    for read in futures::future::join_all(reads).await {
        let (index, found) = read?;
        for (i, seen) in index.into_iter().zip(found) {
            out[i].grants.extend(seen.grants);
            out[i].latest_ordering_ids.extend(seen.latest_ordering_ids);
        }
    }
    Ok(out)
}

/// Which of `grants` (of any edges) are present right now; the edges re-read at the same time.
pub(crate) async fn presence(s: &Session<'_>, at: Place<'_>, grants: &[&Grant]) -> Presence {
    let reads: Vec<_> = Phase::ALL
        .into_iter()
        .map(|phase| async move {
            for_phase!(phase, E => {
                let mine: Vec<&E> = grants.iter().filter_map(|g| E::of(g)).collect();
                if mine.is_empty() { Presence::default() } else { E::presence(s, at, &mine).await }
            })
        })
        .collect();
    let mut p = Presence::default();
    for part in futures::future::join_all(reads).await {
        p.merge(part);
    }
    p
}

/// Carry out one phase's actions.
pub(crate) async fn remove(
    s: &Session<'_>,
    phase: Phase,
    actions: &[&Action],
    presence: &Presence,
    journal: &mut Journal<'_>,
) {
    for_phase!(phase, E => <E as AccessEdge>::remove(s, actions, presence, journal).await)
}
