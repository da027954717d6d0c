//! A signed-in user's own account: changing the password (the current one required) and, only with a fresh
//! proof of a current factor (a TOTP code or an unused recovery code), new recovery codes, another
//! authenticator app, or removing a factor — so a stolen session cookie alone changes none of them.

use crate::app::AppContext;
use crate::audit::{self, Entry};
use crate::auth::{password, password_check, recovery, refresh_tokens, totp};
use crate::db::models::mfa::{factor_count, RecoveryCode, TotpFactor, WebauthnCredential};
use crate::db::models::User;
use crate::error::ManagerError;
use diesel::Connection;

/// Who acts: the account and the session the request came with.
#[derive(Debug, Clone)]
pub struct Me {
    /// The account as stored now.
    pub user: User,
    /// The session id (wrong answers are throttled per session; a password change keeps this one).
    pub session_id: String,
}

impl Me {
    fn throttle_key(&self) -> String {
        format!("session:{}", self.session_id)
    }
}

/// Refuses while this session has given too many wrong answers (the sign-in throttle, keyed by session).
pub(super) fn check_throttle(ctx: &AppContext, me: &Me) -> Result<(), ManagerError> {
    match ctx
        .login_throttle
        .blocked(&me.user.username, &me.throttle_key(), ctx.now())
    {
        Some(until) => Err(ManagerError::TooMany(format!(
            "too many wrong answers: try again after {}",
            until.format("%H:%M:%S UTC")
        ))),
        None => Ok(()),
    }
}

/// Counts a wrong answer and audits it.
pub(super) async fn wrong(
    ctx: &AppContext,
    me: &Me,
    what: &'static str,
) -> Result<ManagerError, ManagerError> {
    let now = ctx.now();
    ctx.login_throttle
        .failed(&me.user.username, &me.throttle_key(), now);
    let name = me.user.username.clone();
    ctx.db(move |c| {
        audit::append(
            c,
            now,
            &Entry {
                actor: &name,
                action: "auth.reauth_failed",
                target: &format!("user:{name}"),
                details: serde_json::json!({ "proof": what }),
            },
        )?;
        Ok(())
    })
    .await?;
    Ok(ManagerError::Refused(format!(
        "the {what} is not correct: nothing was changed"
    )))
}

/// Proves a current factor: a fresh TOTP code of one of the user's apps, or an unused recovery code (spent).
/// Returns how (`totp` or `recovery code`); a wrong answer is counted, audited and refused.
pub async fn prove_factor(ctx: &AppContext, me: &Me, code: &str) -> Result<&'static str, ManagerError> {
    check_throttle(ctx, me)?;
    let (uid, now, code) = (me.user.id, ctx.now(), code.trim().to_owned());
    if code.is_empty() {
        return Err(ManagerError::Invalid(
            "enter a current code from your authenticator app or an unused recovery code".into(),
        ));
    }
    let how = ctx
        .db(move |c| {
            if totp::accept(c, uid, &code, now)?.is_ok() {
                return Ok(Some("totp"));
            }
            let hash = recovery::hash(&recovery::normalize(&code));
            Ok(RecoveryCode::consume(c, uid, &hash, now)?.then_some("recovery code"))
        })
        .await?;
    match how {
        Some(h) => Ok(h),
        None => Err(wrong(ctx, me, "one-time or recovery code").await?),
    }
}

