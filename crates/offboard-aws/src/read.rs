//! Reading live access: what `plan` needs (`read_state`) and what `apply`/`verify` re-check
//! (`presence`).
//!
//! Only what the policy names is read: each leaver is resolved in the Identity Store, its groups
//! (for users) are listed, then every configured service is asked about the leaver and about
//! each of those groups, once per group however many leavers share it. A service outside a
//! leaver's `scope` is read too, so the plan shows that access as out of scope instead of
//! hiding it. Reads that several subjects share (the personas of a Kendra experience) are made
//! once. Everything runs concurrently within the rate limits.
//!
//! Each service is read per principal or per container, whichever costs fewer calls
//! (`read_strategy.rs`; both give the same state). Calls per run, for L leavers (U users, G
//! groups), M distinct groups the users are members of, and E configured Kendra experiences:
//! - identity, per principal: per user `GetUserId` by name (+1 by `emails.value` when the
//!   userName does not match) and `DescribeUser`; `DescribeUser` per user by id; `GetGroupId`
//!   or `DescribeGroup` per group; per container: `ListUsers` and `ListGroups` pages (100 per
//!   page), matched locally (`directory.rs`); `ListInstances` once;
//! - memberships: `ListGroupMembershipsForMember` per found user, or `ListGroupMemberships`
//!   per group of the directory; group names from `DescribeGroup` per distinct group, or from
//!   the listed groups;
//! - Identity Center: `ListAccountAssignmentsForPrincipal` per found principal and per group of
//!   a membership, or `ListPermissionSets` + `ListAccountsForProvisionedPermissionSet` per set +
//!   `ListAccountAssignments` per (account, set), 100 per page (`sso.rs`);
//! - AppStream: `DescribeUserStackAssociations` per user and distinct name (declared, userName,
//!   primary email), also for users the Identity Store does not know; or per configured stack
//!   (up to 25 per page; `"*"` lists the stacks first with `DescribeStacks`);
//! - `ListEntityPersonas` and `ListExperienceEntities` per experience, once for all leavers
//!   (the persona edge's entity types and the entity edge share one listing);
//! - `DescribePrincipalMapping` per group with `kendra_group_id`, per index: at index level and
//!   at each configured data source;
//! - `DescribePermissionSet` per distinct permission set seen, for labels only.
//!
//! The edges read at the same time (`edge::observe`), each service within its own rate limit.

use crate::call::{Session, bounded};
use crate::clients::Clients;
use crate::containers;
use crate::directory::Directory;
use crate::edge::{self, Subject, Where};
use crate::error::{AwsError, CallFailure};
use crate::identitystore;
use crate::limits::Limits;
use crate::sso;
use offboard_core::edge::{Edge, Phase};
use offboard_core::grant::{Labels, SsoAssignment};
use offboard_core::plan::Location;
use offboard_core::policy::{Leaver, Origin, Policy};
use offboard_core::principal::{PrincipalKind, PrincipalRef, Selector};
use offboard_core::state::{ObservedGroup, ObservedPrincipal, ObservedState, Resolution};
use std::collections::{BTreeMap, BTreeSet};

