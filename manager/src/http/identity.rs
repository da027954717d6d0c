//! Who is asking: a session's access token (bearer or cookie) or an API token (`/api/v1` only), the console's
//! silent refresh, and the CSRF rule for cookie-authenticated requests.

use super::cookies;
use crate::app::AppContext;
use crate::audit::{self, Entry};
use crate::auth::api_tokens;
use crate::auth::jwt::TokenRejection;
use crate::auth::rbac::Scope;
use crate::auth::refresh_tokens::{self, Issued, RefreshRejection, Session};
use crate::db::models::api_token::ApiToken;
use crate::db::models::User;
use crate::error::ManagerError;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

pub use super::token_gate::api_token_gate;

/// How the request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Browser cookies: unsafe methods need the session's CSRF token.
    Cookie,
    /// `Authorization: Bearer`: no ambient credentials, no CSRF token needed.
    Bearer,
}

/// What a signed-in request proved itself with.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A console or script session (password + second factor).
    Session(Session),
    /// An API token (`/api/v1` only; never the console).
    Token(ApiToken),
}

/// A signed-in request: the user (as stored now), the live session, the RBAC scope.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The account.
    pub user: User,
    /// Its session (refresh-token family) or the API token it came with.
    pub credential: Credential,
    /// What it may reach.
    pub scope: Scope,
    /// Cookie or bearer.
    pub via: Via,
}

impl Signed {
    /// The session, or a refusal for API tokens (what needs a session: the console, sign-out, token creation).
    pub fn session(&self) -> Result<&Session, ManagerError> {
        match &self.credential {
            Credential::Session(s) => Ok(s),
            Credential::Token(_) => Err(ManagerError::Forbidden(
                "this needs a signed-in session (password and second factor); API tokens cannot do it".into(),
            )),
        }
    }

    /// The session's CSRF token (empty for API tokens, which never reach forms).
    pub fn csrf_token(&self) -> &str {
        self.session().map(|s| s.csrf_token.as_str()).unwrap_or("")
    }

    /// The API token the request came with, if it came with one.
    pub fn api_token(&self) -> Option<&ApiToken> {
        match &self.credential {
            Credential::Token(t) => Some(t),
            Credential::Session(_) => None,
        }
    }

    /// Refuses the request unless `token` is this session's CSRF token (bearer requests need none).
    pub fn check_csrf(&self, token: Option<&str>) -> Result<(), ManagerError> {
        if self.via == Via::Bearer {
            return Ok(());
        }
        match token {
            Some(t) if secret_eq(t, self.csrf_token()) && !self.csrf_token().is_empty() => Ok(()),
            _ => Err(ManagerError::Forbidden(
                "the form's security token is missing or stale: reload the page and try again".into(),
            )),
        }
    }

    /// Refuses non-administrators.
    pub fn require_admin(&self) -> Result<(), ManagerError> {
        self.scope.require_admin()
    }

    /// The user name, as the audit log's actor.
    pub fn actor(&self) -> &str {
        &self.user.username
    }

    /// The acting user as the services see it (name for the audit trail, RBAC scope).
    pub fn as_actor(&self) -> crate::audit::Actor {
        crate::audit::Actor {
            name: self.user.username.clone(),
            id: self.user.id,
            scope: self.scope,
        }
    }
}

/// Constant-time equality of two secrets (`openssl::memcmp::eq` requires equal lengths; lengths are not secret).
pub fn secret_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a.as_bytes(), b.as_bytes())
}

/// The source address of a request, for the audit log.
pub fn source_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Checks an access token and its session; `Ok(Err(_))` is a token that is not (or no longer) good.
pub async fn authenticate(
    state: &AppContext,
    token: String,
    via: Via,
) -> Result<Result<Signed, TokenRejection>, ManagerError> {
    let keys = state.keys.clone();
    let now = state.now();
    state
        .db(move |conn| {
            let claims = match keys.verify(conn, &token, now) {
                Ok(c) => c,
                Err(r) => return Ok(Err(r)),
            };
            let (session, user) = match refresh_tokens::active(conn, &claims.sid, now)? {
                Some((s, u)) if !u.disabled && u.id.to_string() == claims.sub => (s, u),
                _ => return Ok(Err(TokenRejection::Expired)),
            };
            Ok(Ok(Signed {
                scope: Scope::of(&user),
                user,
                credential: Credential::Session(session),
                via,
            }))
        })
        .await
}

