//! Runtime settings (DESIGN §5.5): the typed document kept in the database, its defaults from `config.yaml`, and the validation of a change (pure).

pub mod apply;
pub mod gate;
#[cfg(test)]
mod tests;
pub mod upload;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Bounds of the polling intervals, seconds.
pub const INTERVAL_SECS: (u64, u64) = (10, 7 * 24 * 3600);
/// Bounds of the operational retention, days.
pub const OPERATIONAL_DAYS: (u32, u32) = (1, 3650);
/// Bounds of the audit retention, days (at least 30: the audit trail is evidence).
pub const AUDIT_DAYS: (u32, u32) = (30, 3650);
/// Most entries of the console allow-list.
pub const MAX_ALLOW: usize = 256;

/// Polling intervals (seed: "Polling intervals (health, patch data)").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Polling {
    /// Seconds between health checks of a host.
    pub health_interval_secs: u64,
    /// Seconds between patch-data fetches of a host.
    pub patch_interval_secs: u64,
}

/// Deployments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployments {
    /// Agents the deployer calls at once.
    pub concurrency: usize,
}

/// Retention periods (seed Data Requirements: operational 30 days, audit 6 months).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// A change: each section given replaces that section; absent sections stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
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
}

/// A web TLS change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

/// Parses one allow-list entry: an IPv4 address or CIDR.
pub fn parse_allow_entry(item: &str) -> Result<Ipv4Net, String> {
    let t = item.trim();
    if let Ok(a) = t.parse::<std::net::Ipv4Addr>() {
        return Ok(Ipv4Net::from(a));
    }
    if t.contains(':') {
        return Err(format!(
            "`{}`: IPv6 entries are not supported",
            t.escape_default()
        ));
    }
    crate::discovery::parse_cidr(t, "10.0.0.0/8").map(|n| n.trunc())
}

/// Parses a whole allow-list (1 to [`MAX_ALLOW`] entries).
pub fn parse_allow_list(items: &[String]) -> Result<Vec<Ipv4Net>, String> {
    if items.is_empty() {
        return Err("the allow-list cannot be empty: nobody could reach the console".into());
    }
    if items.len() > MAX_ALLOW {
        return Err(format!("at most {MAX_ALLOW} allow-list entries"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, s)| parse_allow_entry(s).map_err(|e| format!("allow-list entry {}: {e}", i + 1)))
        .collect()
}

/// Whether `ip` is inside one of `nets` (IPv4, or IPv4-mapped IPv6).
pub fn allowed(nets: &[Ipv4Net], ip: IpAddr) -> bool {
    let v4 = match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    };
    v4.is_some_and(|v4| nets.iter().any(|n| n.contains(&v4)))
}

fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    what: &str,
    v: T,
    (lo, hi): (T, T),
) -> Result<(), String> {
    if v < lo || v > hi {
        return Err(format!("{what} must be between {lo} and {hi} (got {v})"));
    }
    Ok(())
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// Checks an e-mail address in the simple `local@domain` form (no display name).
pub fn valid_address(a: &str) -> bool {
    let Some((local, domain)) = a.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && valid_host(domain)
        && domain.contains('.')
        && !a
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | '"'))
}

impl Settings {
    /// Validates the sections a change gives (the caller's address decides the allow-list lock-out check).
    pub fn check(change: &Change, caller: Option<IpAddr>) -> Result<(), String> {
        if let Some(p) = &change.polling {
            in_range(
                "polling.health_interval_secs",
                p.health_interval_secs,
                INTERVAL_SECS,
            )?;
            in_range(
                "polling.patch_interval_secs",
                p.patch_interval_secs,
                INTERVAL_SECS,
            )?;
        }
        if let Some(d) = &change.deployments {
            in_range("deployments.concurrency", d.concurrency, (1, 4096))?;
        }
        if let Some(r) = &change.retention {
            in_range("retention.operational_days", r.operational_days, OPERATIONAL_DAYS)?;
            in_range("retention.audit_days", r.audit_days, AUDIT_DAYS)?;
        }
        if let Some(list) = &change.allow_list {
            let nets = parse_allow_list(list)?;
            if let Some(ip) = caller {
                if !allowed(&nets, ip) {
                    return Err(format!(
                        "refused: the new allow-list does not contain {ip}, the address this change comes from; \
                         saving it would lock you out (add {ip} or its network first)"
                    ));
                }
            }
        }
        if let Some(s) = &change.smtp {
            if s.enabled || !s.host.is_empty() {
                if !valid_host(&s.host) {
                    return Err("smtp.host must be a host name or address".into());
                }
                if s.port == 0 {
                    return Err("smtp.port must be between 1 and 65535".into());
                }
            }
            if s.enabled && !valid_address(&s.from) {
                return Err("smtp.from must be an e-mail address such as patch-manager@example.org".into());
            }
            if !s.from.is_empty() && !valid_address(&s.from) {
                return Err(format!(
                    "smtp.from `{}` is not an e-mail address",
                    s.from.escape_default()
                ));
            }
            if let Some(pem) = s.ca_pem.as_deref().filter(|p| !p.trim().is_empty()) {
                if pem.len() > 64 * 1024
                    || openssl::x509::X509::stack_from_pem(pem.as_bytes()).map_or(true, |v| v.is_empty())
                {
                    return Err("smtp.ca_pem is not a PEM certificate".into());
                }
            }
            if s.username.len() > 256 || s.password.as_ref().is_some_and(|p| p.len() > 1024) {
                return Err("smtp.username or smtp.password is too long".into());
            }
        }
        if let Some(w) = &change.web_tls {
            if w.strategy == TlsStrategy::Files {
                return Err(
                    "web_tls.strategy `files` is chosen in config.yaml; here pick internal_ca or uploaded"
                        .into(),
                );
            }
            if w.strategy == TlsStrategy::InternalCa && (w.cert_pem.is_some() || w.key_pem.is_some()) {
                return Err("web_tls: a certificate and key go with the strategy `uploaded`".into());
            }
            if w.cert_pem.is_some() != w.key_pem.is_some() {
                return Err("web_tls: upload the certificate and its private key together".into());
            }
        }
        Ok(())
    }

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
        out
    }

    /// The document with secrets replaced by whether they are set (for the API, the page and the audit).
    pub fn redacted(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(smtp) = v.get_mut("smtp").and_then(|s| s.as_object_mut()) {
            smtp.remove("password_sealed");
            smtp.insert("password_set".into(), self.smtp.password_sealed.is_some().into());
        }
        if let Some(w) = v.get_mut("web_tls").and_then(|s| s.as_object_mut()) {
            w.remove("key_sealed");
            w.remove("cert_pem");
            w.insert(
                "uploaded_certificate".into(),
                self.web_tls.cert_pem.is_some().into(),
            );
        }
        v
    }
}
