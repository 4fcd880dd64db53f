//! AppStream 2.0 user–stack associations: observed with `DescribeUserStackAssociations` per
//! user, removed with `BatchDisassociateUserStack` (≤ 25 per call, per-item failures in
//! `errors`). The SDK speaks rpcv2Cbor to AppStream.

use super::batch::{self, BatchEdge, Sent, Unsure};
use super::{AccessEdge, Place, Presence, Seen, Subject, Where, presence_by_read};
use crate::apply::{CallInfo, Journal, failed, outcome};
use crate::call::{Answer, Session, bounded};
use crate::error::{AwsError, CallFailure};
use crate::paginate::Retry;
use crate::retry::Backoff;
use aws_sdk_appstream::types::{AuthenticationType, UserStackAssociation, UserStackAssociationErrorCode};
use offboard_core::edge::Edge;
use offboard_core::grant::{AppstreamAssociation, Grant};
use offboard_core::outcome::OutcomeResult;
use offboard_core::plan::{Action, ActionItem};
use offboard_core::policy::StackSelection;
use offboard_models::Service;
use std::collections::BTreeSet;

/// One association to remove: the grant's own data.
type Association = AppstreamAssociation;

impl AccessEdge for AppstreamAssociation {
    /// Per user or per stack, whichever costs fewer calls (`read_strategy.rs`). A user is
    /// looked up under each of its names (as declared, userName, primary email; they differ in
    /// real directories), so also when the Identity Store does not know it. Listing by user
    /// means a `"*"` stack selection needs no `DescribeStacks`; listing by stack needs it, and
    /// takes up to 25 associations per page (the API model caps a page at 25 whatever
    /// `MaxResults` asks).
    async fn observe(s: &Session<'_>, at: Where<'_>, subjects: &[Subject<'_>]) -> Result<Vec<Seen>, AwsError> {
        let Some(app) = &at.config.appstream else { return Ok(vec![Seen::default(); subjects.len()]) };
        let names: Vec<Vec<&str>> = subjects.iter().map(|sub| sub.leaver.user_names(sub.resolution)).collect();
        let per_principal: usize = names.iter().map(Vec::len).sum();
        if per_principal == 0 {
            return Ok(vec![Seen::default(); subjects.len()]);
        }
        let found: Vec<BTreeSet<Grant>> = match by_stack(s, app, per_principal).await? {
            Some(by_user) => {
                names.iter().map(|ns| ns.iter().filter_map(|n| by_user.get(*n)).flatten().cloned().collect()).collect()
            }
            None => {
                let reads = names
                    .iter()
                    .map(|ns| async move {
                        let mut all = BTreeSet::new();
                        for user_name in ns {
                            all.extend(associations_of(s, user_name, &app.authentication_type).await?);
                        }
                        Ok::<_, CallFailure>(all)
                    })
                    .collect();
                bounded(reads, s.limits.concurrency).await.into_iter().collect::<Result<_, _>>()?
            }
        };
        Ok(found
            .into_iter()
            .map(|grants| {
                grants
                    .into_iter()
                    .filter(|g| match &app.stacks {
                        StackSelection::All => true,
                        StackSelection::Named(names) => {
                            AppstreamAssociation::of(g).is_some_and(|a| names.iter().any(|n| **n == *a.stack_name))
                        }
                    })
                    .collect::<BTreeSet<Grant>>()
                    .into()
            })
            .collect())
    }

    /// One listing per (user, authentication type), or one per stack the plan touches,
    /// whichever is fewer.
    async fn presence(s: &Session<'_>, _at: Place<'_>, grants: &[&Self]) -> Presence {
        let users: BTreeSet<(&str, &str)> =
            grants.iter().map(|g| (g.user_name.as_ref(), g.authentication_type.as_ref())).collect();
        let stacks: BTreeSet<(&str, &str)> =
            grants.iter().map(|g| (g.stack_name.as_ref(), g.authentication_type.as_ref())).collect();
        if s.limits.read_strategy.per_container(s, "AppStream re-reads", users.len(), stacks.len()) {
            presence_by_read(
                s,
                grants,
                |g| (g.stack_name.clone(), g.authentication_type.clone()),
                |(stack, auth), members| async move {
                    let read = associations_in(s, &stack, &auth)
                        .await
                        .map(|rows| rows.into_iter().map(Grant::AppstreamAssociation).collect());
                    (members, read)
                },
            )
            .await
        } else {
            presence_by_read(
                s,
                grants,
                |g| (g.user_name.clone(), g.authentication_type.clone()),
                |(user_name, auth), members| async move { (members, associations_of(s, &user_name, &auth).await) },
            )
            .await
        }
    }

    async fn remove(s: &Session<'_>, actions: &[&Action], presence: &Presence, journal: &mut Journal<'_>) {
        batch::remove::<Self>(s, actions, presence, journal).await
    }
}

impl BatchEdge for AppstreamAssociation {
    async fn send<'i>(s: &Session<'_>, a: &Action, pending: &[&'i ActionItem]) -> Sent<'i> {
        disassociate_pending(s, a, pending).await
    }
}

/// What one `DescribeUserStackAssociations` listing asks for: a user's associations, or a
/// stack's.
#[derive(Clone, Copy)]
enum Listing<'a> {
    User(&'a str),
    Stack(&'a str),
}

/// Every association of one user or one stack with `authentication_type` (all pages of
/// `DescribeUserStackAssociations`; a stack's pages hold up to 25 whatever `MaxResults` asks).
/// Only rows of exactly what was asked are kept: an endpoint that ignores the filter must not
/// make another user's association look like this one's. A stack AppStream does not know has
/// none, as a per-user listing would show.
async fn associations(
    s: &Session<'_>,
    of: Listing<'_>,
    authentication_type: &str,
) -> Result<Vec<Association>, CallFailure> {
    let auth = AuthenticationType::from(authentication_type);
    let rows = s
        .pages(
            Service::AppStream,
            "DescribeUserStackAssociations",
            Retry::Yes,
            |token| {
                let request = s.clients.appstream.describe_user_stack_associations().set_next_token(token);
                match of {
                    Listing::User(user) => request.user_name(user).authentication_type(auth.clone()),
                    Listing::Stack(stack) => request.stack_name(stack).max_results(500),
                }
                .send()
            },
            |page| (page.user_stack_associations.unwrap_or_default(), page.next_token),
        )
        .await;
    let rows = match (rows, of) {
        (Err(f), Listing::Stack(_)) if f.kind == crate::error::FailureKind::NotFound => Vec::new(),
        (other, _) => other?,
    };
    Ok(rows
        .iter()
        .filter(|a| a.authentication_type() == Some(&auth))
        .filter(|a| match of {
            Listing::User(user) => a.user_name() == Some(user),
            Listing::Stack(stack) => a.stack_name() == Some(stack),
        })
        .filter_map(|a| {
            Some(Association {
                stack_name: a.stack_name()?.into(),
                user_name: a.user_name()?.into(),
                authentication_type: authentication_type.into(),
            })
        })
        .collect())
}

/// Every stack association of one user, as grants.
async fn associations_of(
    s: &Session<'_>,
    user_name: &str,
    authentication_type: &str,
) -> Result<BTreeSet<Grant>, CallFailure> {
    let found = associations(s, Listing::User(user_name), authentication_type).await?;
    Ok(found.into_iter().map(Grant::AppstreamAssociation).collect())
}

/// Every association of one stack.
async fn associations_in(
    s: &Session<'_>,
    stack_name: &str,
    authentication_type: &str,
) -> Result<Vec<Association>, CallFailure> {
    associations(s, Listing::Stack(stack_name), authentication_type).await
}

/// Every association of the configured authentication type in the configured stacks, by user
/// name, when listing per stack costs fewer calls than the `per_principal` listings; `None`
/// otherwise. A `"*"` selection first lists the stacks (`DescribeStacks`), within that budget.
async fn by_stack(
    s: &Session<'_>,
    app: &offboard_core::policy::AppstreamConfig,
    per_principal: usize,
) -> Result<Option<std::collections::HashMap<String, BTreeSet<Grant>>>, CallFailure> {
    let strategy = s.limits.read_strategy;
    let (stacks, listing) = match &app.stacks {
        StackSelection::Named(names) => (names.to_vec(), 0),
        StackSelection::All => {
            let budget = strategy.budget(per_principal);
            if budget == 0 {
                crate::read_strategy::choose(s, "AppStream associations", false, per_principal, None);
                return Ok(None);
            }
            let listed = s
                .pages_up_to(
                    budget,
                    Service::AppStream,
                    "DescribeStacks",
                    Retry::Yes,
                    |token| s.clients.appstream.describe_stacks().set_next_token(token).send(),
                    |page| (page.stacks.unwrap_or_default(), page.next_token),
                )
                .await?;
            if !listed.complete {
                crate::read_strategy::choose(s, "AppStream associations", false, per_principal, None);
                return Ok(None);
            }
            (listed.items.into_iter().filter_map(|st| st.name).collect(), listed.pages)
        }
    };
    // Each stack costs at least one page.
    if !strategy.per_container(s, "AppStream associations", per_principal, listing + stacks.len()) {
        return Ok(None);
    }
    let reads = stacks.iter().map(|stack| associations_in(s, stack, &app.authentication_type)).collect();
    let mut by_user: std::collections::HashMap<String, BTreeSet<Grant>> = std::collections::HashMap::new();
    for rows in bounded(reads, s.limits.concurrency).await {
        for a in rows? {
            by_user.entry(a.user_name.to_string()).or_default().insert(Grant::AppstreamAssociation(a));
        }
    }
    Ok(Some(by_user))
}

/// A per-item failure of `BatchDisassociateUserStack`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ItemError {
    pub association: Option<Association>,
    pub code: Option<String>,
    pub message: String,
}

impl ItemError {
    /// `INTERNAL_ERROR` is AppStream's transient per-item failure: worth another try.
    fn is_transient(&self) -> bool {
        self.code.as_deref() == Some(UserStackAssociationErrorCode::InternalError.as_str())
    }
}

/// `BatchDisassociateUserStack` (≤ 25 items): the per-item failures (`errors`); an item not
/// listed there was disassociated.
async fn disassociate(s: &Session<'_>, items: &[Association]) -> Result<Answer<Vec<ItemError>>, CallFailure> {
    let assoc: Vec<UserStackAssociation> = items
        .iter()
        .map(|a| {
            UserStackAssociation::builder()
                .stack_name(&*a.stack_name)
                .user_name(&*a.user_name)
                .authentication_type(AuthenticationType::from(a.authentication_type.as_ref()))
                .build()
        })
        .collect();
    let answer = s
        .call(Service::AppStream, "BatchDisassociateUserStack", || {
            s.clients.appstream.batch_disassociate_user_stack().set_user_stack_associations(Some(assoc.clone())).send()
        })
        .await?;
    let errors = answer
        .value
        .errors()
        .iter()
        .map(|e| ItemError {
            association: e.user_stack_association().and_then(|a| {
                Some(Association {
                    stack_name: a.stack_name()?.into(),
                    user_name: a.user_name()?.into(),
                    authentication_type: a.authentication_type()?.as_str().into(),
                })
            }),
            code: e.error_code().map(|c| c.as_str().to_owned()),
            message: e.error_message().unwrap_or("no ErrorMessage").to_owned(),
        })
        .collect();
    Ok(Answer { value: errors, request_id: answer.request_id, attempts: answer.attempts })
}

/// The errors that name no association of this call: without one, or naming another. AWS's
/// answer does not say which item such an error is about, so no item of the call may be counted
/// removed on its word: the caller re-reads them all.
fn unattributed<'e>(errors: &'e [ItemError], sent: &[&Association]) -> Vec<&'e ItemError> {
    errors.iter().filter(|e| e.association.as_ref().is_none_or(|a| !sent.contains(&a))).collect()
}

