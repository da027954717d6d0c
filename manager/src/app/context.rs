//! What every handler and service shares: the database, the clock, the signing keys, WebAuthn, the internal
//! CA and the agents' trust, the settings, the in-memory stores, and the running actors' handles.

use super::Actors;
use crate::agents::Agents;
use crate::auth::jwt::KeyRing;
use crate::auth::webauthn::WebauthnService;
use crate::ca::runtime::CaContext;
use crate::ca::trust::AgentTrust;
use crate::ca::InternalCa;
use crate::config::file::{EnrollmentSection, PollerSection};
use crate::db::{Db, PgPool};
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use linux_patch_shared::clock::SharedClock;
use std::path::PathBuf;
use std::sync::Arc;

/// The manager's shared context (one per process, cloned into every worker). Built only by
/// [`super::AppBuilder`], for `serve` and for the test kit alike.
#[derive(Clone)]
pub struct AppContext {
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
    /// Agent clients with the trust in force and the poller's timeout.
    pub agents: Agents,
    /// The running actors (started before the listener accepts anything).
    pub actors: Actors,
    /// Per-source rate limit of `POST /api/v1/enroll` (in memory, shared by all workers).
    pub enroll_limiter: Arc<crate::enrollment::limiter::EnrollLimiter>,
    /// Per-source rate limit of `GET /api/v1/enroll/status/{token}` (in memory).
    pub enroll_status_limiter: Arc<crate::enrollment::limiter::EnrollLimiter>,
    /// Discovery scans of the last hour (in memory).
    pub discovery: Arc<crate::discovery::store::DiscoveryStore>,
    /// The console's own names and addresses (no host is registered or certified under them).
    pub console_names: Arc<crate::ca::ConsoleNames>,
    /// Failed sign-ins per (user, source address) and per source address (in memory).
    pub login_throttle: Arc<crate::auth::throttle::LoginThrottle>,
    /// Failed API-token authentications per source address (in memory): the 429 limit and the audit summaries.
    pub token_failures: Arc<crate::auth::token_failures::TokenFailures>,
    /// The console's live allow-list and certificate (changed by the settings without a restart).
    pub gate: Arc<crate::settings::gate::ConsoleGate>,
    /// The key sealing secrets at rest (`data_dir/secrets.key`).
    pub secrets: Arc<crate::secrets::SecretsKey>,
    /// The settings `config.yaml` gives (before any runtime change).
    pub initial_settings: Arc<crate::settings::apply::Initial>,
    /// The names and addresses an internal-CA console certificate is issued for.
    pub web_names: Arc<(Vec<String>, Vec<std::net::IpAddr>)>,
    /// Entra ID SSO: config.yaml's part, the redirect URI, the provider client and its key cache.
    pub sso: Arc<crate::sso::SsoRuntime>,
}

impl std::fmt::Debug for AppContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext")
            .field("ca_fingerprint", &self.ca_fingerprint)
            .finish_non_exhaustive()
    }
}

impl AppContext {
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
        Db::new(self.pool.clone()).run(f).await
    }

    /// The database for code that takes it explicitly.
    pub fn database(&self) -> Db {
        Db::new(self.pool.clone())
    }

    /// The CA's run-time context (register, files, trust).
    pub fn ca_ctx(&self) -> CaContext {
        CaContext {
            db: self.database(),
            clock: self.clock.clone(),
            ca: self.ca.clone(),
            ca_pem: self.ca_pem.clone(),
            data_dir: self.data_dir.clone(),
            trust: self.trust.clone(),
        }
    }
}
