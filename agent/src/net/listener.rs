//! Per-connection edge: deny peers not on the allow-list before any TLS byte, then a TLS 1.3 handshake
//! that requires a client certificate; failures are audited (rate-limited) and get no HTTP response.

use super::identity::ClientIdentity;
use crate::audit::limiter::{Decision, WindowLimiter};
use crate::audit::Auditor;
use crate::audit_fields;
use crate::config::{AllowList, TlsPaths};
use actix_http::Protocol;
use linux_patch_shared::clock::SharedClock;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// Longest a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Audit records per minute per denial kind; the rest are counted and reported with the next one.
pub const DENIALS_AUDITED_PER_MINUTE: u32 = 60;

/// What the edge needs, shared by every worker; the allow-list and TLS config are swappable.
#[derive(Debug)]
pub struct EdgeState {
    allow: RwLock<Arc<AllowList>>,
    tls: RwLock<Arc<rustls::ServerConfig>>,
    auditor: Auditor,
    clock: SharedClock,
    denials: Mutex<WindowLimiter<&'static str>>,
    /// The certificate files the TLS configuration was built from (health re-reads them).
    tls_files: RwLock<Option<TlsPaths>>,
    /// Fingerprints of the client certificates accepted so far (a new one wakes the CRL fetch).
    clients_seen: Mutex<HashSet<String>>,
    /// Woken when a client certificate not seen before was accepted.
    new_client: tokio::sync::Notify,
}

/// Most client certificates remembered as seen (then the set starts again).
const CLIENTS_REMEMBERED: usize = 4096;

impl EdgeState {
    /// The edge with its initial allow-list and TLS configuration.
    pub fn new(allow: AllowList, tls: rustls::ServerConfig, auditor: Auditor, clock: SharedClock) -> Self {
        Self {
            allow: RwLock::new(Arc::new(allow)),
            tls: RwLock::new(Arc::new(tls)),
            auditor,
            clock,
            denials: Mutex::new(WindowLimiter::new(
                DENIALS_AUDITED_PER_MINUTE,
                chrono::Duration::minutes(1),
            )),
            tls_files: RwLock::new(None),
            clients_seen: Mutex::new(HashSet::new()),
            new_client: tokio::sync::Notify::new(),
        }
    }

    /// Notes an accepted client certificate; one not seen before wakes [`EdgeState::unknown_client`].
    pub fn note_client(&self, fingerprint: &str) {
        let new = match self.clients_seen.lock() {
            Ok(mut seen) => {
                if seen.len() >= CLIENTS_REMEMBERED {
                    seen.clear();
                }
                seen.insert(fingerprint.to_owned())
            }
            Err(_) => false,
        };
        if new {
            self.new_client.notify_one();
        }
    }

    /// Resolves when a client certificate not seen before has been accepted (since the last call).
    pub async fn unknown_client(&self) {
        self.new_client.notified().await;
    }

    /// Records which files the current TLS configuration came from (at start and on every swap).
    pub fn set_tls_files(&self, files: TlsPaths) {
        if let Ok(mut t) = self.tls_files.write() {
            *t = Some(files);
        }
    }

    /// The files the current TLS configuration came from, when recorded.
    pub fn tls_files(&self) -> Option<TlsPaths> {
        self.tls_files.read().ok().and_then(|t| t.clone())
    }

    /// Replaces the allow-list; takes effect for the next connection.
    pub fn set_allow(&self, allow: AllowList) {
        if let Ok(mut a) = self.allow.write() {
            *a = Arc::new(allow);
        }
    }

    /// Replaces the TLS configuration (certificates); new connections use it.
    pub fn set_tls(&self, tls: rustls::ServerConfig) {
        if let Ok(mut t) = self.tls.write() {
            *t = Arc::new(tls);
        }
    }

    /// Whether the current allow-list admits `ip` (what the next connection from it will meet).
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        self.allow.read().map(|a| a.allows(ip)).unwrap_or(false)
    }

    fn allowed(&self, peer: &SocketAddr) -> bool {
        self.allows(peer.ip())
    }

    fn tls(&self) -> Option<Arc<rustls::ServerConfig>> {
        self.tls.read().ok().map(|t| Arc::clone(&t))
    }

    /// Audits a refused connection unless this kind already filled its quota for the minute.
    fn deny(&self, kind: &'static str, peer: Option<SocketAddr>, reason: &str) {
        let decision = match self.denials.lock() {
            Ok(mut l) => l.check(&kind, self.clock.now()),
            Err(_) => Decision::Allow { suppressed_before: 0 },
        };
        if let Decision::Allow { suppressed_before } = decision {
            let ip = peer.map(|p| p.ip().to_string());
            let mut fields = audit_fields! {"source_ip" => ip, "reason" => reason};
            if suppressed_before > 0 {
                fields.insert("suppressed_before".into(), suppressed_before.into());
            }
            self.auditor.emit(log::Level::Warn, kind, fields);
        }
    }
}

/// The accepted, authenticated stream with what the HTTP layer needs.
pub type Accepted = (TlsStream<TcpStream>, Protocol, Option<SocketAddr>);

/// Runs the edge checks for one TCP connection. `Err(())` means the connection was dropped.
pub async fn accept(edge: Arc<EdgeState>, tcp: TcpStream) -> Result<Accepted, ()> {
    let peer = tcp.peer_addr().ok();
    match peer {
        Some(p) if edge.allowed(&p) => {}
        _ => {
            // Dropping the stream closes it before a single byte is read or written.
            drop(tcp);
            edge.deny("net.denied", peer, "source address not on the allow-list");
            return Err(());
        }
    }
    let _ = tcp.set_nodelay(true);
    let Some(config) = edge.tls() else {
        edge.deny("tls.handshake_failed", peer, "TLS configuration unavailable");
        return Err(());
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => {
            let who = identity_of(&tls);
            let fields = audit_fields! {
                "source_ip" => peer.map(|p| p.ip().to_string()),
                "client" => who.as_ref().map(|w| w.to_string()),
                "cert_serial" => who.as_ref().map(|w| w.serial.clone()),
                "cert_sha256" => who.as_ref().map(|w| w.fingerprint_sha256.clone()),
            };
            edge.auditor.emit(log::Level::Info, "tls.accepted", fields);
            if let Some(w) = &who {
                edge.note_client(&w.fingerprint_sha256);
            }
            Ok((tls, Protocol::Http1, peer))
        }
        Ok(Err(e)) => {
            edge.deny("tls.handshake_failed", peer, &e.to_string());
            Err(())
        }
        Err(_) => {
            edge.deny("tls.handshake_failed", peer, "handshake timed out");
            Err(())
        }
    }
}

/// The verified client certificate's identity (rustls has already checked it against the CA).
pub fn identity_of(tls: &TlsStream<TcpStream>) -> Option<ClientIdentity> {
    let (_, conn) = tls.get_ref();
    conn.peer_certificates()?
        .first()
        .and_then(|c| ClientIdentity::from_der(c.as_ref()))
}
