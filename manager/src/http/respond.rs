//! Responses the console and the API share: the JSON envelope (200/201 with the request id) and file
//! downloads.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use linux_patch_shared::{Envelope, RequestId};
use serde::Serialize;

/// A 200 envelope with `data`, carrying this request's id.
pub fn ok_json<T: Serialize>(req: &HttpRequest, now: DateTime<Utc>, data: T) -> HttpResponse {
    let id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(RequestId::generate);
    HttpResponse::Ok().json(Envelope::ok(id, now, data))
}

/// A 201 envelope.
pub fn created_json<T: Serialize>(req: &HttpRequest, now: DateTime<Utc>, data: T) -> HttpResponse {
    let mut r = ok_json(req, now, data);
    *r.status_mut() = actix_web::http::StatusCode::CREATED;
    r
}

/// A `.tar.gz` download named after the host.
pub fn archive_response(hostname: &str, gz: Vec<u8>) -> HttpResponse {
    let safe: String = hostname
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .collect();
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/gzip"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{safe}-certs.tar.gz\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(gz)
}
