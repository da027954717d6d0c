//! Server-side sessions: opaque refresh tokens rotated on use, reuse revokes the family, idle timeout.

use crate::auth::jwt::KeyRing;
use crate::db::schema::{refresh_tokens, sessions, users};
use crate::error::ManagerError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;

/// A session without a refresh for this long is over (logged out).
pub const REFRESH_IDLE_MINUTES: i64 = 60;
/// The longest a session lives however often it is refreshed: then the user signs in again.
pub const SESSION_MAX_HOURS: i64 = 12;
/// `revoked_reason` when a session reaches [`SESSION_MAX_HOURS`].
pub const REASON_MAX_AGE: &str = "absolute lifetime";
/// `revoked_reason` when a rotated refresh token is presented again.
pub const REASON_REUSE: &str = "refresh token reuse";
/// `revoked_reason` when a refresh comes after the idle timeout.
pub const REASON_IDLE: &str = "idle";
/// `revoked_reason` when the account was disabled under a live session.
pub const REASON_USER_DISABLED: &str = "user disabled";

/// What a login or a refresh hands to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The session (refresh-token family); also the access token's `sid`.
    pub session_id: String,
    /// A fresh access token (JWT).
    pub access_token: String,
    /// When `access_token` expires.
    pub access_expires_at: DateTime<Utc>,
    /// The next refresh token (single use); only its hash is stored.
    pub refresh_token: String,
    /// The session's CSRF token (the same for the whole session).
    pub csrf_token: String,
}

/// Why a refresh was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRejection {
    /// No such refresh token.
    Unknown,
    /// No refresh for [`REFRESH_IDLE_MINUTES`]: the session is now revoked (logged out).
    Idle,
    /// The token was already rotated: the whole session is now revoked.
    Reused,
    /// The session is [`SESSION_MAX_HOURS`] old: it is now revoked; sign in again.
    TooOld,
    /// The session was revoked before.
    Revoked,
    /// The account is disabled: the session is now revoked.
    UserDisabled,
}

impl fmt::Display for RefreshRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefreshRejection::Unknown => "unknown refresh token",
            RefreshRejection::Idle => "session expired after inactivity",
            RefreshRejection::Reused => "refresh token reused; session revoked",
            RefreshRejection::TooOld => "session older than 12 hours; sign in again",
            RefreshRejection::Revoked => "session revoked",
            RefreshRejection::UserDisabled => "account disabled",
        })
    }
}

/// One row of `sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = sessions, check_for_backend(diesel::pg::Pg))]
pub struct Session {
    /// Random id (base64url, 128 bits).
    pub id: String,
    /// Whose session.
    pub user_id: i64,
    /// Expected in every state-changing form or request of this session.
    pub csrf_token: String,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Last login or refresh; the idle timeout counts from here.
    pub last_refresh_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why (`idle`, `refresh token reuse`, an admin's reason, ...).
    pub revoked_reason: Option<String>,
    /// The client address at login.
    pub source_ip: String,
    /// The client's `User-Agent` at login.
    pub user_agent: String,
}

/// SHA-256 (lowercase hex) of a secret token: what the database stores and looks up.
pub fn hash_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// `n` random bytes from the OS-seeded CSPRNG, base64url without padding.
fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::rng().fill_bytes(&mut buf);
    B64.encode(buf)
}

fn idle_limit() -> Duration {
    Duration::minutes(REFRESH_IDLE_MINUTES)
}

/// Stores a new refresh token of `session_id`; returns the clear text (never stored).
fn new_refresh_token(conn: &mut PgConnection, session_id: &str, now: DateTime<Utc>) -> QueryResult<String> {
    let token = random_token(32);
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(hash_token(&token)),
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::issued_at.eq(now),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Starts a session after a complete login (password + second factor): random session id (128 bits, base64url),
/// random CSRF token, first refresh token (32 random bytes base64url; only its SHA-256 hex stored), and an
/// access token via [`KeyRing::issue`].
pub fn start(
    conn: &mut PgConnection,
    keys: &KeyRing,
    now: DateTime<Utc>,
    user_id: i64,
    source_ip: &str,
    user_agent: &str,
) -> Result<Issued, ManagerError> {
    conn.transaction(|conn| {
        let session_id = random_token(16);
        let csrf_token = random_token(32);
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(&session_id),
                sessions::user_id.eq(user_id),
                sessions::csrf_token.eq(&csrf_token),
                sessions::created_at.eq(now),
                sessions::last_refresh_at.eq(now),
                sessions::source_ip.eq(source_ip),
                sessions::user_agent.eq(user_agent),
            ))
            .execute(conn)?;
        let refresh_token = new_refresh_token(conn, &session_id, now)?;
        let (access_token, access_expires_at) = keys.issue(conn, now, user_id, &session_id)?;
        Ok(Issued {
            session_id,
            access_token,
            access_expires_at,
            refresh_token,
            csrf_token,
        })
    })
}

