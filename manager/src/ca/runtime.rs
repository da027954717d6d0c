//! The CA at run time: what its operations need (database, clock, root, files, the agents' trust), putting
//! the agents' trust in force, and the renewal pass the housekeeping actor runs daily.

use super::registry::{self, Renewed, SYSTEM};
use super::trust::{AgentTrust, TrustMaterial};
use super::InternalCa;
use crate::db::Db;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use linux_patch_shared::clock::SharedClock;
use std::path::PathBuf;
use std::sync::Arc;

/// What the CA's run-time operations need, passed explicitly.
#[derive(Clone)]
pub struct CaContext {
    /// The database (the `certificates` register).
    pub db: Db,
    /// Where time comes from.
    pub clock: SharedClock,
    /// The internal CA.
    pub ca: Arc<InternalCa>,
    /// Its root certificate (PEM).
    pub ca_pem: Arc<String>,
    /// The data directory (CA files, issued keys under `certs/`).
    pub data_dir: Arc<PathBuf>,
    /// The TLS client configuration for calls to agents (swapped here).
    pub trust: Arc<AgentTrust>,
}

impl std::fmt::Debug for CaContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaContext")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl CaContext {
    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// Loads (or issues) the manager's client certificate, signs fresh CRLs (root and agents' CA) and puts them,
/// with both CAs, in force for calls to agents (`cx.trust`).
pub async fn load_trust(cx: &CaContext) -> Result<(), ManagerError> {
    let (ca, dir, now) = (cx.ca.clone(), cx.data_dir.clone(), cx.now());
    let (ident, crl) = cx
        .db
        .run(move |c| {
            let ident = registry::ensure_manager_client(c, &ca, &dir, now)?;
            let crl = registry::crl_pem(c, &ca, now)?;
            let agents_crl = registry::agents_crl(c, &ca, now)?;
            Ok((ident, format!("{crl}{agents_crl}")))
        })
        .await?;
    cx.trust
        .replace(&TrustMaterial {
            // Agents' certificates come from the agents' CA; the root stays trusted for certificates issued
            // before the two were split (the poller also pins each host's own certificate).
            ca_pem: format!("{}{}", cx.ca.agents_cert_pem(), cx.ca_pem),
            crl_pem: crl,
            client_cert_pem: ident.cert_pem,
            client_key_pem: ident.key_pem,
        })
        .map_err(|e| ManagerError::Internal(format!("cannot load the agents' trust: {e}")))?;
    log::info!(
        "agent trust loaded: manager client certificate {} (until {})",
        ident.serial,
        ident.not_after
    );
    Ok(())
}

/// One renewal pass: renews the manager's client certificate and, when `web`, the console's certificate if
/// they expire within 30 days, re-signs the CRL and reloads the agents' trust.
pub async fn renewal_pass(cx: &CaContext, web: bool) -> Result<Vec<Renewed>, ManagerError> {
    let (ca, dir, now) = (cx.ca.clone(), cx.data_dir.clone(), cx.now());
    let renewed = cx
        .db
        .run(move |c| registry::renew_due(c, &ca, &dir, web, now))
        .await?;
    load_trust(cx).await?;
    log::debug!("certificate check done as {SYSTEM}: {} renewed", renewed.len());
    Ok(renewed)
}
