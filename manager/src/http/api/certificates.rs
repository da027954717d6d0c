//! JSON for the certificate register: list (admins), renew and revoke (admins), host bundles (RBAC-scoped).

use super::ok_json;
use super::views::{CertView, Renewed, Revoked};
use crate::app::AppContext;
use crate::db::models::Certificate;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::http::respond::archive_response;
use crate::services::certificates;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// A certificate as the API shows it (no key material, ever).
fn cert_json(c: &Certificate, host: Option<&str>, now: DateTime<Utc>) -> CertView {
    CertView::of(c, host, now)
}

/// `POST /certificates/{id}/revoke`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevokeBody {
    /// Why (kept in the register and the audit).
    reason: String,
}

pub(crate) async fn list(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let rows = certificates::list(&state, who.scope).await?;
    let now = state.now();
    let out: Vec<_> = rows
        .iter()
        .map(|(c, h)| cert_json(c, h.as_deref(), now))
        .collect();
    Ok(ok_json(&req, now, out))
}

pub(crate) async fn renew(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let r = certificates::renew(&state, who.scope, who.actor(), id.into_inner()).await?;
    let now = state.now();
    Ok(ok_json(
        &req,
        now,
        Renewed {
            renewed: cert_json(&r.old, None, now),
            certificate: cert_json(&r.new, None, now),
        },
    ))
}

pub(crate) async fn revoke(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
    body: web::Json<RevokeBody>,
) -> Result<HttpResponse, ManagerError> {
    let r = certificates::revoke(&state, who.scope, who.actor(), id.into_inner(), &body.reason).await?;
    let now = state.now();
    Ok(ok_json(
        &req,
        now,
        Revoked {
            revoked: cert_json(&r.cert, None, now),
            replacement: r.replacement.as_ref().map(|c| cert_json(c, None, now)),
        },
    ))
}

pub(crate) async fn bundle(
    state: web::Data<AppContext>,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let (host, gz) = certificates::bundle_archive(&state, who.scope, who.actor(), id.into_inner()).await?;
    Ok(archive_response(&host.hostname, gz))
}
