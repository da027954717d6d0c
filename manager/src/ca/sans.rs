//! What a certificate is for, as requests: agents' server certificates from a host, the manager's client
//! certificate, and the request that renews an existing certificate with the same subject and names.

use super::build::ossl;
use super::{CaError, IssueRequest, Usage};
use openssl::x509::X509;
use std::net::IpAddr;

/// Common name of the manager's client certificate.
pub const MANAGER_CLIENT_CN: &str = "linux-patch-manager";
/// Validity of agent server and manager client certificates, days.
pub const LEAF_DAYS: u32 = 365;

/// `DNS:a, DNS:b, IP:1.2.3.4` (the stored `sans` column).
pub fn sans_text(req: &IssueRequest) -> String {
    req.dns
        .iter()
        .map(|d| format!("DNS:{d}"))
        .chain(req.ips.iter().map(|ip| format!("IP:{ip}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The server certificate request of an agent: CN = host name; SAN = the name (when it is not an address)
/// and the host's IP (and the name when it is an address), serverAuth, 365 days.
pub fn agent_request(hostname: &str, address: &str) -> Result<IssueRequest, CaError> {
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    match hostname.parse::<IpAddr>() {
        Ok(ip) => ips.push(ip),
        Err(_) => dns.push(hostname.to_ascii_lowercase()),
    }
    let ip: IpAddr = address.parse().map_err(|_| {
        CaError(format!(
            "host {}: address `{}` is not an IP address",
            hostname.escape_default(),
            address.escape_default()
        ))
    })?;
    if !ips.contains(&ip) {
        ips.push(ip);
    }
    Ok(IssueRequest {
        common_name: hostname.to_owned(),
        dns,
        ips,
        usage: Usage::Server,
        days: LEAF_DAYS,
    })
}

/// The manager's client certificate request: CN `linux-patch-manager`, clientAuth, 365 days, no SAN.
pub fn manager_client_request() -> IssueRequest {
    IssueRequest {
        common_name: MANAGER_CLIENT_CN.into(),
        dns: Vec::new(),
        ips: Vec::new(),
        usage: Usage::Client,
        days: LEAF_DAYS,
    }
}

/// A request for a certificate like `cert_pem` (same CN, SANs in order, usage) valid `days` from issue.
pub fn renewal_request(cert_pem: &str, usage: Usage, days: u32) -> Result<IssueRequest, CaError> {
    let cert = X509::from_pem(cert_pem.as_bytes()).map_err(ossl("the recorded certificate is not PEM"))?;
    let common_name = cert
        .subject_name()
        .entries_by_nid(openssl::nid::Nid::COMMONNAME)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .ok_or_else(|| CaError("the recorded certificate has no common name".into()))?;
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    for name in cert.subject_alt_names().iter().flatten() {
        if let Some(d) = name.dnsname() {
            dns.push(d.to_owned());
        }
        match name.ipaddress() {
            Some(b) if b.len() == 4 => ips.push(IpAddr::from(<[u8; 4]>::try_from(b).unwrap_or([0; 4]))),
            Some(b) if b.len() == 16 => ips.push(IpAddr::from(<[u8; 16]>::try_from(b).unwrap_or([0; 16]))),
            _ => {}
        }
    }
    Ok(IssueRequest {
        common_name,
        dns,
        ips,
        usage,
        days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_sans_are_name_and_address() {
        let r = agent_request("web-01.example.lan", "10.0.0.5").unwrap();
        assert_eq!(sans_text(&r), "DNS:web-01.example.lan, IP:10.0.0.5");
        assert_eq!((r.usage, r.days), (Usage::Server, 365));
        let r = agent_request("10.0.0.6", "10.0.0.6").unwrap();
        assert_eq!(sans_text(&r), "IP:10.0.0.6");
        assert!(agent_request("x", "not-an-ip").is_err());
    }
}
