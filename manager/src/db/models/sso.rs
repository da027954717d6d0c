//! `sso_settings`, `sso_identities`, `sso_logins`: Entra ID SSO's settings row, its users keyed on (tid, oid), and the sign-ins in flight.

use crate::db::schema::{sso_identities, sso_logins, sso_settings};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// The one settings row (the client secret sealed).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = sso_settings, check_for_backend(diesel::pg::Pg))]
pub struct SsoSettingsRow {
    /// Always 1.
    pub id: i32,
    /// Whether the sign-in page offers SSO.
    pub enabled: bool,
    /// The Entra tenant's GUID.
    pub tenant_id: String,
    /// The app registration's client id.
    pub client_id: String,
    /// The client secret, sealed (`enc:v1:...`); empty when none was given.
    pub client_secret: String,
    /// Space-separated scopes.
    pub scopes: String,
    /// `app_roles` or `groups`.
    pub role_source: String,
    /// The group mapping (JSON array).
    pub group_map: serde_json::Value,
    /// Who saved them last.
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

impl SsoSettingsRow {
    /// The row, when SSO was ever configured.
    pub fn get(conn: &mut PgConnection) -> QueryResult<Option<SsoSettingsRow>> {
        sso_settings::table
            .find(1i32)
            .select(SsoSettingsRow::as_select())
            .first(conn)
            .optional()
    }

    /// Inserts or replaces the row.
    pub fn put(conn: &mut PgConnection, row: &SsoSettingsRow) -> QueryResult<usize> {
        diesel::insert_into(sso_settings::table)
            .values(row)
            .on_conflict(sso_settings::id)
            .do_update()
            .set(row)
            .execute(conn)
    }
}

/// The user an SSO identity signs in as.
pub fn user_of(conn: &mut PgConnection, tid: &str, oid: &str) -> QueryResult<Option<i64>> {
    sso_identities::table
        .find((tid, oid))
        .select(sso_identities::user_id)
        .first(conn)
        .optional()
}

/// Links (tid, oid) to `user_id`.
pub fn link(
    conn: &mut PgConnection,
    tid: &str,
    oid: &str,
    user_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::insert_into(sso_identities::table)
        .values((
            sso_identities::tid.eq(tid),
            sso_identities::oid.eq(oid),
            sso_identities::user_id.eq(user_id),
            sso_identities::created_at.eq(now),
        ))
        .execute(conn)
}

/// Records a sign-in of (tid, oid).
pub fn touch(conn: &mut PgConnection, tid: &str, oid: &str, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(sso_identities::table.find((tid, oid)))
        .set(sso_identities::last_login_at.eq(now))
        .execute(conn)
}

/// Whether `user_id` signs in through SSO.
pub fn is_sso_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sso_identities::table.filter(sso_identities::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

/// A sign-in in flight: what the callback needs to finish it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = sso_logins, check_for_backend(diesel::pg::Pg))]
pub struct SsoLogin {
    /// SHA-256 of the state.
    pub state_hash: String,
    /// The nonce sent.
    pub nonce: String,
    /// The PKCE verifier.
    pub pkce_verifier: String,
    /// When the sign-in started.
    pub created_at: DateTime<Utc>,
}

impl SsoLogin {
    /// Stores a sign-in in flight (and drops those older than `stale_before`).
    pub fn insert(
        conn: &mut PgConnection,
        state_hash: &str,
        nonce: &str,
        verifier: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> QueryResult<usize> {
        diesel::delete(sso_logins::table.filter(sso_logins::created_at.lt(stale_before))).execute(conn)?;
        diesel::insert_into(sso_logins::table)
            .values((
                sso_logins::state_hash.eq(state_hash),
                sso_logins::nonce.eq(nonce),
                sso_logins::pkce_verifier.eq(verifier),
                sso_logins::created_at.eq(now),
            ))
            .execute(conn)
    }

    /// Takes the sign-in of `state_hash` (once: a second call finds nothing).
    pub fn take(conn: &mut PgConnection, state_hash: &str) -> QueryResult<Option<SsoLogin>> {
        diesel::delete(sso_logins::table.find(state_hash))
            .returning(SsoLogin::as_returning())
            .get_result(conn)
            .optional()
    }
}
