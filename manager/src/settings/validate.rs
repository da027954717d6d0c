//! Validation of a settings change (pure): ranges, the allow-list (and the lock-out check against the caller's address), SMTP addresses, the web TLS combination.

use super::{Change, Settings, TlsStrategy, AUDIT_DAYS, INTERVAL_SECS, MAX_ALLOW, OPERATIONAL_DAYS};
use ipnet::Ipv4Net;
use std::net::IpAddr;

/// Parses one allow-list entry: an IPv4 address or CIDR (the same parser as `config.yaml`'s `allow:`).
pub fn parse_allow_entry(item: &str) -> Result<Ipv4Net, String> {
    crate::config::file::parse_allow(item).map(|n| n.trunc())
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
        if let Some(r) = &change.reports {
            if r.weekly_compliance_to.len() > super::MAX_REPORT_ADDRESSES {
                return Err(format!(
                    "reports.weekly_compliance_to: at most {} addresses",
                    super::MAX_REPORT_ADDRESSES
                ));
            }
            for a in r
                .weekly_compliance_to
                .iter()
                .map(|a| a.trim())
                .filter(|a| !a.is_empty())
            {
                if !valid_address(a) {
                    return Err(format!(
                        "reports.weekly_compliance_to: `{}` is not an e-mail address",
                        a.escape_default()
                    ));
                }
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
}
