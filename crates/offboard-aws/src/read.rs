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

use offboard_core::grant::{AppstreamAssociation, KendraGroupMapping, KendraPersona, SsoAssignment};
use crate::appstream;
use crate::call::{Session, bounded};
use crate::clients::Clients;
use crate::error::{AwsError, CallFailure, FailureKind};
use crate::identitystore;
use crate::kendra;
use crate::limits::Limits;
use crate::sso;
use offboard_core::grant::{Grant, Labels, Service};
use offboard_core::policy::{Config, Leaver, Policy, StackSelection};
use offboard_core::principal::{PrincipalKind, Selector};
use offboard_core::state::{ObservedPrincipal, ObservedState, Resolution};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Read everything the policy's leavers can lose. Fails as a whole on any read error other than
/// "not found": a partial state would make a plan that silently misses access.
pub async fn read_state(clients: &Clients, policy: &Policy, limits: &Limits) -> Result<ObservedState, AwsError> {
    let s = Session::new(clients, limits);
    let cfg = &policy.config;
    if policy.leavers.is_empty() {
        return Ok(ObservedState::default());
    }
    let (instance_arn, store) = identity_store(&s, cfg).await?;
    let store = store
        .ok_or_else(|| AwsError::NoIdentityStore { what: format!("resolving {}", policy.leavers[0].principal) })?;

    // 1. Resolve every leaver.
    let limit = limits.concurrency;
    let resolutions: Vec<Resolution> = bounded(policy.leavers.iter().map(|l| resolve(&s, &store, l)).collect(), limit)
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;

    // 2. Shared reads: the personas of each experience some found leaver may hold.
    let wants_kendra = policy
        .leavers
        .iter()
        .zip(&resolutions)
        .any(|(l, r)| matches!(r, Resolution::Found { .. }) && in_scope(l, cfg).contains(&Service::Kendra));
    let experiences: Vec<(String, String)> = match (&cfg.kendra, wants_kendra) {
        (Some(k), true) => {
            k.indexes.iter().flat_map(|i| i.experiences.iter().map(|e| (i.id.clone(), e.clone()))).collect()
        }
        _ => Vec::new(),
    };
    let reads = experiences.into_iter().map(|(index, exp)| experience_personas(&s, index, exp)).collect();
    let personas: Personas = bounded(reads, limit).await.into_iter().collect::<Result<_, _>>()?;

    // 3. Per leaver: the grants of its services.
    let reads = policy
        .leavers
        .iter()
        .zip(resolutions)
        .map(|(leaver, resolution)| observe(&s, cfg, leaver, resolution, instance_arn.as_deref(), &personas))
        .collect();
    let principals: Vec<ObservedPrincipal> = bounded(reads, limit).await.into_iter().collect::<Result<_, _>>()?;

    let labels = match &instance_arn {
        Some(arn) => permission_set_labels(&s, arn, &principals).await,
        None => Labels::new(),
    };
    Ok(ObservedState { principals, labels })
}

/// Entity id → persona, per (index, experience).
type Personas = HashMap<(String, String), BTreeMap<String, offboard_core::grant::Persona>>;

async fn experience_personas(
    s: &Session<'_>,
    index: String,
    exp: String,
) -> Result<((String, String), BTreeMap<String, offboard_core::grant::Persona>), AwsError> {
    match kendra::personas(s, &index, &exp).await {
        Ok(p) => Ok(((index, exp), p)),
        Err(f) if f.kind == FailureKind::NotFound => {
            Err(AwsError::ExperienceNotFound { index_id: index, experience_id: exp, detail: f.to_string() })
        }
        Err(f) => Err(AwsError::Call(f)),
    }
}

async fn observe(
    s: &Session<'_>,
    cfg: &Config,
    leaver: &Leaver,
    resolution: Resolution,
    instance_arn: Option<&str>,
    personas: &Personas,
) -> Result<ObservedPrincipal, AwsError> {
    let grants = match &resolution {
        Resolution::Found { id, name } => {
            grants_of(s, cfg, leaver, id, name.as_deref(), instance_arn, personas).await?
        }
        Resolution::NotFound => BTreeSet::new(),
    };
    Ok(ObservedPrincipal { principal: leaver.principal.clone(), resolution, grants })
}

