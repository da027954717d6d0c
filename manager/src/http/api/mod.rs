//! The JSON REST API for scripts (`/api/v1`): the envelope, bearer or cookie authentication, the routes.

pub mod auth;
pub mod certificates;
pub mod discovery;
pub mod enroll;
pub mod fleet;
pub mod hosts_view;
pub mod poller;

use crate::error::ManagerError;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
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

/// JSON bodies: at most 64 KiB, unknown fields refused by the types, errors as our envelope.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|e, _| ManagerError::Invalid(format!("invalid JSON body: {e}")).into())
}

/// Path parameters that do not parse (`/hosts/abc`) are a 400 with our envelope.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|e, _| ManagerError::Invalid(format!("invalid path: {e}")).into())
}

/// Query strings that do not parse are a 400 with our envelope.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|e, _| ManagerError::Invalid(format!("invalid query string: {e}")).into())
}

/// The API's routes (under `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    auth::routes(cfg);
    certificates::routes(cfg);
    discovery::routes(cfg);
    enroll::routes(cfg);
    fleet::routes(cfg);
    hosts_view::routes(cfg);
    poller::routes(cfg);
}
