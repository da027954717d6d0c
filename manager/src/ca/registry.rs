//! The register of issued certificates (table `certificates`, keys under `<data_dir>/certs/`): the
//! manager's client certificate, agents' server certificates, renewal, revocation, the CRL and host bundles.
//! INTERFACE SKELETON — the CA helper replaces these bodies.

use super::InternalCa;
use crate::db::models::Host;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use std::path::Path;

/// The manager's current client certificate and key (PEM).
#[derive(Clone)]
pub struct ManagerIdentity {
    /// Certificate, PEM.
    pub cert_pem: String,
    /// Private key, PKCS#8 PEM.
    pub key_pem: String,
    /// Serial, lowercase hex.
    pub serial: String,
    /// End of validity.
    pub not_after: DateTime<Utc>,
}

impl std::fmt::Debug for ManagerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerIdentity")
            .field("serial", &self.serial)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// What an agent needs to serve mTLS (the files of `/etc/linux_patch_api/certs/`).
#[derive(Clone)]
pub struct HostBundle {
    /// Root CA, PEM (`ca.pem`).
    pub ca_pem: String,
    /// The host's server certificate, PEM (`server.pem`).
    pub server_pem: String,
    /// Its private key, PEM (`server.key`).
    pub server_key: String,
    /// The current CRL, PEM (`crl.pem`).
    pub crl_pem: String,
    /// Serial of the server certificate.
    pub serial: String,
}

impl std::fmt::Debug for HostBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostBundle")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

fn not_yet() -> ManagerError {
    ManagerError::Internal("certificate register not built yet".into())
}

/// The manager's client certificate: the current one when valid for more than 30 more days and not
/// revoked, else a newly issued one (recorded, audited as `system`).
pub fn ensure_manager_client(
    _conn: &mut PgConnection,
    _ca: &InternalCa,
    _data_dir: &Path,
    _now: DateTime<Utc>,
) -> Result<ManagerIdentity, ManagerError> {
    Err(not_yet())
}

/// The bundle of `host`: its current valid agent certificate, issuing one (SAN = hostname + IP) if none;
/// `actor` is audited.
pub fn host_bundle(
    _conn: &mut PgConnection,
    _ca: &InternalCa,
    _data_dir: &Path,
    _host: &Host,
    _actor: &str,
    _now: DateTime<Utc>,
) -> Result<HostBundle, ManagerError> {
    Err(not_yet())
}

/// A CRL listing every revoked certificate, freshly signed (PEM).
pub fn crl_pem(
    _conn: &mut PgConnection,
    _ca: &InternalCa,
    _now: DateTime<Utc>,
) -> Result<String, ManagerError> {
    Err(not_yet())
}
