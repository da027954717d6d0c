//! What goes over the wire to a syslog collector: the `udp://`/`tcp://` target, RFC 5424 messages with
//! the audit fields as structured data, and RFC 6587 octet-counting framing for TCP.

use serde_json::{Map, Value};
use std::net::{SocketAddr, ToSocketAddrs};

/// Default syslog port when the target names none.
pub const DEFAULT_PORT: u16 = 514;
/// Facility `authpriv` (10): security/authorization messages, kept apart from the general log by default.
pub const FACILITY: u8 = 10;
/// APP-NAME of every message.
pub const APP_NAME: &str = "linux-patch-api";
/// SD-ID of the audit element (the documentation enterprise number of RFC 5612).
pub const SD_ID: &str = "audit@32473";
/// Longest message sent (rsyslog's default maximum is 8 KiB); longer ones are cut at a character boundary.
pub const MAX_MESSAGE_BYTES: usize = 8192;

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

/// RFC 5424 severity of a log level.
pub fn severity(level: log::Level) -> u8 {
    match level {
        log::Level::Error => 3,
        log::Level::Warn => 4,
        log::Level::Info => 6,
        log::Level::Debug | log::Level::Trace => 7,
    }
}

/// Printable US-ASCII without space, at most `max` characters (HOSTNAME, MSGID, SD-NAME); `-` when empty.
fn token(s: &str, max: usize, also_forbidden: &[char]) -> String {
    let t: String = s
        .chars()
        .filter(|c| c.is_ascii_graphic() && !also_forbidden.contains(c))
        .take(max)
        .collect();
    if t.is_empty() {
        "-".into()
    } else {
        t
    }
}

/// A PARAM-VALUE with `"`, `\` and `]` escaped as RFC 5424 §6.3.3 requires.
fn param_value(v: &Value) -> String {
    let raw = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One audit record as an RFC 5424 message:
/// `<PRI>1 TIMESTAMP HOSTNAME linux-patch-api PROCID EVENT [audit@32473 event="..." k="v" ...] JSON`.
/// `ts` is the record's RFC 3339 time; the MSG part is the audit line itself (one JSON object).
pub fn rfc5424(
    level: log::Level,
    ts: &str,
    hostname: &str,
    pid: u32,
    event: &str,
    fields: &Map<String, Value>,
    json_line: &str,
) -> String {
    let pri = u16::from(FACILITY) * 8 + u16::from(severity(level));
    let forbidden = ['=', ']', '"'];
    let mut sd = format!(
        "[{SD_ID} event=\"{}\"",
        param_value(&Value::String(event.to_owned()))
    );
    for (k, v) in fields {
        let name = token(k, 32, &forbidden);
        if name == "-" || name == "event" {
            continue;
        }
        sd.push_str(&format!(" {name}=\"{}\"", param_value(v)));
    }
    sd.push(']');
    let ts = if ts.is_empty() { "-" } else { ts };
    let msg = format!(
        "<{pri}>1 {ts} {} {APP_NAME} {pid} {} {sd} {json_line}",
        token(hostname, 255, &[]),
        token(event, 32, &[])
    );
    truncate(msg, MAX_MESSAGE_BYTES)
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// RFC 6587 §3.4.1 octet counting: `LEN SP MSG`.
pub fn octet_counted(msg: &str) -> Vec<u8> {
    let mut out = format!("{} ", msg.len()).into_bytes();
    out.extend_from_slice(msg.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_transport_host_and_port() {
        let t = Target::parse("udp://127.0.0.1:5514").unwrap();
        assert_eq!(
            (t.transport, t.host.as_str(), t.port),
            (Transport::Udp, "127.0.0.1", 5514)
        );
        let t = Target::parse("tcp://logs.example.lan").unwrap();
        assert_eq!((t.transport, t.port), (Transport::Tcp, 514));
        assert_eq!(t.to_string(), "tcp://logs.example.lan:514");
        for bad in [
            "syslog://h:514",
            "udp://",
            "tcp://h:0",
            "tcp://h:99999",
            "udp://[::1]:514",
            "udp://::1",
            "tcp://a b:1",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn messages_follow_rfc5424_with_escaped_structured_data() {
        let fields = crate::audit_fields! {"status" => 200, "path" => "/a\"b]c\\d", "bad key=x" => 1, "none" => serde_json::Value::Null};
        let m = rfc5424(
            log::Level::Warn,
            "2026-01-02T03:04:05.678Z",
            "host one",
            42,
            "http.request",
            &fields,
            "{\"event\":\"http.request\"}",
        );
        assert!(m.starts_with("<84>1 2026-01-02T03:04:05.678Z hostone linux-patch-api 42 http.request [audit@32473 event=\"http.request\""), "{m}");
        assert!(m.contains(r#" path="/a\"b\]c\\d""#), "{m}");
        assert!(m.contains(" status=\"200\""), "{m}");
        assert!(m.contains(" badkeyx=\"1\""), "{m}");
        assert!(m.contains(" none=\"\""), "{m}");
        assert!(m.ends_with("] {\"event\":\"http.request\"}"), "{m}");
    }

    #[test]
    fn long_messages_are_cut_and_tcp_frames_count_octets() {
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let m = rfc5424(log::Level::Info, "t", "h", 1, "e", &Map::new(), &long);
        assert!(m.len() <= MAX_MESSAGE_BYTES && m.len() > MAX_MESSAGE_BYTES - 4);
        assert_eq!(octet_counted("<14>1 x"), b"7 <14>1 x".to_vec());
        assert_eq!(octet_counted("é"), "2 é".as_bytes().to_vec());
    }
}
