//! Test kit: certificates per test, package-manager sandboxes, a private PostgreSQL cluster, and the real
//! binaries in a temp prefix.
// The kit exists to fail loudly: panicking on a broken fixture is its error handling.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod agent;
pub mod api;
pub mod apk;
pub mod apt;
pub mod browser;
pub mod certs;
pub mod client;
pub mod console;
pub mod dnf;
pub mod fleet;
pub mod fleet_seed;
pub mod live;
pub mod manager;
pub mod oidc;
pub mod pacman;
pub mod pg;
pub mod repos;
pub mod rsyslog;
pub mod scale;
pub mod signin;
pub mod smtp;
