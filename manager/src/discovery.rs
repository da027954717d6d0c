//! On-demand discovery of agents in an IPv4 range (at most a /22): every address is probed by a real mTLS
//! `GET /api/v1/health` (64 at a time, 2 s each); results are kept in memory for an hour, visible to the
//! user who started the scan (and administrators), and listed for one-click registration.

pub mod ranges;
pub mod store;
mod view;

pub use store::{DiscoveryStore, Probe, ProbeResult, Scan, ScanSummary};
pub use view::{registered_marks, Mark, RowView, ScanView};

use crate::agents::AgentClient;
use futures_util::StreamExt;
use ipnet::Ipv4Net;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The largest range one scan may cover (prefix length; /22 = 1,024 addresses).
pub const MIN_PREFIX: u8 = 22;
/// Addresses probed at the same time.
pub const CONCURRENCY: usize = 64;
/// Time one probe may take, connection and TLS included.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// The agent port unless another is given.
pub const DEFAULT_PORT: u16 = crate::agents::DEFAULT_PORT;

/// Parses an IPv4 CIDR or a single address (as a /32), host bits as given; errors name `example` (a range
/// in CIDR form) as the expected form.
pub fn parse_cidr(text: &str, example: &str) -> Result<Ipv4Net, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("give an IPv4 range in CIDR form, e.g. {example}"));
    }
    if t.contains(':') {
        return Err(format!("`{}`: IPv6 ranges are not supported", t.escape_default()));
    }
    t.parse::<Ipv4Net>()
        .or_else(|_| t.parse::<Ipv4Addr>().map(Ipv4Net::from))
        .map_err(|_| {
            format!(
                "`{}` is not an IPv4 range in CIDR form (e.g. {example})",
                t.chars().take(64).collect::<String>().escape_default()
            )
        })
}

/// Parses an IPv4 CIDR (or a single address) of at most [`MIN_PREFIX`]; host bits are cleared.
pub fn parse_range(text: &str) -> Result<Ipv4Net, String> {
    let net = parse_cidr(text, "10.20.0.0/24")?;
    if net.prefix_len() < MIN_PREFIX {
        let size = 1u64 << (32 - u32::from(net.prefix_len()));
        return Err(format!(
            "{net} has {size} addresses; scan at most a /{MIN_PREFIX} (1,024 addresses) at a time"
        ));
    }
    Ok(net.trunc())
}

/// Every address of `net`, network and broadcast addresses included.
pub fn addresses(net: Ipv4Net) -> Vec<Ipv4Addr> {
    let (first, last) = (u32::from(net.network()), u32::from(net.broadcast()));
    (first..=last).map(Ipv4Addr::from).collect()
}

/// Probes every address of `net` on `port` with `client` (bounded concurrency); results by address.
pub async fn probe_all(client: &AgentClient, net: Ipv4Net, port: u16) -> Vec<ProbeResult> {
    let conn = client.connect();
    let conn = &conn;
    let mut out: Vec<ProbeResult> = futures_util::stream::iter(addresses(net))
        .map(|ip| async move {
            let probe = match conn.health(SocketAddr::from((ip, port))).await {
                Ok(h) => Probe::Answered {
                    version: crate::poll::outcome::clean(&h.version),
                    backend: crate::poll::outcome::clean(&h.backend),
                },
                Err(e) => Probe::Silent { reason: e.0 },
            };
            ProbeResult { address: ip, probe }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    out.sort_by_key(|r| r.address);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked() {
        assert_eq!(parse_range("127.0.3.0/28").unwrap().to_string(), "127.0.3.0/28");
        assert_eq!(parse_range(" 10.0.0.77/24 ").unwrap().to_string(), "10.0.0.0/24");
        assert_eq!(parse_range("10.0.0.5").unwrap().to_string(), "10.0.0.5/32");
        assert_eq!(parse_range("10.0.0.0/22").unwrap().prefix_len(), 22);
        let e = parse_range("10.0.0.0/21").unwrap_err();
        assert!(e.contains("2048 addresses") && e.contains("at most a /22"), "{e}");
        assert!(parse_range("10.0.0.0/8").unwrap_err().contains("16777216"));
        assert!(parse_range("::1/128").unwrap_err().contains("IPv6"));
        assert!(parse_range("10.0.0.0/33").is_err());
        assert!(parse_range("'; DROP TABLE hosts; --")
            .unwrap_err()
            .contains("not an IPv4 range"));
        assert!(parse_range("").is_err());
    }

    #[test]
    fn every_address_is_probed() {
        let a = addresses(parse_range("127.0.3.0/28").unwrap());
        assert_eq!(a.len(), 16);
        assert_eq!(a[0], Ipv4Addr::new(127, 0, 3, 0));
        assert_eq!(a[15], Ipv4Addr::new(127, 0, 3, 15));
        assert_eq!(addresses(parse_range("10.1.0.0/22").unwrap()).len(), 1024);
        assert_eq!(
            addresses(parse_range("10.1.0.9/32").unwrap()),
            [Ipv4Addr::new(10, 1, 0, 9)]
        );
    }
}
