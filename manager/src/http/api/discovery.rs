//! JSON of discovery: start a scan of an IPv4 range (admins and operators), list and read your scans,
//! register an address that answered.

use super::{created_json, ok_json};
use crate::discovery::{self, ScanView};
use crate::error::ManagerError;
use crate::http::session::Signed;
use crate::app::AppContext;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// Routes of this module.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/discovery", web::get().to(list))
        .route("/discovery", web::post().to(start))
        .route("/discovery/{id}", web::get().to(get))
        .route("/discovery/{id}/register", web::post().to(register));
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    range: String,
    #[serde(default = "default_port")]
    port: u16,
    /// Answer after the last probe (else at once, with the scan running).
    #[serde(default)]
    wait: bool,
}

fn default_port() -> u16 {
    discovery::DEFAULT_PORT
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    address: String,
}

/// Parses a scan id from the path (anything else is a 404, like an expired scan).
pub fn scan_id(raw: &str) -> Result<ulid::Ulid, ManagerError> {
    ulid::Ulid::from_string(raw).map_err(|_| not_found())
}

/// The error for a scan that does not exist, expired, or belongs to someone else.
pub fn not_found() -> ManagerError {
    ManagerError::NotFound(
        "no such discovery scan (scans are kept for an hour, for whoever started them)".into(),
    )
}

/// The scan `id` as `who` sees it.
pub async fn view(state: &AppContext, who: &Signed, id: ulid::Ulid) -> Result<ScanView, ManagerError> {
    let scan = state
        .discovery
        .get(id, who.user.id, who.scope, state.now())
        .ok_or_else(not_found)?;
    let scope = who.scope;
    state.db(move |c| ScanView::of(c, scope, &scan)).await
}

async fn list(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let scans = state.discovery.list(who.user.id, who.scope, state.now());
    Ok(ok_json(&req, state.now(), scans))
}

async fn start(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<StartBody>,
) -> Result<HttpResponse, ManagerError> {
    let b = body.into_inner();
    let id = crate::services::discovery::start(&state, &who.as_actor(), &b.range, b.port, b.wait).await?;
    let v = view(&state, &who, id).await?;
    let mut r = ok_json(&req, state.now(), v);
    if !b.wait {
        *r.status_mut() = actix_web::http::StatusCode::ACCEPTED;
    }
    Ok(r)
}

async fn get(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<String>,
) -> Result<HttpResponse, ManagerError> {
    let v = view(&state, &who, scan_id(&id)?).await?;
    Ok(ok_json(&req, state.now(), v))
}

async fn register(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<String>,
    body: web::Json<RegisterBody>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let scan = state
        .discovery
        .get(scan_id(&id)?, who.user.id, who.scope, now)
        .ok_or_else(not_found)?;
    let a = who.as_actor();
    let address = body.into_inner().address;
    let host = state
        .db(move |c| crate::services::discovery::register(c, now, &a, &scan, &address))
        .await?;
    Ok(created_json(&req, now, host))
}
