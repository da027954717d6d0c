//! JSON twins of the reports: `GET /reports/compliance` (same scope, filters and keyset pages as the page).

use super::ok_json;
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
