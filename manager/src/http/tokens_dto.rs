//! The API tokens' wire types (requests, views, pages) and their helpers, shared by the JSON API and the pages.

use crate::db::models::api_token::{ApiToken, TokenWithOwner};
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services::own_account::Me;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most rows one page returns.
pub const MAX_PAGE: i64 = 200;

/// `?before=ID&limit=N` (newest first); `all=true` for every user's tokens (administrators).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    /// Only rows with a smaller id (the previous page's `next_before`).
    pub before: Option<i64>,
    /// Rows per page (1 to 200, default 50).
    pub limit: Option<i64>,
    /// Every user's tokens (administrators only).
    pub all: Option<bool>,
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// A name (1-64 letters, digits, spaces, `.`, `_`, `-`), unique among the owner's live tokens.
    pub name: String,
    /// Only GET requests (default false: the owner's own role).
    #[serde(default)]
    pub read_only: bool,
    /// Lifetime in days: 1 to 365, default 90.
    pub days: Option<i64>,
    /// Create it for this service account instead of yourself (administrators only).
    pub service_account: Option<i64>,
    /// A current TOTP code (or an unused recovery code) of the signed-in user.
    pub code: String,
}

/// A token as lists show it (never its secret).
#[derive(Debug, Serialize, JsonSchema)]
pub struct TokenView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The first characters of the secret.
    pub prefix: String,
    /// The account it acts as.
    pub owner: String,
    /// Only reads.
    pub read_only: bool,
    /// `active`, `expired` or `revoked`.
    pub state: String,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Refused from then on.
    pub expires_at: DateTime<Utc>,
    /// Its last use.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The address of its last use.
    pub last_used_ip: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenView {
    /// The view of `t` owned by `owner` at `now`.
    pub fn of(t: ApiToken, owner: String, now: DateTime<Utc>) -> Self {
        let state = if t.revoked_at.is_some() {
            "revoked"
        } else if t.live_at(now) {
            "active"
        } else {
            "expired"
        };
        TokenView {
            id: t.id,
            state: state.into(),
            name: t.name,
            prefix: t.prefix,
            owner,
            read_only: t.read_only,
            created_by: t.created_by,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            last_used_ip: t.last_used_ip,
            revoked_at: t.revoked_at,
        }
    }
}

/// A page of tokens.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TokenPage {
    /// Newest first.
    pub tokens: Vec<TokenView>,
    /// `before` for the next page; null on the last.
    pub next_before: Option<i64>,
}

/// A new token: shown once.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedToken {
    /// The secret: `Authorization: Bearer <token>`. It is not stored and cannot be shown again.
    pub token: String,
    /// The token as lists show it.
    pub details: TokenView,
}

/// `POST /api/v1/service-accounts`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceAccount {
    /// Its user name.
    pub username: String,
    /// `admin` or `operator`.
    pub role: String,
    /// Manager group ids (operators see hosts of these groups plus ungrouped hosts).
    #[serde(default)]
    pub groups: Vec<i64>,
    /// What it is for.
    #[serde(default)]
    pub description: String,
}

/// A service account.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ServiceAccountView {
    /// Its user id (`service_account` when creating a token).
    pub id: i64,
    /// User name.
    pub username: String,
    /// `admin` or `operator`.
    pub role: String,
    /// Disabled accounts' tokens stop working.
    pub disabled: bool,
    /// What it is for.
    pub description: String,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A page of service accounts.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ServiceAccountPage {
    /// Newest first.
    pub service_accounts: Vec<ServiceAccountView>,
    /// `before` for the next page; null on the last.
    pub next_before: Option<i64>,
}

/// `?before=ID&limit=N`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Only rows with a smaller id.
    pub before: Option<i64>,
    /// Rows per page (1 to 200, default 50).
    pub limit: Option<i64>,
}

/// The signed-in session's user, for the factor proof (API tokens cannot create tokens).
pub fn me_of(who: &Signed) -> Result<Me, ManagerError> {
    Ok(Me {
        user: who.user.clone(),
        session_id: who.session()?.id.clone(),
    })
}

pub(crate) fn limit_of(limit: Option<i64>) -> Result<i64, ManagerError> {
    match limit.unwrap_or(50) {
        l @ 1..=MAX_PAGE => Ok(l),
        l => Err(ManagerError::Invalid(format!(
            "limit must be 1 to {MAX_PAGE} (got {l})"
        ))),
    }
}

/// A page of token rows as views, with the next cursor.
pub fn token_page(rows: Vec<TokenWithOwner>, limit: i64, now: DateTime<Utc>) -> TokenPage {
    let full = i64::try_from(rows.len()).unwrap_or(0) >= limit;
    let next_before = full.then(|| rows.last().map(|(t, _)| t.id)).flatten();
    TokenPage {
        tokens: rows.into_iter().map(|(t, o)| TokenView::of(t, o, now)).collect(),
        next_before,
    }
}
