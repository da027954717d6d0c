//! The JSON REST API for scripts (`/api/v1`): the envelope, bearer or cookie authentication, the routes.

pub mod auth;
pub mod certificates;
pub mod deployments;
pub mod discovery;
pub mod enroll;
pub mod fleet;
pub mod hosts_view;
pub mod openapi;
pub mod poller;
pub mod reports;
pub mod settings;
pub mod sso;
pub mod table;
mod table_admin;
mod table_core;
mod table_fleet;
pub mod tokens;
pub mod views;
mod views_more;

pub use super::respond::{created_json, ok_json};
use crate::error::ManagerError;
use actix_web::web;

/// JSON bodies: at most 64 KiB, unknown fields refused by the types, errors as our envelope.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|e, _| ManagerError::Invalid(format!("invalid JSON body: {e}")).into())
}

/// Path parameters that do not parse (`/hosts/abc`) are a 400 with our envelope.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|e, _| ManagerError::Invalid(format!("invalid path: {e}")).into())
}

/// Query strings that do not parse are a 400 with our envelope.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|e, _| ManagerError::Invalid(format!("invalid query string: {e}")).into())
}
