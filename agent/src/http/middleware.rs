//! The request gate every API call passes: request id, size and rate limits, error envelopes, audit.

use crate::actors::rollback_lock;
use crate::audit_fields;
use crate::error::AgentError;
use crate::net::ClientIdentity;
use crate::state::{AppState, MAX_URI_BYTES};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use linux_patch_shared::{ApiError, Envelope, RequestId};
use std::time::Instant;

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The one route answered during exclusive mode.
const HEALTH_PATH: &str = "/api/v1/health";

/// Longest query text copied into an audit record.
const AUDITED_QUERY_BYTES: usize = 256;

/// Middleware: see the module doc.
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    // Per-connection state (fleet simulator) first, else the application's.
    let state = req
        .conn_data::<web::Data<AppState>>()
        .or_else(|| req.app_data::<web::Data<AppState>>())
        .cloned();
    let Some(state) = state else {
        return Err(AgentError::Internal("application state missing".into()).into());
    };
    let request_id =
        RequestId::from_header(req.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()));
    req.extensions_mut().insert(request_id.clone());
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let query: String = req.query_string().chars().take(AUDITED_QUERY_BYTES).collect();
    let peer = req.peer_addr();
    let who = req.conn_data::<ClientIdentity>().cloned();

    let refusal = match precheck(&state, &req) {
        Some(err) => Some(err),
        None => exclusive_mode(&state, &path).await,
    };
    let res = match refusal {
        Some(err @ AgentError::Forbidden { .. }) => {
            let mut res = req.error_response(err);
            res.response_mut()
                .head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
            res
        }
        Some(err) => req.error_response(err),
        None => next.call(req).await?.map_into_boxed_body(),
    };
    let (mut res, error_text) = envelope_errors(res, &request_id, &state);
    if let Ok(v) = HeaderValue::from_str(request_id.as_str()) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }

    let status = res.status().as_u16();
    let level = if status >= 400 {
        log::Level::Warn
    } else {
        log::Level::Info
    };
    let mut fields = audit_fields! {
        "client" => who.as_ref().map(|w| w.to_string()),
        "cert_serial" => who.as_ref().map(|w| w.serial.clone()),
        "source_ip" => peer.map(|p| p.ip().to_string()),
        "method" => method,
        "path" => path,
        "status" => status,
        "request_id" => request_id.as_str(),
        "duration_ms" => started.elapsed().as_secs_f64() * 1000.0,
    };
    if !query.is_empty() {
        fields.insert("query".into(), query.into());
    }
    if let Some(text) = error_text {
        fields.insert("error".into(), text.into());
    }
    state.auditor.emit(level, "http.request", fields);
    Ok(res)
}

/// Refusals decided from the request head alone: target too long, declared body too large, rate limit.
fn precheck(state: &AppState, req: &ServiceRequest) -> Option<AgentError> {
    if let Some(peer) = req.peer_addr() {
        if !state.edge.allows(peer.ip()) {
            // Removed from the allow-list while this connection was open.
            return Some(AgentError::Forbidden {
                message: "this address is no longer on the allow-list".into(),
            });
        }
    }
    let target_len = req.path().len() + req.query_string().len();
    if target_len > MAX_URI_BYTES {
        return Some(AgentError::UriTooLong { limit: MAX_URI_BYTES });
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > state.max_body_bytes as u64) {
        return Some(AgentError::PayloadTooLarge {
            limit: state.max_body_bytes,
        });
    }
    if let (Some(rate), Some(peer)) = (&state.rate, req.peer_addr()) {
        let decision = rate.lock().ok()?.check(&peer.ip(), state.clock.now());
        if let crate::audit::limiter::Decision::Refuse { retry_after } = decision {
            let retry_after_secs = u64::try_from(retry_after.num_seconds()).unwrap_or(0).max(1);
            return Some(AgentError::RateLimited { retry_after_secs });
        }
    }
    None
}

/// While a rollback runs, everything but the health check is refused with 503 and `Retry-After`.
async fn exclusive_mode(state: &AppState, path: &str) -> Option<AgentError> {
    if path == HEALTH_PATH {
        return None;
    }
    let job = rollback_lock::holder(&state.actors.lock).await?;
    Some(AgentError::Unavailable {
        message: format!("rollback job {job} is running; the agent accepts no other request until it ends"),
        retry_after_secs: rollback_lock::RETRY_AFTER_SECS,
    })
}

/// Rewrites every error response as an envelope carrying the real request id; also returns the error
/// text for the audit record.
fn envelope_errors(
    res: ServiceResponse<BoxBody>,
    request_id: &RequestId,
    state: &AppState,
) -> (ServiceResponse<BoxBody>, Option<String>) {
    let status = res.status();
    if !status.is_client_error() && !status.is_server_error() {
        return (res, None);
    }
    let api_error = match res.response().error() {
        Some(e) => match e.as_error::<AgentError>() {
            Some(agent) => agent.api_error(),
            None => generic_error(status, &e.to_string()),
        },
        None => generic_error(status, status.canonical_reason().unwrap_or("error")),
    };
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let close = res.response().head().connection_type() == actix_web::http::ConnectionType::Close;
    let text = format!("{}: {}", api_error.code, api_error.message);
    let (req, _) = res.into_parts();
    let mut fresh = HttpResponse::build(status);
    if let Some(v) = retry_after {
        fresh.insert_header((header::RETRY_AFTER, v));
    }
    let mut fresh = fresh.json(Envelope::<()>::err(
        request_id.clone(),
        state.clock.now(),
        api_error,
    ));
    if close {
        fresh
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    (ServiceResponse::new(req, fresh), Some(text))
}

/// An API error for failures raised by the framework itself (bad query syntax, unknown route, ...).
fn generic_error(status: StatusCode, message: &str) -> ApiError {
    let code = match status {
        StatusCode::BAD_REQUEST => "INVALID_REQUEST",
        StatusCode::NOT_FOUND => "ROUTE_NOT_FOUND",
        StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "HEADERS_TOO_LARGE",
        s if s.is_server_error() => "INTERNAL_ERROR",
        _ => "REQUEST_REFUSED",
    };
    ApiError::new(code, message)
}