/// The configured instance and its Identity Store id (discovered with `ListInstances` when the
/// config does not give it).
async fn identity_store(s: &Session<'_>, cfg: &Config) -> Result<(Option<String>, Option<String>), AwsError> {
    let Some(sso_cfg) = &cfg.sso else { return Ok((None, None)) };
    if let Some(id) = &sso_cfg.identity_store_id {
        return Ok((Some(sso_cfg.instance_arn.clone()), Some(id.clone())));
    }
    let instances = sso::list_instances(s).await?;
    match instances.iter().find(|i| i.instance_arn == sso_cfg.instance_arn) {
        Some(i) => Ok((Some(sso_cfg.instance_arn.clone()), Some(i.identity_store_id.clone()))),
        None => Err(AwsError::InstanceNotFound {
            instance_arn: sso_cfg.instance_arn.clone(),
            found: if instances.is_empty() {
                "none".into()
            } else {
                instances.iter().map(|i| i.instance_arn.as_str()).collect::<Vec<_>>().join(", ")
            },
        }),
    }
}

/// The services to read for a leaver: its scope, limited to what the environment configures.
fn in_scope(leaver: &Leaver, cfg: &Config) -> BTreeSet<Service> {
    leaver.scope.intersection(&cfg.configured_services()).copied().collect()
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

async fn grants_of(
    s: &Session<'_>,
    cfg: &Config,
    leaver: &Leaver,
    id: &str,
    name: Option<&str>,
    instance_arn: Option<&str>,
    personas: &Personas,
) -> Result<BTreeSet<Grant>, AwsError> {
    let scope = in_scope(leaver, cfg);
    let kind = leaver.principal.kind;
    let mut grants = BTreeSet::new();

    if scope.contains(&Service::Sso)
        && let Some(arn) = instance_arn
    {
        grants.extend(sso::assignments_of(s, arn, kind, id).await?);
    }

    if scope.contains(&Service::Appstream)
        && kind == PrincipalKind::User
        && let (Some(app), Some(user_name)) = (&cfg.appstream, name)
    {
        let found = appstream::associations_of(s, user_name, &app.authentication_type).await?;
        grants.extend(found.into_iter().filter(|g| match (&app.stacks, g) {
            (StackSelection::Named(names), Grant::AppstreamAssociation(AppstreamAssociation { stack_name, .. })) => {
                names.contains(stack_name)
            }
            _ => true,
        }));
    }

    if scope.contains(&Service::Kendra)
        && let Some(k) = &cfg.kendra
    {
        for index in &k.indexes {
            for exp in &index.experiences {
                if let Some(persona) = personas.get(&(index.id.clone(), exp.clone())).and_then(|m| m.get(id)) {
                    grants.insert(Grant::KendraPersona(KendraPersona {
                        index_id: index.id.clone(),
                        experience_id: exp.clone(),
                        entity_id: id.to_owned(),
                        persona: *persona,
                    }));
                }
            }
        }
        if kind == PrincipalKind::Group
            && let Some(group_id) = &leaver.kendra_group_id
        {
            for index in &k.indexes {
                // The index level always, plus each configured data source: a mapping can live
                // at either, and missing one would leave the group's documents readable.
                let sources: Vec<Option<&str>> =
                    std::iter::once(None).chain(index.data_sources.iter().map(|d| Some(d.as_str()))).collect();
                for ds in sources {
                    if kendra::group_mapping(s, &index.id, ds, group_id).await?.present {
                        grants.insert(Grant::KendraGroupMapping(KendraGroupMapping {
                            index_id: index.id.clone(),
                            data_source_id: ds.map(str::to_owned),
                            group_id: group_id.clone(),
                        }));
                    }
                }
            }
        }
    }
    Ok(grants)
}

/// Names of the permission sets in the observed assignments. Cosmetic: a failure is logged and
/// the ARN is shown instead.
async fn permission_set_labels(s: &Session<'_>, instance_arn: &str, principals: &[ObservedPrincipal]) -> Labels {
    let arns: BTreeSet<&str> = principals
        .iter()
        .flat_map(|p| p.grants.iter())
        .filter_map(|g| match g {
            Grant::SsoAssignment(SsoAssignment { permission_set_arn, .. }) => Some(permission_set_arn.as_str()),
            _ => None,
        })
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

/// Which of some grants are present right now, read with as few calls as possible: one listing
/// per SSO principal, per AppStream user and per Kendra experience, one describe per group
/// mapping. A grant whose read failed is in `unknown` with the failure.
#[derive(Debug, Default)]
pub(crate) struct Presence {
    present: BTreeSet<Grant>,
    unknown: HashMap<Grant, CallFailure>,
    /// Group mappings: the highest effective `OrderingId` seen.
    latest_ordering_id: HashMap<Grant, i64>,
}

impl Presence {
    pub(crate) fn of(&self, g: &Grant) -> Result<bool, &CallFailure> {
        match self.unknown.get(g) {
            Some(f) => Err(f),
            None => Ok(self.present.contains(g)),
        }
    }

    pub(crate) fn latest_ordering_id(&self, g: &Grant) -> Option<i64> {
        self.latest_ordering_id.get(g).copied()
    }

    pub(crate) fn present(&self) -> &BTreeSet<Grant> {
        &self.present
    }
}

/// One read that answers for a group of grants.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Read {
    Sso { principal_type: PrincipalKind, principal_id: String },
    Appstream { user_name: String, authentication_type: String },
    Personas { index_id: String, experience_id: String },
    Mapping { index_id: String, data_source_id: Option<String>, group_id: String },
}

fn read_for(g: &Grant) -> Read {
    match g {
        Grant::SsoAssignment(SsoAssignment { principal_type, principal_id, .. }) => {
            Read::Sso { principal_type: *principal_type, principal_id: principal_id.clone() }
        }
        Grant::AppstreamAssociation(AppstreamAssociation { user_name, authentication_type, .. }) => {
            Read::Appstream { user_name: user_name.clone(), authentication_type: authentication_type.clone() }
        }
        Grant::KendraPersona(KendraPersona { index_id, experience_id, .. }) => {
            Read::Personas { index_id: index_id.clone(), experience_id: experience_id.clone() }
        }
        Grant::KendraGroupMapping(KendraGroupMapping { index_id, data_source_id, group_id }) => Read::Mapping {
            index_id: index_id.clone(),
            data_source_id: data_source_id.clone(),
            group_id: group_id.clone(),
        },
    }
}

/// What one read found: the grants of its group that are present (and, for mappings, the
/// latest ordering id).
struct Found {
    present: BTreeSet<Grant>,
    latest_ordering_id: Option<i64>,
}

pub(crate) async fn presence(s: &Session<'_>, instance_arn: Option<&str>, grants: &[&Grant]) -> Presence {
    let mut groups: BTreeMap<Read, Vec<&Grant>> = BTreeMap::new();
    for g in grants {
        groups.entry(read_for(g)).or_default().push(g);
    }
    let reads = groups.into_iter().map(|(read, members)| read_group(s, instance_arn, read, members)).collect();
    let results = bounded(reads, s.limits.concurrency).await;
    let mut p = Presence::default();
    for (members, r) in results {
        match r {
            Ok(found) => {
                for g in members {
                    if found.present.contains(g) {
                        p.present.insert(g.clone());
                    }
                    if let Some(o) = found.latest_ordering_id {
                        p.latest_ordering_id.insert(g.clone(), o);
                    }
                }
            }
            Err(f) => {
                for g in members {
                    p.unknown.insert(g.clone(), f.clone());
                }
            }
        }
    }
    p
}

async fn read_group<'g>(
    s: &Session<'_>,
    instance_arn: Option<&str>,
    read: Read,
    members: Vec<&'g Grant>,
) -> (Vec<&'g Grant>, Result<Found, CallFailure>) {
    let r = run_read(s, instance_arn, &read, &members).await;
    (members, r)
}

