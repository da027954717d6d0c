//! Patch history report: deployment targets by host or group and date range (keyset pages) and its CSV.

use super::reports::csv_response;
use super::{html, Page};
use crate::app::AppContext;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::reports::history::{changes, packages};
use crate::services::reports;
use crate::services::reports_history::{self as svc, History, HistoryQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// Loads one page of the history for `who`.
pub(crate) async fn load(
    state: &AppContext,
    who: &Signed,
    q: &HistoryQuery,
) -> Result<History, ManagerError> {
    let rs = reports::scope_of(state, &who.as_actor(), q.group.as_deref()).await?;
    svc::history(state, rs, q).await
}

#[derive(Template)]
#[template(path = "console/report_history.html")]
struct HistoryPage {
    page: Page,
    h: History,
    q: HistoryQuery,
    groups: Vec<(i64, String)>,
    filters: String,
}

impl HistoryPage {
    fn v(&self, s: &Option<String>) -> String {
        s.clone().unwrap_or_default()
    }
    fn host_value(&self) -> String {
        self.q.host.clone().unwrap_or_default()
    }
    fn changes(&self, cs: &Option<serde_json::Value>) -> String {
        changes(cs.as_ref())
    }
    fn packages(&self, p: &serde_json::Value) -> String {
        packages(p)
    }
}

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
    q: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ManagerError> {
    let h = load(&state, &who, &q).await?;
    let scope = who.scope;
    let groups = state
        .db(move |c| Ok(crate::db::models::fleet_view::groups_in_scope(c, scope)?))
        .await?;
    html(&HistoryPage {
        page: Page::signed("Patch history", &who, "reports"),
        filters: filters(&req),
        h,
        q: q.into_inner(),
        groups,
    })
}

pub(crate) async fn csv(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ManagerError> {
    let q = q.into_inner().for_export();
    let h = load(&state, &who, &q).await?;
    let at = h.scope.generated_at;
    Ok(csv_response("patch-history", at, svc::csv(&state, &h)))
}

pub(crate) async fn pdf(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ManagerError> {
    let q = q.into_inner().for_export();
    let h = load(&state, &who, &q).await?;
    let at = h.scope.generated_at;
    let pdf = crate::services::reports_pdf_more::history(&state, h).await?;
    Ok(super::reports::pdf_response("patch-history", at, pdf))
}
