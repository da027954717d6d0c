//! Certificates page (admins): every certificate the internal CA issued with its status, Renew and Revoke;
//! the per-host bundle download (RBAC-scoped) and the public CRL.

use super::{flash_error, html, see_other_with, Flash, Page, Shown};
use crate::app::AppContext;
use crate::db::models::Certificate;
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::services::certificates;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// One line of the table.
pub struct Row {
    /// The certificate.
    pub cert: Certificate,
    /// Its host's name (agent certificates).
    pub host: Option<String>,
    /// `valid`, `expiring`, `expired`, `revoked`, `superseded`.
    pub status: &'static str,
}

impl Row {
    /// The badge class of the status.
    pub fn badge(&self) -> &'static str {
        match self.status {
            "valid" => "ok",
            "expiring" => "warn",
            "superseded" => "",
            _ => "bad",
        }
    }

    /// Human name of the kind.
    pub fn kind_label(&self) -> &'static str {
        match self.cert.kind.as_str() {
            "manager_client" => "manager client",
            "agent_server" => "agent server",
            "web" => "console (web)",
            _ => "other",
        }
    }
}

#[derive(Template)]
#[template(path = "console/certificates.html")]
struct CertificatesPage {
    page: Page,
    rows: Vec<Row>,
    now: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

crate::has_csrf!(RevokeForm);

/// The table's rows at `now`.
pub fn rows(list: Vec<(Certificate, Option<String>)>, now: DateTime<Utc>) -> Vec<Row> {
    list.into_iter()
        .map(|(cert, host)| Row {
            status: cert.status(now),
            cert,
            host,
        })
        .collect()
}

pub(crate) async fn page(
    state: web::Data<AppContext>,
    who: Signed,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    let list = certificates::list(&state, who.scope).await?;
    let now = state.now();
    html(&CertificatesPage {
        page: flash.apply(Page::signed("Certificates", &who, "certificates")),
        rows: rows(list, now),
        now,
    })
}

/// A user mistake becomes a flash message on the Certificates page; other failures an error page.
fn flash_or(e: ManagerError) -> Result<HttpResponse, ManagerError> {
    flash_error("/certificates", e, Shown::MistakesAndMissing)
}

pub(crate) async fn renew(
    state: web::Data<AppContext>,
    f: SignedForm<super::login::CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    match certificates::renew(&state, f.who.scope, f.who.actor(), id.into_inner()).await {
        Ok(r) => Ok(see_other_with(
            "/certificates",
            "notice",
            &format!(
                "certificate for {} renewed: new serial {} (valid until {})",
                r.new.subject,
                r.new.serial,
                r.new.not_after.format("%Y-%m-%d")
            ),
        )),
        Err(e) => flash_or(e),
    }
}

pub(crate) async fn revoke(
    state: web::Data<AppContext>,
    f: SignedForm<RevokeForm>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let who = &f.who;
    match certificates::revoke(&state, who.scope, who.actor(), id.into_inner(), &f.form.reason).await {
        Ok(r) => {
            let mut msg = format!("certificate {} ({}) revoked", r.cert.serial, r.cert.subject);
            if let Some(n) = r.replacement {
                msg.push_str(&format!("; the manager now uses client certificate {}", n.serial));
            }
            Ok(see_other_with("/certificates", "notice", &msg))
        }
        Err(e) => flash_or(e),
    }
}

pub(crate) async fn bundle(
    state: web::Data<AppContext>,
    f: SignedForm<crate::http::ui::login::CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let who = f.who;
    let (host, gz) = certificates::bundle_archive(&state, who.scope, who.actor(), id.into_inner()).await?;
    Ok(crate::http::respond::archive_response(&host.hostname, gz))
}

/// `GET /crl.pem`: the internal CA's current revocation list (public, freshly signed).
pub async fn crl_pem(state: web::Data<AppContext>) -> Result<HttpResponse, ManagerError> {
    let pem = certificates::current_crl(&state).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pkix-crl"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"linux-patch-manager-crl.pem\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(pem))
}