/// Read everything the policy's leavers can lose. Fails as a whole on any read error other than
/// "not found": a partial state would make a plan that silently misses access.
pub async fn read_state(clients: &Clients, policy: &Policy, limits: &Limits) -> Result<ObservedState, AwsError> {
    let s = Session::new(clients, limits);
    let cfg = &policy.config;
    if policy.leavers.is_empty() {
        return Ok(ObservedState::default());
    }
    let location = containers::where_to_look(&s, cfg).await?;
    let (instance_arn, store) = (location.instance_arn.clone(), location.identity_store_id.clone());

    // 1. Resolve every leaver: looked up one by one, or matched in the listed directory.
    let leavers: Vec<&Leaver> = policy.leavers.iter().collect();
    let dir = directory(&s, store.as_deref(), &leavers).await?;
    let resolutions = resolve_all(&s, store.as_deref(), &leavers, &dir).await?;

    // 2. The groups of every found user. Effective access needs them whether or not offboard
    // manages memberships: what a group grants reaches each of its members. Read per user, or
    // per group when the directory has fewer groups than there are users to ask about.
    let subjects: Vec<Subject<'_>> =
        policy.leavers.iter().zip(&resolutions).map(|(leaver, resolution)| Subject { leaver, resolution }).collect();
    let users: BTreeSet<&str> = subjects
        .iter()
        .filter(|sub| sub.leaver.principal.kind == PrincipalKind::User)
        .filter_map(|sub| sub.id())
        .collect();
    let by_group = match (store.as_deref(), dir.groups()) {
        (Some(store), Some(listed))
            if s.limits.read_strategy.per_container(&s, "Identity Store memberships", users.len(), listed.len()) =>
        {
            Some(crate::directory::memberships_by_group(&s, store, listed, &users).await?)
        }
        _ => None,
    };
    let kendra_entities = edge::SharedEntities::default();
    let at = Where {
        config: cfg,
        instance_arn: instance_arn.as_deref(),
        identity_store_id: store.as_deref(),
        memberships: None,
        kendra_entities: Some(&kendra_entities),
    };
    let memberships = edge::observe(&s, Where { memberships: by_group.as_ref(), ..at }, &subjects, |sub, phase| {
        phase == Phase::GroupMemberships && sub.leaver.principal.kind == PrincipalKind::User
    })
    .await?;
    let group_ids: BTreeSet<&str> =
        memberships.iter().flat_map(|seen| seen.grants.iter()).filter_map(|g| g.group_id()).collect();
    let groups = read_groups(&s, store.as_deref(), group_ids, &dir).await?;
    // The listed directory and the memberships by group have served: the edges' read below is
    // the longest of the plan, and a large directory held through it only adds to the peak.
    drop((dir, by_group));

    // 3. Each edge observes every leaver (found or not: an edge that needs the Identity Store
    // id skips a leaver the store does not know) and the groups of step 2, in every configured
    // service, in one pass so reads they share are made once. A service outside a leaver's
    // `scope` is read too: the planner keeps its grants as "out of scope", and the plan shows
    // them rather than hiding access the leaver still has.
    let configured = cfg.configured_services();
    let group_subjects: Vec<Subject<'_>> =
        groups.iter().map(|g| Subject { leaver: &g.leaver, resolution: &g.resolution }).collect();
    let everyone: Vec<Subject<'_>> = subjects.iter().chain(&group_subjects).copied().collect();
    let n = subjects.len();
    let mut leaver_seen = edge::observe(&s, at, &everyone, |_, phase| {
        phase != Phase::GroupMemberships && configured.contains(&phase.service())
    })
    .await?;
    // Moved, not copied, into the state: a copy would hold every grant twice at the read's end.
    let group_seen = leaver_seen.split_off(n);

    let principals: Vec<ObservedPrincipal> = policy
        .leavers
        .iter()
        .zip(resolutions)
        .zip(memberships.into_iter().zip(leaver_seen))
        .map(|((leaver, resolution), (member_of, seen))| {
            let mut grants = seen.grants;
            grants.extend(member_of.grants);
            ObservedPrincipal {
                principal: leaver.principal.clone(),
                resolution,
                grants,
                latest_ordering_ids: seen.latest_ordering_ids,
            }
        })
        .collect();
    let groups: BTreeMap<String, ObservedGroup> = groups
        .into_iter()
        .zip(group_seen)
        .map(|(g, seen)| (g.id, ObservedGroup { name: g.name, grants: seen.grants }))
        .collect();

    let labels = match &instance_arn {
        Some(arn) => {
            let grants =
                principals.iter().flat_map(|p| p.grants.iter()).chain(groups.values().flat_map(|g| g.grants.iter()));
            permission_set_labels(&s, arn, grants).await
        }
        None => Labels::new(),
    };
    Ok(ObservedState { principals, groups, labels, location })
}

