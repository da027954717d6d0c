//! The settings as the API, the page and the audit show them: every secret replaced by whether it is set.

use super::{Deployments, Polling, Reports, Retention, Settings, SmtpTls, TlsStrategy};
use schemars::JsonSchema;
use serde::Serialize;

/// Web UI TLS without the certificate and its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct WebTlsShown {
    /// The strategy in force.
    pub strategy: TlsStrategy,
    /// Whether an uploaded certificate is stored.
    pub uploaded_certificate: bool,
}

/// SMTP without the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SmtpShown {
    /// Whether e-mail notifications are sent at all.
    pub enabled: bool,
    /// Server name or address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security.
    pub tls: SmtpTls,
    /// AUTH user name (empty: no authentication).
    pub username: String,
    /// Whether an AUTH password is stored.
    pub password_set: bool,
    /// The From: address.
    pub from: String,
    /// An extra CA (PEM) trusted for the server's certificate.
    pub ca_pem: Option<String>,
}

/// The whole document with its secrets redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Redacted {
    /// Polling intervals.
    pub polling: Polling,
    /// Deployments.
    pub deployments: Deployments,
    /// Retention.
    pub retention: Retention,
    /// The console allow-list (IPv4 addresses and CIDRs), as entered.
    pub allow_list: Vec<String>,
    /// Web UI TLS.
    pub web_tls: WebTlsShown,
    /// SMTP.
    pub smtp: SmtpShown,
    /// Scheduled reports.
    pub reports: Reports,
}

impl Redacted {
    /// `s` redacted.
    pub fn of(s: &Settings) -> Self {
        Redacted {
            polling: s.polling,
            deployments: s.deployments,
            retention: s.retention,
            allow_list: s.allow_list.clone(),
            web_tls: WebTlsShown {
                strategy: s.web_tls.strategy,
                uploaded_certificate: s.web_tls.cert_pem.is_some(),
            },
            smtp: SmtpShown {
                enabled: s.smtp.enabled,
                host: s.smtp.host.clone(),
                port: s.smtp.port,
                tls: s.smtp.tls,
                username: s.smtp.username.clone(),
                password_set: s.smtp.password_sealed.is_some(),
                from: s.smtp.from.clone(),
                ca_pem: s.smtp.ca_pem.clone(),
            },
            reports: s.reports.clone(),
        }
    }
}
