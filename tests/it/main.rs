//! Integration tests of the real binaries against real parts (one test binary for link speed).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod api;
mod apk_backend;
mod apt_backend;
mod apt_write;
mod cli;
mod dnf_backend;
mod fleet;
mod jobs;
mod jobs_lifecycle;
mod journal;
mod pacman_backend;
mod reload;
mod simulated;
mod tls;
