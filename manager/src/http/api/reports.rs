//! JSON twins of the reports: `GET /reports/compliance`, `/reports/vulnerabilities`, `/reports/vulnerabilities/{cve}`
//! (same scope, filters and keyset pages as the pages).

use super::ok_json;
use super::views::CveHosts;
use crate::app::AppContext;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::http::ui::reports::{load, ComplianceQuery};
use actix_web::{web, HttpRequest, HttpResponse};

pub(crate) async fn compliance(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<ComplianceQuery>,
) -> Result<HttpResponse, ManagerError> {
    let r = load(&state, &who, &q).await?;
    Ok(ok_json(&req, state.now(), r))
}

pub(crate) async fn vulnerabilities(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<crate::http::ui::reports_exposure::ExposureQuery>,
) -> Result<HttpResponse, ManagerError> {
    let r = crate::http::ui::reports_exposure::load(&state, &who, &q).await?;
    Ok(ok_json(&req, state.now(), r))
}

pub(crate) async fn cve(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<String>,
    q: web::Query<crate::http::ui::reports_exposure::CveQuery>,
) -> Result<HttpResponse, ManagerError> {
    let cve = id.into_inner();
    let limit = q.limit.unwrap_or(crate::services::reports::PAGE);
    let (hosts, next) =
        crate::services::reports_exposure::cve_hosts(&state, who.scope, &cve, q.after.clone(), limit).await?;
    Ok(ok_json(&req, state.now(), CveHosts { cve, hosts, next }))
}

pub(crate) async fn audit(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<crate::services::reports_audit::TrailQuery>,
) -> Result<HttpResponse, ManagerError> {
    let t = crate::http::ui::reports_audit::load(&state, &who, &q).await?;
    Ok(ok_json(&req, state.now(), t))
}

pub(crate) async fn history(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<crate::services::reports_history::HistoryQuery>,
) -> Result<HttpResponse, ManagerError> {
    let h = crate::http::ui::reports_history::load(&state, &who, &q).await?;
    Ok(ok_json(&req, state.now(), h))
}
