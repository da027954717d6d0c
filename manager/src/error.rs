//! The manager's one error type: user mistakes, configuration, and database/I/O failures, each with an exit
//! code (command line) and an HTTP status (console and API; database and I/O failures are always 5xx).

use crate::config::ConfigError;
use crate::postgres::EmbeddedError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use linux_patch_shared::{ApiError, Envelope, RequestId};
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
#[derive(Debug, Clone)]
pub enum ManagerError {
    /// `config.yaml` is invalid.
    Config(ConfigError),
    /// The caller asked for something that conflicts with what exists (a taken name); nothing changed.
    Refused(String),
    /// Malformed or invalid input (bad name, missing field, wrong CSRF token); nothing changed.
    Invalid(String),
    /// No valid session or token (or it expired): sign in again.
    Unauthenticated(String),
    /// Signed in, but this account may not do that.
    Forbidden(String),
    /// No such object, or not visible to this account (operators do not learn what exists outside their groups).
    NotFound(String),
    /// Too many attempts; retry later.
    TooMany(String),
    /// The embedded cluster could not be set up, started or stopped.
    Embedded(EmbeddedError),
    /// A connection, migration or query failed.
    Database(String),
    /// The database cannot be reached right now (down, restarting): answered at once with 503 and
    /// `Retry-After`; the reason is for the log.
    Unavailable(String),
    /// Something else that is our fault (hashing, files).
    Internal(String),
}

impl ManagerError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            ManagerError::Config(_) => EXIT_CONFIG,
            ManagerError::Refused(_)
            | ManagerError::Invalid(_)
            | ManagerError::Unauthenticated(_)
            | ManagerError::Forbidden(_)
            | ManagerError::NotFound(_)
            | ManagerError::TooMany(_) => EXIT_REFUSED,
            ManagerError::Embedded(_)
            | ManagerError::Database(_)
            | ManagerError::Unavailable(_)
            | ManagerError::Internal(_) => EXIT_DATABASE,
        }
    }
}

impl fmt::Display for ManagerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManagerError::Config(e) => write!(f, "invalid configuration: {e}"),
            ManagerError::Refused(m) => write!(f, "refused: {m}"),
            ManagerError::Invalid(m)
            | ManagerError::Unauthenticated(m)
            | ManagerError::Forbidden(m)
            | ManagerError::NotFound(m)
            | ManagerError::TooMany(m) => f.write_str(m),
            ManagerError::Embedded(e) => write!(f, "{e}"),
            ManagerError::Database(m) => write!(f, "database: {m}"),
            ManagerError::Unavailable(m) => write!(f, "database unavailable: {m}"),
            ManagerError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for ManagerError {}

impl ManagerError {
    /// The stable machine-readable code of the API envelope.
    pub fn code(&self) -> &'static str {
        match self {
            ManagerError::Refused(_) => "conflict",
            ManagerError::Invalid(_) => "invalid_request",
            ManagerError::Unauthenticated(_) => "unauthenticated",
            ManagerError::Forbidden(_) => "forbidden",
            ManagerError::NotFound(_) => "not_found",
            ManagerError::TooMany(_) => "too_many_attempts",
            ManagerError::Config(_) => "configuration",
            ManagerError::Embedded(_) | ManagerError::Database(_) => "database_error",
            ManagerError::Unavailable(_) => "database_unavailable",
            ManagerError::Internal(_) => "internal_error",
        }
    }

    /// Whether a request failing with this is logged as an error (server-side failures, except the
    /// database being away: that is logged once when it goes and once when it is back).
    pub fn is_noisy(&self) -> bool {
        self.status_code().is_server_error() && !matches!(self, ManagerError::Unavailable(_))
    }

    /// Seconds a client should wait before retrying (the `Retry-After` of a 429 or 503).
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            ManagerError::Unavailable(_) => Some(5),
            ManagerError::TooMany(_) => Some(30),
            e if e.status_code() == StatusCode::SERVICE_UNAVAILABLE => Some(30),
            _ => None,
        }
    }

    /// What a client may be told: server-side failures are logged in full but answered generically.
    pub fn public_message(&self) -> String {
        match self {
            ManagerError::Config(_)
            | ManagerError::Embedded(_)
            | ManagerError::Database(_)
            | ManagerError::Internal(_) => {
                "the manager could not complete the request (see its log); nothing was changed".into()
            }
            ManagerError::Unavailable(_) => {
                "the manager's database is unavailable (it is being restarted or \
                 cannot be reached); nothing was changed — retry in a few seconds"
                    .into()
            }
            other => other.to_string(),
        }
    }

    /// The envelope of this error for `request_id` at `now`.
    pub fn envelope(&self, request_id: RequestId, now: chrono::DateTime<chrono::Utc>) -> Envelope<()> {
        let mut e = ApiError::new(self.code(), self.public_message());
        if self.status_code().is_server_error() || matches!(self, ManagerError::TooMany(_)) {
            e = e.retryable();
        }
        Envelope::err(request_id, now, e)
    }
}

