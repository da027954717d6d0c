//! `login_challenges`: a login between the password and the second factor (or the forced password change
//! and first enrolment), named by an opaque cookie and valid for ten minutes.

use crate::db::schema::login_challenges;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

/// How long a half-finished login stays usable.
pub fn lifetime() -> Duration {
    Duration::minutes(10)
}

/// One row of `login_challenges`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = login_challenges, check_for_backend(diesel::pg::Pg))]
pub struct LoginChallenge {
    /// SHA-256 of the cookie value.
    pub token_hash: String,
    /// Whose login this is.
    pub user_id: i64,
    /// The CSRF token of the login pages.
    pub csrf_token: String,
    /// When the password was accepted.
    pub created_at: DateTime<Utc>,
    /// Ceremony state: the TOTP secret being enrolled, WebAuthn state, recovery codes to show once,
    /// `mfa_ok` once a second factor was proven.
    pub ceremony: Option<serde_json::Value>,
}

impl LoginChallenge {
    /// Records a new challenge.
    pub fn insert(
        conn: &mut PgConnection,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: DateTime<Utc>,
    ) -> QueryResult<usize> {
        diesel::insert_into(login_challenges::table)
            .values((
                login_challenges::token_hash.eq(token_hash),
                login_challenges::user_id.eq(user_id),
                login_challenges::csrf_token.eq(csrf_token),
                login_challenges::created_at.eq(now),
            ))
            .execute(conn)
    }

    /// Ends every half-finished login of `user_id` (after a password or MFA reset); how many.
    pub fn delete_for_user(conn: &mut PgConnection, user_id: i64) -> QueryResult<usize> {
        diesel::delete(login_challenges::table.filter(login_challenges::user_id.eq(user_id))).execute(conn)
    }

    /// The live challenge with this hash (expired ones are deleted on the way).
    pub fn live(conn: &mut PgConnection, token_hash: &str, now: DateTime<Utc>) -> QueryResult<Option<Self>> {
        diesel::delete(login_challenges::table.filter(login_challenges::created_at.lt(now - lifetime())))
            .execute(conn)?;
        login_challenges::table
            .find(token_hash)
            .select(LoginChallenge::as_select())
            .first(conn)
            .optional()
    }

    /// A value of the ceremony state.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.ceremony.as_ref().and_then(|c| c.get(key))
    }

    /// Sets (or with `None` removes) one key of the ceremony state.
    pub fn set(
        conn: &mut PgConnection,
        token_hash: &str,
        key: &str,
        value: Option<serde_json::Value>,
    ) -> QueryResult<usize> {
        conn.transaction(|conn| {
            let current: Option<serde_json::Value> = login_challenges::table
                .find(token_hash)
                .select(login_challenges::ceremony)
                .for_update()
                .first(conn)
                .optional()?
                .flatten();
            let mut map = match current {
                Some(serde_json::Value::Object(m)) => m,
                _ => serde_json::Map::new(),
            };
            match value {
                Some(v) => map.insert(key.to_owned(), v),
                None => map.remove(key),
            };
            diesel::update(login_challenges::table.find(token_hash))
                .set(login_challenges::ceremony.eq(Some(serde_json::Value::Object(map))))
                .execute(conn)
        })
    }

    /// Ends a challenge (login completed or abandoned).
    pub fn delete(conn: &mut PgConnection, token_hash: &str) -> QueryResult<usize> {
        diesel::delete(login_challenges::table.find(token_hash)).execute(conn)
    }
}
