//! The console's live edge settings: the allow-list and the certificate served, both swapped in place (no restart).

use ipnet::Ipv4Net;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// What the listener's edge reads on every connection; the settings service writes it.
#[derive(Debug)]
pub struct ConsoleGate {
    allow: RwLock<Vec<Ipv4Net>>,
    cert: Arc<CertSlot>,
    internal_ca: AtomicBool,
}

impl ConsoleGate {
    /// A gate allowing `allow`, with no certificate yet.
    pub fn new(allow: Vec<Ipv4Net>) -> Self {
        Self {
            allow: RwLock::new(allow),
            cert: Arc::new(CertSlot::default()),
            internal_ca: AtomicBool::new(false),
        }
    }

    /// Whether the console's certificate is the internal CA's (renewed by housekeeping).
    pub fn internal_ca(&self) -> bool {
        self.internal_ca.load(Ordering::Relaxed)
    }

    /// Records whether the console's certificate is the internal CA's.
    pub fn set_internal_ca(&self, yes: bool) {
        self.internal_ca.store(yes, Ordering::Relaxed);
    }

    /// Whether `ip` may connect (IPv4 or IPv4-mapped only).
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow.read().is_ok_and(|a| super::allowed(&a, ip))
    }

    /// The allow-list in force.
    pub fn allow_list(&self) -> Vec<Ipv4Net> {
        self.allow.read().map(|a| a.clone()).unwrap_or_default()
    }

    /// Replaces the allow-list (the next connection uses it).
    pub fn set_allow(&self, nets: Vec<Ipv4Net>) {
        if let Ok(mut a) = self.allow.write() {
            *a = nets;
        }
    }

    /// The resolver the TLS configuration uses.
    pub fn resolver(&self) -> Arc<CertSlot> {
        self.cert.clone()
    }

    /// Serves `chain_pem` + `key_pem` from the next handshake on.
    pub fn set_cert_pem(&self, chain_pem: &[u8], key_pem: &[u8]) -> Result<(), String> {
        self.cert.set(certified(chain_pem, key_pem)?);
        Ok(())
    }

    /// Serves the certificate and key in these files from the next handshake on.
    pub fn load_cert_files(&self, cert: &Path, key: &Path) -> Result<(), String> {
        let c = std::fs::read(cert).map_err(|e| format!("{}: {e}", cert.display()))?;
        let k = std::fs::read(key).map_err(|e| format!("{}: {e}", key.display()))?;
        self.set_cert_pem(&c, &k)
            .map_err(|e| format!("{} / {}: {e}", cert.display(), key.display()))
    }

    /// Whether a certificate is loaded.
    pub fn has_cert(&self) -> bool {
        self.cert.current().is_some()
    }
}

/// Builds rustls' certified key from PEM (the key must match the leaf).
pub fn certified(chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<CertifiedKey>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bad PEM certificate: {e}"))?;
    if chain.is_empty() {
        return Err("no certificate in the PEM text".into());
    }
    let key =
        PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("cannot read a private key: {e}"))?;
    let provider = linux_patch_shared::tls::provider();
    let ck = CertifiedKey::from_der(chain, key, &provider)
        .map_err(|e| format!("not a usable certificate and key: {e}"))?;
    Ok(Arc::new(ck))
}

/// The certificate served now, swapped atomically.
#[derive(Debug, Default)]
pub struct CertSlot {
    current: RwLock<Option<Arc<CertifiedKey>>>,
}

impl CertSlot {
    /// Replaces the certificate.
    pub fn set(&self, ck: Arc<CertifiedKey>) {
        if let Ok(mut c) = self.current.write() {
            *c = Some(ck);
        }
    }

    /// The certificate served now.
    pub fn current(&self) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().and_then(|c| c.clone())
    }
}

impl ResolvesServerCert for CertSlot {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current()
    }
}

/// The console's TLS configuration: TLS 1.3 only, HTTP/1.1, no client certificates, certificate from `gate`.
pub fn server_config(gate: &ConsoleGate) -> Result<rustls::ServerConfig, String> {
    let mut c = rustls::ServerConfig::builder_with_provider(linux_patch_shared::tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| format!("TLS 1.3 unavailable: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(gate.resolver());
    c.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(c)
}
