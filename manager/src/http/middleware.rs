//! Cross-cutting request handling: request ids, security headers, and errors rendered as the API's
//! envelope or as a console page (an expired session on a page becomes a redirect to the login).

use super::cookies;
use super::identity::Signed;
use super::ui::{ErrorPage, Page};
use crate::app::AppContext;
use crate::error::ManagerError;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use askama::Template;
use linux_patch_shared::RequestId;

/// Content Security Policy: everything from this origin only; no inline script.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Gives every request an id (the client's `X-Request-ID` when well-formed) and every response the id and
/// the security headers.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = RequestId::from_header(req.headers().get("x-request-id").and_then(|v| v.to_str().ok()));
    req.extensions_mut().insert(id.clone());
    // Wall time of the handler (queries + rendering), for `make bench` and browsers' dev tools; a
    // measurement only, never used for decisions (those read the Clock).
    let started = std::time::Instant::now();
    let (res, db) = crate::db::timing::scope(next.call(req)).await;
    let mut res = res?;
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(id.as_str()) {
        h.insert(HeaderName::from_static("x-request-id"), v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={took_ms:.2}, {}", db.header_part())) {
        h.insert(HeaderName::from_static("server-timing"), v);
    }
    for (k, v) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("strict-transport-security", "max-age=31536000"),
        ("cache-control", "no-store"),
    ] {
        if !h.contains_key(k) {
            h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
    }
    Ok(res)
}

fn request_id_of(req: &actix_web::HttpRequest) -> RequestId {
    req.extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate)
}

fn json_error(req: &actix_web::HttpRequest, e: &ManagerError) -> HttpResponse {
    let now = req
        .app_data::<web::Data<AppContext>>()
        .map(|s| s.now())
        .unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let mut r = HttpResponse::build(e.status_code()).json(e.envelope(request_id_of(req), now));
    if let Some(secs) = e.retry_after() {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

/// The error a response carries, as a [`ManagerError`] (actix's own errors mapped to ours).
fn error_of<B>(res: &ServiceResponse<B>) -> Option<ManagerError> {
    let err = res.response().error()?;
    if let Some(e) = err.as_error::<ManagerError>() {
        return Some(e.clone());
    }
    let status = res.status();
    let msg = err.to_string();
    Some(match status.as_u16() {
        404 => ManagerError::NotFound(msg),
        405 => ManagerError::Invalid(format!("method not allowed: {msg}")),
        413 => ManagerError::Invalid(format!("request body too large: {msg}")),
        s if s >= 500 => ManagerError::Internal(msg),
        _ => ManagerError::Invalid(msg),
    })
}

/// API scope: every error becomes the envelope with this request's id.
pub async fn api_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    match error_of(&res) {
        Some(e) => {
            let (req, _) = res.into_parts();
            let r = json_error(&req, &e);
            Ok(ServiceResponse::new(req, r).map_into_right_body())
        }
        None => Ok(res.map_into_left_body()),
    }
}

/// Console scope: errors become a page (or JSON for the WebAuthn script); an expired session or login
/// becomes a redirect to `/login`.
pub async fn ui_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let wants_json = req.content_type() == "application/json";
    let res = next.call(req).await?;
    let Some(e) = error_of(&res) else {
        return Ok(res.map_into_left_body());
    };
    let (req, _) = res.into_parts();
    if wants_json {
        let r = json_error(&req, &e);
        return Ok(ServiceResponse::new(req, r).map_into_right_body());
    }
    let r = match &e {
        ManagerError::Unauthenticated(_) => {
            let mut r = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish();
            let _ = r.add_cookie(&cookies::clear(cookies::ACCESS));
            r
        }
        _ => {
            if e.is_noisy() {
                log::error!("{} {}: {e}", req.method(), req.path());
            }
            let signed = req.extensions().get::<Signed>().cloned();
            let status = e.status_code();
            let title = match &e {
                ManagerError::Unavailable(_) => "Database unavailable",
                _ => status.canonical_reason().unwrap_or("Error"),
            };
            let page = match &signed {
                Some(s) => Page::signed(title, s, ""),
                None => Page::anonymous(title, ""),
            };
            let body = ErrorPage {
                page,
                status: format!("{} {}", status.as_u16(), title),
                message: e.public_message(),
            }
            .render()
            .unwrap_or_else(|_| e.public_message());
            let mut r = HttpResponse::build(status);
            if let Some(secs) = e.retry_after() {
                r.insert_header((header::RETRY_AFTER, secs));
            }
            r.content_type("text/html; charset=utf-8").body(body)
        }
    };
    Ok(ServiceResponse::new(req, r).map_into_right_body())
}
