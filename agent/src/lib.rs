//! The Linux Patch API agent: configuration, mTLS transport, HTTP API, package backends and audit.

pub mod actors;
pub mod app;
pub mod audit;
pub mod backend;
pub mod cache_state;
pub mod cli;
pub mod config;
pub mod enroll;
pub mod error;
pub mod health;
pub mod http;
pub mod jobs;
pub mod link;
pub mod net;
pub mod paths;
pub mod reload;
pub mod state;
pub mod sysinfo;
