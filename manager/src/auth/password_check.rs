//! The password step of a login: throttle check, Argon2id outside the connection pool, audit of every attempt.

use crate::audit::{self, Entry};
use crate::auth::throttle::{Locked, LoginThrottle};
use crate::auth::{password, username};
use crate::db::models::User;
use crate::db::Db;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};

/// Why a login attempt was refused (the message shown never says which of name or password was wrong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown user or wrong password (or wrong second factor).
    BadCredentials,
    /// Too many failures of this name from this address, or from this address: try again after this time.
    /// Unknown and existing names get exactly the same answer.
    Locked(DateTime<Utc>),
    /// The account is disabled (said only after a correct password).
    Disabled,
}

impl Refusal {
    /// The message for the login page and the API.
    pub fn message(&self) -> String {
        match self {
            Refusal::BadCredentials => "wrong user name, password or code".into(),
            Refusal::Locked(until) => format!(
                "too many failed attempts from this address: try again after {} UTC",
                until.format("%Y-%m-%d %H:%M:%S")
            ),
            Refusal::Disabled => "this account is disabled; ask an administrator".into(),
        }
    }
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

/// How an unknown name typed into the login form is audited: never verbatim (people type passwords there),
/// only its length and the first 12 hex digits of its SHA-256 (enough to correlate repeated attempts).
pub fn unknown_name_tag(name: &str) -> String {
    let d = Sha256::digest(name.as_bytes());
    let hex: String = d.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("unknown:{}:{hex}", name.chars().count())
}

/// Audits the locks a failure started (`auth.lockout`), one row each.
fn audit_locks(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &str,
    target: &str,
    source_ip: &str,
    locks: &[Locked],
) -> Result<(), ManagerError> {
    for l in locks {
        audit::append(
            conn,
            now,
            &Entry {
                actor,
                action: "auth.lockout",
                target,
                details: serde_json::json!({
                    "scope": l.scope, "source_ip": source_ip, "failures": l.failures,
                    "until": l.until.to_rfc3339(),
                }),
            },
        )?;
    }
    Ok(())
}

/// Records a failed attempt for `user` (atomic counter, throttle, audit of the failure and of any lock it
/// starts) and returns the refusal to show.
pub fn fail(
    conn: &mut PgConnection,
    throttle: &LoginThrottle,
    now: DateTime<Utc>,
    user: &User,
    stage: &str,
    source_ip: &str,
) -> Result<Refusal, ManagerError> {
    let failures = User::count_failure(conn, user.id)?;
    let locks = throttle.failed(&user.username, source_ip, now);
    let target = format!("user:{}", user.username);
    audit::append(
        conn,
        now,
        &Entry {
            actor: &user.username,
            action: "auth.login_failed",
            target: &target,
            details: serde_json::json!({"stage": stage, "source_ip": source_ip, "failures": failures}),
        },
    )?;
    audit_locks(conn, now, &user.username, &target, source_ip, &locks)?;
    Ok(Refusal::BadCredentials)
}

/// Checks `name` + `password` at `now` from `source_ip`. A throttled (name, address) or address is refused
/// before anything else, the same way for unknown and existing names; Argon2 runs on the blocking pool
/// without holding a database connection. Every outcome is audited; failures count towards the throttle.
pub async fn check_password(
    db: &Db,
    throttle: &Arc<LoginThrottle>,
    now: DateTime<Utc>,
    name: &str,
    password: &str,
    source_ip: &str,
) -> Result<Result<User, Refusal>, ManagerError> {
    let (name, ip) = (name.to_owned(), source_ip.to_owned());
    // Known names are audited as `user:<name>`; anything else only as a tag (people type passwords there).
    let target_of = |user: &Option<User>| match user {
        Some(u) => format!("user:{}", u.username),
        None => format!("user:{}", unknown_name_tag(&name)),
    };
    if let Some(until) = throttle.blocked(&name, &ip, now) {
        let (lookup, ip) = (name.clone(), ip.clone());
        let tag = format!("user:{}", unknown_name_tag(&name));
        db.run(move |conn| {
            let known = if username::validate(&lookup).is_ok() {
                User::by_username(conn, &lookup)?.is_some()
            } else {
                false
            };
            let t = if known { format!("user:{lookup}") } else { tag };
            audit::append(
                conn,
                now,
                &Entry {
                    actor: "anonymous",
                    action: "auth.login_refused",
                    target: &t,
                    details: serde_json::json!({"reason": "throttled", "until": until.to_rfc3339(), "source_ip": ip}),
                },
            )?;
            Ok(())
        })
        .await?;
        return Ok(Err(Refusal::Locked(until)));
    }
    let lookup = name.clone();
    let user = db
        .run(move |conn| {
            Ok(if username::validate(&lookup).is_ok() {
                User::by_username(conn, &lookup)?
            } else {
                None
            })
        })
        .await?;
    let (pw, hash) = (
        password.to_owned(),
        user.as_ref()
            .map_or_else(|| dummy_hash().to_owned(), |u| u.password_hash.clone()),
    );
    let good = actix_web::web::block(move || password::verify(&pw, &hash))
        .await
        .map_err(|e| ManagerError::Internal(format!("password check: {e}")))?;
    let th = throttle.clone();
    let target = target_of(&user);
    db.run(move |conn| {
        let Some(user) = user else {
            let locks = th.failed(&name, &ip, now);
            audit::append(
                conn,
                now,
                &Entry {
                    actor: "anonymous",
                    action: "auth.login_failed",
                    target: &target,
                    details: serde_json::json!({"stage": "password", "reason": "unknown user", "source_ip": ip}),
                },
            )?;
            audit_locks(conn, now, "anonymous", &target, &ip, &locks)?;
            return Ok(Err(Refusal::BadCredentials));
        };
        if !good {
            return fail(conn, &th, now, &user, "password", &ip).map(Err);
        }
        if user.disabled {
            audit::append(
                conn,
                now,
                &Entry {
                    actor: &user.username,
                    action: "auth.login_refused",
                    target: &target,
                    details: serde_json::json!({"reason": "disabled", "source_ip": ip}),
                },
            )?;
            return Ok(Err(Refusal::Disabled));
        }
        th.succeeded(&user.username, &ip);
        audit::append(
            conn,
            now,
            &Entry {
                actor: &user.username,
                action: "auth.password_ok",
                target: &target,
                details: serde_json::json!({"source_ip": ip}),
            },
        )?;
        Ok(Ok(user))
    })
    .await
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
    fn unknown_names_are_never_audited_verbatim() {
        let tag = unknown_name_tag("hunter2-my-password");
        assert!(!tag.contains("hunter2"), "{tag}");
        assert!(tag.starts_with("unknown:19:"), "{tag}");
        assert_eq!(tag, unknown_name_tag("hunter2-my-password"));
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
