//! The listener's edge: a peer not on the allow-list is closed before any TLS byte; then a TLS 1.3
//! handshake (no client certificate: people sign in); failures get no HTTP response and are logged,
//! rate-limited so a flood cannot fill the log.

use crate::settings::gate::ConsoleGate;
use actix_http::Protocol;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// Longest a client may take to finish the handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Denials logged in full; later ones are only counted.
const LOGGED_DENIALS: u64 = 100;

/// What every connection needs.
pub struct Edge {
    gate: Arc<ConsoleGate>,
    tls: tokio_rustls::TlsAcceptor,
    denials: AtomicU64,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("gate", &self.gate)
            .finish_non_exhaustive()
    }
}

/// An accepted connection, as actix-http's service wants it.
pub type Accepted = (TlsStream<TcpStream>, Protocol, Option<SocketAddr>);

impl Edge {
    /// The edge reading the allow-list and the certificate from `gate` on every connection (both change at
    /// run time through the settings).
    pub fn new(gate: Arc<ConsoleGate>) -> Result<Self, String> {
        let tls = crate::settings::gate::server_config(&gate)?;
        Ok(Edge {
            gate,
            tls: tokio_rustls::TlsAcceptor::from(Arc::new(tls)),
            denials: AtomicU64::new(0),
        })
    }

    /// Whether `ip` may connect (IPv4 only; IPv6 peers are denied unless IPv4-mapped).
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.gate.allows(ip)
    }

    fn deny(&self, peer: Option<SocketAddr>, why: &str) {
        let n = self.denials.fetch_add(1, Ordering::Relaxed) + 1;
        if n <= LOGGED_DENIALS || n.is_power_of_two() {
            let who = peer.map_or_else(|| "unknown".to_owned(), |p| p.ip().to_string());
            log::warn!("connection from {who} refused: {why} ({n} refusals since start)");
        }
    }
}

/// Runs the edge checks for one TCP connection; `Err(())` means it was closed.
pub async fn accept(edge: Arc<Edge>, tcp: TcpStream) -> Result<Accepted, ()> {
    let peer = tcp.peer_addr().ok();
    if !peer.is_some_and(|p| edge.allows(p.ip())) {
        drop(tcp);
        edge.deny(peer, "source address not on the allow-list");
        return Err(());
    }
    let _ = tcp.set_nodelay(true);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, edge.tls.accept(tcp)).await {
        Ok(Ok(tls)) => Ok((tls, Protocol::Http1, peer)),
        Ok(Err(e)) => {
            edge.deny(peer, &format!("TLS handshake failed: {e}"));
            Err(())
        }
        Err(_) => {
            edge.deny(peer, "TLS handshake timed out");
            Err(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_matches_ipv4_and_mapped_addresses_only() {
        let gate = ConsoleGate::new(vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ]);
        let e = Edge::new(Arc::new(gate)).unwrap();
        assert!(e.allows("127.0.0.1".parse().unwrap()));
        assert!(e.allows("10.200.3.4".parse().unwrap()));
        assert!(e.allows("::ffff:10.1.1.1".parse().unwrap()));
        assert!(!e.allows("127.0.0.2".parse().unwrap()));
        assert!(!e.allows("::1".parse().unwrap()));
        e.gate.set_allow(vec!["192.168.0.0/16".parse().unwrap()]);
        assert!(
            !e.allows("127.0.0.1".parse().unwrap()),
            "a new allow-list applies at once"
        );
        assert!(e.allows("192.168.7.7".parse().unwrap()));
    }
}