/// `BatchDisassociateUserStack` for the pending items. Items failing with AppStream's transient
/// `INTERNAL_ERROR` are sent again (alone) within the retry budget.
async fn disassociate_pending<'i>(s: &Session<'_>, a: &Action, pending: &[&'i ActionItem]) -> Sent<'i> {
    let mut outs = Vec::new();
    let mut backoff = Backoff::new(&s.limits.retry);
    let mut call = CallInfo::NONE;
    let mut unsure = Vec::new();
    let mut todo: Vec<&ActionItem> = pending.to_vec();
    loop {
        backoff.attempt();
        let assoc: Vec<Association> = todo.iter().filter_map(|i| AppstreamAssociation::of(&i.grant)).cloned().collect();
        let answer = match disassociate(s, &assoc).await {
            Ok(a) => a,
            Err(f) => {
                call = CallInfo { attempts: call.attempts + f.attempts, ..CallInfo::of_failure(&f) };
                for item in todo {
                    outs.push(outcome(a, item, &call, failed(f.to_string())));
                }
                return Sent { call, settled: outs, unsure };
            }
        };
        call = CallInfo {
            request_id: answer.request_id,
            deletion_request_id: None,
            attempts: call.attempts + answer.attempts,
        };
        let errors = answer.value;
        let sent: Vec<&Association> = todo.iter().filter_map(|i| AppstreamAssociation::of(&i.grant)).collect();
        let unattributed = unattributed(&errors, &sent);
        let mut transient = Vec::new();
        for item in todo {
            let assoc = AppstreamAssociation::of(&item.grant);
            match errors.iter().find(|e| e.association.is_some() && e.association.as_ref() == assoc) {
                Some(e) if e.is_transient() => transient.push((item, e)),
                Some(e) => unsure.push(Unsure {
                    item,
                    error: format!("AppStream: {}: {}", e.code.as_deref().unwrap_or("error"), e.message),
                    if_absent: OutcomeResult::AlreadyRemoved,
                }),
                // Not listed as failed, but AWS listed a failure it did not attribute: only a
                // re-read can tell whether this item was the one.
                None if !unattributed.is_empty() => unsure.push(Unsure {
                    item,
                    error: format!("AppStream reported a failure without naming the item: {}", unattributed[0].message),
                    if_absent: OutcomeResult::Removed,
                }),
                None => outs.push(outcome(a, item, &call, OutcomeResult::Removed)),
            }
        }
        if transient.is_empty() {
            return Sent { call, settled: outs, unsure };
        }
        match backoff.next_delay(rand::random::<f64>()) {
            Some(delay) => {
                tokio::time::sleep(delay).await;
                todo = transient.into_iter().map(|(i, _)| i).collect();
            }
            None => {
                for (item, e) in transient {
                    unsure.push(Unsure {
                        item,
                        error: format!(
                            "AppStream: {}: {} (retries exhausted)",
                            e.code.as_deref().unwrap_or("error"),
                            e.message
                        ),
                        if_absent: OutcomeResult::AlreadyRemoved,
                    });
                }
                return Sent { call, settled: outs, unsure };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assoc(stack: &str) -> Association {
        AppstreamAssociation {
            stack_name: stack.into(),
            user_name: "alice".into(),
            authentication_type: "USERPOOL".into(),
        }
    }

    fn error(association: Option<Association>) -> ItemError {
        ItemError { association, code: Some("USER_NAME_NOT_FOUND".into()), message: "m".into() }
    }

    #[test]
    fn an_error_without_an_item_or_naming_another_one_is_unattributed() {
        let (a, b) = (assoc("a"), assoc("b"));
        let sent = [&a, &b];
        assert!(unattributed(&[error(Some(a.clone()))], &sent).is_empty(), "an error naming a sent item is its own");
        assert_eq!(unattributed(&[error(None)], &sent).len(), 1);
        assert_eq!(unattributed(&[error(Some(assoc("other")))], &sent).len(), 1, "an item this call never sent");
    }
}
