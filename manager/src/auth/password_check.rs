//! The password step of a login: Argon2id check, back-off after repeated failures, audit of every attempt.

use crate::audit::{self, Entry};
use crate::auth::{password, username};
use crate::db::models::User;
use crate::error::ManagerError;
use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use std::sync::OnceLock;

/// Failures allowed before the back-off starts.
pub const FREE_FAILURES: i32 = 5;
/// Longest back-off.
pub const MAX_BACKOFF_MINUTES: i64 = 30;

/// Why a login attempt was refused (the message shown never says which of name or password was wrong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown user or wrong password (or wrong second factor).
    BadCredentials,
    /// Too many failures: try again after this time.
    Locked(DateTime<Utc>),
    /// The account is disabled.
    Disabled,
}

impl Refusal {
    /// The message for the login page and the API.
    pub fn message(&self) -> String {
        match self {
            Refusal::BadCredentials => "wrong user name, password or code".into(),
            Refusal::Locked(until) => format!(
                "too many failed attempts: try again after {} UTC",
                until.format("%Y-%m-%d %H:%M:%S")
            ),
            Refusal::Disabled => "this account is disabled; ask an administrator".into(),
        }
    }
}

/// The back-off after `failures` consecutive failures: none for the first [`FREE_FAILURES`] - 1, then 1 minute
/// doubling with every further failure, at most [`MAX_BACKOFF_MINUTES`].
pub fn backoff(failures: i32) -> Option<Duration> {
    if failures < FREE_FAILURES {
        return None;
    }
    let exp = (failures - FREE_FAILURES).min(10) as u32;
    Some(Duration::minutes((1i64 << exp).min(MAX_BACKOFF_MINUTES)))
}

/// A hash to verify against when the user does not exist, so that both cases take the same time.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| password::hash("not a real password, only for timing").unwrap_or_default())
}

/// The audit actor for a typed user name: the name when it is one, else `anonymous`.
pub fn actor_for(name: &str) -> String {
    if username::validate(name).is_ok() {
        name.to_owned()
    } else {
        "anonymous".to_owned()
    }
}

/// Records a failed attempt for `user` (back-off, audit) and returns the refusal to show.
pub fn fail(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    user: &User,
    stage: &str,
    source_ip: &str,
) -> Result<Refusal, ManagerError> {
    let failures = user.failed_logins.saturating_add(1);
    let until = backoff(failures).map(|d| now + d);
    User::record_failure(conn, user.id, failures, until)?;
    audit::append(
        conn,
        now,
        &Entry {
            actor: &user.username,
            action: "auth.login_failed",
            target: &format!("user:{}", user.username),
            details: serde_json::json!({
                "stage": stage, "source_ip": source_ip, "failures": failures,
                "locked_until": until.map(|u| u.to_rfc3339()),
            }),
        },
    )?;
    Ok(Refusal::BadCredentials)
}

/// Checks `name` + `password` at `now`. Every outcome is audited; failures count towards the back-off.
pub fn check_password(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    name: &str,
    password: &str,
    source_ip: &str,
) -> Result<Result<User, Refusal>, ManagerError> {
    let user = if username::validate(name).is_ok() {
        User::by_username(conn, name)?
    } else {
        None
    };
    let Some(user) = user else {
        let _ = password::verify(password, dummy_hash());
        let shown: String = name.chars().take(username::MAX_LEN).collect();
        audit::append(
            conn,
            now,
            &Entry {
                actor: "anonymous",
                action: "auth.login_failed",
                target: &format!("user:{shown}"),
                details: serde_json::json!({"stage": "password", "reason": "unknown user", "source_ip": source_ip}),
            },
        )?;
        return Ok(Err(Refusal::BadCredentials));
    };
    if let Some(until) = user.locked_until.filter(|u| *u > now) {
        audit::append(
            conn,
            now,
            &Entry {
                actor: &user.username,
                action: "auth.login_refused",
                target: &format!("user:{}", user.username),
                details: serde_json::json!({"reason": "locked", "until": until.to_rfc3339(), "source_ip": source_ip}),
            },
        )?;
        return Ok(Err(Refusal::Locked(until)));
    }
    if !password::verify(password, &user.password_hash) {
        return fail(conn, now, &user, "password", source_ip).map(Err);
    }
    if user.disabled {
        audit::append(
            conn,
            now,
            &Entry {
                actor: &user.username,
                action: "auth.login_refused",
                target: &format!("user:{}", user.username),
                details: serde_json::json!({"reason": "disabled", "source_ip": source_ip}),
            },
        )?;
        return Ok(Err(Refusal::Disabled));
    }
    audit::append(
        conn,
        now,
        &Entry {
            actor: &user.username,
            action: "auth.password_ok",
            target: &format!("user:{}", user.username),
            details: serde_json::json!({"source_ip": source_ip}),
        },
    )?;
    Ok(Ok(user))
}

/// Checks a new password: 12 to 256 characters, not only spaces, different from the user name.
pub fn validate_new_password(user: &str, new: &str, confirm: &str) -> Result<(), String> {
    if new != confirm {
        return Err("the two passwords differ".into());
    }
    let n = new.chars().count();
    if n < 12 {
        return Err("a password has at least 12 characters".into());
    }
    if n > 256 {
        return Err("a password has at most 256 characters".into());
    }
    if new.trim().is_empty() || new.eq_ignore_ascii_case(user) {
        return Err("choose a password that is not your user name or blank".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_after_five_failures_and_is_capped() {
        assert_eq!(backoff(1), None);
        assert_eq!(backoff(4), None);
        assert_eq!(backoff(5), Some(Duration::minutes(1)));
        assert_eq!(backoff(6), Some(Duration::minutes(2)));
        assert_eq!(backoff(8), Some(Duration::minutes(8)));
        assert_eq!(backoff(10), Some(Duration::minutes(30)));
        assert_eq!(backoff(1000), Some(Duration::minutes(30)));
    }

    #[test]
    fn new_passwords_are_checked() {
        assert!(validate_new_password("alice", "long enough pw", "long enough pw").is_ok());
        assert!(validate_new_password("alice", "long enough pw", "long enough pW").is_err());
        assert!(validate_new_password("alice", "short", "short").is_err());
        assert!(validate_new_password("alicealice12", "ALICEALICE12", "ALICEALICE12").is_err());
        assert!(validate_new_password("a", "            ", "            ").is_err());
        let long = "x".repeat(257);
        assert!(validate_new_password("a", &long, &long).is_err());
    }
}
