//! Linux Patch Manager: the console, the REST API and the actors that poll and patch a fleet (layers: DESIGN §5.2,
//! `docs/manager.md` "Where things are").

pub mod actors;
pub mod agents;
pub mod app;
pub mod audit;
pub mod auth;
pub mod ca;
pub mod cli;
pub mod config;
pub mod db;
pub mod deploy;
pub mod discovery;
pub mod dispatch;
pub mod enrollment;
pub mod error;
pub mod housekeeping;
pub mod http;
pub mod notify;
pub mod paths;
pub mod poll;
pub mod postgres;
pub mod relay;
pub mod reports;
pub mod secrets;
pub mod services;
pub mod settings;
pub mod sso;
pub mod supervise;
