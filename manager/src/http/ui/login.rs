//! The password step, the forced password change, logout, and the end of a login (session cookies).

use super::{html, html_status, see_other, Page};
use crate::app::AppContext;
use crate::audit::{self, Entry};
use crate::auth::password_check::{self, Refusal};
use crate::auth::{password, random_token};
use crate::auth::{refresh_tokens, session_lifecycle};
use crate::db::models::mfa;
use crate::db::models::{LoginChallenge, User};
use crate::error::ManagerError;
use crate::http::cookies;
use crate::http::form::{Form, SignedForm};
use crate::http::identity::{secret_eq, source_ip, Signed};
use crate::http::login_challenge::Flow;
use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login/login.html")]
struct LoginPage {
    page: Page,
    username: String,
    /// Whether "Sign in with Microsoft" is offered.
    sso: bool,
}

#[derive(Template)]
#[template(path = "login/password.html")]
struct PasswordPage {
    page: Page,
    username: String,
}

/// `POST /login`.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    username: String,
    password: String,
}

/// A form with only the CSRF token (logout, continue).
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    /// The token.
    #[serde(default)]
    pub csrf: String,
}
crate::has_csrf!(CsrfOnly);

/// `POST /login/password`.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    /// The current (one-time) password: the change proves knowledge of it, not only a live challenge.
    #[serde(default)]
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// Where a login goes after the password: change it, enrol a factor, or prove one.
pub fn next_step(user: &User, factors: i64) -> &'static str {
    if user.must_change_password {
        "/login/password"
    } else if factors == 0 {
        "/login/enroll"
    } else {
        "/login/mfa"
    }
}

pub(crate) async fn login_page(
    state: web::Data<AppContext>,
    req: HttpRequest,
) -> Result<HttpResponse, ManagerError> {
    if req.extensions().get::<Signed>().is_some() {
        return Ok(see_other("/"));
    }
    let existing = cookies::get(&req, cookies::PRELOGIN);
    let csrf = existing.clone().unwrap_or_else(random_token);
    let mut r = html(&LoginPage {
        page: Page::anonymous("Sign in", &csrf),
        username: String::new(),
        sso: crate::services::sso::offered(&state).await?,
    })?;
    if existing.is_none() {
        let _ = r.add_cookie(&cookies::make(cookies::PRELOGIN, csrf));
    }
    Ok(r)
}

pub(crate) async fn login_submit(
    state: web::Data<AppContext>,
    req: HttpRequest,
    form: Form<LoginForm>,
) -> Result<HttpResponse, ManagerError> {
    let f = form.0;
    let pre = cookies::get(&req, cookies::PRELOGIN).unwrap_or_default();
    if pre.is_empty() || !secret_eq(&pre, &f.csrf) {
        return Err(ManagerError::Forbidden(
            "the sign-in form expired or was not sent by this console: reload the page and try again".into(),
        ));
    }
    let ip = source_ip(&req);
    let now = state.now();
    let name = f.username.trim().to_owned();
    let token = random_token();
    let token_hash = refresh_tokens::hash_token(&token);
    let csrf = random_token();
    let db = crate::db::Db::new(state.pool.clone());
    let checked =
        password_check::check_password(&db, &state.login_throttle, now, &name, &f.password, &ip).await?;
    let outcome = match checked {
        Err(r) => Err((r, name)),
        Ok(user) => state
            .db(move |conn| {
                LoginChallenge::insert(conn, &token_hash, user.id, &csrf, now)?;
                let factors = mfa::factor_count(conn, user.id)?;
                Ok(next_step(&user, factors))
            })
            .await
            .map(Ok)?,
    };
    match outcome {
        Ok(next) => {
            let mut r = see_other(next);
            let _ = r.add_cookie(&cookies::make(cookies::LOGIN, token));
            Ok(r)
        }
        Err((refusal, name)) => {
            let status = match refusal {
                Refusal::Locked(_) => StatusCode::TOO_MANY_REQUESTS,
                Refusal::Disabled => StatusCode::FORBIDDEN,
                Refusal::BadCredentials => StatusCode::UNAUTHORIZED,
            };
            let shown = if password_check::actor_for(&name) == name {
                name
            } else {
                String::new()
            };
            html_status(
                status,
                &LoginPage {
                    page: Page::anonymous("Sign in", &pre).error(Some(refusal.message())),
                    username: shown,
                    sso: crate::services::sso::offered(&state).await?,
                },
            )
        }
    }
}

