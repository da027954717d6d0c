//! What the console and the API both do (hosts, users, groups, audit, certificates, agent enrolment,
//! discovery): checked, scoped by RBAC, audited, each operation one transaction; handlers parse, call one
//! service and render.

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod certificates;
pub mod deployments;
pub mod discovery;
pub mod enrollment;
pub mod fleet;
pub mod groups;
pub mod hosts;
pub mod notifications;
pub mod own_account;
pub mod reauth;
pub mod reports;
pub mod reports_audit;
pub mod reports_csv;
pub mod reports_exposure;
pub mod reports_history;
pub mod reports_pdf;
pub mod reports_pdf_more;
pub mod settings;
pub mod sso;
pub mod sso_login;
pub mod sso_test;
pub mod token_failures;
pub mod users;
pub mod weekly_report;
pub mod windows;

pub use crate::audit::Actor;
use crate::error::ManagerError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Maps a unique violation to a clear conflict, anything else to a database error.
pub fn conflict(what: String) -> impl FnOnce(DieselError) -> ManagerError {
    move |e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => ManagerError::Refused(what),
        other => other.into(),
    }
}
