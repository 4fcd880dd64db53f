//! Identity Store group memberships of user leavers: observed with
//! `ListGroupMembershipsForMember` per user, removed with `DeleteGroupMembership`, one
//! synchronous call per membership (it answers once the membership is gone).
//!
//! Memberships are read for every found user, whether or not offboard manages them: a plan
//! shows what reaches a user through its groups either way, and the planner decides whether a
//! membership is removed (see `offboard_core::edge::group_membership`).

use super::{AccessEdge, Place, Presence, Seen, Subject, Where, presence_by_read};
use crate::apply::{CallInfo, Journal, failed, outcome, reread_failed};
use crate::call::{Session, bounded};
use crate::error::{AwsError, CallFailure, FailureKind};
use crate::identitystore::{delete_membership, memberships_of};
use offboard_core::edge::group_membership::DeleteGroupMembership;
use offboard_core::grant::{Grant, GroupMembership};
use offboard_core::outcome::{Outcome, OutcomeResult};
use offboard_core::plan::{Action, ApiRequest};
use offboard_core::principal::PrincipalKind;
use offboard_models::Service;
use std::collections::BTreeSet;

impl AccessEdge for GroupMembership {
    /// Users only (groups do not nest), and only found ones: memberships name the user id.
    async fn observe(s: &Session<'_>, at: Where<'_>, subjects: &[Subject<'_>]) -> Result<Vec<Seen>, AwsError> {
        let reads = subjects
            .iter()
            .map(|sub| async move {
                match (sub.leaver.principal.kind, sub.id()) {
                    (PrincipalKind::User, Some(user)) => {
                        let Some(store) = at.identity_store_id else {
                            return Err(AwsError::NoIdentityStore {
                                what: format!("reading the groups of {}", sub.leaver.principal),
                            });
                        };
                        let listed = match at.memberships {
                            // Read per group: a user absent from it is in no group.
                            Some(by_user) => by_user.get(user).cloned().unwrap_or_default(),
                            None => memberships_of(s, store, user).await?,
                        };
                        Ok(as_grants(user, listed).into())
                    }
                    _ => Ok(Seen::default()),
                }
            })
            .collect();
        bounded(reads, s.limits.concurrency).await.into_iter().collect()
    }

    /// One listing per member, or one per group, whichever is fewer (`read_strategy.rs`):
    /// either answers for all the memberships it covers. A membership is present only while it
    /// still joins the same group and user.
    async fn presence(s: &Session<'_>, at: Place<'_>, grants: &[&Self]) -> Presence {
        let members: BTreeSet<&str> = grants.iter().map(|g| g.member_id.as_ref()).collect();
        let groups: BTreeSet<&str> = grants.iter().map(|g| g.group_id.as_ref()).collect();
        if s.limits.read_strategy.per_container(s, "Identity Store membership re-reads", members.len(), groups.len()) {
            presence_by_read(
                s,
                grants,
                |g| g.group_id.clone(),
                |group, found| async move {
                    let read = match at.identity_store_id {
                        Some(store) => crate::identitystore::members_of(s, store, &group)
                            .await
                            .map(|rows| rows.into_iter().map(|(user, m)| as_grant(&user, m)).collect()),
                        None => Err(no_store("ListGroupMemberships")),
                    };
                    (found, read)
                },
            )
            .await
        } else {
            presence_by_read(
                s,
                grants,
                |g| g.member_id.clone(),
                |member, found| async move {
                    let read = match at.identity_store_id {
                        Some(store) => memberships_grants(s, store, &member).await,
                        None => Err(no_store("ListGroupMembershipsForMember")),
                    };
                    (found, read)
                },
            )
            .await
        }
    }

    async fn remove(s: &Session<'_>, actions: &[&Action], presence: &Presence, journal: &mut Journal<'_>) {
        let calls = actions
            .iter()
            .map(|a| super::Call {
                action: a,
                sending: super::present_items(a, presence),
                run: remove_one(s, a, presence),
            })
            .collect();
        super::journal_in_order(s, calls, journal).await
    }
}

/// A user's memberships as grants.
async fn memberships_grants(s: &Session<'_>, store: &str, user_id: &str) -> Result<BTreeSet<Grant>, CallFailure> {
    Ok(as_grants(user_id, memberships_of(s, store, user_id).await?))
}

fn as_grants(user_id: &str, listed: Vec<crate::identitystore::Membership>) -> BTreeSet<Grant> {
    listed.into_iter().map(|m| as_grant(user_id, m)).collect()
}

fn as_grant(user_id: &str, m: crate::identitystore::Membership) -> Grant {
    Grant::GroupMembership(GroupMembership {
        group_id: m.group_id.into(),
        member_id: user_id.into(),
        membership_id: m.membership_id.into(),
    })
}

/// A plan without an identity store cannot hold memberships (the planner builds every
/// membership request with the plan's store); said as a failure rather than "absent".
fn no_store(operation: &'static str) -> CallFailure {
    CallFailure {
        service: Service::IdentityStore.iam_prefix(),
        operation,
        kind: FailureKind::Other,
        code: None,
        message: "the plan names no identity store (its location has no identity_store_id)".into(),
        status: None,
        request_id: None,
        html: false,
        resource_type: None,
        attempts: 0,
    }
}

async fn remove_one(s: &Session<'_>, a: &Action, presence: &Presence) -> Vec<Outcome> {
    let (Some(item), ApiRequest::DeleteGroupMembership(DeleteGroupMembership { identity_store_id, membership_id })) =
        (a.items.first(), &a.request)
    else {
        return Vec::new(); // check_action guarantees both
    };
    match presence.of(&item.grant) {
        Ok(false) => return vec![outcome(a, item, &CallInfo::NONE, OutcomeResult::AlreadyRemoved)],
        Err(f) => return vec![outcome(a, item, &CallInfo::NONE, reread_failed(f))],
        Ok(true) => {}
    }
    let o = match delete_membership(s, identity_store_id, membership_id).await {
        Ok(Some(answer)) => {
            let call = CallInfo { request_id: answer.request_id, deletion_request_id: None, attempts: answer.attempts };
            outcome(a, item, &call, OutcomeResult::Removed)
        }
        // Gone between the re-read and the call.
        Ok(None) => outcome(a, item, &CallInfo::NONE, OutcomeResult::AlreadyRemoved),
        Err(f) => outcome(a, item, &CallInfo::of_failure(&f), failed(f.to_string())),
    };
    vec![o]
}
