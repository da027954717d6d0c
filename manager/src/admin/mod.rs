//! What the console and the API both do to users, groups and hosts: checked, scoped by RBAC, audited, each
//! operation one transaction (the handlers only parse and render).

pub mod groups;
pub mod hosts;
pub mod users;

use crate::audit::{self, Entry};
use crate::auth::rbac::Scope;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::PgConnection;

/// Who acts, and with what reach.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User name (the audit actor).
    pub name: String,
    /// User id.
    pub id: i64,
    /// RBAC scope.
    pub scope: Scope,
}

impl Actor {
    /// Refuses non-administrators.
    pub fn require_admin(&self) -> Result<(), ManagerError> {
        self.scope.require_admin()
    }

    /// Appends an audit row for this actor.
    pub fn audit(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<(), ManagerError> {
        audit::append(
            conn,
            now,
            &Entry {
                actor: &self.name,
                action,
                target,
                details,
            },
        )?;
        Ok(())
    }
}

/// Maps a unique violation to a clear conflict, anything else to a database error.
pub fn conflict(what: String) -> impl FnOnce(DieselError) -> ManagerError {
    move |e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => ManagerError::Refused(what),
        other => other.into(),
    }
}
