//! Process-wide state the HTTP handlers share: backend, clock, auditor, limits, start time.

use crate::actors::cache_refresher::CacheRefresher;
use crate::actors::job_manager::JobManager;
use crate::actors::rollback_lock::RollbackLock;
use crate::audit::limiter::WindowLimiter;
use crate::audit::Auditor;
use crate::backend::SharedBackend;
use crate::net::listener::EdgeState;
use crate::paths::Paths;
use chrono::{DateTime, Utc};
use linux_patch_shared::clock::SharedClock;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Longest request target (path + query) accepted; real requests are far shorter.
pub const MAX_URI_BYTES: usize = 8192;

/// Shared by every request handler (wrapped in `web::Data`).
#[derive(Debug)]
pub struct AppState {
    /// The package backend.
    pub backend: SharedBackend,
    /// Where time comes from.
    pub clock: SharedClock,
    /// Audit sink.
    pub auditor: Auditor,
    /// File layout.
    pub paths: Paths,
    /// When the agent started.
    pub started_at: DateTime<Utc>,
    /// `server.max_body_bytes`.
    pub max_body_bytes: usize,
    /// `security.rate_limit_per_minute` (0 = unlimited) per client address.
    pub rate: Option<Mutex<WindowLimiter<IpAddr>>>,
    /// Actors the handlers talk to.
    pub actors: Actors,
    /// The connection edge (its allow-list is re-checked on every request of a kept-alive connection).
    pub edge: Arc<EdgeState>,
}

/// Addresses of the actors handlers reach.
#[derive(Debug, Clone)]
pub struct Actors {
    /// Job queue and records.
    pub jobs: actix::Addr<JobManager>,
    /// Exclusive mode during rollbacks.
    pub lock: actix::Addr<RollbackLock>,
    /// Package-index refresher.
    pub refresher: actix::Addr<CacheRefresher>,
}

impl AppState {
    /// The per-address limiter for `security.rate_limit_per_minute` (`None` when 0 = unlimited).
    pub fn rate_limiter(rate_limit_per_minute: u32) -> Option<Mutex<WindowLimiter<IpAddr>>> {
        (rate_limit_per_minute > 0).then(|| {
            Mutex::new(WindowLimiter::new(
                rate_limit_per_minute,
                chrono::Duration::minutes(1),
            ))
        })
    }

    /// Seconds since start.
    pub fn uptime_secs(&self) -> u64 {
        u64::try_from((self.clock.now() - self.started_at).num_seconds()).unwrap_or(0)
    }
}
