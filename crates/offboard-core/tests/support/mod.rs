//! Builders shared by the planner's tests and benchmark: a policy and an observed state made
//! by hand, without the YAML loader.
#![allow(dead_code)]

use offboard_core::grant::{AppstreamAssociation, KendraGroupMapping, KendraPersona, SsoAssignment};
use offboard_core::grant::{Grant, Persona};
use offboard_core::policy::{
    AppstreamConfig, Config, Guardrails, IdentityStoreConfig, Keep, KendraConfig, KendraIndexConfig, Leaver, Origin,
    Policy, SsoConfig, StackSelection,
};
use offboard_core::state::{ObservedPrincipal, ObservedState, Resolution};
use offboard_core::{PrincipalKind, PrincipalRef, Service};
use std::collections::BTreeSet;
use time::macros::datetime;

pub const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-1234567890abcdef";
pub const INDEX: &str = "0123456789abcdef0123456789abcdef0123";
pub const PS_ADMIN: &str = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-aaaaaaaaaaaaaaaa";
pub const PS_READ: &str = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-bbbbbbbbbbbbbbbb";

pub fn now() -> time::OffsetDateTime {
    datetime!(2026-11-21 12:00:00 UTC)
}

pub fn config() -> Config {
    Config {
        sso: Some(SsoConfig { instance_arn: INSTANCE.into(), identity_store_id: Some("d-1234567890".into()) }),
        appstream: Some(AppstreamConfig { authentication_type: "USERPOOL".into(), stacks: StackSelection::All }),
        kendra: Some(KendraConfig {
            indexes: vec![KendraIndexConfig {
                id: INDEX.into(),
                experiences: vec!["exp-support".into()],
                data_sources: vec!["ds-wiki".into()],
            }],
        }),
        guardrails: Guardrails {
            protected_users: vec!["breakglass@example.com".into()],
            protected_groups: vec!["Admins".into()],
            protected_accounts: vec!["111111111111".into()],
            max_removals: 500,
            require_complete: false,
            resolved_account_names: Default::default(),
        },
        identity_store: Some(IdentityStoreConfig { manage_memberships: true }),
    }
}

pub fn leaver(principal: PrincipalRef) -> Leaver {
    Leaver {
        principal,
        reason: "left".into(),
        effective: None,
        scope: Service::ALL.into_iter().collect(),
        keep: Keep::default(),
        kendra_group_id: None,
        origin: Origin { path: "policies/test.yaml".into(), line: 3, column: 5 },
    }
}

pub fn policy(leavers: Vec<Leaver>) -> Policy {
    Policy { config: config(), leavers }
}

/// A deterministic Identity Store id for test principal number `n`.
pub fn id(n: usize) -> String {
    format!("906700a1b2-{n:08x}-0000-4000-8000-000000000000")
}

pub fn sso(account: &str, ps: &str, kind: PrincipalKind, principal_id: &str) -> Grant {
    Grant::SsoAssignment(SsoAssignment {
        account_id: account.into(),
        permission_set_arn: ps.into(),
        principal_type: kind,
        principal_id: principal_id.into(),
    })
}

pub fn stack(stack: &str, user: &str) -> Grant {
    Grant::AppstreamAssociation(AppstreamAssociation {
        stack_name: stack.into(),
        user_name: user.into(),
        authentication_type: "USERPOOL".into(),
    })
}

pub fn persona(experience: &str, entity: &str) -> Grant {
    Grant::KendraPersona(KendraPersona {
        index_id: INDEX.into(),
        experience_id: experience.into(),
        entity_id: entity.into(),
        persona: Persona::Viewer,
        entity_type: Some(PrincipalKind::User),
    })
}

/// A persona of a group entity.
pub fn group_persona(experience: &str, entity: &str) -> Grant {
    Grant::KendraPersona(KendraPersona {
        index_id: INDEX.into(),
        experience_id: experience.into(),
        entity_id: entity.into(),
        persona: Persona::Viewer,
        entity_type: Some(PrincipalKind::Group),
    })
}

pub fn mapping(ds: Option<&str>, group: &str) -> Grant {
    Grant::KendraGroupMapping(KendraGroupMapping {
        index_id: INDEX.into(),
        data_source_id: ds.map(Into::into),
        group_id: group.into(),
    })
}

pub fn observed(principal: PrincipalRef, id: &str, grants: impl IntoIterator<Item = Grant>) -> ObservedPrincipal {
    let name = match &principal.selector {
        offboard_core::Selector::Name(n) => Some(n.clone()),
        offboard_core::Selector::Id(_) => None,
    };
    ObservedPrincipal {
        principal,
        resolution: Resolution::Found { id: id.into(), name, email: None },
        grants: grants.into_iter().collect::<BTreeSet<_>>(),
        latest_ordering_ids: Vec::new(),
    }
}

pub fn state(principals: Vec<ObservedPrincipal>) -> ObservedState {
    let location = offboard_core::plan::Location {
        account_id: "111111111111".into(),
        region: "us-east-1".into(),
        instance_arn: Some(INSTANCE.into()),
        identity_store_id: Some("d-1234567890".into()),
    };
    ObservedState { principals, groups: Default::default(), labels: Default::default(), location }
}

pub fn inputs() -> offboard_core::PlanInputs {
    offboard_core::PlanInputs {
        now: now(),
        config_path: "policies/offboard.yaml".into(),
        policy_paths: vec!["policies".into()],
    }
}
