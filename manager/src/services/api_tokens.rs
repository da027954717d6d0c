//! API tokens and service accounts: create (after a fresh factor proof), list, revoke, and check each use.

use super::own_account::Me;
use super::reauth::{self, Proof};
use super::{conflict, Actor};
use crate::app::AppContext;
use crate::audit::{self, Entry};
use crate::auth::api_tokens::{self, Minted};
use crate::db::models::api_token::{ApiToken, NewApiToken, ServiceAccount, TokenWithOwner};
use crate::db::models::{NewUser, Role, User};
use crate::error::ManagerError;
use diesel::Connection;

/// What a new token asks for.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Its name.
    pub name: String,
    /// Only reads (GET/HEAD); otherwise the owner's own role.
    pub read_only: bool,
    /// Lifetime in days (default 90, at most 365).
    pub days: Option<i64>,
    /// The service account it acts as (administrators only); `None`: the creator.
    pub service_account: Option<i64>,
    /// The creator's fresh factor proof (a code, or on the console a security-key answer).
    pub proof: Proof,
}

/// Why a presented token was not accepted (all answered 401 alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// No such token (or not shaped like one).
    Unknown,
    /// Revoked.
    Revoked,
    /// Past its expiry.
    Expired,
    /// Its owner is disabled.
    OwnerDisabled,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Rejection::Unknown => "unknown API token",
            Rejection::Revoked => "the API token was revoked",
            Rejection::Expired => "the API token expired",
            Rejection::OwnerDisabled => "the API token's account is disabled",
        })
    }
}

/// A request that came with a good token.
#[derive(Debug, Clone)]
pub struct TokenUse {
    /// The owner as stored now.
    pub user: User,
    /// The token.
    pub token: ApiToken,
}

/// Creates a token after the creator proved a current factor; returns the row and the secret (shown once).
pub async fn create(
    ctx: &AppContext,
    me: &Me,
    who: &Actor,
    req: NewToken,
) -> Result<(ApiToken, String), ManagerError> {
    let name = api_tokens::validate_name(&req.name).map_err(ManagerError::Invalid)?;
    let expires_at = api_tokens::expiry(ctx.now(), req.days).map_err(ManagerError::Invalid)?;
    if req.service_account.is_some() {
        who.require_admin()?;
    }
    let how = reauth::prove(ctx, me, &req.proof).await?;
    let (who, now, minted): (Actor, _, Minted) = (who.clone(), ctx.now(), api_tokens::mint());
    let secret = minted.secret.clone();
    let row = ctx
        .db(move |c| {
            c.transaction(|c| {
                let owner = match req.service_account {
                    None => who.id,
                    Some(id) if ServiceAccount::is(c, id)? => id,
                    Some(id) => {
                        return Err(ManagerError::NotFound(format!("no service account with id {id}")))
                    }
                };
                let owner_name = User::by_id(c, owner)?.map(|u| u.username).unwrap_or_default();
                let row = ApiToken::insert(
                    c,
                    &NewApiToken {
                        user_id: owner,
                        name: &name,
                        prefix: &minted.shown,
                        token_hash: &minted.hash,
                        read_only: req.read_only,
                        created_by: &who.name,
                        created_at: now,
                        expires_at,
                    },
                )
                .map_err(conflict(format!("a live token named `{name}` already exists")))?;
                who.audit(
                    c,
                    now,
                    "token.create",
                    &format!("token:{}", row.name),
                    serde_json::json!({
                        "token_id": row.id, "owner": owner_name, "read_only": row.read_only,
                        "expires_at": row.expires_at, "prefix": row.prefix, "proof": how,
                    }),
                )?;
                Ok(row)
            })
        })
        .await?;
    Ok((row, secret))
}

