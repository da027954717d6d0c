//! The contract both binaries compile against: response envelope, API DTOs, ids, TLS configs and the clock.

pub mod api;
pub mod clock;
pub mod envelope;
pub mod ids;
pub mod tls;

pub use envelope::{ApiError, Envelope};
pub use ids::RequestId;
