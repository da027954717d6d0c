//! The per-request context handlers extract: request id and shared state; builds success envelopes.

use crate::error::AgentError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use linux_patch_shared::{Envelope, RequestId};
use serde::Serialize;
use std::future::{ready, Ready};

/// Request id + state, available to every handler.
#[derive(Debug)]
pub struct Ctx {
    /// This request's id (set by the request middleware).
    pub request_id: RequestId,
    /// Shared state.
    pub state: web::Data<AppState>,
}

impl Ctx {
    /// 200 with `data` in the envelope.
    pub fn ok<T: Serialize>(&self, data: T) -> HttpResponse {
        HttpResponse::Ok().json(Envelope::ok(
            self.request_id.clone(),
            self.state.clock.now(),
            data,
        ))
    }
}

impl FromRequest for Ctx {
    type Error = AgentError;
    type Future = Ready<Result<Self, AgentError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request_id = req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(RequestId::generate);
        ready(match req.app_data::<web::Data<AppState>>() {
            Some(state) => Ok(Ctx {
                request_id,
                state: state.clone(),
            }),
            None => Err(AgentError::Internal("application state missing".into())),
        })
    }
}

/// Runs blocking work (file reads, package-manager commands) off the async workers.
pub async fn blocking<T, F>(f: F) -> Result<T, AgentError>
where
    F: FnOnce() -> Result<T, AgentError> + Send + 'static,
    T: Send + 'static,
{
    web::block(f)
        .await
        .map_err(|e| AgentError::Internal(format!("blocking task failed: {e}")))?
}
