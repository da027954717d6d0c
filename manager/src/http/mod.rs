//! The console and REST API over HTTPS: the route table (`routes.rs`), the middlewares, the listener and the
//! server. Nothing outside this directory imports it (`scripts/check-layers.sh`).

pub mod api;
pub mod assets;
pub mod cookies;
pub mod edge;
pub mod flash;
pub mod form;
pub mod identity;
pub mod login_challenge;
pub mod middleware;
pub mod respond;
pub mod routes;
pub mod server;
pub mod token_gate;
pub mod tokens_dto;
pub mod ws;

pub mod ui;

pub use routes::configure;
