//! What goes over the wire to a syslog collector: the `udp://`/`tcp://` target, RFC 5424 messages with
//! the audit fields as structured data, and RFC 6587 octet-counting framing for TCP.

use serde_json::{Map, Value};

pub use crate::config::syslog_target::{Target, Transport, DEFAULT_PORT};
/// Facility `authpriv` (10): security/authorization messages, kept apart from the general log by default.
pub const FACILITY: u8 = 10;
/// APP-NAME of every message.
pub const APP_NAME: &str = "linux-patch-api";
/// SD-ID of the audit element (the documentation enterprise number of RFC 5612).
pub const SD_ID: &str = "audit@32473";
/// Longest message sent (rsyslog's default maximum is 8 KiB); longer ones are cut at a character boundary.
pub const MAX_MESSAGE_BYTES: usize = 8192;

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
