//! Typed calls of the agent API (`https://<ip>:<port>/api/v1/...`): health, system info, patches, packages.
//!
//! The agent's certificate is verified against the IP address in the URL (its IP SAN). `awc` is `!Send`:
//! [`AgentClient`] itself is `Send` (configuration only); [`AgentClient::connect`] makes an [`AgentConn`]
//! (one connection pool, `!Send`) for use on one actix arbiter — the poller keeps one per sweep.

use super::errors::{self, AgentError};

use linux_patch_shared::api::agent::{Health, Package, Patch, SystemInfo};
use linux_patch_shared::Envelope;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Largest answer read from an agent (a package list of a big host is a few MiB).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// A client with one TLS configuration and a per-request timeout (connection included).
#[derive(Debug, Clone)]
pub struct AgentClient {
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
}

impl AgentClient {
    /// A client presenting the manager's certificate from `tls`.
    pub fn new(tls: Arc<rustls::ClientConfig>, timeout: Duration) -> Self {
        Self { tls, timeout }
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether this client was built from exactly `tls` (the poller rebuilds when the trust is swapped).
    pub fn uses(&self, tls: &Arc<rustls::ClientConfig>) -> bool {
        Arc::ptr_eq(&self.tls, tls)
    }

    /// A connection pool for many calls from the current arbiter (`!Send`).
    pub fn connect(&self) -> AgentConn {
        let connector = awc::Connector::new()
            .rustls_0_23(self.tls.clone())
            .timeout(self.timeout)
            .handshake_timeout(self.timeout)
            .limit(0);
        let client = awc::Client::builder()
            .connector(connector)
            .timeout(self.timeout)
            .disable_redirects()
            .add_default_header((
                "User-Agent",
                concat!("linux-patch-manager/", env!("CARGO_PKG_VERSION")),
            ))
            .finish();
        AgentConn {
            client,
            timeout: self.timeout,
        }
    }

    /// `GET /api/v1/health`.
    pub async fn health(&self, addr: SocketAddr) -> Result<Health, AgentError> {
        self.connect().health(addr).await
    }

    /// `GET /api/v1/system/info`.
    pub async fn system_info(&self, addr: SocketAddr) -> Result<SystemInfo, AgentError> {
        self.connect().system_info(addr).await
    }

    /// `GET /api/v1/patches` (pending updates; reboot data is in [`SystemInfo::reboot_required`]).
    pub async fn patches(&self, addr: SocketAddr) -> Result<Vec<Patch>, AgentError> {
        self.connect().patches(addr).await
    }

    /// `GET /api/v1/packages` (installed packages).
    pub async fn packages(&self, addr: SocketAddr) -> Result<Vec<Package>, AgentError> {
        self.connect().packages(addr).await
    }
}

/// One pool of connections to agents, bound to the arbiter that made it.
pub struct AgentConn {
    client: awc::Client,
    timeout: Duration,
}

impl std::fmt::Debug for AgentConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentConn")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// `https://<ip>:<port>/api/v1<path>` (IPv6 addresses bracketed).
pub fn url(addr: SocketAddr, path: &str) -> String {
    format!("https://{addr}/api/v1{path}")
}

impl AgentConn {
    /// The HTTP client (for the job calls in `jobs.rs`).
    pub(super) fn client(&self) -> &awc::Client {
        &self.client
    }

    /// The per-request timeout.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `GET /api/v1/health`.
    pub async fn health(&self, addr: SocketAddr) -> Result<Health, AgentError> {
        self.get(addr, "/health").await
    }

    /// `GET /api/v1/system/info`.
    pub async fn system_info(&self, addr: SocketAddr) -> Result<SystemInfo, AgentError> {
        self.get(addr, "/system/info").await
    }

    /// `GET /api/v1/patches`.
    pub async fn patches(&self, addr: SocketAddr) -> Result<Vec<Patch>, AgentError> {
        self.get(addr, "/patches").await
    }

    /// `GET /api/v1/packages`.
    pub async fn packages(&self, addr: SocketAddr) -> Result<Vec<Package>, AgentError> {
        self.get(addr, "/packages").await
    }

    /// One GET; the envelope's `data` on 2xx, else an error naming status, code and message.
    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        addr: SocketAddr,
        path: &str,
    ) -> Result<T, AgentError> {
        let secs = self.timeout.as_secs_f64();
        let mut resp = self
            .client
            .get(url(addr, path))
            .insert_header(("Accept", "application/json"))
            .send()
            .await
            .map_err(|e| errors::send_error(&e, addr, secs))?;
        let status = resp.status();
        let body = resp
            .body()
            .limit(MAX_BODY_BYTES)
            .await
            .map_err(|e| errors::payload_error(&e, secs))?;
        if !status.is_success() {
            return Err(errors::status_error(
                status.as_u16(),
                status.canonical_reason(),
                &body,
            ));
        }
        decode(&body)
    }
}

/// The `data` of a success envelope.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, AgentError> {
    let env: Envelope<T> =
        serde_json::from_slice(body).map_err(|e| AgentError(format!("bad JSON from the agent: {e}")))?;
    match (env.success, env.data, env.error) {
        (true, Some(d), _) => Ok(d),
        (_, _, Some(e)) => Err(AgentError(format!("agent error {}: {}", e.code, e.message))),
        _ => Err(AgentError(
            "bad JSON from the agent: an envelope with neither data nor error".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_patch_shared::api::agent::{CacheStatus, HealthStatus};

    #[test]
    fn urls_use_the_address() {
        let a: SocketAddr = "10.1.2.3:12443".parse().unwrap();
        assert_eq!(url(a, "/health"), "https://10.1.2.3:12443/api/v1/health");
    }

    #[test]
    fn envelopes_are_decoded_or_explained() {
        let ok = br#"{"success":true,"request_id":"r","timestamp":"t","error":null,
            "data":{"status":"ok","version":"1.2.3","uptime_secs":5,"backend":"apt",
                    "last_cache_update":null,"cache_status":"fresh"}}"#;
        let h: Health = decode(ok).unwrap();
        assert_eq!(
            (h.status, h.cache_status),
            (HealthStatus::Healthy, CacheStatus::Fresh)
        );
        // The seed's form, as agents send it now (with additive fields).
        let new = br#"{"success":true,"request_id":"r","timestamp":"t","error":null,
            "data":{"status":"healthy","version":"1.3.0","uptime_seconds":7,"backend":"apt",
                    "last_cache_update":"2026-05-27T13:30:00+00:00","cache_status":"fresh",
                    "problems":[],"remote_syslog":null}}"#;
        let h: Health = decode(new).unwrap();
        assert_eq!((h.status, h.uptime_seconds), (HealthStatus::Healthy, 7));
        let e = decode::<Health>(b"<html>").unwrap_err();
        assert!(e.0.starts_with("bad JSON from the agent"), "{e}");
        let err = br#"{"success":false,"request_id":"r","timestamp":"t","data":null,
            "error":{"code":"X_Y","message":"nope","details":null,"retryable":false}}"#;
        assert_eq!(decode::<Health>(err).unwrap_err().0, "agent error X_Y: nope");
    }
}
