//! Whom the manager trusts when it calls agents, and who it is to them: the rustls client configuration
//! (internal root CA + its CRL for agents' server certificates, the manager's client certificate), swapped
//! atomically when a certificate is renewed or revoked.

use super::pinning::Pinned;
use linux_patch_shared::tls::provider;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};
use std::sync::{Arc, RwLock};

/// The material of a client configuration, all PEM.
#[derive(Clone)]
pub struct TrustMaterial {
    /// The internal root CA (agents' server certificates must chain to it).
    pub ca_pem: String,
    /// The current CRL (a revoked agent certificate is refused).
    pub crl_pem: String,
    /// The manager's client certificate.
    pub client_cert_pem: String,
    /// Its private key.
    pub client_key_pem: String,
}

impl std::fmt::Debug for TrustMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustMaterial").finish_non_exhaustive()
    }
}

/// A TLS 1.3-only client configuration that verifies agents against the CA and CRL and presents the
/// manager's client certificate. An error names which part is unusable.
pub fn client_config(m: &TrustMaterial) -> Result<ClientConfig, String> {
    client_parts(m).map(|(c, _)| c)
}

/// The configuration and its CA + CRL verifier (wrapped per host by [`super::pinning::Pinned`]).
fn client_parts(m: &TrustMaterial) -> Result<(ClientConfig, Arc<dyn ServerCertVerifier>), String> {
    let provider = provider();
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(m.ca_pem.as_bytes()) {
        let c = c.map_err(|e| format!("root CA: bad PEM: {e}"))?;
        roots
            .add(c)
            .map_err(|e| format!("root CA: not a usable CA certificate: {e}"))?;
    }
    let crls: Vec<CertificateRevocationListDer<'static>> =
        CertificateRevocationListDer::pem_slice_iter(m.crl_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("CRL: bad PEM: {e}"))?;
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(crls)
        .allow_unknown_revocation_status()
        .build()
        .map_err(|e| format!("cannot build the agent verifier: {e}"))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(m.client_cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("manager client certificate: bad PEM: {e}"))?;
    let key = PrivateKeyDer::from_pem_slice(m.client_key_pem.as_bytes())
        .map_err(|e| format!("manager client key: {e}"))?;
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| format!("TLS 1.3 unavailable: {e}"))?
        .with_webpki_verifier(verifier.clone())
        .with_client_auth_cert(chain, key)
        .map_err(|e| format!("manager client certificate and key do not form a usable pair: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = verifier;
    Ok((cfg, verifier))
}

/// A configuration in force and its CA + CRL verifier.
type Parts = (Arc<ClientConfig>, Arc<dyn ServerCertVerifier>);

/// The current client configuration, shared by the poller and every live call to an agent.
#[derive(Debug, Default)]
pub struct AgentTrust {
    current: RwLock<Option<Parts>>,
}

impl AgentTrust {
    /// No configuration yet: calls to agents fail with "no manager client certificate loaded".
    pub fn empty() -> Self {
        Self::default()
    }

    /// The configuration in force, if one was loaded (CA + CRL + IP SAN checks only: for discovery probes,
    /// which look for agents not registered yet; every call to a registered host uses [`Self::pinned`]).
    pub fn current(&self) -> Option<Arc<ClientConfig>> {
        self.parts().map(|(c, _)| c)
    }

    fn parts(&self) -> Option<Parts> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The configuration in force restricted to a host's recorded certificates (`pins`, SHA-256 hex): an
    /// agent presenting any other certificate is refused, even one the CA issued for the same address.
    pub fn pinned(&self, pins: &[String]) -> Option<Arc<ClientConfig>> {
        let (base, verifier) = self.parts()?;
        let mut cfg = (*base).clone();
        // No resumption: a resumed session skips verification, and a host's recorded certificates change.
        cfg.resumption = rustls::client::Resumption::disabled();
        cfg.dangerous()
            .set_certificate_verifier(Arc::new(Pinned::new(verifier, pins.to_vec())));
        Some(Arc::new(cfg))
    }

    /// Builds a configuration from `m` and puts it in force (the old one stays on error).
    pub fn replace(&self, m: &TrustMaterial) -> Result<(), String> {
        let (cfg, verifier) = client_parts(m)?;
        let parts = (Arc::new(cfg), verifier);
        match self.current.write() {
            Ok(mut g) => *g = Some(parts),
            Err(p) => *p.into_inner() = Some(parts),
        }
        Ok(())
    }
}
