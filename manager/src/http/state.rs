//! What every handler shares: the database pool, the clock, the signing keys, WebAuthn, the internal CA,
//! the fleet settings.

use crate::actors::poller::PollerHandle;
use crate::auth::jwt::KeyRing;
use crate::auth::webauthn::WebauthnService;
use crate::ca::trust::AgentTrust;
use crate::ca::InternalCa;
use crate::config::file::{EnrollmentSection, PollerSection};
use crate::db::PgPool;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use linux_patch_shared::clock::SharedClock;
use std::path::PathBuf;
use std::sync::Arc;

/// Shared state of the console and API (one per process, cloned into every worker).
#[derive(Clone)]
pub struct AppState {
    /// PostgreSQL connections.
    pub pool: PgPool,
    /// Where time comes from (a manual clock in tests).
    pub clock: SharedClock,
    /// Access-token signing and verification keys.
    pub keys: KeyRing,
    /// The WebAuthn relying party (the console's public URL).
    pub webauthn: Arc<WebauthnService>,
    /// The internal CA's root certificate (PEM), served at `/ca.pem`.
    pub ca_pem: Arc<String>,
    /// Its SHA-256 fingerprint.
    pub ca_fingerprint: Arc<String>,
    /// Audit retention in days.
    pub audit_retention_days: u32,
    /// The internal CA (issues agent and manager-client certificates, signs the CRL).
    pub ca: Arc<InternalCa>,
    /// The data directory (CA files, issued keys under `certs/`).
    pub data_dir: Arc<PathBuf>,
    /// `poller:` of the configuration.
    pub poller_cfg: PollerSection,
    /// `enrollment:` of the configuration.
    pub enroll_cfg: EnrollmentSection,
    /// The TLS client configuration for calls to agents (swapped on renewal/revocation).
    pub trust: Arc<AgentTrust>,
    /// The running poller, once started (`serve` starts it; in-process tests may leave it empty).
    pub poller: Arc<std::sync::OnceLock<PollerHandle>>,
    /// Per-source rate limit of `POST /api/v1/enroll` (in memory, shared by all workers).
    pub enroll_limiter: Arc<crate::enrollment::EnrollLimiter>,
    /// Discovery scans of the last hour (in memory).
    pub discovery: Arc<crate::discovery::DiscoveryStore>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("ca_fingerprint", &self.ca_fingerprint)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Runs `f` with a pooled connection on the blocking thread pool (diesel is synchronous).
    pub async fn db<T, F>(&self, f: F) -> Result<T, ManagerError>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, ManagerError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }
}
