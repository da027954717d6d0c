//! `totp_factors`, `recovery_codes`, `webauthn_credentials`: a user's second factors.

use crate::db::schema::{recovery_codes, totp_factors, webauthn_credentials};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use webauthn_rs::prelude::{AuthenticationResult, Passkey};

/// A passkey's credential id, base64url without padding (the stored `credential_id`).
pub fn credential_id(p: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(p.cred_id())
}

/// One row of `totp_factors`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = totp_factors, check_for_backend(diesel::pg::Pg))]
pub struct TotpFactor {
    /// Primary key.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Base32 secret (RFC 4648, no padding).
    pub secret: String,
    /// The newest time step accepted so far; codes of this step or older are replays.
    pub last_used_step: i64,
    /// When the factor was enrolled.
    pub created_at: DateTime<Utc>,
}

impl TotpFactor {
    /// The user's TOTP factors, oldest first.
    pub fn for_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<TotpFactor>> {
        totp_factors::table
            .filter(totp_factors::user_id.eq(user_id))
            .order(totp_factors::id)
            .select(TotpFactor::as_select())
            .load(conn)
    }

    /// Enrols `secret` for the user (no step used yet).
    pub fn insert(
        conn: &mut PgConnection,
        user_id: i64,
        secret: &str,
        now: DateTime<Utc>,
    ) -> QueryResult<TotpFactor> {
        diesel::insert_into(totp_factors::table)
            .values((
                totp_factors::user_id.eq(user_id),
                totp_factors::secret.eq(secret),
                totp_factors::last_used_step.eq(0),
                totp_factors::created_at.eq(now),
            ))
            .returning(TotpFactor::as_returning())
            .get_result(conn)
    }

    /// Records `step` as used if it is newer than the stored one, in one conditional UPDATE; `false` means
    /// another login already used this or a newer step (a replay, even under concurrency).
    pub fn mark_used(conn: &mut PgConnection, id: i64, step: i64) -> QueryResult<bool> {
        diesel::update(
            totp_factors::table
                .filter(totp_factors::id.eq(id))
                .filter(totp_factors::last_used_step.lt(step)),
        )
        .set(totp_factors::last_used_step.eq(step))
        .execute(conn)
        .map(|n| n > 0)
    }

    /// Removes the user's TOTP factors; returns how many.
    pub fn delete_for_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<usize> {
        diesel::delete(totp_factors::table.filter(totp_factors::user_id.eq(user_id))).execute(conn)
    }

    /// Removes one TOTP factor of the user; whether it existed.
    pub fn delete_one(conn: &mut PgConnection, user_id: i64, id: i64) -> QueryResult<bool> {
        diesel::delete(
            totp_factors::table
                .filter(totp_factors::user_id.eq(user_id))
                .filter(totp_factors::id.eq(id)),
        )
        .execute(conn)
        .map(|n| n > 0)
    }
}

/// One row of `recovery_codes`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = recovery_codes, check_for_backend(diesel::pg::Pg))]
pub struct RecoveryCode {
    /// Primary key.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// SHA-256 hex of the normalised code (`auth::recovery::hash`).
    pub code_hash: String,
    /// When the code was used; `None` while it is still valid.
    pub used_at: Option<DateTime<Utc>>,
}

impl RecoveryCode {
    /// Replaces the user's codes (used or not) with `hashes`, atomically.
    pub fn replace_for_user(conn: &mut PgConnection, user_id: i64, hashes: &[String]) -> QueryResult<()> {
        conn.transaction(|conn| {
            diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
                .execute(conn)?;
            let rows: Vec<_> = hashes
                .iter()
                .map(|h| {
                    (
                        recovery_codes::user_id.eq(user_id),
                        recovery_codes::code_hash.eq(h),
                    )
                })
                .collect();
            diesel::insert_into(recovery_codes::table)
                .values(&rows)
                .execute(conn)?;
            Ok(())
        })
    }

    /// Uses the unused code with `code_hash` (one conditional UPDATE, so a code works once even under
    /// concurrency); `false` if there is no such unused code.
    pub fn consume(
        conn: &mut PgConnection,
        user_id: i64,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> QueryResult<bool> {
        diesel::update(
            recovery_codes::table
                .filter(recovery_codes::user_id.eq(user_id))
                .filter(recovery_codes::code_hash.eq(code_hash))
                .filter(recovery_codes::used_at.is_null()),
        )
        .set(recovery_codes::used_at.eq(now))
        .execute(conn)
        .map(|n| n > 0)
    }

    /// How many unused codes the user has left.
    pub fn remaining(conn: &mut PgConnection, user_id: i64) -> QueryResult<i64> {
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::used_at.is_null())
            .count()
            .get_result(conn)
    }

    /// Removes the user's codes; returns how many.
    pub fn delete_for_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<usize> {
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)
    }
}