/// Rotates: the presented token must exist, be unused, its session not revoked, and
/// `now - last_refresh_at <= 1 h` (else `Idle`, and the session is revoked with reason `idle`).
/// Marks it used, issues a new refresh token in the same session, bumps `last_refresh_at`, issues a new access
/// token. A token already used (rotated) revokes the whole session (`refresh token reuse`) and gives `Reused`.
/// One transaction, with the token and session rows locked, so two concurrent uses cannot both succeed.
/// Deletes what can never be used again: sessions revoked, or started (so past their 12-hour lifetime), more
/// than a day before `now` (their refresh tokens go with them), and refresh tokens of live sessions used more
/// than a day ago. Returns (sessions, refresh tokens) deleted.
pub fn prune(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<(usize, usize), ManagerError> {
    let cutoff = now - Duration::days(1);
    conn.transaction(|conn| {
        let ended = sessions::table
            .filter(
                sessions::revoked_at
                    .lt(cutoff)
                    .or(sessions::created_at.lt(cutoff)),
            )
            .select(sessions::id);
        let tokens_of_ended =
            diesel::delete(refresh_tokens::table.filter(refresh_tokens::session_id.eq_any(ended)))
                .execute(conn)?;
        let s = diesel::delete(
            sessions::table.filter(
                sessions::revoked_at
                    .lt(cutoff)
                    .or(sessions::created_at.lt(cutoff)),
            ),
        )
        .execute(conn)?;
        let used =
            diesel::delete(refresh_tokens::table.filter(refresh_tokens::used_at.lt(cutoff))).execute(conn)?;
        Ok((s, tokens_of_ended + used))
    })
}

/// Returns the new tokens and the session's user id.
pub fn refresh(
    conn: &mut PgConnection,
    keys: &KeyRing,
    now: DateTime<Utc>,
    refresh_token: &str,
) -> Result<Result<(Issued, i64), RefreshRejection>, ManagerError> {
    let hash = hash_token(refresh_token);
    conn.transaction(|conn| {
        let Some((session_id, used_at)) = refresh_tokens::table
            .find(&hash)
            .select((refresh_tokens::session_id, refresh_tokens::used_at))
            .for_update()
            .first::<(String, Option<DateTime<Utc>>)>(conn)
            .optional()?
        else {
            return Ok(Err(RefreshRejection::Unknown));
        };
        let session = sessions::table
            .find(&session_id)
            .select(Session::as_select())
            .for_update()
            .first(conn)?;
        if session.revoked_at.is_some() {
            return Ok(Err(RefreshRejection::Revoked));
        }
        if used_at.is_some() {
            revoke(conn, &session.id, now, REASON_REUSE)?;
            log::warn!("refresh token reuse: session {} revoked", session.id);
            return Ok(Err(RefreshRejection::Reused));
        }
        if now - session.created_at > Duration::hours(SESSION_MAX_HOURS) {
            revoke(conn, &session.id, now, REASON_MAX_AGE)?;
            return Ok(Err(RefreshRejection::TooOld));
        }
        if now - session.last_refresh_at > idle_limit() {
            revoke(conn, &session.id, now, REASON_IDLE)?;
            return Ok(Err(RefreshRejection::Idle));
        }
        let disabled: bool = users::table
            .find(session.user_id)
            .select(users::disabled)
            .first(conn)?;
        if disabled {
            revoke(conn, &session.id, now, REASON_USER_DISABLED)?;
            return Ok(Err(RefreshRejection::UserDisabled));
        }
        diesel::update(refresh_tokens::table.find(&hash))
            .set(refresh_tokens::used_at.eq(now))
            .execute(conn)?;
        diesel::update(sessions::table.find(&session.id))
            .set(sessions::last_refresh_at.eq(now))
            .execute(conn)?;
        let refresh_token = new_refresh_token(conn, &session.id, now)?;
        let (access_token, access_expires_at) = keys.issue(conn, now, session.user_id, &session.id)?;
        let issued = Issued {
            session_id: session.id,
            access_token,
            access_expires_at,
            refresh_token,
            csrf_token: session.csrf_token,
        };
        Ok(Ok((issued, session.user_id)))
    })
}

/// The session and its user if the session exists, is not revoked and not idle at `now` (checked on every
/// request with the JWT; one statement).
pub fn active(
    conn: &mut PgConnection,
    session_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(Session, crate::db::models::User)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(session_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::last_refresh_at.ge(now - idle_limit()))
        .select((Session::as_select(), crate::db::models::User::as_select()))
        .first(conn)
        .optional()
}

/// Revokes one session (if live); returns whether it was live.
pub fn revoke(
    conn: &mut PgConnection,
    session_id: &str,
    now: DateTime<Utc>,
    reason: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set((sessions::revoked_at.eq(now), sessions::revoked_reason.eq(reason)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes every live session of a user (admin action, password/MFA reset, disable); returns how many.
pub fn revoke_user(
    conn: &mut PgConnection,
    user_id: i64,
    now: DateTime<Utc>,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((sessions::revoked_at.eq(now), sessions::revoked_reason.eq(reason)))
    .execute(conn)
}

/// Revokes every live session of a user except `keep` (the user's own password change); returns how many.
pub fn revoke_others(
    conn: &mut PgConnection,
    user_id: i64,
    keep: &str,
    now: DateTime<Utc>,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((sessions::revoked_at.eq(now), sessions::revoked_reason.eq(reason)))
    .execute(conn)
}

/// Every session of a user, revoked ones included, newest first.
pub fn for_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .order((sessions::created_at.desc(), sessions::id.desc()))
        .select(Session::as_select())
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn random_tokens_are_base64url_and_distinct() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(a, random_token(32));
        assert_eq!(random_token(16).len(), 22);
    }

    #[test]
    fn rejections_read_as_sentences() {
        assert_eq!(
            RefreshRejection::Idle.to_string(),
            "session expired after inactivity"
        );
    }
}
