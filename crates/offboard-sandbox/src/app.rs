//! One sandbox instance: state, faults and request log, and the path of one AWS request through
//! them: route → faults → validation → handler → conformance check → log → answer (or drop).

use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use crate::api_error::ApiError;
use crate::conformance;
use crate::faults::{FaultEngine, Faults, FaultsError, InjectedError};
use crate::fixture::Org;
use crate::request_log::{LoggedRequest, RequestLog};
use crate::services::{self, Ctx};
use crate::snapshot::StateSnapshot;
use crate::wire::{self, ApiRequest, Rejected, WireResponse};
use crate::world::{Now, SavedWorld, World};

/// What to do with the connection.
#[derive(Debug)]
pub(crate) enum Reply {
    Respond {
        response: WireResponse,
        request_id: String,
    },
    /// Close the connection without answering (the request was applied).
    Drop,
}

#[derive(Debug)]
pub(crate) struct App {
    world: Mutex<World>,
    faults: Mutex<FaultEngine>,
    log: Mutex<RequestLog>,
}

/// A poisoned lock only means another request panicked mid-way; the data is still the best state
/// there is, so keep serving rather than failing every later request.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl App {
    pub fn new(org: Org, faults: Faults) -> App {
        App::with_world(World::new(org), faults)
    }

    pub fn with_world(world: World, faults: Faults) -> App {
        App {
            world: Mutex::new(world),
            faults: Mutex::new(FaultEngine::new(faults)),
            log: Mutex::new(RequestLog::default()),
        }
    }

    pub fn faults(&self) -> Faults {
        lock(&self.faults).faults().clone()
    }

    pub fn set_faults(&self, faults: Faults) -> Result<(), FaultsError> {
        faults.validate()?;
        lock(&self.faults).replace(faults);
        Ok(())
    }

    pub fn request_log(&self) -> Vec<LoggedRequest> {
        lock(&self.log).entries()
    }

    pub fn clear_request_log(&self) {
        lock(&self.log).clear();
    }

    pub fn org(&self) -> Org {
        lock(&self.world).org.clone()
    }

    pub fn snapshot(&self) -> StateSnapshot {
        let faults = self.faults();
        let mut world = lock(&self.world);
        world.settle(&faults, Now::current());
        world.snapshot()
    }

    /// What changed since the fixture, with due work completed first.
    pub fn save(&self) -> SavedWorld {
        let faults = self.faults();
        let mut world = lock(&self.world);
        world.settle(&faults, Now::current());
        world.save()
    }

    /// Answers one decoded (or undecodable) AWS request.
    pub async fn call(&self, decoded: Result<ApiRequest, Box<Rejected>>) -> Reply {
        let request_id = uuid::Uuid::new_v4().to_string();
        let req = match decoded {
            Ok(req) => req,
            Err(rejected) => {
                let rejected = *rejected;
                let response = wire::encode_error(rejected.service, rejected.protocol, &rejected.error, &request_id);
                self.record(LoggedRequest {
                    seq: 0,
                    service: rejected.service.map_or("unknown", |s| s.botocore_name()).to_owned(),
                    operation: rejected.operation,
                    protocol: rejected.protocol.name().to_owned(),
                    params: rejected.params,
                    status: response.status,
                    error: Some(rejected.error.code.clone()),
                    message: Some(rejected.error.message.clone()),
                    fault: None,
                    request_id: request_id.clone(),
                    conformance: Vec::new(),
                });
                return Reply::Respond { response, request_id };
            }
        };

        let decision = lock(&self.faults).decide(req.service, Now::current().instant);
        if !decision.latency.is_zero() {
            tokio::time::sleep(decision.latency).await;
        }
        let (result, mut fault) = match decision.injected {
            Some(InjectedError::Throttled) => (Err(ApiError::throttling()), Some("throttled")),
            Some(InjectedError::ServerError { unavailable }) => {
                let err = if unavailable { ApiError::unavailable() } else { ApiError::internal(req.service) };
                (Err(err), Some("server_error"))
            }
            None => (self.apply(&req), None),
        };

        let (response, conformance) = match &result {
            Ok(output) => (
                wire::encode_output(req.service, &req.operation, req.protocol, output),
                if conformance::ENABLED {
                    conformance::check_output(req.service, &req.operation, output)
                } else {
                    Vec::new()
                },
            ),
            Err(err) => (
                wire::encode_error(Some(req.service), req.protocol, err, &request_id),
                if conformance::ENABLED {
                    let members = wire::error_members(Some(req.service), err, &request_id);
                    conformance::check_error(req.service, &req.operation, err, &members)
                } else {
                    Vec::new()
                },
            ),
        };
        if !conformance.is_empty() {
            tracing::warn!(service = %req.service, operation = %req.operation, ?conformance, "answer does not conform to the model");
        }
        if decision.drop_connection {
            fault = Some("dropped_connection");
        }
        let (error, message) = match &result {
            Ok(_) => (None, None),
            Err(e) => (Some(e.code.clone()), Some(e.message.clone())),
        };
        tracing::debug!(service = %req.service, operation = %req.operation, status = response.status, ?error, ?fault, "request");
        self.record(LoggedRequest {
            seq: 0,
            service: req.service.botocore_name().to_owned(),
            operation: req.operation,
            protocol: req.protocol.name().to_owned(),
            params: req.params,
            status: response.status,
            error,
            message,
            fault: fault.map(str::to_owned),
            request_id: request_id.clone(),
            conformance,
        });
        if decision.drop_connection { Reply::Drop } else { Reply::Respond { response, request_id } }
    }

    /// Validates and handles a request against the state.
    fn apply(&self, req: &ApiRequest) -> Result<Value, ApiError> {
        req.service
            .model()
            .validate_input(&req.operation, &req.params)
            .map_err(|v| ApiError::new(v.error_code(), v.aws_message()))?;
        let faults = self.faults();
        let now = Now::current();
        let mut world = lock(&self.world);
        world.settle(&faults, now);
        let ctx = Ctx { faults: &faults, now };
        services::handle(&mut world, &ctx, req.service, &req.operation, &req.params)
    }

    fn record(&self, entry: LoggedRequest) {
        lock(&self.log).push(entry);
    }
}
