//! `signing_keys`: loading, creating (serialised by an advisory lock) and pruning the Ed25519 signing keys; the
//! private parts are stored encrypted with the manager's `secrets.key` (`enc:v1:...`, bound to the `kid`).

use super::{KEY_OVERLAP_HOURS, KEY_SIGNS_FOR_DAYS};
use crate::db::schema::signing_keys;
use crate::error::ManagerError;
use crate::secrets::SecretsKey;
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
pub(super) fn current_or_create(
    conn: &mut PgConnection,
    secrets: &SecretsKey,
    now: DateTime<Utc>,
) -> Result<KeyRow, ManagerError> {
    if let Some(row) = current(conn, now)? {
        return Ok(row);
    }
    conn.transaction::<KeyRow, ManagerError, _>(|conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(KEY_CREATION_LOCK)
            .execute(conn)?;
        match current(conn, now)? {
            Some(row) => Ok(row),
            None => create(conn, secrets, now),
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
fn create(conn: &mut PgConnection, secrets: &SecretsKey, now: DateTime<Utc>) -> Result<KeyRow, ManagerError> {
    let (private_pem, public_pem) = generate_pems()?;
    let sign_until = now + Duration::days(KEY_SIGNS_FOR_DAYS);
    let kid = ulid::Ulid::from_datetime(now.into()).to_string();
    let row = KeyRow {
        private_pem: secrets.seal(&context(&kid), private_pem.as_bytes())?,
        kid,
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

/// The associated data binding an encrypted private part to its row.
fn context(kid: &str) -> String {
    format!("signing_keys:{kid}")
}

/// The private PEM of `row`, decrypted; a row still in plaintext (from before encryption) is used as is and
/// every such row is encrypted now.
pub(super) fn private_pem(
    conn: &mut PgConnection,
    secrets: &SecretsKey,
    row: &KeyRow,
) -> Result<String, ManagerError> {
    if !SecretsKey::is_sealed(&row.private_pem) {
        seal_plaintext_keys(conn, secrets)?;
        return Ok(row.private_pem.clone());
    }
    let plain = secrets.open(&context(&row.kid), &row.private_pem)?;
    String::from_utf8(plain).map_err(|e| ManagerError::Internal(format!("signing key {}: {e}", row.kid)))
}

/// Encrypts every private part still stored in plaintext (the upgrade step; run at `serve` start and when
/// such a row is first loaded); returns how many rows it encrypted.
pub fn seal_plaintext_keys(conn: &mut PgConnection, secrets: &SecretsKey) -> Result<usize, ManagerError> {
    let plain: Vec<(String, String)> = signing_keys::table
        .filter(signing_keys::private_pem.not_like(format!("{}%", crate::secrets::PREFIX)))
        .select((signing_keys::kid, signing_keys::private_pem))
        .load(conn)?;
    let mut sealed = 0;
    for (kid, pem) in plain {
        let enc = secrets.seal(&context(&kid), pem.as_bytes())?;
        sealed += diesel::update(
            signing_keys::table
                .find(&kid)
                .filter(signing_keys::private_pem.eq(&pem)),
        )
        .set(signing_keys::private_pem.eq(enc))
        .execute(conn)?;
    }
    if sealed > 0 {
        log::info!("encrypted {sealed} access-token signing keys with secrets.key");
    }
    Ok(sealed)
}
