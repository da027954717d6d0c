//! Who is calling: the verified client certificate's subject CN, SANs and fingerprint.

use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::x509::X509;
use serde::Serialize;
use std::fmt;

/// The identity of an authenticated client, attached to every request of its connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientIdentity {
    /// Subject common name.
    pub common_name: Option<String>,
    /// DNS names, IP addresses and e-mail addresses of the subjectAltName extension.
    pub sans: Vec<String>,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-256 of the DER certificate, hex.
    pub fingerprint_sha256: String,
}

impl ClientIdentity {
    /// Reads the identity from the certificate rustls already verified.
    pub fn from_der(der: &[u8]) -> Option<Self> {
        let cert = X509::from_der(der).ok()?;
        let common_name = cert
            .subject_name()
            .entries_by_nid(Nid::COMMONNAME)
            .next()
            .and_then(|e| std::str::from_utf8(e.data().as_slice()).ok().map(str::to_owned));
        let sans = cert
            .subject_alt_names()
            .map(|names| {
                names
                    .iter()
                    .filter_map(|n| {
                        n.dnsname()
                            .map(|d| format!("DNS:{d}"))
                            .or_else(|| n.ipaddress().and_then(ip_text).map(|i| format!("IP:{i}")))
                            .or_else(|| n.email().map(|e| format!("email:{e}")))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let serial = cert.serial_number().to_bn().ok()?.to_hex_str().ok()?.to_string();
        let digest = cert.digest(MessageDigest::sha256()).ok()?;
        let fingerprint_sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        Some(Self {
            common_name,
            sans,
            serial,
            fingerprint_sha256,
        })
    }
}

fn ip_text(raw: &[u8]) -> Option<String> {
    match raw.len() {
        4 => Some(std::net::Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]).to_string()),
        16 => <[u8; 16]>::try_from(raw)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

impl fmt::Display for ClientIdentity {
    /// `CN=name` when there is a common name, else the first SAN, else the fingerprint.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.common_name, self.sans.first()) {
            (Some(cn), _) => write!(f, "CN={cn}"),
            (None, Some(san)) => f.write_str(san),
            (None, None) => write!(f, "sha256:{}", self.fingerprint_sha256),
        }
    }
}
