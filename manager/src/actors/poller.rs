//! The `Poller` actor: health every 5 minutes, patch data every 30, on demand; bounded concurrency,
//! per-host backoff, results written in batches.
//! INTERFACE SKELETON — the poller helper replaces this.

use crate::error::ManagerError;

/// What an on-demand refresh fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Health only.
    Health,
    /// Health, system info and patch data.
    All,
}

/// How callers reach the running poller.
#[derive(Debug, Clone, Default)]
pub struct PollerHandle {}

impl PollerHandle {
    /// Queues an immediate refresh of `host_ids` (ignoring their backoff); returns how many were queued.
    pub async fn refresh(&self, _host_ids: Vec<i64>, _what: Refresh) -> Result<usize, ManagerError> {
        Err(ManagerError::Internal("poller not built yet".into()))
    }
}
