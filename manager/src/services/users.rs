//! Account administration (admins only): create, disable/enable, role, groups, MFA reset, session
//! revocation, password reset; never leaves the console without an enabled administrator.

use super::Actor;
use crate::auth::{password, refresh_tokens};
use crate::db::models::mfa::{RecoveryCode, TotpFactor, WebauthnCredential};
use crate::db::models::{Group, LoginChallenge, Role, User};
use crate::error::ManagerError;
use crate::services::accounts::{self, Created};
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use linux_patch_shared::clock::Clock;

/// What an admin can do to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Disable (sessions revoked) or enable.
    Disabled(bool),
    /// New role.
    Role(Role),
    /// New group memberships.
    Groups(Vec<i64>),
    /// Remove every second factor and recovery code; the next login enrols again (sessions revoked).
    ResetMfa,
    /// End every session now.
    RevokeSessions,
    /// Clear the failed-login counter (the in-memory throttle is cleared by [`unlock`]).
    Unlock,
}

/// Unlocks user `id` (administrators): the failure counter and every (user, address) throttle entry,
/// audited `user.unlock`; how many throttled addresses were cleared.
pub async fn unlock(ctx: &crate::app::AppContext, who: &Actor, id: i64) -> Result<usize, ManagerError> {
    who.require_admin()?;
    let (a, now) = (who.clone(), ctx.now());
    let name = ctx
        .db(move |c| {
            apply(c, now, &a, id, &Change::Unlock)?;
            Ok(User::by_id(c, id)?.map(|u| u.username).unwrap_or_default())
        })
        .await?;
    Ok(ctx.login_throttle.unlock_user(&name))
}

/// Creates an account (one-time password returned once), optionally in groups.
pub fn create(
    conn: &mut PgConnection,
    clock: &dyn Clock,
    who: &Actor,
    name: &str,
    role: Role,
    groups: &[i64],
) -> Result<Created, ManagerError> {
    who.require_admin()?;
    let created = accounts::create_user(conn, clock, &who.name, name.trim(), role)?;
    if !groups.is_empty() {
        apply(
            conn,
            clock.now(),
            who,
            created.user.id,
            &Change::Groups(groups.to_vec()),
        )?;
    }
    Ok(created)
}

/// Applies `change` to user `id`, audited, in one transaction.
pub fn apply(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    who: &Actor,
    id: i64,
    change: &Change,
) -> Result<(), ManagerError> {
    who.require_admin()?;
    conn.transaction(|conn| {
        let user =
            User::by_id(conn, id)?.ok_or_else(|| ManagerError::NotFound(format!("no user with id {id}")))?;
        let target = format!("user:{}", user.username);
        let removes_admin = match change {
            Change::Disabled(true) => user.role() == Role::Admin && !user.disabled,
            Change::Role(Role::Operator) => user.role() == Role::Admin && !user.disabled,
            _ => false,
        };
        if removes_admin && User::active_admins(conn)? <= 1 {
            return Err(ManagerError::Refused(format!(
                "`{}` is the last enabled administrator; make another one first",
                user.username
            )));
        }
        let (action, details) = match change {
            Change::Disabled(d) => {
                User::set_disabled(conn, id, *d)?;
                let revoked = if *d {
                    refresh_tokens::revoke_user(conn, id, now, "account disabled")?
                } else {
                    0
                };
                (
                    if *d { "user.disable" } else { "user.enable" },
                    serde_json::json!({"sessions_revoked": revoked}),
                )
            }
            Change::Role(r) => {
                User::set_role(conn, id, *r)?;
                (
                    "user.role",
                    serde_json::json!({"before": user.role, "after": r.as_str()}),
                )
            }
            Change::Groups(g) => {
                let known: Vec<i64> = Group::all(conn)?.into_iter().map(|g| g.id).collect();
                if let Some(bad) = g.iter().find(|x| !known.contains(x)) {
                    return Err(ManagerError::Invalid(format!("there is no group with id {bad}")));
                }
                let before: Vec<i64> = User::groups(conn, id)?.into_iter().map(|(g, _)| g).collect();
                User::set_groups(conn, id, g)?;
                ("user.groups", serde_json::json!({"before": before, "after": g}))
            }
            Change::ResetMfa => {
                let t = TotpFactor::delete_for_user(conn, id)?;
                let w = WebauthnCredential::delete_for_user(conn, id)?;
                RecoveryCode::delete_for_user(conn, id)?;
                let revoked = refresh_tokens::revoke_user(conn, id, now, "MFA reset")?;
                // A half-finished login (someone past the old password) must not survive the reset.
                let ended = LoginChallenge::delete_for_user(conn, id)?;
                (
                    "user.mfa_reset",
                    serde_json::json!({"totp_removed": t, "webauthn_removed": w, "sessions_revoked": revoked,
                        "login_challenges_ended": ended}),
                )
            }
            Change::Unlock => {
                User::clear_failures(conn, id)?;
                (
                    "user.unlock",
                    serde_json::json!({"failed_logins_before": user.failed_logins}),
                )
            }
            Change::RevokeSessions => {
                let revoked =
                    refresh_tokens::revoke_user(conn, id, now, &format!("revoked by {}", who.name))?;
                (
                    "user.sessions_revoked",
                    serde_json::json!({"sessions_revoked": revoked}),
                )
            }
        };
        who.audit(conn, now, action, &target, details)
    })
}

/// Sets a new one-time password (must be changed at next login) and ends the user's sessions.
pub fn reset_password(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    who: &Actor,
    id: i64,
) -> Result<String, ManagerError> {
    who.require_admin()?;
    let otp = password::one_time();
    let hash = password::hash(&otp)?;
    conn.transaction(|conn| {
        let user =
            User::by_id(conn, id)?.ok_or_else(|| ManagerError::NotFound(format!("no user with id {id}")))?;
        if crate::db::models::api_token::ServiceAccount::is(conn, id)? {
            return Err(ManagerError::Refused(format!(
                "`{}` is a service account: it has no password and acts only through API tokens",
                user.username
            )));
        }
        User::set_password(conn, id, &hash, true)?;
        let revoked = refresh_tokens::revoke_user(conn, id, now, "password reset")?;
        let ended = LoginChallenge::delete_for_user(conn, id)?;
        who.audit(
            conn,
            now,
            "user.password_reset",
            &format!("user:{}", user.username),
            serde_json::json!({"sessions_revoked": revoked, "login_challenges_ended": ended}),
        )
    })?;
    Ok(otp)
}