/// One row of `webauthn_credentials`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = webauthn_credentials, check_for_backend(diesel::pg::Pg))]
pub struct WebauthnCredential {
    /// Primary key.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// The label the user gave the key.
    pub name: String,
    /// Credential id, base64url without padding ([`credential_id`]).
    pub credential_id: String,
    /// The webauthn-rs `Passkey`, serialised.
    pub passkey: serde_json::Value,
    /// When the key was registered.
    pub created_at: DateTime<Utc>,
    /// The last successful sign-in with it.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl WebauthnCredential {
    /// The user's keys, oldest first.
    pub fn for_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<WebauthnCredential>> {
        webauthn_credentials::table
            .filter(webauthn_credentials::user_id.eq(user_id))
            .order(webauthn_credentials::id)
            .select(WebauthnCredential::as_select())
            .load(conn)
    }

    /// Removes one key of the user; whether it existed.
    pub fn delete_one(conn: &mut PgConnection, user_id: i64, id: i64) -> QueryResult<bool> {
        diesel::delete(
            webauthn_credentials::table
                .filter(webauthn_credentials::user_id.eq(user_id))
                .filter(webauthn_credentials::id.eq(id)),
        )
        .execute(conn)
        .map(|n| n > 0)
    }

    /// Stores a newly registered key; a credential id already stored (for anyone) is a unique violation.
    pub fn insert(
        conn: &mut PgConnection,
        user_id: i64,
        name: &str,
        passkey: &Passkey,
        now: DateTime<Utc>,
    ) -> QueryResult<WebauthnCredential> {
        let json = serde_json::to_value(passkey).map_err(|e| DieselError::SerializationError(Box::new(e)))?;
        diesel::insert_into(webauthn_credentials::table)
            .values((
                webauthn_credentials::user_id.eq(user_id),
                webauthn_credentials::name.eq(name),
                webauthn_credentials::credential_id.eq(credential_id(passkey)),
                webauthn_credentials::passkey.eq(json),
                webauthn_credentials::created_at.eq(now),
            ))
            .returning(WebauthnCredential::as_returning())
            .get_result(conn)
    }

    /// The user's keys as webauthn-rs passkeys; rows that no longer deserialise are skipped with a warning.
    pub fn passkeys(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<Passkey>> {
        Ok(Self::for_user(conn, user_id)?
            .into_iter()
            .filter_map(|row| match serde_json::from_value::<Passkey>(row.passkey) {
                Ok(p) => Some(p),
                Err(e) => {
                    log::warn!(
                        "webauthn credential {} of user {} is unreadable and skipped: {e}",
                        row.id,
                        row.user_id
                    );
                    None
                }
            })
            .collect())
    }

    /// After a successful sign-in with `credential_id`: applies `result` to the stored passkey (signature
    /// counter, backup state) and sets `last_used_at`, under a row lock. `false` if no such credential (or
    /// `result` is for another one).
    pub fn record_use(
        conn: &mut PgConnection,
        credential_id: &str,
        result: &AuthenticationResult,
        now: DateTime<Utc>,
    ) -> QueryResult<bool> {
        conn.transaction(|conn| {
            let stored: Option<serde_json::Value> = webauthn_credentials::table
                .filter(webauthn_credentials::credential_id.eq(credential_id))
                .select(webauthn_credentials::passkey)
                .for_update()
                .first(conn)
                .optional()?;
            let Some(stored) = stored else {
                return Ok(false);
            };
            let mut passkey: Passkey =
                serde_json::from_value(stored).map_err(|e| DieselError::DeserializationError(Box::new(e)))?;
            if passkey.update_credential(result).is_none() {
                log::warn!("webauthn result for another credential than {credential_id} not applied");
                return Ok(false);
            }
            let json =
                serde_json::to_value(&passkey).map_err(|e| DieselError::SerializationError(Box::new(e)))?;
            diesel::update(
                webauthn_credentials::table.filter(webauthn_credentials::credential_id.eq(credential_id)),
            )
            .set((
                webauthn_credentials::passkey.eq(json),
                webauthn_credentials::last_used_at.eq(now),
            ))
            .execute(conn)?;
            Ok(true)
        })
    }

    /// Removes the user's keys; returns how many.
    pub fn delete_for_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<usize> {
        diesel::delete(webauthn_credentials::table.filter(webauthn_credentials::user_id.eq(user_id)))
            .execute(conn)
    }
}

/// How many second factors (TOTP secrets plus WebAuthn keys) the user has enrolled; recovery codes don't count.
pub fn factor_count(conn: &mut PgConnection, user_id: i64) -> QueryResult<i64> {
    let totp: i64 = totp_factors::table
        .filter(totp_factors::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    let keys: i64 = webauthn_credentials::table
        .filter(webauthn_credentials::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    Ok(totp + keys)
}
