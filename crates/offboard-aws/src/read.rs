//! Reading live access: what `plan` needs (`read_state`) and what `apply`/`verify` re-check
//! (`presence`).
//!
//! Only what the policy names is read: each leaver is resolved in the Identity Store, then only
//! the services in its scope are asked about it. Reads that several leavers share (the personas
//! of a Kendra experience) are made once. Everything runs concurrently within the rate limits.
//!
//! Calls per run, for L leavers (U users, G groups) and E configured Kendra experiences:
//! - identity: `GetUserId` per user by name (+1 `GetUserId` by `emails.value` and a `DescribeUser`
//!   when the userName does not match), `DescribeUser` per user by id, `GetGroupId` per group by
//!   name; `ListInstances` once when `sso.identity_store_id` is not configured;
//! - `ListAccountAssignmentsForPrincipal` per found principal (pages);
//! - `DescribeUserStackAssociations` per found user (pages); no `DescribeStacks`, even for `"*"`;
//! - `ListEntityPersonas` per experience (pages), once for all leavers;
//! - `DescribePrincipalMapping` per group with `kendra_group_id`, per index: at index level and
//!   at each configured data source;
//! - `DescribePermissionSet` per distinct permission set seen, for labels only.

use crate::call::{Session, bounded};
use crate::clients::Clients;
use crate::containers;
use crate::edge::{self, Subject, Where};
use crate::error::{AwsError, CallFailure};
use crate::identitystore;
use crate::limits::Limits;
use crate::sso;
use offboard_core::edge::{Edge, Phase};
use offboard_core::grant::{Labels, SsoAssignment};
use offboard_core::policy::{Leaver, Policy};
use offboard_core::principal::{PrincipalKind, PrincipalRef, Selector};
use offboard_core::state::{ObservedPrincipal, ObservedState, Resolution};
use std::collections::{BTreeMap, BTreeSet};

/// Read everything the policy's leavers can lose. Fails as a whole on any read error other than
/// "not found": a partial state would make a plan that silently misses access.
pub async fn read_state(clients: &Clients, policy: &Policy, limits: &Limits) -> Result<ObservedState, AwsError> {
    let s = Session::new(clients, limits);
    let cfg = &policy.config;
    if policy.leavers.is_empty() {
        return Ok(ObservedState::default());
    }
    let (instance_arn, store) = containers::identity_store(&s, cfg).await?;
    containers::kendra(&s, cfg).await?;

    // 1. Resolve every leaver.
    let leavers: Vec<&Leaver> = policy.leavers.iter().collect();
    let resolutions = resolve_all(&s, store.as_deref(), &leavers).await?;

    // 2. Each edge observes the found leavers whose scope covers it.
    let subjects: Vec<Subject<'_>> = policy
        .leavers
        .iter()
        .zip(&resolutions)
        .filter_map(|(leaver, r)| match r {
            Resolution::Found { id, name } => Some(Subject { leaver, id, name: name.as_deref() }),
            Resolution::NotFound => None,
        })
        .collect();
    let at = Where { config: cfg, instance_arn: instance_arn.as_deref() };
    // A leaver's services: its scope, limited to what the environment configures.
    let configured = cfg.configured_services();
    let in_scope = |sub: &Subject<'_>, phase: Phase| {
        let service = phase.service();
        sub.leaver.scope.contains(&service) && configured.contains(&service)
    };
    let found = edge::observe(&s, at, &subjects, in_scope).await?;
    let mut found = found.into_iter();
    let principals: Vec<ObservedPrincipal> = policy
        .leavers
        .iter()
        .zip(resolutions)
        .map(|(leaver, resolution)| {
            let grants = match resolution {
                Resolution::Found { .. } => found.next().unwrap_or_default(),
                Resolution::NotFound => BTreeSet::new(),
            };
            ObservedPrincipal { principal: leaver.principal.clone(), resolution, grants }
        })
        .collect();

    let labels = match &instance_arn {
        Some(arn) => permission_set_labels(&s, arn, &principals).await,
        None => Labels::new(),
    };
    Ok(ObservedState { principals, labels })
}

