//! The HTTP server: one port for all four services plus the control paths under `/_sandbox/`.
//!
//! Control paths (JSON, for tests that drive a separate `offboard sandbox serve` process):
//!
//! | method and path | does |
//! |---|---|
//! | `GET /_sandbox/requests` | the request log, a JSON array of [`LoggedRequest`] |
//! | `DELETE /_sandbox/requests` | empties the request log |
//! | `GET /_sandbox/state` | the current state, a [`StateSnapshot`] |
//! | `GET /_sandbox/faults` | the fault settings, a [`Faults`] |
//! | `PUT /_sandbox/faults` | replaces the fault settings (body: [`Faults`] JSON, missing fields = off); answers the new settings, or 400 with `{"message": ...}` |
//! | `GET /_sandbox/org` | the loaded organisation with every derived id, an [`Org`] |
//!
//! Hyper closes a connection without answering when its service returns an error; that is how
//! the dropped-connection fault is carried out.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{App, Reply};
use crate::faults::{Faults, FaultsError};
use crate::fixture::Org;
use crate::request_log::LoggedRequest;
use crate::snapshot::StateSnapshot;
use crate::wire;
use crate::world::{SavedWorld, World};

/// Largest request body accepted (AWS's own limits for these operations are far lower).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on {addr}: {source}; choose a free address (127.0.0.1:0 picks a free port)")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Faults(#[from] FaultsError),
}

/// Entry point: start a sandbox in the current tokio runtime.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Starts a sandbox on `127.0.0.1` and a free port.
    pub async fn start(org: Org, faults: Faults) -> Result<RunningSandbox, SandboxError> {
        Sandbox::start_on(org, faults, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a sandbox on `127.0.0.1` and a free port with the state saved by
    /// [`RunningSandbox::save`] of a sandbox seeded from the same fixture.
    pub async fn resume(org: Org, saved: SavedWorld, faults: Faults) -> Result<RunningSandbox, SandboxError> {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        Sandbox::start_app(App::with_world(World::restore(org, saved), faults.clone()), &faults, addr).await
    }

    /// Starts a sandbox on `addr`.
    pub async fn start_on(org: Org, faults: Faults, addr: SocketAddr) -> Result<RunningSandbox, SandboxError> {
        Sandbox::start_app(App::new(org, faults.clone()), &faults, addr).await
    }

    async fn start_app(app: App, faults: &Faults, addr: SocketAddr) -> Result<RunningSandbox, SandboxError> {
        faults.validate()?;
        let listener = TcpListener::bind(addr).await.map_err(|source| SandboxError::Bind { addr, source })?;
        let local = listener.local_addr().map_err(|source| SandboxError::Bind { addr, source })?;
        let app = Arc::new(app);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&app), stopped));
        tracing::info!(%local, "offboard sandbox listening");
        Ok(RunningSandbox { addr: local, app, stop, task: Some(task) })
    }
}

/// Runs a sandbox on `addr` until `shutdown` completes.
pub async fn serve(
    org: Org,
    faults: Faults,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SandboxError> {
    let sandbox = Sandbox::start_on(org, faults, addr).await?;
    shutdown.await;
    sandbox.shutdown().await;
    Ok(())
}

/// A started sandbox. Dropping it stops the server (without waiting); [`RunningSandbox::shutdown`]
/// stops it and waits.
#[derive(Debug)]
pub struct RunningSandbox {
    addr: SocketAddr,
    app: Arc<App>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl RunningSandbox {
    /// `http://127.0.0.1:PORT`: the endpoint URL for every service.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every AWS request so far, in arrival order.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.app.request_log()
    }

    pub fn clear_request_log(&self) {
        self.app.clear_request_log();
    }

    /// The current state (pending asynchronous work that is due is completed first).
    pub fn snapshot(&self) -> StateSnapshot {
        self.app.snapshot()
    }

    /// What changed since the fixture (pending work that is due is completed first), for
    /// [`Sandbox::resume`].
    pub fn save(&self) -> SavedWorld {
        self.app.save()
    }

    /// The organisation the sandbox was seeded with, with every derived id.
    pub fn org(&self) -> Org {
        self.app.org()
    }

    pub fn faults(&self) -> Faults {
        self.app.faults()
    }

    /// Replaces the fault settings; the RNG and rate limits restart.
    pub fn set_faults(&self, faults: Faults) -> Result<(), FaultsError> {
        self.app.set_faults(faults)
    }

    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(listener: TcpListener, app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let app = Arc::clone(&app);
                    connections.spawn(serve_connection(stream, app));
                }
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            _ = stopped.changed() => break,
        }
        while connections.try_join_next().is_some() {}
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(stream: tokio::net::TcpStream, app: Arc<App>) {
    let service = service_fn(move |req| {
        let app = Arc::clone(&app);
        async move { handle(&app, req).await }
    });
    if let Err(err) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
        tracing::debug!(%err, "connection closed");
    }
}

