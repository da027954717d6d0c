//! Agent-call failures in words: connection refused, timed out, TLS handshake failed (revoked, unknown CA,
//! wrong address), HTTP status with the envelope's code and message.

use awc::error::{ConnectError, PayloadError, SendRequestError};
use linux_patch_shared::ApiError;
use rustls::{AlertDescription, CertificateError};
use std::io;
use std::net::SocketAddr;

/// Why a call to an agent failed, in words for the console ("connection refused", "TLS handshake failed:
/// agent certificate revoked").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentError(pub String);

impl std::fmt::Display for AgentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AgentError {}

fn timed_out(secs: f64) -> AgentError {
    AgentError(format!("timed out after {} s", trim(secs)))
}

fn trim(secs: f64) -> String {
    if secs.fract() == 0.0 {
        format!("{secs:.0}")
    } else {
        format!("{secs:.1}")
    }
}

/// A failure to connect, hand-shake, send or read the response head.
pub(super) fn send_error(e: &SendRequestError, addr: SocketAddr, secs: f64) -> AgentError {
    match e {
        SendRequestError::Timeout | SendRequestError::Connect(ConnectError::Timeout) => timed_out(secs),
        SendRequestError::Connect(ConnectError::Io(io)) => io_error(io, addr, secs, true),
        SendRequestError::Send(io) => io_error(io, addr, secs, false),
        SendRequestError::Response(actix_http::error::ParseError::Io(io)) => io_error(io, addr, secs, false),
        SendRequestError::Response(p) => AgentError(format!("bad HTTP answer from the agent: {p}")),
        other => AgentError(format!("request failed: {other}")),
    }
}

/// A failure while reading the body.
pub(super) fn payload_error(e: &PayloadError, secs: f64) -> AgentError {
    match e {
        PayloadError::Overflow => AgentError(format!(
            "the agent's answer is larger than {} MiB",
            super::client::MAX_BODY_BYTES / (1024 * 1024)
        )),
        PayloadError::Io(io) if io.kind() == io::ErrorKind::TimedOut => timed_out(secs),
        other => AgentError(format!("cannot read the agent's answer: {other}")),
    }
}

/// A non-2xx answer: status, and the envelope's error code and message when there is one.
pub(super) fn status_error(status: u16, reason: Option<&str>, body: &[u8]) -> AgentError {
    #[derive(serde::Deserialize)]
    struct ErrEnvelope {
        error: Option<ApiError>,
    }
    let head = match reason {
        Some(r) => format!("HTTP {status} {r}"),
        None => format!("HTTP {status}"),
    };
    match serde_json::from_slice::<ErrEnvelope>(body)
        .ok()
        .and_then(|e| e.error)
    {
        Some(e) => AgentError(format!("{head}: {}: {}", e.code, e.message)),
        None => AgentError(head),
    }
}

/// An I/O error: refused, unreachable, reset, or a TLS failure carried inside it.
fn io_error(e: &io::Error, addr: SocketAddr, secs: f64, connecting: bool) -> AgentError {
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return AgentError(format!("TLS handshake failed: {}", tls_reason(tls, addr)));
    }
    use io::ErrorKind as K;
    let msg = match e.kind() {
        K::ConnectionRefused => "connection refused (no agent listening on that port?)".to_owned(),
        K::TimedOut | K::WouldBlock => return timed_out(secs),
        K::ConnectionReset if !connecting => {
            "the agent closed the connection (it may refuse the manager's certificate or address)".to_owned()
        }
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            format!("connection closed by the agent: {e}")
        }
        K::NetworkUnreachable | K::HostUnreachable => format!("address unreachable: {e}"),
        K::PermissionDenied => format!("connection not permitted: {e}"),
        _ if connecting => format!("cannot connect: {e}"),
        _ => format!("connection failed: {e}"),
    };
    AgentError(msg)
}

/// What a rustls error means for the operator.
pub fn tls_reason(e: &rustls::Error, addr: SocketAddr) -> String {
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Revoked => "the agent's certificate is revoked".into(),
            CertificateError::UnknownIssuer => {
                "the agent's certificate is not issued by the manager's CA".into()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("the agent's certificate is not valid for {}", addr.ip())
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "the agent's certificate has expired".into()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "the agent's certificate is not valid yet".into()
            }
            CertificateError::Other(o) => o.to_string(),
            other => format!("the agent's certificate is invalid: {other:?}"),
        },
        rustls::Error::AlertReceived(a) => match a {
            AlertDescription::CertificateRevoked => {
                "the agent refused the manager's certificate: revoked".into()
            }
            AlertDescription::UnknownCA | AlertDescription::BadCertificate => {
                format!("the agent refused the manager's certificate ({a:?})")
            }
            AlertDescription::CertificateExpired => {
                "the agent refused the manager's certificate: expired".into()
            }
            AlertDescription::CertificateRequired => {
                "the agent requires a client certificate the manager did not present".into()
            }
            AlertDescription::ProtocolVersion => "the agent does not speak TLS 1.3".into(),
            other => format!("the agent sent the alert {other:?}"),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        "10.0.0.5:12443".parse().unwrap()
    }

    #[test]
    fn failures_are_said_in_words() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let e = send_error(&SendRequestError::Connect(ConnectError::Io(refused)), addr(), 2.0);
        assert!(e.0.starts_with("connection refused"), "{e}");
        let e = send_error(&SendRequestError::Connect(ConnectError::Timeout), addr(), 2.0);
        assert_eq!(e.0, "timed out after 2 s");
        assert_eq!(
            send_error(&SendRequestError::Timeout, addr(), 0.5).0,
            "timed out after 0.5 s"
        );
        let revoked = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::Revoked),
        );
        let e = send_error(&SendRequestError::Connect(ConnectError::Io(revoked)), addr(), 2.0);
        assert_eq!(e.0, "TLS handshake failed: the agent's certificate is revoked");
        let alert = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::CertificateRevoked),
        );
        let e = send_error(&SendRequestError::Send(alert), addr(), 2.0);
        assert!(e.0.contains("refused the manager's certificate: revoked"), "{e}");
        let name = rustls::Error::InvalidCertificate(CertificateError::NotValidForName);
        assert!(tls_reason(&name, addr()).contains("not valid for 10.0.0.5"));
    }

    #[test]
    fn statuses_carry_the_envelope_error() {
        let body = br#"{"success":false,"request_id":"r","timestamp":"t","data":null,
            "error":{"code":"FORBIDDEN","message":"address not allowed","details":null,"retryable":false}}"#;
        assert_eq!(
            status_error(403, Some("Forbidden"), body).0,
            "HTTP 403 Forbidden: FORBIDDEN: address not allowed"
        );
        assert_eq!(
            status_error(502, Some("Bad Gateway"), b"oops").0,
            "HTTP 502 Bad Gateway"
        );
    }
}
