//! The agent's one error type (each variant maps to one HTTP status and one stable API error code) and the
//! process exit codes.

use crate::backend::BackendError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use linux_patch_shared::{ApiError, Envelope, RequestId};
use std::fmt;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the agent failed while running.
pub const EXIT_RUNTIME: i32 = 1;
/// Exit code: bad command line (clap's own code).
pub const EXIT_USAGE: i32 = 2;
/// Exit code: invalid configuration, allow-list or certificates.
pub const EXIT_CONFIG: i32 = 3;
/// Exit code: could not start (listen address, logging, state directories, package backend).
pub const EXIT_STARTUP: i32 = 4;

/// Everything a request can fail with. Client mistakes are 4xx; backend, database and I/O failures 5xx.
#[derive(Debug)]
pub enum AgentError {
    /// The request is malformed (bad name, bad filter, bad JSON): 400.
    InvalidInput {
        /// Stable code, e.g. `INVALID_PACKAGE_NAME`.
        code: &'static str,
        /// What is wrong.
        message: String,
        /// Which parameter and value.
        details: Option<serde_json::Value>,
    },
    /// A named thing does not exist: 404.
    NotFound {
        /// Stable code, e.g. `PACKAGE_NOT_FOUND`, `ROUTE_NOT_FOUND`.
        code: &'static str,
        /// What was not found.
        message: String,
    },
    /// The request conflicts with the current state (rollback of a rolled-back job, ...): 409.
    Conflict {
        /// Stable code, e.g. `ALREADY_ROLLED_BACK`, `NOTHING_TO_ROLL_BACK`.
        code: &'static str,
        /// Why.
        message: String,
    },
    /// The caller may not do this (e.g. its address left the allow-list mid-connection): 403.
    Forbidden {
        /// Why.
        message: String,
    },
    /// The route exists but not with this method: 405.
    MethodNotAllowed,
    /// The body exceeds `server.max_body_bytes`: 413.
    PayloadTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The request target (path + query) is longer than accepted: 414.
    UriTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The client exceeded `security.rate_limit_per_minute`: 429.
    RateLimited {
        /// Seconds until the client's window reopens.
        retry_after_secs: u64,
    },
    /// Temporarily unable to serve (exclusive mode, shutting down): 503.
    Unavailable {
        /// Why.
        message: String,
        /// Seconds after which a retry makes sense.
        retry_after_secs: u64,
    },
    /// The package manager or its database failed: 500 (or 504 for a timeout).
    Backend(BackendError),
    /// Anything else that is our fault: 500.
    Internal(String),
}

impl AgentError {
    /// A 400 with a code and message.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AgentError::InvalidInput {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// The API error body for this error.
    pub fn api_error(&self) -> ApiError {
        match self {
            AgentError::InvalidInput {
                code,
                message,
                details,
            } => {
                let e = ApiError::new(*code, message.clone());
                match details {
                    Some(d) => e.with_details(d.clone()),
                    None => e,
                }
            }
            AgentError::NotFound { code, message } | AgentError::Conflict { code, message } => {
                ApiError::new(*code, message.clone())
            }
            AgentError::Forbidden { message } => ApiError::new("FORBIDDEN", message.clone()),
            AgentError::MethodNotAllowed => {
                ApiError::new("METHOD_NOT_ALLOWED", "this route does not accept that method")
            }
            AgentError::PayloadTooLarge { limit } => ApiError::new(
                "PAYLOAD_TOO_LARGE",
                format!("request body larger than {limit} bytes"),
            )
            .with_details(serde_json::json!({ "limit_bytes": limit })),
            AgentError::UriTooLong { limit } => ApiError::new(
                "URI_TOO_LONG",
                format!("request path and query longer than {limit} bytes"),
            )
            .with_details(serde_json::json!({ "limit_bytes": limit })),
            AgentError::RateLimited { retry_after_secs } => ApiError::new(
                "RATE_LIMITED",
                format!("too many requests from this address; retry in {retry_after_secs} s"),
            )
            .retryable(),
            AgentError::Unavailable { message, .. } => {
                ApiError::new("UNAVAILABLE", message.clone()).retryable()
            }
            AgentError::Backend(BackendError::Command(m)) => {
                ApiError::new("PACKAGE_MANAGER_ERROR", m.clone()).retryable()
            }
            AgentError::Backend(BackendError::Io(m)) => ApiError::new("PACKAGE_DATABASE_ERROR", m.clone()),
            AgentError::Internal(m) => ApiError::new("INTERNAL_ERROR", m.clone()),
        }
    }

    /// The envelope for this error under `request_id`.
    pub fn envelope(&self, request_id: RequestId, now: chrono::DateTime<chrono::Utc>) -> Envelope<()> {
        Envelope::err(request_id, now, self.api_error())
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            AgentError::RateLimited { retry_after_secs }
            | AgentError::Unavailable { retry_after_secs, .. } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.api_error();
        write!(f, "{}: {}", e.code, e.message)
    }
}

impl From<BackendError> for AgentError {
    fn from(e: BackendError) -> Self {
        AgentError::Backend(e)
    }
}

impl ResponseError for AgentError {
    fn status_code(&self) -> StatusCode {
        match self {
            AgentError::InvalidInput { .. } => StatusCode::BAD_REQUEST,
            AgentError::NotFound { .. } => StatusCode::NOT_FOUND,
            AgentError::Conflict { .. } => StatusCode::CONFLICT,
            AgentError::Forbidden { .. } => StatusCode::FORBIDDEN,
            AgentError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AgentError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AgentError::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            AgentError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AgentError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AgentError::Backend(_) | AgentError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body carries a placeholder request id; the request middleware rewrites it with the real one.
    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if let Some(secs) = self.retry_after() {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        res.json(self.envelope(RequestId::generate(), chrono::DateTime::UNIX_EPOCH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_are_4xx_and_backend_errors_5xx() {
        assert_eq!(
            AgentError::invalid("X", "y").status_code(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            AgentError::Backend(BackendError::Io("disk".into())).status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            AgentError::Backend(BackendError::Command("apt".into())).status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn rate_limit_is_retryable_with_retry_after() {
        let e = AgentError::RateLimited { retry_after_secs: 7 };
        assert!(e.api_error().retryable);
        let res = e.error_response();
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "7");
    }
}
