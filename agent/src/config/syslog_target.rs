//! `logging.remote_syslog` parsed: `udp://host[:port]` or `tcp://host[:port]` (checked with the rest of the
//! configuration; the audit sender connects to it).

use std::net::{SocketAddr, ToSocketAddrs};

/// Default syslog port when the target names none.
pub const DEFAULT_PORT: u16 = 514;

/// How messages travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// RFC 5426: one datagram per message; delivery is not confirmed.
    Udp,
    /// RFC 6587: a stream with octet-counted frames; reconnected when it breaks.
    Tcp,
}

/// `logging.remote_syslog`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// UDP or TCP.
    pub transport: Transport,
    /// Host name or IPv4 address.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Target {
    /// Parses `udp://host[:port]` or `tcp://host[:port]` (IPv4 or a host name; IPv6 is out of scope).
    pub fn parse(s: &str) -> Result<Self, String> {
        let (transport, rest) = if let Some(r) = s.strip_prefix("udp://") {
            (Transport::Udp, r)
        } else if let Some(r) = s.strip_prefix("tcp://") {
            (Transport::Tcp, r)
        } else {
            return Err(format!("`{s}`: must be udp://host:port or tcp://host:port"));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.starts_with('[') || rest.matches(':').count() > 1 {
            return Err(format!(
                "`{s}`: IPv6 collectors are not supported; use an IPv4 address or a host name"
            ));
        }
        let (host, port) = match rest.split_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("`{s}`: port must be 1-65535"))?,
            ),
            None => (rest, DEFAULT_PORT),
        };
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_');
        if !host_ok {
            return Err(format!("`{s}`: `{host}` is not a host name or IPv4 address"));
        }
        Ok(Self {
            transport,
            host: host.to_owned(),
            port,
        })
    }

    /// The first IPv4 address the host resolves to (resolved at every connection attempt).
    pub fn resolve(&self) -> Result<SocketAddr, String> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.host))?
            .find(SocketAddr::is_ipv4)
            .ok_or_else(|| format!("{} has no IPv4 address", self.host))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = match self.transport {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}
