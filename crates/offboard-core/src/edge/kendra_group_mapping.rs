//! Kendra ACL group principal mappings, at a data source or at index level, removed with
//! `DeletePrincipalMapping` carrying the plan's fixed `OrderingId` (Kendra ignores a delete
//! older than the mapping's latest action, so a mapping changed after the plan is not undone).

use super::{Edge, Phase, RequestContext, single};
use crate::grant::Id;
use crate::grant::{Grant, Labels, Service};
use crate::ids::ORDERING_ID_MAX;
use crate::plan::ActionItem;
use crate::policy::{Config, Keep, Leaver};
use crate::principal::PrincipalKind;
use crate::state::Resolution;
use serde::{Deserialize, Serialize};

/// A principal mapping of an ACL group, at a data source or (`None`) at index level.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KendraGroupMapping {
    pub index_id: Id,
    pub data_source_id: Option<Id>,
    pub group_id: Id,
}

/// The `DeletePrincipalMapping` input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DeletePrincipalMapping {
    pub index_id: Id,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub data_source_id: Option<Id>,
    pub group_id: Id,
    pub ordering_id: i64,
}

impl DeletePrincipalMapping {
    pub const OPERATION: &'static str = "DeletePrincipalMapping";
}

impl Edge for KendraGroupMapping {
    const PHASE: Phase = Phase::KendraGroupMappings;
    const SERVICE: Service = Service::Kendra;
    type Request = DeletePrincipalMapping;

    fn of(grant: &Grant) -> Option<&Self> {
        if let Grant::KendraGroupMapping(g) = grant { Some(g) } else { None }
    }

    fn describe(&self, _labels: &Labels) -> String {
        match &self.data_source_id {
            Some(ds) => {
                format!("kendra     group mapping {}  data source {ds}  (index {})", self.group_id, self.index_id)
            }
            None => format!("kendra     group mapping {}  index level  (index {})", self.group_id, self.index_id),
        }
    }

    /// A mapping names the Kendra ACL group id, which the policy declares (`kendra_group_id`).
    fn belongs_to(&self, leaver: &Leaver, _resolution: &Resolution) -> bool {
        leaver.principal.kind == PrincipalKind::Group
            && leaver.kendra_group_id.as_deref() == Some(self.group_id.as_ref())
    }

    /// `keep` has no entry for group mappings: a group leaver's mappings all go.
    fn kept(&self, _keep: &Keep) -> bool {
        false
    }

    fn configured(&self, config: &Config) -> Result<(), String> {
        let index = config.kendra.as_ref().and_then(|k| k.indexes.iter().find(|i| *i.id == *self.index_id));
        match (index, &self.data_source_id) {
            (None, _) => Err(format!("index {} is not in kendra.indexes", self.index_id)),
            (Some(i), Some(ds)) if !i.data_sources.iter().any(|d| **d == **ds) => {
                Err(format!("data source {ds} is not in the data_sources of index {}", self.index_id))
            }
            (Some(_), _) => Ok(()),
        }
    }

    fn requests(items: Vec<ActionItem>, ctx: &RequestContext) -> Vec<(Vec<ActionItem>, DeletePrincipalMapping)> {
        items
            .into_iter()
            .filter_map(|item| {
                let g = Self::of(&item.grant)?;
                let request = DeletePrincipalMapping {
                    index_id: g.index_id.clone(),
                    data_source_id: g.data_source_id.clone(),
                    group_id: g.group_id.clone(),
                    ordering_id: ctx.ordering_id,
                };
                Some((vec![item], request))
            })
            .collect()
    }

    fn check(r: &DeletePrincipalMapping, items: &[&Self]) -> Result<(), String> {
        let expected = KendraGroupMapping {
            index_id: r.index_id.clone(),
            data_source_id: r.data_source_id.clone(),
            group_id: r.group_id.clone(),
        };
        if single(items)? != &expected {
            return Err("the request names another group mapping than the item".into());
        }
        if !(0..=ORDERING_ID_MAX).contains(&r.ordering_id) {
            return Err(format!("OrderingId {} is outside 0..={ORDERING_ID_MAX}", r.ordering_id));
        }
        Ok(())
    }
}
