//! `users`: local accounts.

use crate::db::schema::users;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// What a user may do: `admin` everything; `operator` only hosts in their groups, no user or setting changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// Hosts in the user's groups plus ungrouped hosts.
    Operator,
}

impl Role {
    /// The value stored in `users.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
        }
    }
}

/// One row of `users`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    /// Primary key.
    pub id: i64,
    /// Unique login name (see `auth::username`).
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// `admin` or `operator`.
    pub role: String,
    /// The password was set by someone else and must be changed at the next login.
    pub must_change_password: bool,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// A row to insert into `users`.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Login name, already validated.
    pub username: &'a str,
    /// Argon2id PHC string.
    pub password_hash: &'a str,
    /// `admin` or `operator`.
    pub role: &'a str,
    /// Whether the password must be changed at first login.
    pub must_change_password: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// The user named `name`, if any.
    pub fn by_username(conn: &mut PgConnection, name: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::username.eq(name))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// Inserts a user; a taken name fails with a unique violation.
    pub fn insert(conn: &mut PgConnection, new: &NewUser<'_>) -> QueryResult<User> {
        diesel::insert_into(users::table)
            .values(new)
            .returning(User::as_returning())
            .get_result(conn)
    }

    /// How many users exist.
    pub fn count(conn: &mut PgConnection) -> QueryResult<i64> {
        users::table.count().get_result(conn)
    }
}
