//! A minimal HTTPS/1.1 client over rustls for tests: choose the TLS version, the client certificate
//! and the source address, and see exactly which bytes come back.

use crate::certs::Issued;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::client::TlsStream;

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// A client TLS config trusting `ca_pem`, presenting `cert` (if any), limited to `versions`.
pub fn client_config(
    ca_pem: &str,
    cert: Option<&Issued>,
    versions: &[&'static SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let builder = ClientConfig::builder_with_provider(linux_patch_shared::tls::provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots);
    let config = match cert {
        Some(c) => {
            let chain: Vec<_> = CertificateDer::pem_slice_iter(c.cert_pem.as_bytes())
                .map(|r| r.unwrap())
                .collect();
            let key = PrivateKeyDer::from_pem_slice(c.key_pem.as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    Arc::new(config)
}

/// TLS 1.3 only, the usual test client.
pub fn tls13(ca_pem: &str, cert: Option<&Issued>) -> Arc<ClientConfig> {
    client_config(ca_pem, cert, &[&rustls::version::TLS13])
}

/// A TCP connection from `source` (any local address when `None`).
pub async fn tcp(addr: SocketAddr, source: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let sock = TcpSocket::new_v4()?;
    if let Some(ip) = source {
        sock.bind(SocketAddr::new(ip, 0))?;
    }
    sock.connect(addr).await
}

/// A TLS connection to the agent (server name `localhost`).
pub async fn connect(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    source: Option<IpAddr>,
) -> std::io::Result<TlsStream<TcpStream>> {
    connect_as(addr, config, source, ServerName::try_from("localhost").unwrap()).await
}

/// Like [`connect`], verifying the server as `name` (e.g. its IP address, as the manager does).
pub async fn connect_as(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    source: Option<IpAddr>,
    name: ServerName<'static>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let stream = tcp(addr, source).await?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
}

/// Sends one request on an open connection (keep-alive) and reads the response.
pub async fn request<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await?;
    read_response(stream).await
}

async fn read_response<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<Response> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed before a response",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// One GET on a fresh mTLS connection with the given client certificate.
pub async fn get(addr: SocketAddr, ca_pem: &str, cert: &Issued, target: &str) -> Response {
    let mut s = connect(addr, tls13(ca_pem, Some(cert)), None).await.unwrap();
    request(&mut s, "GET", target, &[], b"").await.unwrap()
}

/// Reads whatever the peer sends until it closes (or `limit` passes): the bytes, and whether it closed.
pub async fn drain<S: AsyncRead + Unpin>(stream: &mut S, limit: Duration) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    let res = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    (got, res.is_ok())
}
