//! RBAC scope in the data layer: what hosts an account may see and act on (every host query takes one).

use crate::db::models::{Role, User};
use crate::error::ManagerError;

/// The hosts a request may reach: every host (admins) or ungrouped hosts plus those in the user's groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Administrators: everything.
    All,
    /// Operators: ungrouped hosts and hosts sharing a group with this user.
    GroupsOf(i64),
}

impl Scope {
    /// The scope of `user`.
    pub fn of(user: &User) -> Scope {
        match user.role() {
            Role::Admin => Scope::All,
            Role::Operator => Scope::GroupsOf(user.id),
        }
    }

    /// Whether this is an administrator's scope (user, group and setting management).
    pub fn is_admin(self) -> bool {
        matches!(self, Scope::All)
    }

    /// Refuses anyone but administrators (user, group, audit and setting management).
    pub fn require_admin(self) -> Result<(), ManagerError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ManagerError::Forbidden("only administrators may do this".into()))
        }
    }
}
