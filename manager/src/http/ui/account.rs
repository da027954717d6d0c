//! The signed-in user's own account: theme, password, second factors, recovery codes, sessions (the
//! security forms' handlers are in `account_security.rs`).

use super::{html, see_other, Flash, Page};
use crate::app::AppContext;
use crate::auth::refresh_tokens;
use crate::db::models::mfa::{RecoveryCode, TotpFactor, WebauthnCredential};
use crate::db::models::User;
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    page: Page,
    totps: Vec<(i64, DateTime<Utc>)>,
    keys: Vec<(i64, String)>,
    recovery_left: i64,
    sessions: Vec<refresh_tokens::Session>,
    new_codes: Vec<String>,
    enrol: Option<Enrol>,
    notif: crate::services::notifications::Prefs,
}

/// A new authenticator app being added: its QR code and secret, and the sealed grant that proves the user
/// just proved a current factor.
#[derive(Debug, Clone)]
pub(crate) struct Enrol {
    pub(crate) qr_svg: String,
    pub(crate) secret: String,
    pub(crate) grant: String,
}

/// What the account page shows besides the stored state.
#[derive(Debug, Default)]
pub(crate) struct Extra {
    pub(crate) flash: Flash,
    pub(crate) new_codes: Vec<String>,
    pub(crate) enrol: Option<Enrol>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ThemeForm {
    #[serde(default)]
    csrf: String,
    theme: String,
}
crate::has_csrf!(ThemeForm);

pub(crate) async fn render(
    state: &AppContext,
    who: &Signed,
    extra: Extra,
) -> Result<HttpResponse, ManagerError> {
    let uid = who.user.id;
    let (totps, keys, left, sess) = state
        .db(move |c| {
            Ok((
                TotpFactor::for_user(c, uid)?
                    .into_iter()
                    .map(|t| (t.id, t.created_at))
                    .collect(),
                WebauthnCredential::for_user(c, uid)?
                    .into_iter()
                    .map(|k| (k.id, k.name))
                    .collect(),
                RecoveryCode::remaining(c, uid)?,
                refresh_tokens::for_user(c, uid)?
                    .into_iter()
                    .filter(|s| s.revoked_at.is_none())
                    .collect(),
            ))
        })
        .await?;
    let notif = crate::services::notifications::prefs(state, &who.as_actor()).await?;
    html(&AccountPage {
        notif,
        page: extra.flash.apply(Page::signed("Account", who, "account")),
        totps,
        keys,
        recovery_left: left,
        sessions: sess,
        new_codes: extra.new_codes,
        enrol: extra.enrol,
    })
}

pub(crate) async fn page(
    state: web::Data<AppContext>,
    who: Signed,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    let extra = Extra {
        flash,
        ..Extra::default()
    };
    render(&state, &who, extra).await
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
