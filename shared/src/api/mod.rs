//! API data transfer objects, one module per peer.

pub mod agent;
pub mod enroll;
pub mod jobs;
