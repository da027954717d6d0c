//! `users`: local accounts.

use crate::db::schema::{groups, user_groups, users};
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
    /// Parses the stored or submitted value.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }

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
    /// Console theme: `system`, `light` or `dark`.
    pub theme: String,
    /// Consecutive failed logins (reset on success).
    pub failed_logins: i32,
    /// Logins are refused until then (back-off after repeated failures).
    pub locked_until: Option<DateTime<Utc>>,
    /// The last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
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

    /// The user with primary key `id`, if any.
    pub fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// Every user, by name.
    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<User>> {
        users::table
            .order(users::username.asc())
            .select(User::as_select())
            .load(conn)
    }

    /// The role as an enum (an unknown stored value is treated as the least privileged role).
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Operator)
    }

    /// Ids and names of the groups this user belongs to.
    pub fn groups(conn: &mut PgConnection, user_id: i64) -> QueryResult<Vec<(i64, String)>> {
        user_groups::table
            .inner_join(groups::table)
            .filter(user_groups::user_id.eq(user_id))
            .order(groups::name.asc())
            .select((groups::id, groups::name))
            .load(conn)
    }

    /// Replaces the user's group memberships.
    pub fn set_groups(conn: &mut PgConnection, user_id: i64, group_ids: &[i64]) -> QueryResult<()> {
        conn.transaction(|conn| {
            diesel::delete(user_groups::table.filter(user_groups::user_id.eq(user_id))).execute(conn)?;
            let rows: Vec<_> = group_ids
                .iter()
                .map(|g| (user_groups::user_id.eq(user_id), user_groups::group_id.eq(*g)))
                .collect();
            diesel::insert_into(user_groups::table)
                .values(rows)
                .on_conflict_do_nothing()
                .execute(conn)?;
            Ok(())
        })
    }

    /// Stores a new password hash and clears `must_change_password`.
    pub fn set_password(
        conn: &mut PgConnection,
        id: i64,
        hash: &str,
        must_change: bool,
    ) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::must_change_password.eq(must_change),
            ))
            .execute(conn)
    }

    /// Counts one more failed login atomically (parallel failures each count); the new count.
    pub fn count_failure(conn: &mut PgConnection, id: i64) -> QueryResult<i32> {
        diesel::update(users::table.find(id))
            .set(users::failed_logins.eq(users::failed_logins + 1))
            .returning(users::failed_logins)
            .get_result(conn)
    }

    /// Clears the failure counter (an administrator's unlock).
    pub fn clear_failures(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::failed_logins.eq(0),
                users::locked_until.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)
    }

    /// Records a successful login: clears the failure counter and the back-off.
    pub fn record_success(conn: &mut PgConnection, id: i64, at: DateTime<Utc>) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::failed_logins.eq(0),
                users::locked_until.eq(None::<DateTime<Utc>>),
                users::last_login_at.eq(Some(at)),
            ))
            .execute(conn)
    }

    /// Enables or disables the account.
    pub fn set_disabled(conn: &mut PgConnection, id: i64, disabled: bool) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set(users::disabled.eq(disabled))
            .execute(conn)
    }

    /// Changes the role.
    pub fn set_role(conn: &mut PgConnection, id: i64, role: Role) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set(users::role.eq(role.as_str()))
            .execute(conn)
    }

    /// Remembers the console theme (`system`, `light`, `dark`).
    pub fn set_theme(conn: &mut PgConnection, id: i64, theme: &str) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set(users::theme.eq(theme))
            .execute(conn)
    }

    /// How many enabled administrators exist (the last one cannot be disabled or demoted).
    pub fn active_admins(conn: &mut PgConnection) -> QueryResult<i64> {
        users::table
            .filter(users::role.eq("admin"))
            .filter(users::disabled.eq(false))
            .count()
            .get_result(conn)
    }

    /// How many users exist.
    pub fn count(conn: &mut PgConnection) -> QueryResult<i64> {
        users::table.count().get_result(conn)
    }
}
