//! Reports pages: the compliance report (figures, trend, by group, PCI-DSS ageing, hosts; keyset pages)
//! and its CSV and PDF exports, all within the viewer's RBAC scope.

use super::svg::{bars, Part};
use super::{html, Page};
use crate::app::AppContext;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::reports::compliance::{days_pending, percent, percent_text, state_label};
use crate::services::reports::{self, Compliance};
use crate::services::reports_csv;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// `?group=&state=&after=&aged_after=&groups_after=&limit=` of the compliance report (page, JSON, CSV, PDF).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub(crate) struct ComplianceQuery {
    pub group: Option<String>,
    pub state: Option<String>,
    pub after: Option<String>,
    pub aged_after: Option<String>,
    pub groups_after: Option<String>,
    pub limit: Option<i64>,
    /// CSV only: `groups` exports the by-group table instead of the hosts.
    pub table: Option<String>,
}

impl ComplianceQuery {
    /// The query an export loads: the summary without its pages (the CSV and PDF read every row themselves).
    fn for_export(self) -> Self {
        ComplianceQuery {
            after: None,
            aged_after: None,
            groups_after: None,
            limit: Some(1),
            ..self
        }
    }

    /// The filters as a query string (for links that keep them).
    fn filters(&self) -> String {
        let mut v = Vec::new();
        if let Some(g) = self.group.as_deref().filter(|g| !g.is_empty()) {
            v.push(format!("group={}", urlenc(g)));
        }
        if let Some(s) = self.state.as_deref().filter(|s| !s.is_empty()) {
            v.push(format!("state={}", urlenc(s)));
        }
        v.join("&")
    }
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Loads the compliance report `q` asks for, as `who` may see it.
pub(crate) async fn load(
    state: &AppContext,
    who: &Signed,
    q: &ComplianceQuery,
) -> Result<Compliance, ManagerError> {
    let rs = reports::scope_of(state, &who.as_actor(), q.group.as_deref()).await?;
    let st = reports::checked_state(q.state.as_deref())?;
    reports::compliance(
        state,
        rs,
        st,
        reports::Cursors {
            hosts: q.after.clone(),
            aged: q.aged_after.clone(),
            groups: q.groups_after.clone(),
        },
        q.limit.unwrap_or(reports::PAGE),
    )
    .await
}

#[derive(Template)]
#[template(path = "console/report_compliance.html")]
struct CompliancePage {
    page: Page,
    r: Compliance,
    groups: Vec<(i64, String)>,
    group_value: String,
    state_value: String,
    filters: String,
    trend_svg: String,
    groups_svg: String,
}

impl CompliancePage {
    fn pct(&self) -> String {
        percent_text(self.r.percent)
    }
    fn group_pct(&self, c: &crate::db::models::reports::compliance::Counts) -> String {
        percent_text(percent(c))
    }
    fn label(&self, s: &str) -> &'static str {
        state_label(s)
    }
    fn days(&self, t: &chrono::DateTime<chrono::Utc>) -> i64 {
        days_pending(*t, self.r.scope.generated_at)
    }
    fn cves(&self, v: &serde_json::Value) -> String {
        v.as_array()
            .map(|a| a.iter().filter_map(|c| c.as_str()).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    }
    fn amp(&self) -> &'static str {
        if self.filters.is_empty() {
            ""
        } else {
            "&"
        }
    }
}

pub(crate) async fn compliance(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<ComplianceQuery>,
) -> Result<HttpResponse, ManagerError> {
    let r = load(&state, &who, &q).await?;
    let scope = who.scope;
    let groups = state
        .db(move |c| Ok(crate::db::models::fleet_view::groups_in_scope(c, scope)?))
        .await?;
    let trend_svg = super::report_svg::trend_line("trend", "Compliant hosts per day (%)", &r.trend);
    let pcts: Vec<(String, i64)> = r
        .groups
        .iter()
        .map(|g| {
            #[allow(clippy::cast_possible_truncation)]
            let p = percent(&g.counts).map_or(0, |p| p.round() as i64);
            (g.name.clone(), p)
        })
        .collect();
    let parts: Vec<Part<'_>> = pcts
        .iter()
        .map(|(n, p)| Part {
            label: n,
            value: *p,
            class: "st-healthy",
        })
        .collect();
    let groups_svg = bars("by-group", "Compliant hosts by group (%)", &parts);
    html(&CompliancePage {
        page: Page::signed("Compliance report", &who, "reports"),
        group_value: q.group.clone().unwrap_or_default(),
        state_value: q.state.clone().unwrap_or_default(),
        filters: q.filters(),
        r,
        groups,
        trend_svg,
        groups_svg,
    })
}

/// `{stem}-{YYYY-MM-DD}.{ext}`: a report download's file name, dated by when the report was generated.
fn file_name(stem: &str, at: chrono::DateTime<chrono::Utc>, ext: &str) -> String {
    format!("{stem}-{}.{ext}", at.format("%Y-%m-%d"))
}

/// A streamed CSV download named after `stem` and the report's generation time `at`.
pub(crate) fn csv_response(
    stem: &str,
    at: chrono::DateTime<chrono::Utc>,
    body: reports_csv::CsvStream,
) -> HttpResponse {
    attachment(stem, at, "csv", "text/csv; charset=utf-8").streaming(body)
}

pub(crate) async fn compliance_csv(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<ComplianceQuery>,
) -> Result<HttpResponse, ManagerError> {
    let q = q.into_inner().for_export();
    let groups = match q.table.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None | Some("hosts") => false,
        Some("groups") => true,
        Some(o) => {
            return Err(ManagerError::Invalid(format!(
                "table must be hosts or groups, not {o:?}"
            )))
        }
    };
    let r = load(&state, &who, &q).await?;
    let at = r.scope.generated_at;
    Ok(if groups {
        csv_response(
            "compliance-groups",
            at,
            reports_csv::compliance_groups(&state, &r),
        )
    } else {
        csv_response("compliance", at, reports_csv::compliance(&state, &r))
    })
}

/// `/reports`: the first report.
pub(crate) async fn index(_who: Signed) -> HttpResponse {
    super::see_other("/reports/compliance")
}

/// A PDF download named after `stem` and the report's generation time `at`.
pub(crate) fn pdf_response(stem: &str, at: chrono::DateTime<chrono::Utc>, body: Vec<u8>) -> HttpResponse {
    attachment(stem, at, "pdf", "application/pdf").body(body)
}

/// A download's headers: its type, its file name from `stem`, `at` and `ext`, and no caching.
fn attachment(
    stem: &str,
    at: chrono::DateTime<chrono::Utc>,
    ext: &str,
    content_type: &'static str,
) -> actix_web::HttpResponseBuilder {
    let name = file_name(stem, at, ext);
    let mut r = HttpResponse::Ok();
    r.content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    r
}

pub(crate) async fn compliance_pdf(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<ComplianceQuery>,
) -> Result<HttpResponse, ManagerError> {
    let q = q.into_inner().for_export();
    let r = load(&state, &who, &q).await?;
    let at = r.scope.generated_at;
    let pdf = crate::services::reports_pdf::compliance(&state, r).await?;
    Ok(pdf_response("compliance", at, pdf))
}
