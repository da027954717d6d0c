//! rustls configurations from PEM files: TLS 1.3 only, client certificates required and verified.

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use std::path::Path;
use std::sync::Arc;

/// Why a TLS configuration could not be built; names the file at fault.
#[derive(Debug)]
pub struct TlsConfigError(pub String);

impl std::fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsConfigError {}

/// The one crypto provider we use (ring), passed explicitly so another crate's default cannot interfere.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate in a PEM file (at least one).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| TlsConfigError(format!("{}: cannot read certificates: {e}", path.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| TlsConfigError(format!("{}: bad PEM certificate: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(TlsConfigError(format!(
            "{}: no certificate found",
            path.display()
        )));
    }
    Ok(certs)
}

/// The private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| TlsConfigError(format!("{}: cannot read a private key: {e}", path.display())))
}

/// Every CRL in a PEM file.
pub fn load_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsConfigError> {
    CertificateRevocationListDer::pem_file_iter(path)
        .map_err(|e| TlsConfigError(format!("{}: cannot read CRL: {e}", path.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| TlsConfigError(format!("{}: bad PEM CRL: {e}", path.display())))
}

/// Paths of the files a mutual-TLS server needs.
#[derive(Debug, Clone)]
pub struct ServerTlsFiles<'a> {
    /// CA that signs client certificates.
    pub ca: &'a Path,
    /// Server certificate chain.
    pub cert: &'a Path,
    /// Server private key.
    pub key: &'a Path,
    /// Optional CRL of revoked client certificates.
    pub crl: Option<&'a Path>,
}

/// A TLS 1.3-only server config that requires a client certificate issued by `ca`.
pub fn mtls_server_config(
    files: &ServerTlsFiles<'_>,
    alpn: &[&[u8]],
) -> Result<ServerConfig, TlsConfigError> {
    let provider = provider();
    let mut roots = RootCertStore::empty();
    for ca in load_certs(files.ca)? {
        roots.add(ca).map_err(|e| {
            TlsConfigError(format!(
                "{}: not a usable CA certificate: {e}",
                files.ca.display()
            ))
        })?;
    }
    let mut verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    if let Some(crl) = files.crl {
        verifier = verifier
            .with_crls(load_crls(crl)?)
            .allow_unknown_revocation_status();
    }
    let verifier = verifier.build().map_err(|e| {
        TlsConfigError(format!(
            "{}: cannot build client verifier: {e}",
            files.ca.display()
        ))
    })?;
    let cert = load_certs(files.cert)?;
    let key = load_key(files.key)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsConfigError(format!("TLS 1.3 unavailable: {e}")))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(cert, key)
        .map_err(|e| {
            TlsConfigError(format!(
                "{} / {}: certificate and key do not form a usable pair: {e}",
                files.cert.display(),
                files.key.display()
            ))
        })?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}
