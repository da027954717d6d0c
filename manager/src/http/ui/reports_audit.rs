//! Audit trail report (administrators): filters (user, action, host, date range), keyset pages, the
//! chain's verification on the page and in the CSV export.

use super::reports::csv_response;
use super::{html, Page};
use crate::app::AppContext;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services::reports;
use crate::services::reports_audit::{self as svc, Trail, TrailQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// Loads one page of the trail for `who` (administrators only).
pub(crate) async fn load(state: &AppContext, who: &Signed, q: &TrailQuery) -> Result<Trail, ManagerError> {
    let rs = reports::scope_of(state, &who.as_actor(), None).await?;
    svc::trail(state, rs, q).await
}

#[derive(Template)]
#[template(path = "console/report_audit.html")]
struct TrailPage {
    page: Page,
    t: Trail,
    q: TrailQuery,
    filters: String,
}

impl TrailPage {
    fn v(&self, s: &Option<String>) -> String {
        s.clone().unwrap_or_default()
    }
}

/// The request's filters as a query string (without the page), for links that keep them.
fn filters(req: &HttpRequest) -> String {
    req.query_string()
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("before=") && !kv.starts_with("limit="))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) async fn page(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<TrailQuery>,
) -> Result<HttpResponse, ManagerError> {
    let t = load(&state, &who, &q).await?;
    html(&TrailPage {
        page: Page::signed("Audit trail report", &who, "reports"),
        filters: filters(&req),
        t,
        q: q.into_inner(),
    })
}

pub(crate) async fn csv(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<TrailQuery>,
) -> Result<HttpResponse, ManagerError> {
    let q = q.into_inner().for_export();
    let t = load(&state, &who, &q).await?;
    let at = t.scope.generated_at;
    Ok(csv_response("audit-trail", at, svc::csv(&state, &t)))
}

pub(crate) async fn pdf(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<TrailQuery>,
) -> Result<HttpResponse, ManagerError> {
    let q = q.into_inner().for_export();
    let t = load(&state, &who, &q).await?;
    let at = t.scope.generated_at;
    let pdf = crate::services::reports_pdf_more::audit(&state, t).await?;
    Ok(super::reports::pdf_response("audit-trail", at, pdf))
}
