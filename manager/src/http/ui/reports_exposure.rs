//! Vulnerability exposure pages: CVEs in scope (severity bars, sortable table, keyset pages), one CVE's
//! hosts, and the CSV and PDF exports.

use super::reports::{csv_response, pdf_response};
use super::svg::{bars, Part};
use super::{html, Page};
use crate::app::AppContext;
use crate::db::models::reports::exposure::ExposedHost;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::reports::compliance::days_pending;
use crate::reports::exposure::rank_label;
use crate::services::reports::{self, PAGE};
use crate::services::reports_exposure::{self as svc, Exposure};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// `?group=&sort=&after=&limit=`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub(crate) struct ExposureQuery {
    pub group: Option<String>,
    pub sort: Option<String>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

impl ExposureQuery {
    /// The query an export loads: the filters without the page (the CSV and PDF read every row themselves).
    pub(crate) fn for_export(self) -> Self {
        ExposureQuery {
            after: None,
            limit: Some(1),
            ..self
        }
    }
}

/// Loads the report `q` asks for, as `who` may see it.
pub(crate) async fn load(
    state: &AppContext,
    who: &Signed,
    q: &ExposureQuery,
) -> Result<Exposure, ManagerError> {
    let rs = reports::scope_of(state, &who.as_actor(), q.group.as_deref()).await?;
    let sort = svc::checked_sort(q.sort.as_deref())?;
    svc::exposure(state, rs, sort, q.after.clone(), q.limit.unwrap_or(PAGE)).await
}

#[derive(Template)]
#[template(path = "console/report_exposure.html")]
struct ExposurePage {
    page: Page,
    r: Exposure,
    groups: Vec<(i64, String)>,
    group_value: String,
    sort_value: &'static str,
    filters: String,
    severity_svg: String,
}

impl ExposurePage {
    fn sev(&self, rank: &i32) -> &'static str {
        rank_label(*rank)
    }
    fn days(&self, t: &chrono::DateTime<chrono::Utc>) -> i64 {
        days_pending(*t, self.r.scope.generated_at)
    }
}

fn filters(q: &ExposureQuery, sort: &str) -> String {
    let mut v = vec![format!("sort={sort}")];
    if let Some(g) = q.group.as_deref().filter(|g| !g.is_empty()) {
        if g == "ungrouped" || g.parse::<i64>().is_ok() {
            v.push(format!("group={g}"));
        }
    }
    v.join("&")
}

pub(crate) async fn page(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<ExposureQuery>,
) -> Result<HttpResponse, ManagerError> {
    let r = load(&state, &who, &q).await?;
    let scope = who.scope;
    let groups = state
        .db(move |c| Ok(crate::db::models::fleet_view::groups_in_scope(c, scope)?))
        .await?;
    let classes: Vec<String> = r.by_severity.iter().map(|(s, _)| format!("sev-{s}")).collect();
    let parts: Vec<Part<'_>> = r
        .by_severity
        .iter()
        .zip(&classes)
        .map(|((s, n), c)| Part {
            label: s,
            value: *n,
            class: c,
        })
        .collect();
    let severity_svg = bars("by-severity", "CVEs by severity", &parts);
    let sort_value = if r.sort == crate::db::models::reports::exposure::Sort::Age {
        "age"
    } else {
        "severity"
    };
    html(&ExposurePage {
        page: Page::signed("Vulnerability exposure", &who, "reports"),
        group_value: q.group.clone().unwrap_or_default(),
        filters: filters(&q, sort_value),
        sort_value,
        r,
        groups,
        severity_svg,
    })
}

#[derive(Template)]
#[template(path = "console/report_cve.html")]
struct CvePage {
    page: Page,
    cve: String,
    rows: Vec<ExposedHost>,
    next: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
}

impl CvePage {
    fn days(&self, t: &chrono::DateTime<chrono::Utc>) -> i64 {
        days_pending(*t, self.now)
    }
}

/// `?after=&limit=` of one CVE's hosts.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub(crate) struct CveQuery {
    pub after: Option<String>,
    pub limit: Option<i64>,
}

pub(crate) async fn cve(
    state: web::Data<AppContext>,
    who: Signed,
    id: web::Path<String>,
    q: web::Query<CveQuery>,
) -> Result<HttpResponse, ManagerError> {
    let cve = id.into_inner();
    let (rows, next) =
        svc::cve_hosts(&state, who.scope, &cve, q.after.clone(), q.limit.unwrap_or(PAGE)).await?;
    html(&CvePage {
        page: Page::signed(&cve, &who, "reports"),
        cve,
        rows,
        next,
        now: state.now(),
    })
}

pub(crate) async fn csv(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<ExposureQuery>,
) -> Result<HttpResponse, ManagerError> {
    let q = q.into_inner().for_export();
    let r = load(&state, &who, &q).await?;
    let at = r.scope.generated_at;
    Ok(csv_response("vulnerabilities", at, svc::csv(&state, &r)))
}

pub(crate) async fn pdf(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<ExposureQuery>,
) -> Result<HttpResponse, ManagerError> {
    let q = q.into_inner().for_export();
    let r = load(&state, &who, &q).await?;
    let at = r.scope.generated_at;
    let pdf = crate::services::reports_pdf::exposure(&state, r).await?;
    Ok(pdf_response("vulnerabilities", at, pdf))
}
