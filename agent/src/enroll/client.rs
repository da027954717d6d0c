//! HTTPS to the manager with `awc` over rustls (TLS 1.3): one unverified fetch of `/ca.pem`, every other
//! request verified against the pinned CA, all to the one address the manager's name resolved to.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::net::{SocketAddr, SocketAddrV4, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// Largest answer read from the manager.
const MAX_BODY: usize = 1024 * 1024;

/// The manager as given on the command line: `https://host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerUrl {
    /// `https://host:port` (no path).
    pub base: String,
    /// Host name or address (for SNI and certificate verification).
    pub host: String,
    /// Port.
    pub port: u16,
}

impl ManagerUrl {
    /// Parses `https://host[:port][/]` (port 443 when absent).
    pub fn parse(url: &str) -> Result<Self, String> {
        let bad = || format!("`{}` is not an https://host[:port] URL", url.escape_default());
        let rest = url.trim().strip_prefix("https://").ok_or_else(bad)?;
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() || rest.contains(['/', '?', '#', '@', '[', ' ']) {
            return Err(bad());
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?),
            None => (rest, 443),
        };
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            return Err(bad());
        }
        let host = host.to_ascii_lowercase();
        Ok(Self {
            base: format!("https://{host}:{port}"),
            host,
            port,
        })
    }

    /// The first IPv4 address the host resolves to (the address every request goes to).
    pub fn resolve(&self) -> Result<SocketAddrV4, String> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.host))?
            .find_map(|a| match a {
                SocketAddr::V4(v4) => Some(v4),
                SocketAddr::V6(_) => None,
            })
            .ok_or_else(|| format!("{} has no IPv4 address", self.host))
    }
}

/// Accepts any server certificate (the handshake signature is still checked): used only to fetch the
/// CA, whose fingerprint is then compared or pinned.
#[derive(Debug)]
struct AnyServer(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn builder() -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, String> {
    ClientConfig::builder_with_provider(linux_patch_shared::tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| format!("TLS: {e}"))
}

/// The configuration of the one unverified fetch.
pub fn unverified() -> Result<Arc<ClientConfig>, String> {
    let c = builder()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer(linux_patch_shared::tls::provider())))
        .with_no_client_auth();
    Ok(Arc::new(c))
}

/// A configuration trusting only `ca_pem`.
pub fn pinned(ca_pem: &str) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let c = c.map_err(|e| format!("pinned CA: {e}"))?;
        roots.add(c).map_err(|e| format!("pinned CA: {e}"))?;
    }
    Ok(Arc::new(
        builder()?.with_root_certificates(roots).with_no_client_auth(),
    ))
}

/// An answer: status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Retry-After` in seconds, when sent.
    pub retry_after: Option<u64>,
    /// Body.
    pub body: Vec<u8>,
}

/// One request (`body` = JSON to POST, else GET) to `path` on the manager at `addr`.
pub async fn call(
    tls: Arc<ClientConfig>,
    url: &ManagerUrl,
    addr: SocketAddrV4,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<Answer, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = awc::Client::builder()
        .connector(
            awc::Connector::new()
                .rustls_0_23(tls)
                .timeout(Duration::from_secs(15)),
        )
        .timeout(Duration::from_secs(30))
        .disable_redirects()
        .finish();
    let target = format!("{}{path}", url.base);
    let req = match body {
        Some(_) => client.post(&target),
        None => client.get(&target),
    }
    .address(SocketAddr::V4(addr));
    let sent = match body {
        Some(b) => req.send_json(b).await,
        None => req.send().await,
    };
    let mut resp = sent.map_err(|e| format!("{target}: {e}"))?;
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let body = resp
        .body()
        .limit(MAX_BODY)
        .await
        .map_err(|e| format!("{target}: cannot read the answer: {e}"))?;
    Ok(Answer {
        status: resp.status().as_u16(),
        retry_after,
        body: body.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manager_urls_are_parsed_strictly() {
        let u = ManagerUrl::parse("https://Manager.example.lan:8443/").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("manager.example.lan", 8443));
        assert_eq!(u.base, "https://manager.example.lan:8443");
        assert_eq!(ManagerUrl::parse("https://10.0.0.1").unwrap().port, 443);
        for bad in [
            "http://m:8443",
            "https://",
            "https://m:0",
            "https://m:99999",
            "https://m:8443/api",
            "https://user@m",
            "https://[::1]:8443",
            "https://m;reboot",
        ] {
            assert!(ManagerUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
