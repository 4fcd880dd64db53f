//! One AWS call, the way every call in this crate is made: take a token from the service's
//! bucket, send, classify a failure, back off and retry while the kind and the budget allow.

use crate::clients::Clients;
use crate::error::{CallFailure, FailureKind};
use crate::limits::Limits;
use crate::progress::Progress;
use crate::ratelimit::RateLimiter;
use crate::retry::Backoff;
use aws_sdk_ssoadmin::operation::RequestId;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use offboard_models::Service;
use std::future::Future;
use std::sync::OnceLock;

/// A successful answer, with what the journal needs about it.
#[derive(Debug)]
pub(crate) struct Answer<T> {
    pub value: T,
    /// `x-amzn-RequestId` of the answering attempt.
    pub request_id: Option<String>,
    pub attempts: u32,
}

/// The clients and limits of one `read_state`/`apply`/`verify` run, with its rate limiter.
#[derive(Debug)]
pub(crate) struct Session<'a> {
    pub clients: &'a Clients,
    pub limits: &'a Limits,
    limiter: RateLimiter,
    /// Set once nothing more may be sent (the journal of an apply could not be written), with
    /// why. Every later call fails at once with that reason instead of reaching AWS.
    stopped: OnceLock<String>,
}

impl<'a> Session<'a> {
    pub(crate) fn new(clients: &'a Clients, limits: &'a Limits) -> Self {
        Self { clients, limits, limiter: RateLimiter::new(&limits.tps), stopped: OnceLock::new() }
    }

    /// The progress counters of the clients: the read code announces its expected calls here
    /// (`s.progress().expect_calls(n)`), apply its items.
    pub(crate) fn progress(&self) -> &Progress {
        self.clients.progress()
    }

    /// Send nothing more in this session; calls already on the wire finish.
    pub(crate) fn stop(&self, why: String) {
        let _ = self.stopped.set(why);
    }

    /// Send with retries. `send` builds and sends the request afresh for each attempt.
    pub(crate) async fn call<T, E, F, Fut>(
        &self,
        service: Service,
        operation: &'static str,
        send: F,
    ) -> Result<Answer<T>, CallFailure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        T: RequestId,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.call_with(service, operation, true, send).await
    }

    /// Send exactly once (still rate-limited): for calls that are repeated anyway, like polls.
    pub(crate) async fn call_once<T, E, F, Fut>(
        &self,
        service: Service,
        operation: &'static str,
        send: F,
    ) -> Result<Answer<T>, CallFailure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        T: RequestId,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.call_with(service, operation, false, send).await
    }

    async fn call_with<T, E, F, Fut>(
        &self,
        service: Service,
        operation: &'static str,
        retry: bool,
        mut send: F,
    ) -> Result<Answer<T>, CallFailure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        T: RequestId,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut backoff = Backoff::new(&self.limits.retry);
        loop {
            if let Some(why) = self.stopped.get() {
                return Err(CallFailure {
                    service: service.iam_prefix(),
                    operation,
                    kind: FailureKind::Other,
                    code: None,
                    message: format!("not sent: {why}"),
                    status: None,
                    request_id: None,
                    html: false,
                    resource_type: None,
                    attempts: backoff.attempts(),
                });
            }
            self.limiter.acquire(service.quota()).await;
            let attempt = backoff.attempt();
            if attempt > 1 {
                // Counted as it is sent: a retry the session's stop keeps off the wire is none.
                self.progress().retried();
            }
            match send().await {
                Ok(value) => {
                    self.limiter.succeeded(service.quota());
                    let request_id = value.request_id().map(str::to_owned);
                    return Ok(Answer { value, request_id, attempts: attempt });
                }
                Err(err) => {
                    let mut failure = CallFailure::from_sdk(service.iam_prefix(), operation, &err);
                    failure.attempts = attempt;
                    if failure.kind == FailureKind::Throttling {
                        self.limiter.throttled(service.quota());
                        self.progress().throttled();
                    }
                    if retry
                        && failure.kind.is_retryable()
                        && let Some(delay) = backoff.next_delay(rand::random::<f64>())
                    {
                        tracing::debug!(
                            operation = %format_args!("{}:{}", service.iam_prefix(), operation),
                            attempt,
                            kind = ?failure.kind,
                            code = failure.code.as_deref().unwrap_or("-"),
                            delay_ms = delay.as_millis() as u64,
                            "retrying"
                        );
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(failure);
                }
            }
        }
    }
}

/// Drive `futures` with at most `limit` running at once; outputs in input order.
///
/// Callers build the futures eagerly (they are lazy: nothing runs before this polls them) and
/// pass them in a `Vec`, instead of `stream::iter(..).map(closure)`: a closure over references
/// kept inside an async fn's state trips rustc's higher-ranked `Send` inference (the futures of
/// `read_state`/`apply` would not be `Send`, and the CLI could not spawn them).
pub(crate) async fn bounded<F: Future>(futures: Vec<F>, limit: usize) -> Vec<F::Output> {
    use futures::StreamExt;
    futures::stream::iter(futures).buffered(limit.max(1)).collect().await
}
