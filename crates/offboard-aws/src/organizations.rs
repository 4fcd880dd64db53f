//! AWS Organizations `ListAccounts`: the names of the accounts, for plans (`production
//! (333333333333)`) and for `guardrails.protected_accounts` given by name. Best effort and
//! read-only: a role without `organizations:ListAccounts`, or an account outside an organization,
//! gets ids without names (one line at info level), never a failed plan. Whether a policy that
//! protects accounts by name may go on without them is the caller's decision (it may not).

use crate::clients::Clients;
use crate::error::{CallFailure, FailureKind};
use std::collections::BTreeMap;

/// `MaxResults` of `ListAccounts`: the model allows 1..=20.
const PAGE: i32 = 20;

/// At most this many pages (20,000 accounts), against an endpoint that never stops paging.
const MAX_PAGES: usize = 1000;

/// What `ListAccounts` gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountNames {
    /// Account id → name, for every account of the organization.
    Read(BTreeMap<String, String>),
    /// No names, and why (access denied, Organizations not in use, an endpoint without it, …).
    Unavailable { why: String },
}

impl AccountNames {
    /// The names read, or none.
    pub fn names(&self) -> BTreeMap<String, String> {
        match self {
            AccountNames::Read(names) => names.clone(),
            AccountNames::Unavailable { .. } => BTreeMap::new(),
        }
    }
}

/// Reads every account's name with `ListAccounts` (paged, one attempt per page).
pub async fn account_names(clients: &Clients) -> AccountNames {
    match list_accounts(clients).await {
        Ok(names) => {
            tracing::debug!(accounts = names.len(), "account names read from AWS Organizations");
            AccountNames::Read(names)
        }
        Err(failure) => {
            let expected =
                matches!(failure.code.as_deref(), Some("AccessDeniedException" | "AWSOrganizationsNotInUseException"))
                    || failure.kind == FailureKind::Unsupported;
            let why = failure.to_string();
            if expected {
                tracing::info!(
                    "account names not shown: organizations:ListAccounts is not available ({why}); plans show account ids"
                );
            } else {
                tracing::warn!(error = %why, "account names not shown: organizations:ListAccounts failed; plans show account ids");
            }
            AccountNames::Unavailable { why }
        }
    }
}

async fn list_accounts(clients: &Clients) -> Result<BTreeMap<String, String>, CallFailure> {
    let mut names = BTreeMap::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = clients
            .organizations
            .list_accounts()
            .max_results(PAGE)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| CallFailure::from_sdk("organizations", "ListAccounts", &e))?;
        for account in page.accounts() {
            if let (Some(id), Some(name)) = (account.id(), account.name()) {
                names.insert(id.to_owned(), name.to_owned());
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() && Some(next) != token.as_deref() => token = Some(next.to_owned()),
            _ => return Ok(names),
        }
    }
    tracing::warn!(pages = MAX_PAGES, "organizations:ListAccounts kept paging; using the accounts read so far");
    Ok(names)
}