/// A group some user leaver is a member of, as read for its access.
struct GroupRead {
    id: String,
    name: Option<String>,
    /// The group as a subject of the edges: every configured service, no `keep`.
    leaver: Leaver,
    resolution: Resolution,
}

/// Describe each group once (its display name, for group rules and for reviewers), or take it
/// from the listed directory. A group the store no longer knows has no name and no access to
/// read.
async fn read_groups(
    s: &Session<'_>,
    store: Option<&str>,
    ids: BTreeSet<&str>,
    dir: &Directory,
) -> Result<Vec<GroupRead>, AwsError> {
    let Some(store) = store else { return Ok(Vec::new()) };
    let reads = ids
        .into_iter()
        .map(|id| async move {
            let described = match dir.group(id) {
                Some(listed) => listed,
                None => identitystore::describe_group(s, store, id).await?,
            };
            let resolution = match &described {
                Some(name) => Resolution::Found { id: id.to_owned(), name: name.clone(), email: None },
                None => Resolution::NotFound,
            };
            let leaver = Leaver {
                principal: PrincipalRef::group_id(id),
                reason: String::new(),
                effective: None,
                scope: offboard_core::Service::ALL.into_iter().collect(),
                keep: Default::default(),
                kendra_group_id: None,
                origin: Origin { path: String::new(), line: 0, column: 0 },
            };
            Ok::<_, CallFailure>(GroupRead { id: id.to_owned(), name: described.flatten(), leaver, resolution })
        })
        .collect();
    Ok(bounded(reads, s.limits.concurrency).await.into_iter().collect::<Result<_, _>>()?)
}

/// Where `apply` would act now, how the Identity Store resolves each declared leaver among
/// `named` (principals the policy does not declare are not looked up: no policy authorizes
/// removing their access), and the display names of the groups whose memberships the plan
/// removes (group rules match names). `apply` checks a plan file against all three.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    pub location: Location,
    pub resolved: BTreeMap<PrincipalRef, Resolution>,
    /// Group id → display name, for the groups of `groups` the store knows (and names).
    pub group_names: BTreeMap<String, String>,
}

/// Read [`Current`]: the location (account, region, instance, identity store), every configured
/// Kendra index and data source (a missing one is an error, not "already removed"), the
/// leavers `named` and the names of `groups`.
pub async fn current(
    clients: &Clients,
    policy: &Policy,
    named: &[PrincipalRef],
    groups: &[&str],
    limits: &Limits,
) -> Result<Current, AwsError> {
    let s = Session::new(clients, limits);
    let location = containers::where_to_look(&s, &policy.config).await?;
    let leavers: Vec<&Leaver> = policy.leavers.iter().filter(|l| named.contains(&l.principal)).collect();
    let store = location.identity_store_id.as_deref();
    let dir = if leavers.is_empty() { Directory::default() } else { directory(&s, store, &leavers).await? };
    let resolved = if leavers.is_empty() {
        BTreeMap::new()
    } else {
        let resolutions = resolve_all(&s, store, &leavers, &dir).await?;
        leavers.into_iter().map(|l| l.principal.clone()).zip(resolutions).collect()
    };
    let group_names = read_groups(&s, store, groups.iter().copied().collect(), &dir)
        .await?
        .into_iter()
        .filter_map(|g| Some((g.id, g.name?)))
        .collect();
    Ok(Current { location, resolved, group_names })
}

/// The directory listed whole when that is cheaper than the lookups of `leavers`; nothing
/// without an Identity Store (resolving then fails with the reason).
async fn directory(s: &Session<'_>, store: Option<&str>, leavers: &[&Leaver]) -> Result<Directory, AwsError> {
    match store {
        Some(store) => Ok(Directory::read(s, store, leavers).await?),
        None => Ok(Directory::default()),
    }
}

