//! WebAuthn during a login: registering the first security key / passkey, and signing in with one
//! (JSON endpoints called by `static/webauthn.js`, CSRF token in `X-CSRF-Token`).

use super::login::{complete, next_step, set_session_cookies};
use super::mfa_setup::factor_added;
use crate::app::AppContext;
use crate::db::models::mfa::WebauthnCredential;
use crate::db::models::LoginChallenge;
use crate::error::ManagerError;
use crate::http::login_challenge::Flow;
use crate::http::respond::ok_json;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartRegistration {
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FinishRegistration {
    #[serde(default)]
    name: String,
    credential: serde_json::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FinishAuthentication {
    credential: serde_json::Value,
}

fn header_csrf(req: &HttpRequest, flow: &Flow) -> Result<(), ManagerError> {
    let t = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    flow.check_csrf(t)
}

/// A security key's display name: 1-64 printable characters (default "Security key").
fn key_name(raw: &str) -> Result<String, ManagerError> {
    let n = raw.trim();
    if n.is_empty() {
        return Ok("Security key".into());
    }
    if n.chars().count() > 64 || n.chars().any(char::is_control) {
        return Err(ManagerError::Invalid(
            "a key name has at most 64 printable characters".into(),
        ));
    }
    Ok(n.to_owned())
}

fn guard_setup(flow: &Flow) -> Result<(), ManagerError> {
    if flow.user.must_change_password || (flow.factors > 0 && !flow.mfa_ok()) {
        return Err(ManagerError::Forbidden(format!(
            "this sign-in cannot register a key now; continue at {}",
            next_step(&flow.user, flow.factors)
        )));
    }
    Ok(())
}

pub(crate) async fn register_start(
    state: web::Data<AppContext>,
    req: HttpRequest,
    flow: Flow,
    body: web::Json<StartRegistration>,
) -> Result<HttpResponse, ManagerError> {
    header_csrf(&req, &flow)?;
    guard_setup(&flow)?;
    key_name(&body.name)?;
    let svc = state.webauthn.clone();
    let fl = flow.clone();
    let options = state
        .db(move |conn| {
            let existing = WebauthnCredential::passkeys(conn, fl.user.id)?;
            let (options, st) = svc
                .start_registration(fl.user.id, &fl.user.username, &existing)
                .map_err(ManagerError::Invalid)?;
            LoginChallenge::set(conn, &fl.token_hash, "webauthn_reg", Some(st))?;
            Ok(options)
        })
        .await?;
    Ok(ok_json(&req, state.now(), options))
}

pub(crate) async fn register_finish(
    state: web::Data<AppContext>,
    req: HttpRequest,
    flow: Flow,
    body: web::Json<FinishRegistration>,
) -> Result<HttpResponse, ManagerError> {
    header_csrf(&req, &flow)?;
    guard_setup(&flow)?;
    let name = key_name(&body.name)?;
    let Some(st) = flow.challenge.get("webauthn_reg").cloned() else {
        return Err(ManagerError::Invalid(
            "no registration in progress: start it again".into(),
        ));
    };
    let passkey = state
        .webauthn
        .finish_registration(&body.credential, &st)
        .map_err(ManagerError::Invalid)?;
    let now = state.now();
    let fl = flow.clone();
    state
        .db(move |conn| {
            let row = WebauthnCredential::insert(conn, fl.user.id, &name, &passkey, now)?;
            LoginChallenge::set(conn, &fl.token_hash, "webauthn_reg", None)?;
            factor_added(
                conn,
                &fl,
                now,
                "webauthn",
                serde_json::json!({"name": name, "factor_id": row.id}),
            )
        })
        .await?;
    Ok(ok_json(
        &req,
        now,
        serde_json::json!({"redirect": "/login/recovery"}),
    ))
}

pub(crate) async fn auth_start(
    state: web::Data<AppContext>,
    req: HttpRequest,
    flow: Flow,
) -> Result<HttpResponse, ManagerError> {
    header_csrf(&req, &flow)?;
    if flow.user.must_change_password {
        return Err(ManagerError::Forbidden(
            "change the one-time password first".into(),
        ));
    }
    let svc = state.webauthn.clone();
    let fl = flow.clone();
    let options = state
        .db(move |conn| {
            let creds = WebauthnCredential::passkeys(conn, fl.user.id)?;
            if creds.is_empty() {
                return Err(ManagerError::Invalid("this account has no security key".into()));
            }
            let (options, st) = svc.start_authentication(&creds).map_err(ManagerError::Invalid)?;
            LoginChallenge::set(conn, &fl.token_hash, "webauthn_auth", Some(st))?;
            Ok(options)
        })
        .await?;
    Ok(ok_json(&req, state.now(), options))
}

pub(crate) async fn auth_finish(
    state: web::Data<AppContext>,
    req: HttpRequest,
    flow: Flow,
    body: web::Json<FinishAuthentication>,
) -> Result<HttpResponse, ManagerError> {
    header_csrf(&req, &flow)?;
    if flow.user.must_change_password {
        // A security key proves the second factor, not the right to skip the forced password change.
        return Err(ManagerError::Forbidden(
            "the one-time password must be changed first: continue at /login/password".into(),
        ));
    }
    let Some(st) = flow.challenge.get("webauthn_auth").cloned() else {
        return Err(ManagerError::Invalid(
            "no security-key sign-in in progress: start it again".into(),
        ));
    };
    let now = state.now();
    let verdict = state.webauthn.finish_authentication(&body.credential, &st);
    let fl = flow.clone();
    let ip = crate::http::identity::source_ip(&req);
    let th = state.login_throttle.clone();
    let accepted = state
        .db(move |conn| {
            LoginChallenge::set(conn, &fl.token_hash, "webauthn_auth", None)?;
            match verdict {
                Ok((cred_id, result)) => {
                    // The credential must be one of this user's (webauthn-rs checks it against the allowed list).
                    WebauthnCredential::record_use(conn, &cred_id, &result, now)?;
                    Ok(Ok(()))
                }
                Err(why) => {
                    crate::auth::password_check::fail(conn, &th, now, &fl.user, "security key", &ip)?;
                    Ok(Err(why))
                }
            }
        })
        .await?;
    if let Err(why) = accepted {
        return Err(ManagerError::Unauthenticated(format!(
            "the security key was not accepted: {why}"
        )));
    }
    let issued = complete(&state, &req, &flow, "webauthn").await?;
    let mut r = ok_json(&req, now, serde_json::json!({"redirect": "/"}));
    set_session_cookies(&mut r, &issued);
    Ok(r)
}