pub(crate) async fn password_page(flow: Flow) -> Result<HttpResponse, ManagerError> {
    if !flow.user.must_change_password {
        return Ok(see_other(next_step(&flow.user, flow.factors)));
    }
    html(&PasswordPage {
        page: Page::anonymous("New password", &flow.challenge.csrf_token),
        username: flow.user.username.clone(),
    })
}

pub(crate) async fn password_submit(
    state: web::Data<AppContext>,
    flow: Flow,
    form: Form<PasswordForm>,
) -> Result<HttpResponse, ManagerError> {
    let f = form.0;
    flow.check_csrf(&f.csrf)?;
    if !flow.user.must_change_password {
        return Ok(see_other(next_step(&flow.user, flow.factors)));
    }
    let again = |msg: String| {
        html_status(
            StatusCode::BAD_REQUEST,
            &PasswordPage {
                page: Page::anonymous("New password", &flow.challenge.csrf_token).error(Some(msg)),
                username: flow.user.username.clone(),
            },
        )
    };
    let (current, hash) = (f.current_password.clone(), flow.user.password_hash.clone());
    let knows = web::block(move || password::verify(&current, &hash))
        .await
        .map_err(|e| ManagerError::Internal(format!("password check: {e}")))?;
    if !knows {
        return again("the current (one-time) password is wrong".into());
    }
    if let Err(m) =
        password_check::validate_new_password(&flow.user.username, &f.new_password, &f.confirm_password)
    {
        return again(m);
    }
    if password::verify(&f.new_password, &flow.user.password_hash) {
        return again("the new password must differ from the one-time password".into());
    }
    let hash = password::hash(&f.new_password)?;
    let now = state.now();
    let user = flow.user.clone();
    state
        .db(move |conn| {
            User::set_password(conn, user.id, &hash, false)?;
            audit::append(
                conn,
                now,
                &Entry {
                    actor: &user.username,
                    action: "user.password_change",
                    target: &format!("user:{}", user.username),
                    details: serde_json::json!({"forced": true}),
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(see_other(if flow.factors == 0 {
        "/login/enroll"
    } else {
        "/login/mfa"
    }))
}

pub(crate) async fn logout(
    state: web::Data<AppContext>,
    form: SignedForm<CsrfOnly>,
) -> Result<HttpResponse, ManagerError> {
    let who = form.who;
    let now = state.now();
    let sid = who.session()?.id.clone();
    state
        .db(move |conn| session_lifecycle::end(conn, now, &who.user, &sid, "console"))
        .await?;
    let mut r = see_other("/login");
    for c in [cookies::ACCESS, cookies::REFRESH, cookies::LOGIN] {
        let _ = r.add_cookie(&cookies::clear(c));
    }
    Ok(r)
}

/// Ends a login whose second factor was proven: removes the challenge and starts the session (the caller
/// sets the cookies with [`set_session_cookies`] and answers with a redirect or JSON).
pub async fn complete(
    state: &AppContext,
    req: &HttpRequest,
    flow: &Flow,
    method: &str,
) -> Result<refresh_tokens::Issued, ManagerError> {
    let keys = state.keys.clone();
    let now = state.now();
    let origin = session_lifecycle::Origin {
        via: "console",
        source_ip: source_ip(req),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect(),
    };
    let user = flow.user.clone();
    let token_hash = flow.token_hash.clone();
    let method = method.to_owned();
    state
        .db(move |conn| {
            LoginChallenge::delete(conn, &token_hash)?;
            session_lifecycle::begin(conn, &keys, now, &user, &method, &origin)
        })
        .await
}

/// Sets the session cookies (and clears the login cookie) on `r`.
pub fn set_session_cookies(r: &mut HttpResponse, issued: &refresh_tokens::Issued) {
    let _ = r.add_cookie(&cookies::make(cookies::ACCESS, issued.access_token.clone()));
    let _ = r.add_cookie(&cookies::make(cookies::REFRESH, issued.refresh_token.clone()));
    let _ = r.add_cookie(&cookies::clear(cookies::LOGIN));
}
