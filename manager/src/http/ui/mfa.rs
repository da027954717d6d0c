//! The second-factor step of a login: a TOTP code (replays refused) or a one-time recovery code.

use super::login::{complete, next_step, set_session_cookies};
use super::mfa_setup::CodeForm;
use super::{html, html_status, see_other, Page};
use crate::app::AppContext;
use crate::audit::{self, Entry};
use crate::auth::password_check::{self, Refusal};
use crate::auth::recovery;
use crate::auth::totp::TotpRejection;
use crate::db::models::mfa::{RecoveryCode, TotpFactor, WebauthnCredential};
use crate::db::models::User;
use crate::error::ManagerError;
use crate::http::form::Form;
use crate::http::identity::source_ip;
use crate::http::login_challenge::Flow;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login/mfa.html")]
struct MfaPage {
    page: Page,
    username: String,
    has_totp: bool,
    has_webauthn: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RecoveryForm {
    #[serde(default)]
    csrf: String,
    recovery_code: String,
}

async fn view(state: &AppContext, flow: &Flow, error: Option<String>) -> Result<MfaPage, ManagerError> {
    let uid = flow.user.id;
    let (t, w) = state
        .db(move |conn| {
            Ok((
                !TotpFactor::for_user(conn, uid)?.is_empty(),
                !WebauthnCredential::for_user(conn, uid)?.is_empty(),
            ))
        })
        .await?;
    Ok(MfaPage {
        page: Page::anonymous("Second factor", &flow.challenge.csrf_token).error(error),
        username: flow.user.username.clone(),
        has_totp: t,
        has_webauthn: w,
    })
}

fn must_go_elsewhere(flow: &Flow) -> Option<&'static str> {
    (flow.user.must_change_password || flow.factors == 0).then(|| next_step(&flow.user, flow.factors))
}

pub(crate) async fn mfa_page(state: web::Data<AppContext>, flow: Flow) -> Result<HttpResponse, ManagerError> {
    if let Some(to) = must_go_elsewhere(&flow) {
        return Ok(see_other(to));
    }
    html(&view(&state, &flow, None).await?)
}

/// The outcome of checking a second factor.
enum Checked {
    Ok,
    Refused(String),
}

/// Shared by the TOTP and recovery forms: lockout check, the check itself, failure accounting.
async fn check_factor(
    state: &AppContext,
    req: &HttpRequest,
    flow: &Flow,
    check: impl FnOnce(&mut diesel::PgConnection, &User) -> Result<Result<(), String>, ManagerError>
        + Send
        + 'static,
) -> Result<Checked, ManagerError> {
    let now = state.now();
    let ip = source_ip(req);
    let uid = flow.user.id;
    if let Some(until) = state.login_throttle.blocked(&flow.user.username, &ip, now) {
        return Ok(Checked::Refused(Refusal::Locked(until).message()));
    }
    let th = state.login_throttle.clone();
    state
        .db(move |conn| {
            let user =
                User::by_id(conn, uid)?.ok_or_else(|| ManagerError::Unauthenticated("start again".into()))?;
            match check(conn, &user)? {
                Ok(()) => Ok(Checked::Ok),
                Err(why) => {
                    password_check::fail(conn, &th, now, &user, "second factor", &ip)?;
                    Ok(Checked::Refused(why))
                }
            }
        })
        .await
}

pub(crate) async fn totp_submit(
    state: web::Data<AppContext>,
    req: HttpRequest,
    flow: Flow,
    form: Form<CodeForm>,
) -> Result<HttpResponse, ManagerError> {
    let f = form.0;
    flow.check_csrf(&f.csrf)?;
    if let Some(to) = must_go_elsewhere(&flow) {
        return Ok(see_other(to));
    }
    let now = state.now();
    let code = f.code;
    let outcome = check_factor(&state, &req, &flow, move |conn, user| {
        Ok(
            crate::auth::totp::accept(conn, user.id, &code, now)?.map_err(|why| match why {
                TotpRejection::Replayed => "that code was already used: wait for the next one".to_owned(),
                TotpRejection::Malformed => "a code has 6 digits".to_owned(),
                TotpRejection::Wrong => Refusal::BadCredentials.message(),
            }),
        )
    })
    .await?;
    finish_or_again(&state, &req, &flow, outcome, "totp").await
}

pub(crate) async fn recovery_submit(
    state: web::Data<AppContext>,
    req: HttpRequest,
    flow: Flow,
    form: Form<RecoveryForm>,
) -> Result<HttpResponse, ManagerError> {
    let f = form.0;
    flow.check_csrf(&f.csrf)?;
    if let Some(to) = must_go_elsewhere(&flow) {
        return Ok(see_other(to));
    }
    let now = state.now();
    let hash = recovery::hash(&recovery::normalize(&f.recovery_code));
    let outcome = check_factor(&state, &req, &flow, move |conn, user| {
        if RecoveryCode::consume(conn, user.id, &hash, now)? {
            let left = RecoveryCode::remaining(conn, user.id)?;
            audit::append(
                conn,
                now,
                &Entry {
                    actor: &user.username,
                    action: "mfa.recovery_code_used",
                    target: &format!("user:{}", user.username),
                    details: serde_json::json!({"remaining": left}),
                },
            )?;
            Ok(Ok(()))
        } else {
            Ok(Err(
                "that recovery code is not valid or was already used".to_owned()
            ))
        }
    })
    .await?;
    finish_or_again(&state, &req, &flow, outcome, "recovery code").await
}

async fn finish_or_again(
    state: &AppContext,
    req: &HttpRequest,
    flow: &Flow,
    outcome: Checked,
    method: &str,
) -> Result<HttpResponse, ManagerError> {
    match outcome {
        Checked::Ok => {
            let issued = complete(state, req, flow, method).await?;
            let mut r = see_other("/");
            set_session_cookies(&mut r, &issued);
            Ok(r)
        }
        Checked::Refused(why) => html_status(StatusCode::UNAUTHORIZED, &view(state, flow, Some(why)).await?),
    }
}
