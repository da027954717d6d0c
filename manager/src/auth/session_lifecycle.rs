//! The two ends of a session, shared by the console and the API: starting one once a login is complete
//! (password and second factor proven) and ending one, each audited.

use crate::audit::{self, Entry};
use crate::auth::jwt::KeyRing;
use crate::auth::refresh_tokens::{self, Issued};
use crate::db::models::User;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::PgConnection;

/// Where a login comes from, for the session record and the audit log.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `console` or `api`.
    pub via: &'static str,
    /// Peer address.
    pub source_ip: String,
    /// `User-Agent` (at most 200 characters), or `api`.
    pub user_agent: String,
}

/// Starts a session for `user`, clears its failure counter and audits `auth.login`.
pub fn begin(
    conn: &mut PgConnection,
    keys: &KeyRing,
    now: DateTime<Utc>,
    user: &User,
    second_factor: &str,
    origin: &Origin,
) -> Result<Issued, ManagerError> {
    let issued = refresh_tokens::start(conn, keys, now, user.id, &origin.source_ip, &origin.user_agent)?;
    User::record_success(conn, user.id, now)?;
    audit::append(
        conn,
        now,
        &Entry {
            actor: &user.username,
            action: "auth.login",
            target: &format!("user:{}", user.username),
            details: serde_json::json!({
                "second_factor": second_factor, "via": origin.via, "source_ip": origin.source_ip,
                "session": issued.session_id,
            }),
        },
    )?;
    Ok(issued)
}

/// Ends session `session_id` of `user` (logout) and audits `auth.logout`.
pub fn end(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    user: &User,
    session_id: &str,
    via: &str,
) -> Result<(), ManagerError> {
    refresh_tokens::revoke(conn, session_id, now, "logout")?;
    audit::append(
        conn,
        now,
        &Entry {
            actor: &user.username,
            action: "auth.logout",
            target: &format!("user:{}", user.username),
            details: serde_json::json!({"session": session_id, "via": via}),
        },
    )?;
    Ok(())
}