/// One page of tokens: the actor's own, or (`all`, administrators) everyone's; newest first.
pub async fn list(
    ctx: &AppContext,
    who: &Actor,
    all: bool,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<TokenWithOwner>, ManagerError> {
    if all {
        who.require_admin()?;
    }
    let owner = (!all).then_some(who.id);
    ctx.db(move |c| Ok(ApiToken::page(c, owner, before, limit)?))
        .await
}

/// Revokes token `id`: the actor's own, or any (administrators). Someone else's token is a 404.
pub async fn revoke(ctx: &AppContext, who: &Actor, id: i64) -> Result<ApiToken, ManagerError> {
    let (who, now) = (who.clone(), ctx.now());
    ctx.db(move |c| {
        c.transaction(|c| {
            let missing = || ManagerError::NotFound(format!("no API token with id {id}"));
            let t = ApiToken::by_id(c, id)?.ok_or_else(missing)?;
            if t.user_id != who.id && !who.scope.is_admin() {
                return Err(missing());
            }
            if !ApiToken::revoke(c, id, now, &who.name)? {
                return Err(ManagerError::Refused(format!(
                    "API token `{}` is already revoked",
                    t.name
                )));
            }
            who.audit(
                c,
                now,
                "token.revoke",
                &format!("token:{}", t.name),
                serde_json::json!({"token_id": id}),
            )?;
            ApiToken::by_id(c, id)?.ok_or_else(missing)
        })
    })
    .await
}

/// Checks a presented token; a good one is touched and its use audited (with the token's name) before the
/// request goes on, so no use goes unrecorded. A refusal names the known token it was, if any.
pub async fn authenticate(
    ctx: &AppContext,
    presented: String,
    method: String,
    path: String,
    ip: String,
) -> Result<Result<TokenUse, (Rejection, Option<i64>)>, ManagerError> {
    let Some(hash) = api_tokens::lookup_hash(&presented) else {
        return Ok(Err((Rejection::Unknown, None)));
    };
    let now = ctx.now();
    ctx.db(move |c| {
        let Some(token) = ApiToken::by_hash(c, &hash)? else {
            return Ok(Err((Rejection::Unknown, None)));
        };
        if token.revoked_at.is_some() {
            return Ok(Err((Rejection::Revoked, Some(token.id))));
        }
        if !token.live_at(now) {
            return Ok(Err((Rejection::Expired, Some(token.id))));
        }
        let user = match User::by_id(c, token.user_id)? {
            Some(u) if !u.disabled => u,
            _ => return Ok(Err((Rejection::OwnerDisabled, Some(token.id)))),
        };
        c.transaction::<_, ManagerError, _>(|c| {
            ApiToken::touch(c, token.id, now, &ip)?;
            audit::append(
                c,
                now,
                &Entry {
                    actor: &user.username,
                    action: "token.use",
                    target: &format!("token:{}", token.name),
                    details: serde_json::json!({
                        "token_id": token.id, "method": method, "path": path, "source_ip": ip,
                    }),
                },
            )?;
            Ok(())
        })?;
        Ok(Ok(TokenUse { user, token }))
    })
    .await
}

/// Creates a service account (administrators): a user that cannot sign in (no usable password), with a role
/// and manager groups; it acts only through tokens an administrator creates for it.
pub async fn create_service_account(
    ctx: &AppContext,
    who: &Actor,
    name: &str,
    role: Role,
    groups: Vec<i64>,
    description: &str,
) -> Result<User, ManagerError> {
    who.require_admin()?;
    crate::auth::username::validate(name).map_err(ManagerError::Invalid)?;
    let (who, now, name, description) = (
        who.clone(),
        ctx.now(),
        name.to_owned(),
        description.trim().to_owned(),
    );
    ctx.db(move |c| {
        c.transaction(|c| {
            let user = User::insert(
                c,
                &NewUser {
                    username: &name,
                    // Not a PHC string: no password ever verifies against it.
                    password_hash: NO_PASSWORD,
                    role: role.as_str(),
                    must_change_password: false,
                    created_at: now,
                },
            )
            .map_err(conflict(format!("user `{name}` already exists")))?;
            ServiceAccount::insert(
                c,
                &ServiceAccount { user_id: user.id, description: description.clone(), created_by: who.name.clone(), created_at: now },
            )?;
            who.audit(
                c,
                now,
                "service_account.create",
                &format!("user:{name}"),
                serde_json::json!({"user_id": user.id, "role": role.as_str(), "groups": groups, "description": description}),
            )?;
            if !groups.is_empty() {
                super::users::apply(c, now, &who, user.id, &super::users::Change::Groups(groups))?;
            }
            Ok(user)
        })
    })
    .await
}

/// The password hash of a service account: not a PHC string, so no password matches it.
pub const NO_PASSWORD: &str = "!service-account: no password sign-in";

/// One page of service accounts (administrators), newest first.
pub async fn service_accounts(
    ctx: &AppContext,
    who: &Actor,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<(ServiceAccount, User)>, ManagerError> {
    who.require_admin()?;
    ctx.db(move |c| Ok(ServiceAccount::page(c, before, limit)?)).await
}
