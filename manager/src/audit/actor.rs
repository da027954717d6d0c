//! Who acts, and with what reach: the user name written to the audit trail and the RBAC scope.

use super::Entry;
use crate::db::models::scope::Scope;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
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
        super::append(
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
