//! Account administration that spans tables: creating users together with their audit record.

use crate::audit::{self, Entry};
use crate::auth::{password, username};
use crate::db::models::{NewUser, Role, User};
use crate::error::ManagerError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, PgConnection};
use linux_patch_shared::clock::Clock;

/// A newly created account and the one-time password it must change at first login (shown once).
#[derive(Debug)]
pub struct Created {
    /// The row.
    pub user: User,
    /// The clear-text one-time password; never stored.
    pub one_time_password: String,
}

/// Creates an account with a random one-time password (must be changed at first login) and appends
/// `user.create` to the audit log, in one transaction. A taken or malformed name is refused.
pub fn create_user(
    conn: &mut PgConnection,
    clock: &dyn Clock,
    actor: &str,
    name: &str,
    role: Role,
) -> Result<Created, ManagerError> {
    username::validate(name).map_err(ManagerError::Invalid)?;
    let one_time_password = password::one_time();
    let hash = password::hash(&one_time_password)?;
    let now = clock.now();
    let user = conn.transaction::<User, ManagerError, _>(|conn| {
        let user = User::insert(
            conn,
            &NewUser {
                username: name,
                password_hash: &hash,
                role: role.as_str(),
                must_change_password: true,
                created_at: now,
            },
        )
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ManagerError::Refused(format!("user `{name}` already exists"))
            }
            other => other.into(),
        })?;
        audit::append(
            conn,
            now,
            &Entry {
                actor,
                action: "user.create",
                target: &format!("user:{name}"),
                details: serde_json::json!({
                    "user_id": user.id,
                    "role": role.as_str(),
                    "must_change_password": true,
                }),
            },
        )?;
        Ok(user)
    })?;
    Ok(Created {
        user,
        one_time_password,
    })
}
