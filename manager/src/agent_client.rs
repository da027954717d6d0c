//! Typed mTLS client of the agent API (`https://<ip>:<port>/api/v1/...`): health, system info, patches,
//! packages, with errors that say in words why a host could not be reached.
//! INTERFACE SKELETON — the poller helper replaces this.

use linux_patch_shared::api::agent::{Health, Package};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Why a call to an agent failed, in words for the console ("connection refused", "TLS: certificate revoked").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentError(pub String);

impl std::fmt::Display for AgentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client with one TLS configuration and a per-request timeout.
#[derive(Debug, Clone)]
pub struct AgentClient {
    _tls: Arc<rustls::ClientConfig>,
    _timeout: Duration,
}

impl AgentClient {
    /// A client presenting the manager's certificate from `tls`.
    pub fn new(tls: Arc<rustls::ClientConfig>, timeout: Duration) -> Self {
        Self {
            _tls: tls,
            _timeout: timeout,
        }
    }

    /// `GET /api/v1/health`.
    pub async fn health(&self, _addr: SocketAddr) -> Result<Health, AgentError> {
        Err(AgentError("agent client not built yet".into()))
    }

    /// `GET /api/v1/packages` (installed packages).
    pub async fn packages(&self, _addr: SocketAddr) -> Result<Vec<Package>, AgentError> {
        Err(AgentError("agent client not built yet".into()))
    }
}
