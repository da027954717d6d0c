//! JSON of discovery: start a scan of an IPv4 range (admins and operators), list and read your scans,
//! register an address that answered.

use super::{created_json, ok_json};
use crate::app::AppContext;
use crate::discovery;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// `POST /discovery`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartBody {
    /// An IPv4 address or CIDR range (operators: inside an allowed range).
    range: String,
    /// The agents' port (default 12443).
    #[serde(default = "default_port")]
    port: u16,
    /// Answer after the last probe (else at once, with the scan running).
    #[serde(default)]
    wait: bool,
}

fn default_port() -> u16 {
    discovery::DEFAULT_PORT
}

/// `POST /discovery/ranges`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RangeBody {
    /// An IPv4 CIDR range.
    range: String,
}

/// `POST /discovery/{id}/register`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterBody {
    /// An address of the scan that answered.
    address: String,
}

pub(crate) async fn list(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let scans = state.discovery.list(who.user.id, who.scope, state.now());
    Ok(ok_json(&req, state.now(), scans))
}

pub(crate) async fn start(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<StartBody>,
) -> Result<HttpResponse, ManagerError> {
    let b = body.into_inner();
    let id = crate::services::discovery::start(&state, &who.as_actor(), &b.range, b.port, b.wait).await?;
    let v = services::discovery::view(&state, &who.as_actor(), id).await?;
    let mut r = ok_json(&req, state.now(), v);
    if !b.wait {
        *r.status_mut() = actix_web::http::StatusCode::ACCEPTED;
    }
    Ok(r)
}

pub(crate) async fn get(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ManagerError> {
    let v = services::discovery::view(&state, &who.as_actor(), services::discovery::scan_id(&id)?).await?;
    Ok(ok_json(&req, state.now(), v))
}

pub(crate) async fn register(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<String>,
    body: web::Json<RegisterBody>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let scan = state
        .discovery
        .get(services::discovery::scan_id(&id)?, who.user.id, who.scope, now)
        .ok_or_else(services::discovery::not_found)?;
    let a = who.as_actor();
    let address = body.into_inner().address;
    let reserved = state.console_names.clone();
    let host = state
        .db(move |c| crate::services::discovery::register(c, now, &a, &reserved, &scan, &address))
        .await?;
    Ok(created_json(&req, now, host))
}

/// `GET /discovery/ranges`: the ranges operators may scan.
pub(crate) async fn ranges(
    state: web::Data<AppContext>,
    req: HttpRequest,
    _who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let v = services::discovery::allowed_ranges(&state).await?;
    Ok(ok_json(&req, state.now(), v))
}

/// `POST /discovery/ranges` (administrators).
pub(crate) async fn allow_range(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<RangeBody>,
) -> Result<HttpResponse, ManagerError> {
    let (now, a, range) = (state.now(), who.as_actor(), body.into_inner().range);
    let row = state
        .db(move |c| services::discovery::allow_range(c, now, &a, &range))
        .await?;
    Ok(created_json(&req, now, row))
}

/// `DELETE /discovery/ranges/{id}` (administrators).
pub(crate) async fn remove_range(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let (now, a, id) = (state.now(), who.as_actor(), id.into_inner());
    let row = state
        .db(move |c| services::discovery::remove_range(c, now, &a, id))
        .await?;
    Ok(ok_json(&req, now, row))
}