/// How the Identity Store resolves, right now, each declared leaver among `named` (principals
/// the policy does not declare are not looked up: no policy authorizes removing their access).
/// `apply` uses it to check a plan file against the policy before acting.
pub async fn resolve_leavers(
    clients: &Clients,
    policy: &Policy,
    named: &[PrincipalRef],
    limits: &Limits,
) -> Result<BTreeMap<PrincipalRef, Resolution>, AwsError> {
    let s = Session::new(clients, limits);
    let leavers: Vec<&Leaver> = policy.leavers.iter().filter(|l| named.contains(&l.principal)).collect();
    if leavers.is_empty() {
        return Ok(BTreeMap::new());
    }
    let (_, store) = containers::identity_store(&s, &policy.config).await?;
    let resolutions = resolve_all(&s, store.as_deref(), &leavers).await?;
    Ok(leavers.into_iter().map(|l| l.principal.clone()).zip(resolutions).collect())
}

/// Resolve `leavers` (not empty) in the Identity Store `store`, which a policy without an `sso`
/// section does not have.
async fn resolve_all(s: &Session<'_>, store: Option<&str>, leavers: &[&Leaver]) -> Result<Vec<Resolution>, AwsError> {
    let Some(store) = store else {
        let first = leavers.first().map(|l| l.principal.to_string()).unwrap_or_default();
        return Err(AwsError::NoIdentityStore { what: format!("resolving {first}") });
    };
    let reads = leavers.iter().map(|l| resolve(s, store, l)).collect();
    Ok(bounded(reads, s.limits.concurrency).await.into_iter().collect::<Result<_, _>>()?)
}

async fn resolve(s: &Session<'_>, store: &str, leaver: &Leaver) -> Result<Resolution, CallFailure> {
    use identitystore::{USER_EMAIL, USER_NAME, group_id_by_name, user_id_by, user_name_of};
    let p = &leaver.principal;
    Ok(match (&p.kind, &p.selector) {
        (PrincipalKind::User, Selector::Name(name)) => {
            if let Some(id) = user_id_by(s, store, USER_NAME, name).await? {
                Resolution::Found { id, name: Some(name.clone()) }
            } else if let Some(id) = user_id_by(s, store, USER_EMAIL, name).await? {
                // Found by email: learn the real userName (AppStream and the protected-users
                // guardrail need it).
                match user_name_of(s, store, &id).await? {
                    Some(user_name) => Resolution::Found { id, name: user_name },
                    None => Resolution::NotFound,
                }
            } else {
                Resolution::NotFound
            }
        }
        (PrincipalKind::User, Selector::Id(id)) => match user_name_of(s, store, id).await? {
            Some(user_name) => Resolution::Found { id: id.clone(), name: user_name },
            None => Resolution::NotFound,
        },
        (PrincipalKind::Group, Selector::Name(name)) => match group_id_by_name(s, store, name).await? {
            Some(id) => Resolution::Found { id, name: Some(name.clone()) },
            None => Resolution::NotFound,
        },
        // Kept as declared: groups declared by id are not looked up (no name is needed to
        // remove a group's access).
        (PrincipalKind::Group, Selector::Id(id)) => Resolution::Found { id: id.clone(), name: None },
    })
}

/// Names of the permission sets in the observed assignments. Cosmetic: a failure is logged and
/// the ARN is shown instead.
async fn permission_set_labels(s: &Session<'_>, instance_arn: &str, principals: &[ObservedPrincipal]) -> Labels {
    let arns: BTreeSet<&str> = principals
        .iter()
        .flat_map(|p| p.grants.iter())
        .filter_map(|g| SsoAssignment::of(g))
        .map(|g| g.permission_set_arn.as_str())
        .collect();
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
