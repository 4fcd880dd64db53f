//! Where offboard looks must exist: "not found" is only ever an answer about a leaf (a user, a
//! grant), never about the place it was looked up in.
//!
//! A mistyped `sso.identity_store_id`, Kendra index or data source id would otherwise turn every
//! read into "not found" or "absent", and the plan would say `No changes` while the leavers keep
//! their access. So before any leaver is read, the configured containers are checked once:
//! the instance and its Identity Store (`ListInstances`, which also gives the store when the
//! config does not), and each Kendra index (`DescribeIndex`) and data source
//! (`DescribeDataSource`). A missing or mismatched one is an error naming the setting to fix.

use crate::call::{Session, bounded};
use crate::error::CallFailure;
use crate::error::{AwsError, FailureKind};
use crate::sso;
use offboard_core::plan::Location;
use offboard_core::policy::Config;
use offboard_models::Service;

/// Where this run looks, checked before any leaver is read (by `plan` and by `apply`): the
/// location, and every configured Kendra index and data source exists.
pub(crate) async fn where_to_look(s: &Session<'_>, cfg: &Config) -> Result<Location, AwsError> {
    let location = location(s, cfg).await?;
    kendra(s, cfg).await?;
    Ok(location)
}

/// Where this run looks: the account the credentials belong to, the region, and the configured
/// instance with its identity store (checked against `ListInstances`). A plan records it, and
/// `apply` compares it with its own.
async fn location(s: &Session<'_>, cfg: &Config) -> Result<Location, AwsError> {
    let (instance_arn, identity_store_id) = identity_store(s, cfg).await?;
    let account_id = caller_account(s).await?;
    Ok(Location { account_id, region: s.clients.region.clone(), instance_arn, identity_store_id })
}

/// The account of the credentials, from STS `GetCallerIdentity`: it needs no IAM permission
/// (no policy can deny it), so every principal that can run offboard can make it.
async fn caller_account(s: &Session<'_>) -> Result<String, AwsError> {
    let answer = s
        .clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsError::Call(CallFailure::from_sdk("sts", "GetCallerIdentity", &e)))?;
    answer.account().map(str::to_owned).ok_or_else(|| {
        AwsError::Call(CallFailure {
            service: "sts",
            operation: "GetCallerIdentity",
            kind: FailureKind::Other,
            code: None,
            message: "the answer names no Account".into(),
            status: None,
            request_id: None,
            html: false,
            resource_type: None,
            attempts: 1,
        })
    })
}

/// The configured instance and its Identity Store id, checked against `ListInstances`.
pub(crate) async fn identity_store(
    s: &Session<'_>,
    cfg: &Config,
) -> Result<(Option<String>, Option<String>), AwsError> {
    let Some(sso_cfg) = &cfg.sso else { return Ok((None, None)) };
    let instances = sso::list_instances(s).await?;
    let Some(instance) = instances.iter().find(|i| i.instance_arn == sso_cfg.instance_arn) else {
        return Err(AwsError::InstanceNotFound {
            instance_arn: sso_cfg.instance_arn.clone(),
            found: if instances.is_empty() {
                "none".into()
            } else {
                instances.iter().map(|i| i.instance_arn.as_str()).collect::<Vec<_>>().join(", ")
            },
        });
    };
    if let Some(configured) = &sso_cfg.identity_store_id
        && *configured != instance.identity_store_id
    {
        return Err(AwsError::IdentityStoreMismatch {
            configured: configured.clone(),
            instance_arn: instance.instance_arn.clone(),
            actual: instance.identity_store_id.clone(),
        });
    }
    Ok((Some(sso_cfg.instance_arn.clone()), Some(instance.identity_store_id.clone())))
}

/// Every configured Kendra index and data source exists (one describe each).
async fn kendra(s: &Session<'_>, cfg: &Config) -> Result<(), AwsError> {
    let Some(k) = &cfg.kendra else { return Ok(()) };
    let indexes = k.indexes.iter().map(|i| describe_index(s, &i.id)).collect();
    bounded(indexes, s.limits.concurrency).await.into_iter().collect::<Result<(), _>>()?;
    let sources =
        k.indexes.iter().flat_map(|i| i.data_sources.iter().map(move |d| describe_data_source(s, &i.id, d))).collect();
    bounded(sources, s.limits.concurrency).await.into_iter().collect::<Result<(), _>>()
}

async fn describe_index(s: &Session<'_>, index_id: &str) -> Result<(), AwsError> {
    match s.call(Service::Kendra, "DescribeIndex", || s.clients.kendra.describe_index().id(index_id).send()).await {
        Ok(_) => Ok(()),
        Err(f) if f.kind == FailureKind::NotFound => {
            Err(AwsError::IndexNotFound { index_id: index_id.to_owned(), detail: f.to_string() })
        }
        Err(f) => Err(AwsError::Call(f)),
    }
}

async fn describe_data_source(s: &Session<'_>, index_id: &str, data_source_id: &str) -> Result<(), AwsError> {
    let r = s
        .call(Service::Kendra, "DescribeDataSource", || {
            s.clients.kendra.describe_data_source().index_id(index_id).id(data_source_id).send()
        })
        .await;
    match r {
        Ok(_) => Ok(()),
        Err(f) if f.kind == FailureKind::NotFound => Err(AwsError::DataSourceNotFound {
            index_id: index_id.to_owned(),
            data_source_id: data_source_id.to_owned(),
            detail: f.to_string(),
        }),
        Err(f) => Err(AwsError::Call(f)),
    }
}
