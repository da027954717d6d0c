//! Linux Patch Manager: configuration, PostgreSQL (embedded or external), accounts and the hash-chained audit log.

pub mod accounts;
pub mod actors;
pub mod admin;
pub mod agent_client;
pub mod audit;
pub mod auth;
pub mod ca;
pub mod cli;
pub mod config;
pub mod db;
pub mod discovery;
pub mod enrollment;
pub mod error;
pub mod http;
pub mod paths;
pub mod poll;
