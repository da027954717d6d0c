//! The `/api/v1` gate for API tokens: a bearer API token is checked here, each use audited by the service;
//! failures are counted per source address (429 with `Retry-After` past the allowance) and audited coalesced.

use super::identity::{bearer, source_ip, Credential, Signed, Via};
use crate::app::AppContext;
use crate::auth::api_tokens;
use crate::auth::rbac::Scope;
use crate::error::ManagerError;
use crate::services::token_failures;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use linux_patch_shared::RequestId;

/// Why the gate answers itself.
enum Refusal {
    /// Refused (401, 403) or failed (5xx): rendered by the envelope middleware around.
    Error(ManagerError),
    /// The address guessed too often: 429, retry after this many seconds.
    Wait(u64),
}

impl From<ManagerError> for Refusal {
    fn from(e: ManagerError) -> Self {
        Refusal::Error(e)
    }
}

/// `/api/v1` middleware: a bearer API token is refused with 401 when unknown, revoked, expired or its owner
/// disabled, with 403 on any unsafe method when read-only, and with 429 while its source address is over the
/// failure allowance. The accepted identity is left for [`Signed`]; session tokens and cookies pass through.
pub async fn api_token_gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    match token_identity(&req).await {
        Ok(Some(signed)) => {
            req.extensions_mut().insert(signed);
        }
        Ok(None) => {}
        // Answered here (the envelope middleware around renders it): the handler never runs.
        Err(Refusal::Error(e)) => return Ok(req.error_response(e).map_into_right_body()),
        Err(Refusal::Wait(secs)) => {
            let r = too_many(&req, secs);
            return Ok(req.into_response(r).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// A 429 with the exact wait in `Retry-After`.
fn too_many(req: &ServiceRequest, secs: u64) -> HttpResponse {
    let id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate);
    let now = req
        .app_data::<web::Data<AppContext>>()
        .map(|s| s.now())
        .unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let e = ManagerError::TooMany(format!(
        "too many failed API-token authentications from this address; retry in {secs} s"
    ));
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, secs.to_string()))
        .json(e.envelope(id, now))
}

/// The identity of a request carrying an API token (`None`: no API token), or why it is refused.
async fn token_identity(req: &ServiceRequest) -> Result<Option<Signed>, Refusal> {
    let Some(presented) = bearer(req.request()).filter(|t| api_tokens::is_api_token(t)) else {
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppContext>>()
        .cloned()
        .ok_or_else(|| ManagerError::Internal("no application state".into()))?;
    let req = req.request();
    let ip = source_ip(req);
    token_failures::flush(&state).await?;
    token_failures::admit(&state, &ip).map_err(Refusal::Wait)?;
    let (method, path) = (req.method().to_string(), req.path().to_owned());
    let used =
        match crate::services::api_tokens::authenticate(&state, presented.clone(), method, path, ip.clone())
            .await?
        {
            Ok(u) => u,
            Err((why, token_id)) => {
                token_failures::failed(&state, &ip, &presented, token_id).await?;
                return Err(ManagerError::Unauthenticated(format!("{why}; create a new token")).into());
            }
        };
    if used.token.read_only && !req.method().is_safe() {
        return Err(ManagerError::Forbidden(format!(
            "API token `{}` is read-only: it may only read (GET)",
            used.token.name
        ))
        .into());
    }
    Ok(Some(Signed {
        scope: Scope::of(&used.user),
        user: used.user,
        credential: Credential::Token(used.token),
        via: Via::Bearer,
    }))
}