impl ResponseError for ManagerError {
    fn status_code(&self) -> StatusCode {
        match self {
            ManagerError::Refused(_) => StatusCode::CONFLICT,
            ManagerError::Invalid(_) => StatusCode::BAD_REQUEST,
            ManagerError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ManagerError::Forbidden(_) => StatusCode::FORBIDDEN,
            ManagerError::NotFound(_) => StatusCode::NOT_FOUND,
            ManagerError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            ManagerError::Config(_) | ManagerError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ManagerError::Embedded(_) | ManagerError::Database(_) | ManagerError::Unavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// The JSON envelope; the HTTP layer's middleware re-renders it as a page for console routes and puts the
    /// request's own id in it for API routes.
    fn error_response(&self) -> HttpResponse {
        if self.is_noisy() {
            log::error!("request failed: {self}");
        }
        let clock = linux_patch_shared::clock::SystemClock;
        let now = linux_patch_shared::clock::Clock::now(&clock);
        HttpResponse::build(self.status_code()).json(self.envelope(RequestId::generate(), now))
    }
}

impl From<r2d2::Error> for ManagerError {
    fn from(e: r2d2::Error) -> Self {
        ManagerError::Database(format!("cannot get a database connection: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for ManagerError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ManagerError::Internal(format!("worker thread failed: {e}"))
    }
}

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
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match &e {
            // The server went away under a running statement: the database is unavailable, not broken.
            E::DatabaseError(K::ClosedConnection | K::UnableToSendCommand, _) => {
                ManagerError::Unavailable(e.to_string())
            }
            _ => ManagerError::Database(e.to_string()),
        }
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

    #[test]
    fn database_failures_are_5xx_and_user_errors_4xx() {
        assert_eq!(
            ManagerError::Database("x".into()).status_code(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            ManagerError::Internal("x".into()).status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            ManagerError::Invalid("x".into()).status_code(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ManagerError::NotFound("x".into()).status_code(),
            StatusCode::NOT_FOUND
        );
        let e = ManagerError::Database("password=secret".into());
        assert!(!e.public_message().contains("secret"));
        let now = chrono::DateTime::UNIX_EPOCH;
        let env = e.envelope(RequestId::generate(), now);
        let err = env.error.unwrap();
        assert_eq!(err.code, "database_error");
        assert!(err.retryable);
    }

    #[test]
    fn an_unavailable_database_is_a_quiet_503_with_a_short_retry_after() {
        let e = ManagerError::Unavailable("connection refused /run/x".into());
        assert_eq!(e.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.retry_after(), Some(5));
        assert!(!e.is_noisy(), "logged once per change, not per request");
        assert!(ManagerError::Database("x".into()).is_noisy());
        assert!(!e.public_message().contains("/run/x"));
        assert!(e.public_message().contains("database is unavailable"));
        let err = e
            .envelope(RequestId::generate(), chrono::DateTime::UNIX_EPOCH)
            .error
            .unwrap();
        assert_eq!(err.code, "database_unavailable");
        assert!(err.retryable);
        let closed = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection unexpectedly".to_string()),
        );
        assert!(matches!(ManagerError::from(closed), ManagerError::Unavailable(_)));
    }
}
