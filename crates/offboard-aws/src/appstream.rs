//! AppStream 2.0: user–stack associations. (The SDK speaks rpcv2Cbor to AppStream.)

use offboard_core::grant::AppstreamAssociation;
use crate::call::{Answer, Api, Session};
use crate::error::CallFailure;
use crate::sso::next;
use aws_sdk_appstream::types::{AuthenticationType, UserStackAssociation, UserStackAssociationErrorCode};
use offboard_core::grant::Grant;
use std::collections::BTreeSet;

/// Every stack association of one user (all pages of `DescribeUserStackAssociations` by
/// `UserName` + `AuthenticationType`). Listing by user rather than by stack means a `"*"` stack
/// selection needs no `DescribeStacks` at all: the associations name their stacks.
pub(crate) async fn associations_of(
    s: &Session<'_>,
    user_name: &str,
    authentication_type: &str,
) -> Result<BTreeSet<Grant>, CallFailure> {
    let auth = AuthenticationType::from(authentication_type);
    let mut out = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let page = s
            .call(Api::Appstream, "DescribeUserStackAssociations", || {
                s.clients
                    .appstream
                    .describe_user_stack_associations()
                    .user_name(user_name)
                    .authentication_type(auth.clone())
                    .set_next_token(token.clone())
                    .send()
            })
            .await?
            .value;
        for a in page.user_stack_associations() {
            // Keep only what was asked for: an endpoint that ignores the filter must not make
            // another user's association look like this one's.
            let same = a.user_name() == Some(user_name) && a.authentication_type() == Some(&auth);
            if let (true, Some(stack)) = (same, a.stack_name()) {
                out.insert(Grant::AppstreamAssociation(AppstreamAssociation {
                    stack_name: stack.to_owned(),
                    user_name: user_name.to_owned(),
                    authentication_type: authentication_type.to_owned(),
                }));
            }
        }
        token = next(page.next_token());
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// One association to remove.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Association {
    pub stack_name: String,
    pub user_name: String,
    pub authentication_type: String,
}

/// A per-item failure of `BatchDisassociateUserStack`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ItemError {
    pub association: Option<Association>,
    pub code: Option<String>,
    pub message: String,
}

impl ItemError {
    /// `INTERNAL_ERROR` is AppStream's transient per-item failure: worth another try.
    pub(crate) fn is_transient(&self) -> bool {
        self.code.as_deref() == Some(UserStackAssociationErrorCode::InternalError.as_str())
    }
}

/// `BatchDisassociateUserStack` (≤ 25 items): the per-item failures (`errors`); an item not
/// listed there was disassociated.
pub(crate) async fn disassociate(
    s: &Session<'_>,
    items: &[Association],
) -> Result<Answer<Vec<ItemError>>, CallFailure> {
    let assoc: Vec<UserStackAssociation> = items
        .iter()
        .map(|a| {
            UserStackAssociation::builder()
                .stack_name(&a.stack_name)
                .user_name(&a.user_name)
                .authentication_type(AuthenticationType::from(a.authentication_type.as_str()))
                .build()
        })
        .collect();
    let answer = s
        .call(Api::Appstream, "BatchDisassociateUserStack", || {
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
                    stack_name: a.stack_name()?.to_owned(),
                    user_name: a.user_name()?.to_owned(),
                    authentication_type: a.authentication_type()?.as_str().to_owned(),
                })
            }),
            code: e.error_code().map(|c| c.as_str().to_owned()),
            message: e.error_message().unwrap_or("no ErrorMessage").to_owned(),
        })
        .collect();
    Ok(Answer { value: errors, request_id: answer.request_id, attempts: answer.attempts })
}