/// Changes the user's own password: the current one must be right and the new one acceptable; every other
/// session of the user ends. Returns how many sessions ended.
pub async fn change_password(
    ctx: &AppContext,
    me: &Me,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<usize, ManagerError> {
    check_throttle(ctx, me)?;
    let (cur, hash) = (current.to_owned(), me.user.password_hash.clone());
    let knows = actix_web::web::block(move || password::verify(&cur, &hash))
        .await
        .map_err(|e| ManagerError::Internal(format!("password check: {e}")))?;
    if !knows {
        return Err(wrong(ctx, me, "current password").await?);
    }
    password_check::validate_new_password(&me.user.username, new, confirm).map_err(ManagerError::Invalid)?;
    if new == current {
        return Err(ManagerError::Invalid(
            "the new password must differ from the current one".into(),
        ));
    }
    let new = new.to_owned();
    let hash = actix_web::web::block(move || password::hash(&new))
        .await
        .map_err(|e| ManagerError::Internal(format!("password hash: {e}")))??;
    let (me, now) = (me.clone(), ctx.now());
    ctx.db(move |c| {
        c.transaction(|c| {
            User::set_password(c, me.user.id, &hash, false)?;
            let ended =
                refresh_tokens::revoke_others(c, me.user.id, &me.session_id, now, "password changed")?;
            audit::append(
                c,
                now,
                &Entry {
                    actor: &me.user.username,
                    action: "user.password_change",
                    target: &format!("user:{}", me.user.username),
                    details: serde_json::json!({"forced": false, "other_sessions_ended": ended}),
                },
            )?;
            Ok(ended)
        })
    })
    .await
}

/// New recovery codes (the old ones stop working), after `code` proved a current factor.
pub async fn new_recovery_codes(ctx: &AppContext, me: &Me, code: &str) -> Result<Vec<String>, ManagerError> {
    let how = prove_factor(ctx, me, code).await?;
    let codes = recovery::generate();
    let hashes: Vec<String> = codes.iter().map(|c| recovery::hash(c)).collect();
    let (me, now) = (me.clone(), ctx.now());
    ctx.db(move |c| {
        c.transaction(|c| {
            RecoveryCode::replace_for_user(c, me.user.id, &hashes)?;
            audit::append(
                c,
                now,
                &Entry {
                    actor: &me.user.username,
                    action: "mfa.recovery_codes_regenerated",
                    target: &format!("user:{}", me.user.username),
                    details: serde_json::json!({"count": hashes.len(), "proof": how}),
                },
            )?;
            Ok(())
        })
    })
    .await?;
    Ok(codes)
}

/// Adds an authenticator app whose `secret` the user was shown after proving a factor: `code` must be the
/// app's current code.
pub async fn add_totp(ctx: &AppContext, me: &Me, secret: &str, code: &str) -> Result<(), ManagerError> {
    check_throttle(ctx, me)?;
    let step = match totp::verify(secret, code, ctx.now(), 0) {
        Ok(s) => s,
        Err(why) => {
            return Err(ManagerError::Invalid(format!(
                "that code was not accepted ({why}); scan the code again and enter the app's current code"
            )))
        }
    };
    let (me, now, secret) = (me.clone(), ctx.now(), secret.to_owned());
    ctx.db(move |c| {
        c.transaction(|c| {
            let f = TotpFactor::insert(c, me.user.id, &secret, now)?;
            TotpFactor::mark_used(c, f.id, step)?;
            audit::append(
                c,
                now,
                &Entry {
                    actor: &me.user.username,
                    action: "mfa.enroll",
                    target: &format!("user:{}", me.user.username),
                    details: serde_json::json!({"kind": "totp", "factor_id": f.id, "signed_in": true}),
                },
            )?;
            Ok(())
        })
    })
    .await
}

/// Which factor to remove: `totp:ID` or `key:ID`.
fn parse_factor(s: &str) -> Result<(&'static str, i64), ManagerError> {
    let bad = || ManagerError::Invalid(format!("`{s}` is not a factor (totp:ID or key:ID)"));
    let (kind, id) = s.split_once(':').ok_or_else(bad)?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    match kind {
        "totp" => Ok(("totp", id)),
        "key" => Ok(("key", id)),
        _ => Err(bad()),
    }
}

/// Removes one of the user's factors after `code` proved a current one; the last factor stays.
pub async fn remove_factor(ctx: &AppContext, me: &Me, factor: &str, code: &str) -> Result<(), ManagerError> {
    let (kind, id) = parse_factor(factor)?;
    let how = prove_factor(ctx, me, code).await?;
    let (me, now) = (me.clone(), ctx.now());
    ctx.db(move |c| {
        c.transaction(|c| {
            if factor_count(c, me.user.id)? <= 1 {
                return Err(ManagerError::Refused(
                    "this is your only second factor: add another before removing it".into(),
                ));
            }
            let gone = match kind {
                "totp" => TotpFactor::delete_one(c, me.user.id, id)?,
                _ => WebauthnCredential::delete_one(c, me.user.id, id)?,
            };
            if !gone {
                return Err(ManagerError::NotFound(format!("you have no factor {kind}:{id}")));
            }
            audit::append(
                c,
                now,
                &Entry {
                    actor: &me.user.username,
                    action: "mfa.factor_removed",
                    target: &format!("user:{}", me.user.username),
                    details: serde_json::json!({"kind": kind, "factor_id": id, "proof": how}),
                },
            )?;
            Ok(())
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_are_named_kind_and_id() {
        assert_eq!(parse_factor("totp:3").unwrap(), ("totp", 3));
        assert_eq!(parse_factor("key:12").unwrap(), ("key", 12));
        assert!(parse_factor("sms:1").is_err());
        assert!(parse_factor("totp:x").is_err());
        assert!(parse_factor("totp").is_err());
    }
}
