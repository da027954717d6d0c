//! Recognising an agent by the certificate the manager issued to its host: a server-certificate verifier
//! that accepts only the host's recorded fingerprints, on top of the CA, CRL and IP SAN checks.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The words every identity refusal starts with (the poller marks such a host unreachable at once).
pub const NOT_ITS_CERTIFICATE: &str = "not the certificate issued to this host";

/// SHA-256 of a DER certificate, lowercase hex (as the `certificates.fingerprint` column holds it).
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a presented certificate was refused (carried through rustls as `CertificateError::Other`).
#[derive(Debug)]
pub struct IdentityMismatch(pub String);

impl std::fmt::Display for IdentityMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IdentityMismatch {}

/// Accepts a server certificate only when its fingerprint is one of `pins` and `inner` accepts it.
#[derive(Debug)]
pub struct Pinned {
    inner: Arc<dyn ServerCertVerifier>,
    pins: Vec<String>,
}

impl Pinned {
    /// `inner` (CA + CRL + name) restricted to `pins` (lowercase hex SHA-256; empty = nothing is accepted).
    pub fn new(inner: Arc<dyn ServerCertVerifier>, pins: Vec<String>) -> Self {
        Self { inner, pins }
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let fp = fingerprint(end_entity.as_ref());
        if !self.pins.iter().any(|p| p.eq_ignore_ascii_case(&fp)) {
            let why = if self.pins.is_empty() {
                format!(
                    "the agent presented certificate SHA256 {fp}, {NOT_ITS_CERTIFICATE} (none is recorded: \
                     an administrator issues its bundle, or the agent enrols)"
                )
            } else {
                format!("the agent presented certificate SHA256 {fp}, {NOT_ITS_CERTIFICATE}")
            };
            return Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(IdentityMismatch(why))),
            )));
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
