//! The signed-in user's own account: theme, second factors, recovery codes, sessions.

use super::login::CsrfOnly;
use super::{html, see_other, Page};
use crate::app::AppContext;
use crate::audit::{self, Entry};
use crate::auth::{recovery, refresh_tokens};
use crate::db::models::mfa::{RecoveryCode, TotpFactor, WebauthnCredential};
use crate::db::models::User;
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    page: Page,
    totp: usize,
    keys: Vec<String>,
    recovery_left: i64,
    sessions: Vec<refresh_tokens::Session>,
    new_codes: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ThemeForm {
    #[serde(default)]
    csrf: String,
    theme: String,
}
crate::has_csrf!(ThemeForm);

async fn render(
    state: &AppContext,
    who: &Signed,
    new_codes: Vec<String>,
) -> Result<HttpResponse, ManagerError> {
    let uid = who.user.id;
    let (totp, keys, left, sess) = state
        .db(move |c| {
            Ok((
                TotpFactor::for_user(c, uid)?.len(),
                WebauthnCredential::for_user(c, uid)?
                    .into_iter()
                    .map(|k| k.name)
                    .collect(),
                RecoveryCode::remaining(c, uid)?,
                refresh_tokens::for_user(c, uid)?
                    .into_iter()
                    .filter(|s| s.revoked_at.is_none())
                    .collect(),
            ))
        })
        .await?;
    html(&AccountPage {
        page: Page::signed("Account", who, "account"),
        totp,
        keys,
        recovery_left: left,
        sessions: sess,
        new_codes,
    })
}

pub(crate) async fn page(state: web::Data<AppContext>, who: Signed) -> Result<HttpResponse, ManagerError> {
    render(&state, &who, Vec::new()).await
}

pub(crate) async fn theme(
    state: web::Data<AppContext>,
    req: HttpRequest,
    f: SignedForm<ThemeForm>,
) -> Result<HttpResponse, ManagerError> {
    let t = f.form.theme.as_str();
    if !matches!(t, "system" | "light" | "dark") {
        return Err(ManagerError::Invalid(
            "theme must be system, light or dark".into(),
        ));
    }
    let (uid, t) = (f.who.user.id, t.to_owned());
    state.db(move |c| Ok(User::set_theme(c, uid, &t)?)).await?;
    // Back to the page the toggle was on (same origin only).
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_owned()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_owned());
    Ok(see_other(&back))
}

pub(crate) async fn new_codes(
    state: web::Data<AppContext>,
    f: SignedForm<CsrfOnly>,
) -> Result<HttpResponse, ManagerError> {
    let codes = recovery::generate();
    let hashes: Vec<String> = codes.iter().map(|c| recovery::hash(c)).collect();
    let now = state.now();
    let who = f.who.clone();
    state
        .db(move |c| {
            RecoveryCode::replace_for_user(c, who.user.id, &hashes)?;
            audit::append(
                c,
                now,
                &Entry {
                    actor: who.actor(),
                    action: "mfa.recovery_codes_regenerated",
                    target: &format!("user:{}", who.user.username),
                    details: serde_json::json!({"count": hashes.len()}),
                },
            )?;
            Ok(())
        })
        .await?;
    render(&state, &f.who, codes).await
}
