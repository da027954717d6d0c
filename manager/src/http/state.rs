//! What every handler shares: the database pool, the clock, the signing keys, WebAuthn, the CA's identity.

use crate::auth::jwt::KeyRing;
use crate::auth::webauthn::WebauthnService;
use crate::db::PgPool;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use linux_patch_shared::clock::SharedClock;
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
