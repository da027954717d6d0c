//! First setup of a second factor (TOTP here; WebAuthn in `webauthn.rs`), the recovery codes shown once,
//! and the step that turns a proven login into a session.

use super::login::{complete, next_step, set_session_cookies, CsrfOnly};
use super::{html, html_status, see_other, Page};
use crate::app::AppContext;
use crate::audit::{self, Entry};
use crate::auth::{qr, recovery, totp};
use crate::db::models::mfa::{RecoveryCode, TotpFactor};
use crate::db::models::LoginChallenge;
use crate::error::ManagerError;
use crate::http::form::Form;
use crate::http::login_challenge::Flow;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login/mfa_setup.html")]
struct MfaSetupPage {
    page: Page,
    qr_svg: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "login/recovery.html")]
struct RecoveryPage {
    page: Page,
    codes: Vec<String>,
    continue_action: &'static str,
}

/// A 6-digit code.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The code.
    pub code: String,
}

/// Whether this login may set up a first factor (password changed, no factor yet).
fn may_set_up(flow: &Flow) -> Option<&'static str> {
    if flow.user.must_change_password || (flow.factors > 0 && !flow.mfa_ok()) {
        Some(next_step(&flow.user, flow.factors))
    } else {
        None
    }
}

fn setup_view(flow: &Flow, secret: &str, error: Option<String>) -> Result<MfaSetupPage, ManagerError> {
    let url = totp::otpauth_url(secret, &flow.user.username).map_err(ManagerError::Internal)?;
    Ok(MfaSetupPage {
        page: Page::anonymous("Second factor", &flow.challenge.csrf_token).error(error),
        qr_svg: qr::svg(&url).map_err(ManagerError::Internal)?,
        secret: secret.to_owned(),
    })
}

pub(crate) async fn setup_page(
    state: web::Data<AppContext>,
    flow: Flow,
) -> Result<HttpResponse, ManagerError> {
    if let Some(to) = may_set_up(&flow) {
        return Ok(see_other(to));
    }
    let secret = match flow.challenge.get("totp_secret").and_then(|v| v.as_str()) {
        Some(s) => s.to_owned(),
        None => {
            let s = totp::new_secret();
            let (h, v) = (flow.token_hash.clone(), serde_json::Value::String(s.clone()));
            state
                .db(move |conn| Ok(LoginChallenge::set(conn, &h, "totp_secret", Some(v))?))
                .await?;
            s
        }
    };
    html(&setup_view(&flow, &secret, None)?)
}

/// The first factor (`kind`: `totp` or `webauthn`) was just proven: marks the login as such, stores fresh
/// recovery codes (their clear text kept in the challenge until shown once) and audits `mfa.enroll`.
pub fn factor_added(
    conn: &mut PgConnection,
    flow: &Flow,
    now: DateTime<Utc>,
    kind: &str,
    details: serde_json::Value,
) -> Result<(), ManagerError> {
    let codes = recovery::generate();
    let hashes: Vec<String> = codes.iter().map(|c| recovery::hash(c)).collect();
    RecoveryCode::replace_for_user(conn, flow.user.id, &hashes)?;
    LoginChallenge::set(
        conn,
        &flow.token_hash,
        "recovery_codes",
        Some(serde_json::json!(codes)),
    )?;
    LoginChallenge::set(
        conn,
        &flow.token_hash,
        "mfa_method",
        Some(serde_json::json!(kind)),
    )?;
    LoginChallenge::set(
        conn,
        &flow.token_hash,
        "mfa_ok",
        Some(serde_json::Value::Bool(true)),
    )?;
    let mut details = details;
    if let Some(map) = details.as_object_mut() {
        map.insert("kind".into(), kind.into());
    }
    audit::append(
        conn,
        now,
        &Entry {
            actor: &flow.user.username,
            action: "mfa.enroll",
            target: &format!("user:{}", flow.user.username),
            details,
        },
    )?;
    Ok(())
}

pub(crate) async fn setup_totp(
    state: web::Data<AppContext>,
    flow: Flow,
    form: Form<CodeForm>,
) -> Result<HttpResponse, ManagerError> {
    let f = form.0;
    flow.check_csrf(&f.csrf)?;
    if let Some(to) = may_set_up(&flow) {
        return Ok(see_other(to));
    }
    let Some(secret) = flow
        .challenge
        .get("totp_secret")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
    else {
        return Ok(see_other("/login/enroll"));
    };
    let step = match totp::verify(&secret, &f.code, state.now(), 0) {
        Ok(step) => step,
        Err(why) => {
            let msg =
                format!("that code was not accepted ({why}); check the app's clock and try the current code");
            return html_status(StatusCode::BAD_REQUEST, &setup_view(&flow, &secret, Some(msg))?);
        }
    };
    let now = state.now();
    let fl = flow.clone();
    state
        .db(move |conn| {
            let factor = TotpFactor::insert(conn, fl.user.id, &secret, now)?;
            TotpFactor::mark_used(conn, factor.id, step)?;
            LoginChallenge::set(conn, &fl.token_hash, "totp_secret", None)?;
            factor_added(
                conn,
                &fl,
                now,
                "totp",
                serde_json::json!({"factor_id": factor.id}),
            )
        })
        .await?;
    Ok(see_other("/login/recovery"))
}

pub(crate) async fn recovery_page(
    state: web::Data<AppContext>,
    flow: Flow,
) -> Result<HttpResponse, ManagerError> {
    if !flow.mfa_ok() {
        return Ok(see_other(next_step(&flow.user, flow.factors)));
    }
    let codes: Vec<String> = flow
        .challenge
        .get("recovery_codes")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let h = flow.token_hash.clone();
    // Shown once: a reload shows an empty list (new codes can be made on the Account page).
    state
        .db(move |conn| Ok(LoginChallenge::set(conn, &h, "recovery_codes", None)?))
        .await?;
    let notice = codes.is_empty().then(|| {
        "The recovery codes were already shown; make new ones on the Account page if needed.".to_owned()
    });
    html(&RecoveryPage {
        page: Page::anonymous("Recovery codes", &flow.challenge.csrf_token).notice(notice),
        codes,
        continue_action: "/login/complete",
    })
}

pub(crate) async fn finish(
    state: web::Data<AppContext>,
    req: HttpRequest,
    flow: Flow,
    form: Form<CsrfOnly>,
) -> Result<HttpResponse, ManagerError> {
    flow.check_csrf(&form.0.csrf)?;
    if !flow.mfa_ok() {
        return Ok(see_other(next_step(&flow.user, flow.factors)));
    }
    let method = flow
        .challenge
        .get("mfa_method")
        .and_then(|v| v.as_str())
        .unwrap_or("enrolment")
        .to_owned();
    let issued = complete(&state, &req, &flow, &format!("{method} (factor_added)")).await?;
    let mut r = see_other("/");
    set_session_cookies(&mut r, &issued);
    Ok(r)
}
