//! Audit page (admins): the chain's verification result (naming the first broken row) and recent rows.

use super::{html, Page};
use crate::app::AppContext;
use crate::audit::{AuditRecord, Verified};
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    page: Page,
    verified: Verified,
    rows: Vec<AuditRecord>,
    next_before: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Query {
    before: Option<i64>,
}

pub(crate) async fn page(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<Query>,
) -> Result<HttpResponse, ManagerError> {
    let (verified, rows) = services::audit::page(&state, who.scope, q.before, 200).await?;
    let next_before = (rows.len() == 200).then(|| rows.last().map(|r| r.id)).flatten();
    html(&AuditPage {
        page: Page::signed("Audit", &who, "audit"),
        verified,
        rows,
        next_before,
    })
}
