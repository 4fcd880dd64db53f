//! Listings that span pages: one loop for every list call of the adapter.
//!
//! Each page is one [`Session::call`] (rate-limited, retried, counted). Paging stops when AWS
//! sends no `NextToken` (an empty string counts as none: some emulators send `""`). A service
//! that hands back a token it already gave in this listing would make the loop run forever, so
//! that is an error naming the operation instead.

use crate::call::Session;
use crate::error::{CallFailure, FailureKind};
use aws_sdk_ssoadmin::operation::RequestId;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use offboard_models::Service;
use std::collections::HashSet;
use std::future::Future;

/// What [`Session::pages_up_to`] read.
#[derive(Debug)]
pub(crate) struct Listed<I> {
    pub items: Vec<I>,
    pub pages: usize,
    /// The listing ended (no `NextToken`), rather than stopping at the page limit.
    pub complete: bool,
}

/// Whether each page is retried on a retryable failure, or tried once (for listings that are
/// repeated anyway, like polls, whose caller has its own fallback).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    Yes,
    Once,
}

impl Session<'_> {
    /// Every item of a listing. `send(token)` sends one page request; `split(page)` takes the
    /// page's items and its `NextToken`.
    pub(crate) async fn pages<T, E, I, F, Fut>(
        &self,
        service: Service,
        operation: &'static str,
        retry: Retry,
        send: F,
        split: impl FnMut(T) -> (Vec<I>, Option<String>),
    ) -> Result<Vec<I>, CallFailure>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        T: RequestId,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let listed = self.pages_up_to(usize::MAX, service, operation, retry, send, split).await?;
        Ok(listed.items)
    }

    /// At most `max_pages` pages of a listing, and whether that was all of it. A read strategy
    /// that would cost more than its alternative stops early (`read_strategy.rs`).
    pub(crate) async fn pages_up_to<T, E, I, F, Fut>(
        &self,
        max_pages: usize,
        service: Service,
        operation: &'static str,
        retry: Retry,
        mut send: F,
        mut split: impl FnMut(T) -> (Vec<I>, Option<String>),
    ) -> Result<Listed<I>, CallFailure>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        T: RequestId,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut items = Vec::new();
        let mut pages = 0usize;
        let mut token: Option<String> = None;
        let mut seen: HashSet<String> = HashSet::new();
        loop {
            let page = match retry {
                Retry::Yes => self.call(service, operation, || send(token.clone())).await?,
                Retry::Once => self.call_once(service, operation, || send(token.clone())).await?,
            };
            let (page_items, next) = split(page.value);
            items.extend(page_items);
            pages += 1;
            match next.filter(|t| !t.is_empty()) {
                None => return Ok(Listed { items, pages, complete: true }),
                Some(t) if !seen.insert(t.clone()) => {
                    return Err(repeated_token(service, operation, &t, page.request_id));
                }
                Some(_) if pages >= max_pages => return Ok(Listed { items, pages, complete: false }),
                Some(t) => token = Some(t),
            }
        }
    }
}

fn repeated_token(service: Service, operation: &'static str, token: &str, request_id: Option<String>) -> CallFailure {
    let shown: String = token.chars().take(40).collect();
    CallFailure {
        service: service.iam_prefix(),
        operation,
        kind: FailureKind::Other,
        code: None,
        message: format!(
            "the service returned the NextToken `{shown}` a second time in one listing; stopped paging instead of \
             looping forever (a bug or an inconsistency on the service side: try again later)"
        ),
        status: None,
        request_id,
        html: false,
        resource_type: None,
        attempts: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::Clients;
    use crate::limits::Limits;
    use aws_sdk_ssoadmin::operation::list_instances::{ListInstancesError, ListInstancesOutput};
    use aws_sdk_ssoadmin::types::InstanceMetadata;
    use std::cell::RefCell;

    /// A fake `ListInstances` that answers from a script of (instance names, next token) pages
    /// and records the token each request carried.
    async fn list(script: &[(&[&str], Option<&str>)]) -> (Result<Vec<String>, CallFailure>, Vec<Option<String>>) {
        let clients = Clients::from_sdk_config(&aws_config::SdkConfig::builder().build());
        let limits = Limits { tps: crate::ratelimit::Tps::unlimited(), ..Limits::default() };
        let s = Session::new(&clients, &limits);
        let asked: RefCell<Vec<Option<String>>> = RefCell::new(Vec::new());
        let result = s
            .pages(
                Service::SsoAdmin,
                "ListInstances",
                Retry::Yes,
                |token| {
                    let n = asked.borrow().len();
                    asked.borrow_mut().push(token);
                    let (names, next) = script[n.min(script.len() - 1)];
                    let page = ListInstancesOutput::builder()
                        .set_instances(Some(
                            names.iter().map(|n| InstanceMetadata::builder().name(*n).build()).collect(),
                        ))
                        .set_next_token(next.map(str::to_owned))
                        .build();
                    async move {
                        Ok::<_, aws_smithy_runtime_api::client::result::SdkError<ListInstancesError, HttpResponse>>(
                            page,
                        )
                    }
                },
                |page| (page.instances.unwrap_or_default(), page.next_token),
            )
            .await
            .map(|rows| rows.iter().filter_map(|i| i.name().map(str::to_owned)).collect());
        (result, asked.into_inner())
    }

    #[tokio::test]
    async fn follows_next_token_until_there_is_none() {
        let (items, asked) = list(&[(&["a", "b"], Some("t1")), (&["c"], Some("t2")), (&["d"], None)]).await;
        assert_eq!(items.unwrap(), ["a", "b", "c", "d"]);
        assert_eq!(asked, [None, Some("t1".to_owned()), Some("t2".to_owned())]);
    }

    #[tokio::test]
    async fn an_empty_token_ends_the_listing() {
        let (items, asked) = list(&[(&["a"], Some(""))]).await;
        assert_eq!(items.unwrap(), ["a"]);
        assert_eq!(asked.len(), 1);
    }

    #[tokio::test]
    async fn a_token_handed_back_twice_is_an_error_not_an_endless_loop() {
        let (items, asked) = list(&[(&["a"], Some("t1")), (&["b"], Some("t2")), (&["c"], Some("t1"))]).await;
        let err = items.unwrap_err();
        assert_eq!(err.kind, FailureKind::Other);
        assert!(err.to_string().contains("sso:ListInstances failed"), "{err}");
        assert!(err.to_string().contains("NextToken `t1` a second time"), "{err}");
        assert_eq!(asked.len(), 3, "stopped at the repeat");
    }
}
