//! `signing_keys`: loading, creating (serialised by an advisory lock) and pruning the Ed25519 signing keys.

use super::{KEY_OVERLAP_HOURS, KEY_SIGNS_FOR_DAYS};
use crate::db::schema::signing_keys;
use crate::error::ManagerError;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

/// `pg_advisory_xact_lock` key serialising key creation (arbitrary, unique in this code base).
const KEY_CREATION_LOCK: i64 = 0x4c50_4d5f_4a57_544b; // "LPM_JWTK"

/// One row of `signing_keys`.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys, check_for_backend(diesel::pg::Pg))]
pub(super) struct KeyRow {
    pub(super) kid: String,
    pub(super) private_pem: String,
    pub(super) public_pem: String,
    pub(super) created_at: DateTime<Utc>,
    pub(super) sign_until: DateTime<Utc>,
    pub(super) verify_until: DateTime<Utc>,
}

/// The key of `kid`, if stored.
pub(super) fn find(conn: &mut PgConnection, kid: &str) -> QueryResult<Option<KeyRow>> {
    signing_keys::table
        .find(kid)
        .select(KeyRow::as_select())
        .first(conn)
        .optional()
}

/// The newest key that signs at `now`, created (exactly once, even with concurrent callers) if none does.
pub(super) fn current_or_create(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<KeyRow, ManagerError> {
    if let Some(row) = current(conn, now)? {
        return Ok(row);
    }
    conn.transaction::<KeyRow, ManagerError, _>(|conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(KEY_CREATION_LOCK)
            .execute(conn)?;
        match current(conn, now)? {
            Some(row) => Ok(row),
            None => create(conn, now),
        }
    })
}

/// The newest key that signs at `now` (`created_at <= now < sign_until`).
fn current(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Option<KeyRow>> {
    signing_keys::table
        .filter(signing_keys::created_at.le(now))
        .filter(signing_keys::sign_until.gt(now))
        .order(signing_keys::created_at.desc())
        .select(KeyRow::as_select())
        .first(conn)
        .optional()
}

/// A new Ed25519 key pair as PKCS#8 private and SPKI public PEM.
pub(super) fn generate_pems() -> Result<(String, String), ManagerError> {
    let internal = |e: openssl::error::ErrorStack| ManagerError::Internal(format!("Ed25519 key: {e}"));
    let pkey = openssl::pkey::PKey::generate_ed25519().map_err(internal)?;
    let utf8 = |b: Vec<u8>| {
        String::from_utf8(b).map_err(|e| ManagerError::Internal(format!("Ed25519 key PEM: {e}")))
    };
    Ok((
        utf8(pkey.private_key_to_pem_pkcs8().map_err(internal)?)?,
        utf8(pkey.public_key_to_pem().map_err(internal)?)?,
    ))
}

/// Generates and stores a new key signing from `now` for [`KEY_SIGNS_FOR_DAYS`].
fn create(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<KeyRow, ManagerError> {
    let (private_pem, public_pem) = generate_pems()?;
    let sign_until = now + Duration::days(KEY_SIGNS_FOR_DAYS);
    let row = KeyRow {
        kid: ulid::Ulid::from_datetime(now.into()).to_string(),
        private_pem,
        public_pem,
        created_at: now,
        sign_until,
        verify_until: sign_until + Duration::hours(KEY_OVERLAP_HOURS),
    };
    diesel::insert_into(signing_keys::table)
        .values(&row)
        .execute(conn)?;
    log::info!(
        "created access-token signing key {} (signs until {sign_until})",
        row.kid
    );
    Ok(row)
}

/// Deletes keys whose `verify_until` is before `now`; returns how many.
pub fn prune_keys(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(signing_keys::table.filter(signing_keys::verify_until.lt(now))).execute(conn)
}
