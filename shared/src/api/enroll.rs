//! Data transfer objects of agent self-enrolment (`POST /api/v1/enroll`, `GET /api/v1/enroll/status/{token}`
//! on the manager), the one conversation in which the agent is the client.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/enroll`: who is asking (phase 1 of the agent SPEC's self-enrolment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// Contents of `/etc/machine-id` (32 lowercase hex digits).
    pub machine_id: String,
    /// The host's fully qualified domain name.
    pub fqdn: String,
    /// The IPv4 address the manager should reach the agent at.
    pub ip: String,
    /// Operating system (`/etc/os-release` PRETTY_NAME).
    pub os: String,
    /// The port the agent serves on (12443 unless configured otherwise).
    #[serde(default = "default_port")]
    pub port: u16,
    /// A PKCS#10 certificate signing request (PEM) for the key the agent created for itself (ECDSA P-256):
    /// the manager certifies that key and never sees a private key.
    #[serde(default)]
    pub csr: String,
}

fn default_port() -> u16 {
    12443
}

/// Where an enrolment request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnrollState {
    /// Waiting for an admin (status answers 202).
    Pending,
    /// Approved: the status answer (200) carries the bundle.
    Approved,
    /// Denied by an admin (status answers 403).
    Denied,
}

/// The answer to `POST /api/v1/enroll` (201): the token to poll with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollTicket {
    /// Secret polling token for `GET /api/v1/enroll/status/{token}` (keep it private: it fetches the bundle).
    pub polling_token: String,
    /// Seconds to wait between polls.
    pub poll_interval_secs: u64,
    /// Always `pending` at this point.
    pub status: EnrollState,
}

/// `GET /api/v1/enroll/status/{token}` while pending (202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollPending {
    /// `pending`.
    pub status: EnrollState,
    /// Seconds to wait before the next poll.
    pub poll_interval_secs: u64,
    /// What the agent should print ("pending approval by an administrator of the manager").
    pub message: String,
}

/// `GET /api/v1/enroll/status/{token}` once approved (200): the agent's PKI bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollBundle {
    /// `approved`.
    pub status: EnrollState,
    /// The manager's root CA (PEM): written to `certs/ca.pem`; it signs the manager's client certificate.
    pub ca_pem: String,
    /// The agent's server certificate (PEM; SAN = FQDN + IP) for the key of its CSR: `certs/server.pem`
    /// (the agent writes its own key to `certs/server.key`).
    pub server_pem: String,
    /// The CA's current revocation list (PEM): `certs/crl.pem`.
    pub crl_pem: String,
    /// Host name the manager registered the agent under.
    pub hostname: String,
}

/// `POST /api/v1/enroll/renew`: an enrolled agent asks for a new server certificate for a new key, proving
/// it holds the key of its current certificate by signing [`renewal_message`] with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewRequest {
    /// The agent's current server certificate (PEM), as the manager recorded it for the host.
    pub certificate: String,
    /// A PKCS#10 request (PEM) for the agent's new key (ECDSA P-256), CN = the host's name.
    pub csr: String,
    /// When the agent signed (RFC 3339); the manager accepts 10 minutes of clock difference either way.
    pub signed_at: String,
    /// ECDSA-SHA256 signature (DER, lowercase hex) by the current certificate's key over
    /// [`renewal_message`]`(signed_at, certificate, csr)`.
    pub signature: String,
}

/// The answer to `POST /api/v1/enroll/renew` (200): the new certificate for the CSR's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewAnswer {
    /// The new server certificate (PEM): `certs/server.pem` (the new key goes to `certs/server.key`).
    pub server_pem: String,
    /// Its serial (lowercase hex).
    pub serial: String,
    /// End of its validity (RFC 3339).
    pub not_after: String,
}

/// The bytes the current key signs for a renewal: a fixed label, the time, the current certificate (PEM,
/// trimmed) and the CSR (PEM, trimmed), each on its own line, so a signature cannot be reused for another
/// certificate, another key or (beyond the clock window) another time.
pub fn renewal_message(signed_at: &str, certificate: &str, csr: &str) -> Vec<u8> {
    format!(
        "linux-patch-manager certificate renewal v1\n{}\n{}\n{}\n",
        signed_at.trim(),
        certificate.trim(),
        csr.trim()
    )
    .into_bytes()
}