/// Resolve `leavers` (not empty) in the Identity Store `store`, which a policy without an `sso`
/// section does not have: from the listed directory where it answers, else one by one.
async fn resolve_all(
    s: &Session<'_>,
    store: Option<&str>,
    leavers: &[&Leaver],
    dir: &Directory,
) -> Result<Vec<Resolution>, AwsError> {
    let Some(store) = store else {
        let first = leavers.first().map(|l| l.principal.to_string()).unwrap_or_default();
        return Err(AwsError::NoIdentityStore { what: format!("resolving {first}") });
    };
    let reads = leavers
        .iter()
        .map(|l| async move {
            match dir.resolve(l) {
                Some(r) => Ok(r),
                None => resolve(s, store, l).await,
            }
        })
        .collect();
    Ok(bounded(reads, s.limits.concurrency).await.into_iter().collect::<Result<_, _>>()?)
}

/// One leaver as the Identity Store knows it now. Every found principal is described once, so
/// the plan knows its names for the guardrails and AppStream: a user's userName and primary
/// email (`DescribeUser`), a group's displayName (`DescribeGroup`), also when it was declared
/// by id.
async fn resolve(s: &Session<'_>, store: &str, leaver: &Leaver) -> Result<Resolution, CallFailure> {
    use identitystore::{USER_EMAIL, USER_NAME, describe_group, describe_user, group_id_by_name, user_id_by};
    let p = &leaver.principal;
    let user = |id: String, names: Option<identitystore::UserNames>| match names {
        Some(n) => Resolution::Found { id, name: n.user_name, email: n.email },
        // Deleted between the lookup and the describe: gone.
        None => Resolution::NotFound,
    };
    Ok(match (&p.kind, &p.selector) {
        (PrincipalKind::User, Selector::Name(name)) => {
            let id = match user_id_by(s, store, USER_NAME, name).await? {
                Some(id) => Some(id),
                // Declared by email: found by `emails.value`.
                None => user_id_by(s, store, USER_EMAIL, name).await?,
            };
            match id {
                Some(id) => {
                    let names = describe_user(s, store, &id).await?;
                    user(id, names)
                }
                None => Resolution::NotFound,
            }
        }
        (PrincipalKind::User, Selector::Id(id)) => user(id.clone(), describe_user(s, store, id).await?),
        (PrincipalKind::Group, Selector::Name(name)) => match group_id_by_name(s, store, name).await? {
            Some(id) => Resolution::found(id, Some(name)),
            None => Resolution::NotFound,
        },
        (PrincipalKind::Group, Selector::Id(id)) => match describe_group(s, store, id).await? {
            Some(name) => Resolution::Found { id: id.clone(), name, email: None },
            None => Resolution::NotFound,
        },
    })
}

/// Names of the permission sets in the observed assignments. Cosmetic: a failure is logged and
/// the ARN is shown instead.
async fn permission_set_labels<'g>(
    s: &Session<'_>,
    instance_arn: &str,
    grants: impl Iterator<Item = &'g offboard_core::Grant>,
) -> Labels {
    let arns: BTreeSet<&str> =
        grants.filter_map(|g| SsoAssignment::of(g)).map(|g| g.permission_set_arn.as_ref()).collect();
    let reads = arns.into_iter().map(|arn| permission_set_label(s, instance_arn, arn)).collect();
    bounded(reads, s.limits.concurrency).await.into_iter().flatten().collect()
}

async fn permission_set_label(s: &Session<'_>, instance_arn: &str, arn: &str) -> Option<(String, String)> {
    match sso::permission_set_name(s, instance_arn, arn).await {
        Ok(Some(name)) => Some((arn.to_owned(), name)),
        Ok(None) => None,
        Err(f) => {
            tracing::warn!(permission_set = arn, error = %f, "no label for permission set");
            None
        }
    }
}
