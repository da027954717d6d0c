//! Enrolment over the API: the agent's unauthenticated `POST /enroll` and `GET /enroll/status/{token}`,
//! and the admins' `GET /enrollments`, `POST /enrollments/{id}/approve|deny`.

use super::views::{Approved, Denied, EnrollmentPage};
use super::{created_json, ok_json};
use crate::app::AppContext;
use crate::enrollment::validate;
use crate::error::ManagerError;
use crate::http::identity::{source_ip, Signed};
use crate::services::enrollment::{self, Status};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use linux_patch_shared::api::enroll::{
    EnrollBundle, EnrollPending, EnrollRequest, EnrollState, EnrollTicket, RenewAnswer, RenewRequest,
};
use linux_patch_shared::{Envelope, RequestId};

/// Largest `POST /enroll` body (a request is well under 1 KiB).
pub const MAX_ENROLL_BODY: usize = 4096;

fn request_id(req: &HttpRequest) -> RequestId {
    req.extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate)
}

/// A 429 with the exact wait in `Retry-After`.
fn too_many(req: &HttpRequest, state: &AppContext, wait: u64) -> HttpResponse {
    let e = ManagerError::TooMany(format!(
        "too many enrolment requests from this address; retry in {wait} s"
    ));
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, wait.to_string()))
        .json(e.envelope(request_id(req), state.now()))
}

pub(crate) async fn enroll(
    state: web::Data<AppContext>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ManagerError> {
    if !state.enroll_cfg.enabled {
        return Err(ManagerError::Forbidden(
            "self-enrolment is disabled on this manager (enrollment.enabled: false)".into(),
        ));
    }
    let now = state.now();
    let source = source_ip(&req);
    if let Err(wait) = state.enroll_limiter.check(&source, now) {
        return Ok(too_many(&req, &state, wait));
    }
    let body = read_limited(payload).await?;
    let parsed: EnrollRequest = serde_json::from_slice(&body)
        .map_err(|e| ManagerError::Invalid(format!("invalid enrolment request: {e}")))?;
    let checked = validate::check(&parsed)?;
    let hours = state.enroll_cfg.purge_after_hours;
    let ticket = state
        .db(move |c| {
            enrollment::purge(c, now, hours)?;
            enrollment::request(c, now, &checked, &source)
        })
        .await?;
    Ok(created_json(
        &req,
        now,
        EnrollTicket {
            polling_token: ticket.token,
            poll_interval_secs: state.enroll_cfg.poll_interval_secs,
            status: EnrollState::Pending,
        },
    ))
}

/// `POST /enroll/renew`: an enrolled agent's own renewal, authenticated by the signature of its current
/// certificate's key (no session; rate-limited per source like enrolment).
pub(crate) async fn renew(
    state: web::Data<AppContext>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let source = source_ip(&req);
    if let Err(wait) = state.enroll_limiter.check(&source, now) {
        return Ok(too_many(&req, &state, wait));
    }
    let body = read_limited(payload).await?;
    let parsed: RenewRequest = serde_json::from_slice(&body)
        .map_err(|e| ManagerError::Invalid(format!("invalid renewal request: {e}")))?;
    let (cert, _) = crate::services::certificates::renew_by_agent(&state, &parsed, &source).await?;
    Ok(ok_json(
        &req,
        now,
        RenewAnswer {
            server_pem: cert.cert_pem,
            serial: cert.serial,
            not_after: cert.not_after.to_rfc3339(),
        },
    ))
}

/// The body, at most [`MAX_ENROLL_BODY`] bytes (read after the rate limit, so floods of huge bodies
/// count too).
async fn read_limited(mut payload: web::Payload) -> Result<Vec<u8>, ManagerError> {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ManagerError::Invalid(format!("cannot read the request body: {e}")))?;
        if body.len() + chunk.len() > MAX_ENROLL_BODY {
            return Err(ManagerError::Invalid(format!(
                "request body too large (at most {MAX_ENROLL_BODY} bytes)"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(crate) async fn status(
    state: web::Data<AppContext>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    // Polls are rate-limited per source too (an agent polls once a minute; guessing tokens is pointless
    // but costs a database round trip each).
    if let Err(wait) = state.enroll_status_limiter.check(&source_ip(&req), now) {
        return Ok(too_many(&req, &state, wait));
    }
    let token = token.into_inner();
    let ca = state.ca.clone();
    let found = state.db(move |c| enrollment::status(c, &ca, now, &token)).await?;
    match found {
        Status::Pending => {
            let body = EnrollPending {
                status: EnrollState::Pending,
                poll_interval_secs: state.enroll_cfg.poll_interval_secs,
                message: "pending approval by an administrator of the manager".into(),
            };
            Ok(HttpResponse::build(StatusCode::ACCEPTED).json(Envelope::ok(request_id(&req), now, body)))
        }
        Status::Denied => Err(ManagerError::Forbidden(
            "enrolment denied by an administrator of the manager".into(),
        )),
        Status::Approved(b, hostname) => Ok(ok_json(
            &req,
            now,
            EnrollBundle {
                status: EnrollState::Approved,
                ca_pem: b.ca_pem,
                server_pem: b.server_pem,
                crl_pem: b.crl_pem,
                hostname,
            },
        )),
    }
}

/// `?after=ID&limit=N` of the pending list.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PendingPage {
    /// Only requests with a larger id (the previous page's `next_after`).
    after: Option<i64>,
    /// Rows per page.
    limit: Option<i64>,
}

pub(crate) async fn list(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<PendingPage>,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let (after, limit) = (q.after, q.limit.unwrap_or(enrollment::PAGE));
    let p = state.db(move |c| enrollment::page(c, after, limit)).await?;
    Ok(ok_json(
        &req,
        state.now(),
        EnrollmentPage {
            pending: p.pending,
            next_after: p.next_after,
            decided: p.decided,
        },
    ))
}

pub(crate) async fn approve(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let now = state.now();
    let a = who.as_actor();
    let id = id.into_inner();
    let reserved = state.console_names.clone();
    let (e, host) = state
        .db(move |c| enrollment::approve(c, now, &a, &reserved, id))
        .await?;
    Ok(ok_json(&req, now, Approved { enrollment: e, host }))
}

pub(crate) async fn deny(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let now = state.now();
    let a = who.as_actor();
    let id = id.into_inner();
    let e = state.db(move |c| enrollment::deny(c, now, &a, id)).await?;
    Ok(ok_json(&req, now, Denied { enrollment: e }))
}
