//! The contract both binaries compile against: response envelope, API DTOs, ids, TLS configs, the clock,
//! YAML configuration files with located errors, and systemd readiness notification.

pub mod api;
pub mod clock;
pub mod config_file;
pub mod envelope;
pub mod ids;
pub mod notify;
pub mod timefmt;
pub mod tls;

pub use envelope::{ApiError, Envelope};
pub use ids::RequestId;