/// Returned to hyper to close a connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct DroppedConnection;

type HttpResponse = Response<Full<Bytes>>;

async fn handle(app: &App, req: Request<Incoming>) -> Result<HttpResponse, DroppedConnection> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => {
            return Ok(json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &serde_json::json!({"message": format!("cannot read the request body: {err}")}),
            ));
        }
    };
    let path = parts.uri.path();
    if let Some(control_path) = path.strip_prefix("/_sandbox/") {
        return Ok(control(app, &parts.method, control_path, &body));
    }
    let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    if crate::sts::is_get_caller_identity(parts.method.as_str(), path, target, &body) {
        let request_id = uuid::Uuid::new_v4().to_string();
        let xml = crate::sts::caller_identity(&app.org().sso.owner_account_id, &request_id);
        return Ok(Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/xml")
            .header("x-amzn-requestid", request_id)
            .body(Full::new(Bytes::from(xml)))
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot build the response")));
    }
    if crate::organizations::is_organizations(parts.method.as_str(), target) {
        let request_id = uuid::Uuid::new_v4().to_string();
        let (status, answer) = crate::organizations::answer(&app.org(), &app.faults(), target, &body);
        return Ok(Response::builder()
            .status(status)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amzn-requestid", request_id)
            .body(Full::new(Bytes::from(answer.to_string())))
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot build the response")));
    }
    let decoded = wire::decode(parts.method.as_str(), path, target, &body);
    match app.call(decoded).await {
        Reply::Drop => Err(DroppedConnection),
        Reply::Respond { response, request_id } => {
            let mut builder = Response::builder()
                .status(response.status)
                .header("content-type", response.content_type)
                .header("x-amzn-requestid", request_id);
            if response.smithy_protocol {
                builder = builder.header("smithy-protocol", "rpc-v2-cbor");
            }
            Ok(builder
                .body(Full::new(Bytes::from(response.body)))
                .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot build the response")))
        }
    }
}

fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

fn json_response(status: StatusCode, value: &impl Serialize) -> HttpResponse {
    match serde_json::to_vec(value) {
        Ok(body) => Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot build the response")),
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot serialise the answer"),
    }
}

fn control(app: &App, method: &Method, path: &str, body: &[u8]) -> HttpResponse {
    match (method.as_str(), path.trim_end_matches('/')) {
        ("GET", "requests") => json_response(StatusCode::OK, &app.request_log()),
        ("DELETE", "requests") => {
            app.clear_request_log();
            json_response(StatusCode::OK, &serde_json::json!({"cleared": true}))
        }
        ("GET", "state") => json_response(StatusCode::OK, &app.snapshot()),
        ("GET", "org") => json_response(StatusCode::OK, &app.org()),
        ("GET", "faults") => json_response(StatusCode::OK, &app.faults()),
        ("PUT", "faults") => {
            let parsed: Result<Faults, String> = serde_json::from_slice(body).map_err(|e| {
                format!("the body is not fault settings ({e}); expected JSON like {{\"error_rate\": 0.1, \"seed\": 7}}")
            });
            match parsed.and_then(|f| app.set_faults(f).map_err(|e| e.to_string())) {
                Ok(()) => json_response(StatusCode::OK, &app.faults()),
                Err(message) => json_response(StatusCode::BAD_REQUEST, &serde_json::json!({"message": message})),
            }
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"message": format!(
                "no control endpoint {method} /_sandbox/{path}; expected GET requests|state|faults|org, DELETE requests or PUT faults"
            )}),
        ),
    }
}
