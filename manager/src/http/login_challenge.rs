//! A login in progress (after the password, before the session): the challenge cookie resolved to its row
//! and user, with the login pages' CSRF check.

use super::cookies;
use super::identity::secret_eq;
use crate::app::AppContext;
use crate::auth::refresh_tokens;
use crate::db::models::{mfa, LoginChallenge, User};
use crate::error::ManagerError;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// The login in progress.
#[derive(Debug, Clone)]
pub struct Flow {
    /// SHA-256 of the cookie (the row's key).
    pub token_hash: String,
    /// The row.
    pub challenge: LoginChallenge,
    /// Whose login (as stored now).
    pub user: User,
    /// How many second factors the user has.
    pub factors: i64,
}

impl Flow {
    /// Refuses a form whose token is not this login's.
    pub fn check_csrf(&self, token: &str) -> Result<(), ManagerError> {
        if secret_eq(token, &self.challenge.csrf_token) {
            Ok(())
        } else {
            Err(ManagerError::Forbidden(
                "the form's security token is missing or stale: start the sign-in again".into(),
            ))
        }
    }

    /// Whether a second factor was proven in this login (an enrolment counts).
    pub fn mfa_ok(&self) -> bool {
        self.challenge.get("mfa_ok").and_then(|v| v.as_bool()) == Some(true)
    }
}

fn expired() -> ManagerError {
    ManagerError::Unauthenticated("your sign-in expired or was finished; start again".into())
}

impl FromRequest for Flow {
    type Error = ManagerError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppContext>>().cloned();
        let token = cookies::get(req, cookies::LOGIN);
        Box::pin(async move {
            let state = state.ok_or_else(|| ManagerError::Internal("no application state".into()))?;
            let token_hash = refresh_tokens::hash_token(&token.ok_or_else(expired)?);
            let now = state.now();
            state
                .db(move |conn| {
                    let Some(challenge) = LoginChallenge::live(conn, &token_hash, now)? else {
                        return Err(expired());
                    };
                    let user = match User::by_id(conn, challenge.user_id)? {
                        Some(u) if !u.disabled => u,
                        _ => return Err(expired()),
                    };
                    let factors = mfa::factor_count(conn, user.id)?;
                    Ok(Flow {
                        token_hash,
                        challenge,
                        user,
                        factors,
                    })
                })
                .await
        })
    }
}
