//! Runtime settings (DESIGN §5.5): the typed document kept in the database, its defaults from `config.yaml`, and the validation of a change (pure).

pub mod apply;
pub mod gate;
pub mod redacted;
#[cfg(test)]
mod tests;
pub mod upload;
pub mod validate;

pub use validate::{allowed, parse_allow_entry, parse_allow_list, valid_address};

use serde::{Deserialize, Serialize};

/// Bounds of the polling intervals, seconds.
pub const INTERVAL_SECS: (u64, u64) = (10, 7 * 24 * 3600);
/// Bounds of the operational retention, days.
pub const OPERATIONAL_DAYS: (u32, u32) = (1, 3650);
/// Bounds of the audit retention, days (at least 30: the audit trail is evidence).
pub const AUDIT_DAYS: (u32, u32) = (30, 3650);
/// Most entries of the console allow-list.
pub const MAX_ALLOW: usize = 256;

/// Polling intervals (seed: "Polling intervals (health, patch data)").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Polling {
    /// Seconds between health checks of a host.
    pub health_interval_secs: u64,
    /// Seconds between patch-data fetches of a host.
    pub patch_interval_secs: u64,
}

/// Deployments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deployments {
    /// Agents the deployer calls at once.
    pub concurrency: usize,
}

/// Retention periods (seed Data Requirements: operational 30 days, audit 6 months).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Days of health history, finished deployments and their targets kept.
    pub operational_days: u32,
    /// Days of audit rows kept (older ones are pruned behind a checkpoint).
    pub audit_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            operational_days: 30,
            audit_days: 183,
        }
    }
}

/// Where the console's certificate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TlsStrategy {
    /// Issued and renewed by the internal CA.
    InternalCa,
    /// Files named in `config.yaml` (`tls: { cert, key }`); chosen there, not here.
    Files,
    /// A certificate and key uploaded on the Settings page or through the API.
    Uploaded,
}

/// Web UI TLS (seed: "internal CA vs. operator-supplied").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebTls {
    /// The strategy in force.
    pub strategy: TlsStrategy,
    /// The uploaded certificate chain (PEM, public), if one was uploaded.
    #[serde(default)]
    pub cert_pem: Option<String>,
    /// Its private key, sealed with `secrets.key` (never shown back).
    #[serde(default)]
    pub key_sealed: Option<String>,
}

/// SMTP transport security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP (only sensible on a trusted network).
    None,
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// SMTP (seed: "host, port, auth, TLS mode, from-address").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    /// Whether e-mail notifications are sent at all (off by default).
    pub enabled: bool,
    /// Server name or address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security.
    pub tls: SmtpTls,
    /// AUTH user name (empty: no authentication).
    pub username: String,
    /// AUTH password sealed with `secrets.key` (never shown back).
    #[serde(default)]
    pub password_sealed: Option<String>,
    /// The From: address.
    pub from: String,
    /// An extra CA (PEM) trusted for the server's certificate, besides the system's.
    #[serde(default)]
    pub ca_pem: Option<String>,
}

impl Default for Smtp {
    fn default() -> Self {
        Self {
            enabled: false,
            host: String::new(),
            port: 587,
            tls: SmtpTls::Starttls,
            username: String::new(),
            password_sealed: None,
            from: String::new(),
            ca_pem: None,
        }
    }
}

/// Scheduled reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reports {
    /// Addresses the weekly compliance PDF goes to (Mondays 06:00 UTC); empty: not sent.
    #[serde(default)]
    pub weekly_compliance_to: Vec<String>,
}

/// Most addresses of the weekly compliance e-mail.
pub const MAX_REPORT_ADDRESSES: usize = 50;

/// The whole runtime settings document as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Polling intervals.
    pub polling: Polling,
    /// Deployments.
    pub deployments: Deployments,
    /// Retention.
    pub retention: Retention,
    /// The console allow-list (IPv4 addresses and CIDRs), as entered.
    pub allow_list: Vec<String>,
    /// Web UI TLS.
    pub web_tls: WebTls,
    /// SMTP.
    pub smtp: Smtp,
    /// Scheduled reports (absent in documents saved before it existed).
    #[serde(default)]
    pub reports: Reports,
}

/// A change: each section given replaces that section; absent sections stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// New polling intervals.
    pub polling: Option<Polling>,
    /// New deployment settings.
    pub deployments: Option<Deployments>,
    /// New retention periods.
    pub retention: Option<Retention>,
    /// New allow-list.
    pub allow_list: Option<Vec<String>>,
    /// New web TLS strategy (with an upload for `uploaded`).
    pub web_tls: Option<WebTlsChange>,
    /// New SMTP settings.
    pub smtp: Option<SmtpChange>,
    /// New scheduled reports.
    pub reports: Option<Reports>,
}

/// A web TLS change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebTlsChange {
    /// `internal_ca` or `uploaded`.
    pub strategy: TlsStrategy,
    /// A new certificate chain (PEM): leaf first, then intermediates.
    #[serde(default)]
    pub cert_pem: Option<String>,
    /// Its private key (PEM); sealed before it is stored.
    #[serde(default)]
    pub key_pem: Option<String>,
}

/// An SMTP change; `password`: absent keeps the stored one, `""` removes it, else replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpChange {
    /// Whether notifications are sent.
    pub enabled: bool,
    /// Server.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub tls: SmtpTls,
    /// AUTH user (empty: none).
    #[serde(default)]
    pub username: String,
    /// AUTH password (write-only).
    #[serde(default)]
    pub password: Option<String>,
    /// From: address.
    pub from: String,
    /// An extra CA (PEM) trusted for the server's certificate (absent or empty: the system's only).
    #[serde(default)]
    pub ca_pem: Option<String>,
}

/// The settings in force: the stored document, or `initial`'s when none was saved (or it no longer parses,
/// which is logged).
pub fn stored(conn: &mut diesel::PgConnection, initial: &apply::Initial) -> diesel::QueryResult<Settings> {
    Ok(match crate::db::models::settings_row::load(conn)? {
        None => initial.settings(),
        Some(doc) => serde_json::from_value(doc).unwrap_or_else(|e| {
            log::error!("runtime settings: the stored document does not parse ({e}); using config.yaml's");
            initial.settings()
        }),
    })
}

impl Settings {
    /// Which sections a change actually alters (names as in the document).
    pub fn changed_sections(&self, next: &Settings) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.polling != next.polling {
            out.push("polling");
        }
        if self.deployments != next.deployments {
            out.push("deployments");
        }
        if self.retention != next.retention {
            out.push("retention");
        }
        if self.allow_list != next.allow_list {
            out.push("allow_list");
        }
        if self.web_tls != next.web_tls {
            out.push("web_tls");
        }
        if self.smtp != next.smtp {
            out.push("smtp");
        }
        if self.reports != next.reports {
            out.push("reports");
        }
        out
    }

    /// The document with secrets replaced by whether they are set (for the API, the page and the audit).
    pub fn redacted(&self) -> serde_json::Value {
        serde_json::to_value(self.shown()).unwrap_or_default()
    }

    /// The document with secrets replaced by whether they are set, typed (what `GET /api/v1/settings` shows).
    pub fn shown(&self) -> redacted::Redacted {
        redacted::Redacted::of(self)
    }
}
