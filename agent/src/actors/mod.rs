//! The agent's actors: each owns its state and schedule; the logic they drive lives in plain modules.

pub mod cache_refresher;
pub mod config_watcher;
pub mod job;
pub mod job_manager;
pub mod rollback_lock;
pub mod ws;
