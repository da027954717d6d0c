//! Checks every field of an enrolment request before anything is stored: machine id, FQDN, IPv4 address,
//! operating system and port.

use crate::db::models::host::validate_hostname;
use crate::error::ManagerError;
use linux_patch_shared::api::enroll::EnrollRequest;
use std::net::Ipv4Addr;

/// Longest accepted operating-system description.
pub const MAX_OS_LEN: usize = 200;

/// A request whose fields passed the checks (normalised: lowercase machine id and FQDN, trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// 32 lowercase hex digits.
    pub machine_id: String,
    /// Lowercase host name.
    pub fqdn: String,
    /// IPv4 address.
    pub ip: Ipv4Addr,
    /// Operating system ('' when not reported).
    pub os: String,
    /// Agent port (1..65535).
    pub port: u16,
    /// The agent's CSR (PEM) and its public key's fingerprint.
    pub csr_pem: String,
    /// SHA-256 of the CSR's public key (uppercase hex pairs joined by ':').
    pub key_fingerprint: String,
}

fn invalid(m: String) -> ManagerError {
    ManagerError::Invalid(m)
}

/// Validates `req`; the error names the field and shows the value escaped.
pub fn check(req: &EnrollRequest) -> Result<Checked, ManagerError> {
    let machine_id = req.machine_id.trim().to_ascii_lowercase();
    if machine_id.len() != 32 || !machine_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(format!(
            "machine_id: `{}` is not 32 hexadecimal digits (the contents of /etc/machine-id)",
            short(&req.machine_id)
        )));
    }
    let fqdn = req.fqdn.trim().trim_end_matches('.').to_ascii_lowercase();
    validate_hostname(&fqdn).map_err(|e| invalid(format!("fqdn: {e}")))?;
    let ip: Ipv4Addr = req
        .ip
        .trim()
        .parse()
        .map_err(|_| invalid(format!("ip: `{}` is not an IPv4 address", short(&req.ip))))?;
    if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() {
        return Err(invalid(format!("ip: {ip} cannot be a host's address")));
    }
    let os = req.os.trim().to_owned();
    if os.chars().count() > MAX_OS_LEN {
        return Err(invalid(format!("os: longer than {MAX_OS_LEN} characters")));
    }
    if os.chars().any(char::is_control) {
        return Err(invalid("os: control characters are not allowed".into()));
    }
    if req.port == 0 {
        return Err(invalid("port: must be between 1 and 65535".into()));
    }
    let csr = super::csr::check(&req.csr).map_err(invalid)?;
    Ok(Checked {
        machine_id,
        fqdn,
        ip,
        os,
        port: req.port,
        csr_pem: csr.pem,
        key_fingerprint: csr.fingerprint,
    })
}

/// A value for an error message: escaped, at most 80 characters.
fn short(s: &str) -> String {
    let e: String = s.escape_default().collect();
    match e.char_indices().nth(80) {
        Some((i, _)) => format!("{}...", &e[..i]),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> EnrollRequest {
        EnrollRequest {
            machine_id: "0123456789abcdef0123456789ABCDEF".into(),
            fqdn: "Web-01.Example.LAN.".into(),
            ip: "10.0.0.5".into(),
            os: "Debian GNU/Linux 12 (bookworm)".into(),
            port: 12443,
            csr: crate::enrollment::csr::test_csr(),
        }
    }

    #[test]
    fn a_good_request_is_normalised() {
        let c = check(&req()).unwrap();
        assert_eq!(c.machine_id, "0123456789abcdef0123456789abcdef");
        assert_eq!(c.fqdn, "web-01.example.lan");
        assert_eq!(c.ip, Ipv4Addr::new(10, 0, 0, 5));
        assert_eq!(c.port, 12443);
    }

    #[test]
    fn every_field_is_checked() {
        type Edit = fn(&mut EnrollRequest);
        let cases: Vec<(Edit, &str)> = vec![
            (|r| r.machine_id = "abc".into(), "machine_id"),
            (
                |r| r.machine_id = "g123456789abcdef0123456789abcdef".into(),
                "machine_id",
            ),
            (
                |r| r.machine_id = "0123456789abcdef0123456789abcdef0".into(),
                "machine_id",
            ),
            (|r| r.fqdn = "x;rm -rf /".into(), "fqdn"),
            (|r| r.fqdn = "$(reboot).lan".into(), "fqdn"),
            (|r| r.fqdn = "a".repeat(300), "fqdn"),
            (|r| r.fqdn = String::new(), "fqdn"),
            (|r| r.ip = "::1".into(), "ip"),
            (|r| r.ip = "10.0.0.256".into(), "ip"),
            (|r| r.ip = "0.0.0.0".into(), "ip"),
            (|r| r.ip = "10.0.0.5; drop table hosts".into(), "ip"),
            (|r| r.os = "x".repeat(MAX_OS_LEN + 1), "os"),
            (|r| r.os = "Debian\n<script>".into(), "os"),
            (|r| r.port = 0, "port"),
            (|r| r.csr = String::new(), "csr"),
            (|r| r.csr = "-----BEGIN CERTIFICATE REQUEST-----".into(), "csr"),
        ];
        for (edit, field) in cases {
            let mut r = req();
            edit(&mut r);
            let e = check(&r).unwrap_err();
            assert!(matches!(e, ManagerError::Invalid(_)), "{e}");
            assert!(e.to_string().starts_with(field), "{field}: {e}");
        }
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let mut r = req();
        r.ip = "9".repeat(10_000);
        let e = check(&r).unwrap_err().to_string();
        assert!(e.len() < 200, "{e}");
    }
}
