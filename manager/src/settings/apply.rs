//! The settings before any change (from `config.yaml`) and a change merged into the stored document (secrets sealed by the caller's function).

use super::{Change, Deployments, Polling, Retention, Settings, Smtp, TlsStrategy, WebTls};
use crate::config::file::PollerSection;
use ipnet::Ipv4Net;

/// Sealing context of the SMTP password.
pub const SMTP_PASSWORD: &str = "settings.smtp.password";
/// Sealing context of the uploaded console key.
pub const WEB_TLS_KEY: &str = "settings.web_tls.key";

/// What `config.yaml` gives before anything was changed at run time.
#[derive(Debug, Clone)]
pub struct Initial {
    /// `poller:`.
    pub poller: PollerSection,
    /// `deployments.concurrency`.
    pub concurrency: usize,
    /// `audit.retention_days`.
    pub audit_days: u32,
    /// `allow:`.
    pub allow: Vec<Ipv4Net>,
    /// `tls:` is `internal_ca` (else files).
    pub internal_ca: bool,
}

impl Initial {
    /// The settings document these give.
    pub fn settings(&self) -> Settings {
        Settings {
            polling: Polling {
                health_interval_secs: self.poller.health_interval_secs,
                patch_interval_secs: self.poller.patch_interval_secs,
            },
            deployments: Deployments {
                concurrency: self.concurrency,
            },
            retention: Retention {
                operational_days: self.poller.history_days,
                audit_days: self.audit_days,
            },
            allow_list: self.allow.iter().map(ToString::to_string).collect(),
            web_tls: WebTls {
                strategy: if self.internal_ca {
                    TlsStrategy::InternalCa
                } else {
                    TlsStrategy::Files
                },
                cert_pem: None,
                key_sealed: None,
            },
            smtp: Smtp::default(),
            reports: super::Reports::default(),
        }
    }
}

/// `current` with `change` applied (already validated by [`Settings::check`]); `seal(context, plain)`
/// encrypts secrets.
pub fn merge<S>(current: &Settings, change: Change, seal: S) -> Result<Settings, String>
where
    S: Fn(&str, &[u8]) -> Result<String, String>,
{
    let mut next = current.clone();
    if let Some(p) = change.polling {
        next.polling = p;
    }
    if let Some(d) = change.deployments {
        next.deployments = d;
    }
    if let Some(r) = change.retention {
        next.retention = r;
    }
    if let Some(a) = change.allow_list {
        next.allow_list = super::parse_allow_list(&a)?
            .iter()
            .map(ToString::to_string)
            .collect();
    }
    if let Some(s) = change.smtp {
        let password_sealed = match s.password.as_deref() {
            None => current.smtp.password_sealed.clone(),
            Some("") => None,
            Some(p) => Some(seal(SMTP_PASSWORD, p.as_bytes())?),
        };
        next.smtp = Smtp {
            enabled: s.enabled,
            host: s.host.trim().to_owned(),
            port: s.port,
            tls: s.tls,
            username: s.username.trim().to_owned(),
            password_sealed,
            from: s.from.trim().to_owned(),
            ca_pem: s.ca_pem.filter(|p| !p.trim().is_empty()),
        };
        if next.smtp.enabled && next.smtp.username.is_empty() != next.smtp.password_sealed.is_none() {
            return Err("smtp: give both a user name and a password for AUTH, or neither".into());
        }
    }
    if let Some(r) = change.reports {
        let mut to: Vec<String> = Vec::new();
        for a in r
            .weekly_compliance_to
            .iter()
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
        {
            if !to.iter().any(|t| t.eq_ignore_ascii_case(a)) {
                to.push(a.to_owned());
            }
        }
        next.reports.weekly_compliance_to = to;
    }
    if let Some(w) = change.web_tls {
        match w.strategy {
            TlsStrategy::Uploaded => {
                if let (Some(c), Some(k)) = (w.cert_pem, w.key_pem) {
                    next.web_tls.cert_pem = Some(c);
                    next.web_tls.key_sealed = Some(seal(WEB_TLS_KEY, k.as_bytes())?);
                } else if current.web_tls.cert_pem.is_none() {
                    return Err(
                        "web_tls: upload a certificate and its key to use the strategy `uploaded`".into(),
                    );
                }
                next.web_tls.strategy = TlsStrategy::Uploaded;
            }
            s => next.web_tls.strategy = s,
        }
    }
    Ok(next)
}
