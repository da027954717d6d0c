//! The manager's one error type: user mistakes, configuration, and database/I/O failures, each with an exit code.

use crate::config::ConfigError;
use crate::db::embedded::EmbeddedError;
use std::fmt;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: `audit verify` found a broken chain.
pub const EXIT_AUDIT_BROKEN: i32 = 1;
/// Exit code: bad command line (clap's own code).
pub const EXIT_USAGE: i32 = 2;
/// Exit code: invalid configuration.
pub const EXIT_CONFIG: i32 = 3;
/// Exit code: database or I/O failure (cannot start the embedded cluster, connect, migrate, query).
pub const EXIT_DATABASE: i32 = 4;
/// Exit code: the request was refused (invalid or taken user name, ...); nothing changed.
pub const EXIT_REFUSED: i32 = 5;

/// Everything a manager command can fail with.
#[derive(Debug)]
pub enum ManagerError {
    /// `config.yaml` is invalid.
    Config(ConfigError),
    /// The caller asked for something not allowed (bad name, duplicate); nothing changed.
    Refused(String),
    /// The embedded cluster could not be set up, started or stopped.
    Embedded(EmbeddedError),
    /// A connection, migration or query failed.
    Database(String),
    /// Something else that is our fault (hashing, files).
    Internal(String),
}

impl ManagerError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            ManagerError::Config(_) => EXIT_CONFIG,
            ManagerError::Refused(_) => EXIT_REFUSED,
            ManagerError::Embedded(_) | ManagerError::Database(_) | ManagerError::Internal(_) => {
                EXIT_DATABASE
            }
        }
    }
}

impl fmt::Display for ManagerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManagerError::Config(e) => write!(f, "invalid configuration: {e}"),
            ManagerError::Refused(m) => write!(f, "refused: {m}"),
            ManagerError::Embedded(e) => write!(f, "{e}"),
            ManagerError::Database(m) => write!(f, "database: {m}"),
            ManagerError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for ManagerError {}

impl From<ConfigError> for ManagerError {
    fn from(e: ConfigError) -> Self {
        ManagerError::Config(e)
    }
}

impl From<EmbeddedError> for ManagerError {
    fn from(e: EmbeddedError) -> Self {
        ManagerError::Embedded(e)
    }
}

impl From<diesel::result::Error> for ManagerError {
    fn from(e: diesel::result::Error) -> Self {
        ManagerError::Database(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_errors_and_database_failures_have_distinct_exit_codes() {
        assert_eq!(ManagerError::Refused("x".into()).exit_code(), EXIT_REFUSED);
        assert_eq!(ManagerError::Database("x".into()).exit_code(), EXIT_DATABASE);
        assert_eq!(
            ManagerError::Embedded(EmbeddedError("x".into())).exit_code(),
            EXIT_DATABASE
        );
        assert_ne!(EXIT_REFUSED, EXIT_DATABASE);
    }
}
