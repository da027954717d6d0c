//! The one mTLS client of the agent API: the default port, the trust in force and the timeouts, and typed
//! calls with errors that say in words why a host could not be reached.

mod client;
mod errors;
pub mod events;
pub mod jobs;

pub use client::{decode, url, AgentClient, AgentConn, MAX_BODY_BYTES};
pub use errors::AgentError;
pub use events::JobEvents;
pub use jobs::{CallError, JobCall};

use crate::ca::trust::AgentTrust;
use std::sync::Arc;
use std::time::Duration;

/// The port agents listen on unless registered otherwise.
pub const DEFAULT_PORT: u16 = 12443;

/// Why no agent can be called: the manager has no client certificate loaded yet.
pub const NO_TRUST: &str = "no manager client certificate is loaded (the internal CA register has not \
                            issued one yet), so no agent can be called";

/// Makes agent clients from the trust in force (swapped on renewal and revocation) and a timeout.
#[derive(Debug, Clone)]
pub struct Agents {
    trust: Arc<AgentTrust>,
    timeout: Duration,
}

impl Agents {
    /// Clients with `trust` and `timeout` (per request, connection included).
    pub fn new(trust: Arc<AgentTrust>, timeout: Duration) -> Self {
        Self {
            trust,
            timeout: timeout.max(Duration::from_secs(1)),
        }
    }

    /// The trust these clients present.
    pub fn trust(&self) -> &Arc<AgentTrust> {
        &self.trust
    }

    /// Whether a manager client certificate is loaded.
    pub fn trust_loaded(&self) -> bool {
        self.trust.current().is_some()
    }

    /// A client with the trust in force and the default timeout, or [`NO_TRUST`].
    pub fn client(&self) -> Result<AgentClient, String> {
        self.client_with_timeout(self.timeout)
    }

    /// A client for one registered host: the trust in force restricted to the certificates issued to it
    /// (`pins`), or [`NO_TRUST`].
    pub fn client_pinned(&self, pins: &[String]) -> Result<AgentClient, String> {
        self.trust
            .pinned(pins)
            .map(|tls| AgentClient::new(tls, self.timeout))
            .ok_or_else(|| NO_TRUST.to_owned())
    }

    /// A client with the trust in force and `timeout`, or [`NO_TRUST`].
    pub fn client_with_timeout(&self, timeout: Duration) -> Result<AgentClient, String> {
        self.trust
            .current()
            .map(|tls| AgentClient::new(tls, timeout))
            .ok_or_else(|| NO_TRUST.to_owned())
    }
}
