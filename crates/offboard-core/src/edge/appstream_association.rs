//! AppStream 2.0 user–stack associations, removed with `BatchDisassociateUserStack` (at most
//! [`MAX_BATCH`] per call, per-item failures in `errors`).

use super::{Edge, Phase, RequestContext, batches};
use crate::grant::Id;
use crate::grant::{Grant, Labels, Service};
use crate::plan::{ActionItem, MAX_BATCH};
use crate::policy::{Config, Keep, Leaver, StackSelection};
use crate::principal::PrincipalKind;
use crate::state::Resolution;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A user–stack association. AppStream names users by user name, not by Identity Store id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppstreamAssociation {
    pub stack_name: Id,
    pub user_name: Id,
    pub authentication_type: Id,
}

/// The `BatchDisassociateUserStack` input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct BatchDisassociateUserStack {
    pub user_stack_associations: Vec<UserStackAssociation>,
}

impl BatchDisassociateUserStack {
    pub const OPERATION: &'static str = "BatchDisassociateUserStack";
}

/// One entry of `UserStackAssociations`, with AWS's member names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UserStackAssociation {
    pub stack_name: Id,
    pub user_name: Id,
    pub authentication_type: Id,
}

impl From<&AppstreamAssociation> for UserStackAssociation {
    fn from(g: &AppstreamAssociation) -> Self {
        UserStackAssociation {
            stack_name: g.stack_name.clone(),
            user_name: g.user_name.clone(),
            authentication_type: g.authentication_type.clone(),
        }
    }
}

impl Edge for AppstreamAssociation {
    const PHASE: Phase = Phase::AppstreamAssociations;
    const SERVICE: Service = Service::Appstream;
    type Request = BatchDisassociateUserStack;

    fn of(grant: &Grant) -> Option<&Self> {
        if let Grant::AppstreamAssociation(g) = grant { Some(g) } else { None }
    }

    fn describe(&self, _labels: &Labels) -> String {
        format!("appstream  stack {}  ({})", self.stack_name, self.authentication_type)
    }

    /// The association names one of the user's names: as declared, userName, primary email.
    fn belongs_to(&self, leaver: &Leaver, resolution: &Resolution) -> bool {
        leaver.principal.kind == PrincipalKind::User
            && leaver.user_names(resolution).iter().any(|n| n.eq_ignore_ascii_case(&self.user_name))
    }

    fn kept(&self, keep: &Keep) -> bool {
        keep.appstream_stacks.iter().any(|s| **s == *self.stack_name)
    }

    fn configured(&self, config: &Config) -> Result<(), String> {
        let Some(app) = &config.appstream else { return Err("offboard.yaml has no `appstream` section".into()) };
        if *app.authentication_type != *self.authentication_type {
            return Err(format!(
                "authentication type {} is not the configured appstream.authentication_type {}",
                self.authentication_type, app.authentication_type
            ));
        }
        match &app.stacks {
            StackSelection::All => Ok(()),
            StackSelection::Named(names) if names.iter().any(|s| **s == *self.stack_name) => Ok(()),
            StackSelection::Named(_) => Err(format!("stack {} is not in appstream.stacks", self.stack_name)),
        }
    }

    fn requests(items: Vec<ActionItem>, _ctx: &RequestContext) -> Vec<(Vec<ActionItem>, BatchDisassociateUserStack)> {
        batches(items, MAX_BATCH)
            .into_iter()
            .map(|chunk| {
                let user_stack_associations = chunk.iter().filter_map(|i| Self::of(&i.grant)).map(Into::into).collect();
                (chunk, BatchDisassociateUserStack { user_stack_associations })
            })
            .collect()
    }

    fn check(r: &BatchDisassociateUserStack, items: &[&Self]) -> Result<(), String> {
        let requested: BTreeSet<(&str, &str, &str)> = r
            .user_stack_associations
            .iter()
            .map(|u| (u.stack_name.as_ref(), u.user_name.as_ref(), u.authentication_type.as_ref()))
            .collect();
        let planned: BTreeSet<(&str, &str, &str)> = items
            .iter()
            .map(|g| (g.stack_name.as_ref(), g.user_name.as_ref(), g.authentication_type.as_ref()))
            .collect();
        let n = r.user_stack_associations.len();
        if n > MAX_BATCH {
            return Err(format!("{n} associations in one call, AWS takes at most {MAX_BATCH}"));
        }
        if requested != planned || n != items.len() {
            return Err("the associations in the request differ from the items".into());
        }
        Ok(())
    }
}