/// The `Authorization: Bearer` credential of a request, if any.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let h = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = h.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

impl FromRequest for Signed {
    type Error = ManagerError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = req.extensions().get::<Signed>().cloned();
        let state = req.app_data::<web::Data<AppContext>>().cloned();
        let token = bearer(req)
            .map(|t| (t, Via::Bearer))
            .or_else(|| cookies::get(req, cookies::ACCESS).map(|t| (t, Via::Cookie)));
        let safe = req.method().is_safe();
        let csrf = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let form_checked = req.extensions().get::<CsrfByForm>().is_some();
        Box::pin(async move {
            let signed = match found {
                Some(s) => s,
                None => {
                    let state = state.ok_or_else(|| ManagerError::Internal("no application state".into()))?;
                    let (token, via) =
                        token.ok_or_else(|| ManagerError::Unauthenticated("sign in first".into()))?;
                    // API tokens are taken only by `api_token_gate` on `/api/v1`: never the console or `/ws`.
                    if api_tokens::is_api_token(&token) {
                        return Err(ManagerError::Unauthenticated(
                            "API tokens are accepted on /api/v1 only; sign in to use the console".into(),
                        ));
                    }
                    authenticate(&state, token, via).await?.map_err(|r| {
                        ManagerError::Unauthenticated(format!(
                            "the access token is not valid ({r}); sign in again"
                        ))
                    })?
                }
            };
            if !safe && !form_checked {
                signed.check_csrf(csrf.as_deref())?;
            }
            Ok(signed)
        })
    }
}

/// Marker: the handler's form extractor checks the CSRF token in the form body instead of a header.
#[derive(Debug, Clone, Copy)]
pub struct CsrfByForm;

/// Console middleware: authenticates from the cookies, and when the access token expired but the refresh
/// token is good, rotates the pair silently (new cookies on the response). Reuse of a rotated refresh token
/// revokes the session and is audited.
pub async fn silent_refresh(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppContext>>().cloned() else {
        return next.call(req).await;
    };
    let access = cookies::get(req.request(), cookies::ACCESS);
    let refresh = cookies::get(req.request(), cookies::REFRESH);
    let mut renewed: Option<Issued> = None;
    let mut clear = false;
    let mut signed = None;
    if let Some(token) = access {
        if let Ok(s) = authenticate(&state, token, Via::Cookie).await? {
            signed = Some(s);
        }
    }
    if signed.is_none() {
        if let Some(rt) = refresh {
            let ip = source_ip(req.request());
            match rotate(&state, rt, ip).await? {
                Ok(issued) => {
                    if let Ok(s) = authenticate(&state, issued.access_token.clone(), Via::Cookie).await? {
                        signed = Some(s);
                    }
                    renewed = Some(issued);
                }
                Err(_) => clear = true,
            }
        }
    }
    if let Some(s) = signed {
        req.extensions_mut().insert(s);
    }
    let mut res = next.call(req).await?;
    if let Some(issued) = renewed {
        let r = res.response_mut();
        let _ = r.add_cookie(&cookies::make(cookies::ACCESS, issued.access_token));
        let _ = r.add_cookie(&cookies::make(cookies::REFRESH, issued.refresh_token));
    } else if clear {
        let r = res.response_mut();
        let _ = r.add_cookie(&cookies::clear(cookies::ACCESS));
        let _ = r.add_cookie(&cookies::clear(cookies::REFRESH));
    }
    Ok(res)
}

/// Rotates a refresh token; audits a reuse (the whole session is revoked by `refresh_tokens::refresh`).
pub async fn rotate(
    state: &AppContext,
    refresh_token: String,
    source_ip: String,
) -> Result<Result<Issued, RefreshRejection>, ManagerError> {
    let keys = state.keys.clone();
    let now = state.now();
    state
        .db(move |conn| {
            let out = refresh_tokens::refresh(conn, &keys, now, &refresh_token)?;
            match out {
                Ok((issued, _user)) => Ok(Ok(issued)),
                Err(rejection) => {
                    if matches!(rejection, RefreshRejection::Reused) {
                        audit::append(
                            conn,
                            now,
                            &Entry {
                                actor: "system",
                                action: "session.revoked",
                                target: "session",
                                details: serde_json::json!({
                                    "reason": "refresh token reuse", "source_ip": source_ip,
                                }),
                            },
                        )?;
                    }
                    Ok(Err(rejection))
                }
            }
        })
        .await
}
