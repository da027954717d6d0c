//! The per-request context handlers extract: request id, caller, idempotency key and shared state;
//! builds success envelopes.

use crate::error::AgentError;
use crate::net::ClientIdentity;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use linux_patch_shared::{Envelope, RequestId};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::{ready, Ready};

/// Longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;

/// Request id, caller and state, available to every handler.
#[derive(Debug)]
pub struct Ctx {
    /// This request's id (set by the request middleware).
    pub request_id: RequestId,
    /// The client certificate's identity, as text.
    pub client: Option<String>,
    /// The client's `Idempotency-Key` header, when given (validated).
    pub idempotency_key: Option<String>,
    /// Shared state.
    pub state: web::Data<AppState>,
}

impl Ctx {
    /// 200 with `data` in the envelope.
    pub fn ok<T: Serialize>(&self, data: T) -> HttpResponse {
        self.respond(StatusCode::OK, data)
    }

    /// `status` with `data` in the envelope.
    pub fn respond<T: Serialize>(&self, status: StatusCode, data: T) -> HttpResponse {
        HttpResponse::build(status).json(Envelope::ok(
            self.request_id.clone(),
            self.state.clock.now(),
            data,
        ))
    }
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AgentError> {
    let Some(raw) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let bad = || {
        AgentError::invalid(
            "INVALID_IDEMPOTENCY_KEY",
            format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"),
        )
    };
    let text = raw.to_str().map_err(|_| bad())?;
    if text.is_empty() || text.len() > MAX_IDEMPOTENCY_KEY_LEN || !text.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(bad());
    }
    Ok(Some(text.to_owned()))
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
        let client = req.conn_data::<ClientIdentity>().map(|c| c.to_string());
        // Per-connection state (fleet simulator) first, else the application's.
        let state = req
            .conn_data::<web::Data<AppState>>()
            .or_else(|| req.app_data::<web::Data<AppState>>());
        ready(match (state, idempotency_key(req)) {
            (Some(state), Ok(idempotency_key)) => Ok(Ctx {
                request_id,
                client,
                idempotency_key,
                state: state.clone(),
            }),
            (None, _) => Err(AgentError::Internal("application state missing".into())),
            (_, Err(e)) => Err(e),
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

/// Parses an optional JSON body strictly (unknown fields are errors); an empty body is `T::default()`.
pub fn json_body<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, AgentError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| AgentError::invalid("INVALID_JSON", format!("bad JSON body: {e}")))
}