async fn run_read(
    s: &Session<'_>,
    instance_arn: Option<&str>,
    read: &Read,
    members: &[&Grant],
) -> Result<Found, CallFailure> {
    let found = |present: BTreeSet<Grant>| Found { present, latest_ordering_id: None };
    match read {
        Read::Sso { principal_type, principal_id } => {
            // Without an instance there is nothing to ask; the plan always has one for SSO
            // actions (it is part of every DeleteAccountAssignment request).
            let Some(arn) = instance_arn else { return Ok(found(BTreeSet::new())) };
            Ok(found(sso::assignments_of(s, arn, *principal_type, principal_id).await?))
        }
        Read::Appstream { user_name, authentication_type } => {
            Ok(found(appstream::associations_of(s, user_name, authentication_type).await?))
        }
        Read::Personas { index_id, experience_id } => {
            let listed = match kendra::personas(s, index_id, experience_id).await {
                Ok(l) => l,
                // The experience itself is gone: so are its personas.
                Err(f) if f.kind == FailureKind::NotFound => BTreeMap::new(),
                Err(f) => return Err(f),
            };
            // Present whatever the persona now is: the removal call takes entity ids only.
            Ok(found(
                members
                    .iter()
                    .filter(|g| matches!(g, Grant::KendraPersona(KendraPersona { entity_id, .. }) if listed.contains_key(entity_id)))
                    .map(|g| (*g).clone())
                    .collect(),
            ))
        }
        Read::Mapping { index_id, data_source_id, group_id } => {
            let state = kendra::group_mapping(s, index_id, data_source_id.as_deref(), group_id).await?;
            Ok(Found {
                present: if state.present { members.iter().map(|g| (*g).clone()).collect() } else { BTreeSet::new() },
                latest_ordering_id: state.latest_ordering_id,
            })
        }
    }
}
