//! Tokens for scripts: `POST /api/v1/auth/token` (password + TOTP) returns an access/refresh pair,
//! `auth/refresh` rotates it, `auth/logout` ends the session; `GET /api/v1/me` says who the token is.

use super::ok_json;
use super::views::{GroupRef, Health, LoggedOut, Me, MeToken};
use crate::app::AppContext;
use crate::auth::password_check::{self, Refusal};
use crate::auth::{refresh_tokens, session_lifecycle};
use crate::db::models::User;
use crate::error::ManagerError;
use crate::http::identity::{rotate, source_ip, Signed};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// `POST /auth/token`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenRequest {
    /// User name.
    username: String,
    /// Password.
    password: String,
    /// A current TOTP code.
    totp: String,
}

/// `POST /auth/refresh`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshRequest {
    /// The refresh token of the pair (used once).
    refresh_token: String,
}

/// The token pair.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct TokenPair {
    /// `Bearer`.
    token_type: &'static str,
    /// The access token (`Authorization: Bearer`).
    access_token: String,
    /// When it expires (RFC 3339).
    expires_at: String,
    /// Seconds until then.
    expires_in: i64,
    /// The refresh token (`POST /auth/refresh`).
    refresh_token: String,
    /// The refresh token lapses after this long unused.
    refresh_idle_timeout_secs: i64,
}

impl TokenPair {
    fn of(i: refresh_tokens::Issued, now: chrono::DateTime<chrono::Utc>) -> Self {
        TokenPair {
            token_type: "Bearer",
            expires_in: (i.access_expires_at - now).num_seconds(),
            expires_at: i.access_expires_at.to_rfc3339(),
            access_token: i.access_token,
            refresh_token: i.refresh_token,
            refresh_idle_timeout_secs: refresh_tokens::REFRESH_IDLE_MINUTES * 60,
        }
    }
}

fn refused(r: &Refusal) -> ManagerError {
    match r {
        Refusal::Locked(_) => ManagerError::TooMany(r.message()),
        Refusal::Disabled => ManagerError::Forbidden(r.message()),
        Refusal::BadCredentials => ManagerError::Unauthenticated(r.message()),
    }
}

pub(crate) async fn token(
    state: web::Data<AppContext>,
    req: HttpRequest,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, ManagerError> {
    let b = body.into_inner();
    let now = state.now();
    let ip = source_ip(&req);
    let keys = state.keys.clone();
    let db = crate::db::Db::new(state.pool.clone());
    let th = state.login_throttle.clone();
    let user =
        match password_check::check_password(&db, &th, now, b.username.trim(), &b.password, &ip).await? {
            Ok(u) => u,
            Err(r) => return Err(refused(&r)),
        };
    let issued = state
        .db(move |conn| {
            if user.must_change_password {
                return Err(ManagerError::Forbidden(
                    "the one-time password must be changed first: sign in to the console once".into(),
                ));
            }
            if crate::auth::totp::accept(conn, user.id, &b.totp, now)?.is_err() {
                let r = password_check::fail(conn, &th, now, &user, "second factor", &ip)?;
                return Err(refused(&r));
            }
            let origin = session_lifecycle::Origin {
                via: "api",
                source_ip: ip,
                user_agent: "api".into(),
            };
            session_lifecycle::begin(conn, &keys, now, &user, "totp", &origin)
        })
        .await?;
    Ok(ok_json(&req, now, TokenPair::of(issued, now)))
}

pub(crate) async fn refresh(
    state: web::Data<AppContext>,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    match rotate(&state, body.into_inner().refresh_token, source_ip(&req)).await? {
        Ok(issued) => Ok(ok_json(&req, now, TokenPair::of(issued, now))),
        Err(r) => Err(ManagerError::Unauthenticated(format!(
            "refresh refused ({r:?}); sign in again"
        ))),
    }
}

pub(crate) async fn logout(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let sid = who.session()?.id.clone();
    let (w, s) = (who.clone(), sid.clone());
    state
        .db(move |conn| session_lifecycle::end(conn, now, &w.user, &s, "api"))
        .await?;
    Ok(ok_json(
        &req,
        now,
        LoggedOut {
            session: sid,
            revoked: true,
        },
    ))
}

pub(crate) async fn me(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let uid = who.user.id;
    let groups = state.db(move |conn| Ok(User::groups(conn, uid)?)).await?;
    Ok(ok_json(
        &req,
        state.now(),
        Me {
            id: who.user.id,
            username: who.user.username.clone(),
            role: who.user.role.clone(),
            groups: GroupRef::list(groups),
            session: who.session().ok().map(|s| s.id.clone()),
            theme: who.user.theme.clone(),
            api_token: who.api_token().map(|t| MeToken {
                id: t.id,
                name: t.name.clone(),
                read_only: t.read_only,
                expires_at: t.expires_at,
            }),
        },
    ))
}

pub(crate) async fn health(
    state: web::Data<AppContext>,
    req: HttpRequest,
) -> Result<HttpResponse, ManagerError> {
    // The shared view kept by the database watch and the pool's circuit: never waits on the pool, so it
    // answers at once while the database is away (and says so).
    let db = state.pool.health().state();
    let status = if db == crate::db::health::DbState::Ok {
        "ok"
    } else {
        "degraded"
    };
    Ok(ok_json(
        &req,
        state.now(),
        Health {
            status,
            database: db.as_str(),
            version: env!("CARGO_PKG_VERSION"),
            ca_fingerprint: state.ca_fingerprint.to_string(),
        },
    ))
}
