//! Certificates made per test with openssl: a CA, server and client certificates, expired ones, other CAs.

use chrono::{DateTime, Duration, Utc};
use linux_patch_shared::clock::{Clock, SystemClock};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

static SERIAL: AtomicU32 = AtomicU32::new(1000);

/// A PEM certificate and its PEM private key.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Certificate, PEM.
    pub cert_pem: String,
    /// Private key (PKCS#8), PEM.
    pub key_pem: String,
}

impl Issued {
    /// Writes `cert` and `key` files (key 0600).
    pub fn write(&self, cert: &Path, key: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(cert, &self.cert_pem).unwrap();
        std::fs::write(key, &self.key_pem).unwrap();
        std::fs::set_permissions(key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// What to put in a leaf certificate.
#[derive(Debug, Clone)]
pub struct Leaf<'a> {
    /// Subject CN.
    pub cn: &'a str,
    /// DNS SANs.
    pub dns: &'a [&'a str],
    /// IP SANs.
    pub ips: &'a [&'a str],
    /// serverAuth (true) or clientAuth (false).
    pub server: bool,
    /// Validity start relative to now.
    pub not_before: Duration,
    /// Validity end relative to now.
    pub not_after: Duration,
}

impl<'a> Leaf<'a> {
    /// A server certificate valid for a year with SANs `localhost` and `127.0.0.1`.
    pub fn server(cn: &'a str) -> Self {
        Self {
            cn,
            dns: &["localhost"],
            ips: &["127.0.0.1"],
            server: true,
            not_before: Duration::days(-1),
            not_after: Duration::days(365),
        }
    }

    /// A client certificate valid for a year.
    pub fn client(cn: &'a str) -> Self {
        Self {
            cn,
            dns: &[],
            ips: &[],
            server: false,
            not_before: Duration::days(-1),
            not_after: Duration::days(365),
        }
    }

    /// The same certificate, expired yesterday.
    pub fn expired(mut self) -> Self {
        self.not_before = Duration::days(-30);
        self.not_after = Duration::days(-1);
        self
    }
}

/// A certificate authority (ECDSA P-256, like the manager's internal CA).
#[derive(Debug)]
pub struct Ca {
    cert: X509,
    key: PKey<Private>,
}

fn new_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn asn1_time(t: DateTime<Utc>) -> Asn1Time {
    Asn1Time::from_unix(t.timestamp()).unwrap()
}

fn serial() -> Asn1Integer {
    BigNum::from_u32(SERIAL.fetch_add(1, Ordering::Relaxed))
        .unwrap()
        .to_asn1_integer()
        .unwrap()
}

fn name(cn: &str) -> openssl::x509::X509Name {
    let mut n = X509NameBuilder::new().unwrap();
    n.append_entry_by_nid(Nid::ORGANIZATIONNAME, "Linux Patch tests")
        .unwrap();
    n.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    n.build()
}

impl Ca {
    /// A new self-signed CA valid for ten years.
    pub fn new(cn: &str) -> Self {
        let key = new_key();
        let now = SystemClock.now();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(&serial()).unwrap();
        b.set_subject_name(&name(cn)).unwrap();
        b.set_issuer_name(&name(cn)).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&asn1_time(now - Duration::days(1))).unwrap();
        b.set_not_after(&asn1_time(now + Duration::days(3650))).unwrap();
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .unwrap(),
        )
        .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        Self { cert: b.build(), key }
    }

    /// An existing CA from its PEM certificate and key (e.g. the manager's internal CA in its data dir).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Self {
        Self {
            cert: X509::from_pem(cert_pem.as_bytes()).unwrap(),
            key: PKey::private_key_from_pem(key_pem.as_bytes()).unwrap(),
        }
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> String {
        String::from_utf8(self.cert.to_pem().unwrap()).unwrap()
    }

    /// Issues a leaf certificate.
    pub fn issue(&self, leaf: &Leaf<'_>) -> Issued {
        let key = new_key();
        let now = SystemClock.now();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(&serial()).unwrap();
        b.set_subject_name(&name(leaf.cn)).unwrap();
        b.set_issuer_name(self.cert.subject_name()).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&asn1_time(now + leaf.not_before)).unwrap();
        b.set_not_after(&asn1_time(now + leaf.not_after)).unwrap();
        b.append_extension(BasicConstraints::new().critical().build().unwrap())
            .unwrap();
        b.append_extension(KeyUsage::new().critical().digital_signature().build().unwrap())
            .unwrap();
        let mut eku = ExtendedKeyUsage::new();
        if leaf.server {
            eku.server_auth();
        } else {
            eku.client_auth();
        }
        b.append_extension(eku.build().unwrap()).unwrap();
        if !leaf.dns.is_empty() || !leaf.ips.is_empty() {
            let mut san = SubjectAlternativeName::new();
            for d in leaf.dns {
                san.dns(d);
            }
            for i in leaf.ips {
                san.ip(i);
            }
            let ext = san.build(&b.x509v3_context(Some(&self.cert), None)).unwrap();
            b.append_extension(ext).unwrap();
        }
        b.sign(&self.key, MessageDigest::sha256()).unwrap();
        Issued {
            cert_pem: String::from_utf8(b.build().to_pem().unwrap()).unwrap(),
            key_pem: String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap(),
        }
    }
}

/// The usual set for one agent: a CA, the agent's server certificate and a valid client certificate.
#[derive(Debug)]
pub struct Pki {
    /// The CA both sides trust.
    pub ca: Ca,
    /// The agent's certificate.
    pub server: Issued,
    /// A valid client (the "manager").
    pub client: Issued,
}

impl Pki {
    /// A fresh CA with a server certificate for localhost/127.0.0.1 and a client `manager-test`.
    pub fn new() -> Self {
        let ca = Ca::new("Test Root CA");
        let server = ca.issue(&Leaf::server("agent.test"));
        let client = ca.issue(&Leaf::client("manager-test"));
        Self { ca, server, client }
    }
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}

/// Records `pem` as an agent server certificate of host `host_id` in the manager's register (as a bundle or
/// an enrolment would have): the manager calls a host only when it presents a certificate recorded for it.
pub fn record_agent_cert(conn: &mut diesel::PgConnection, host_id: i64, pem: &str) {
    use diesel::RunQueryDsl;
    let x = openssl::x509::X509::from_pem(pem.as_bytes()).unwrap();
    let serial = x
        .serial_number()
        .to_bn()
        .unwrap()
        .to_hex_str()
        .unwrap()
        .to_lowercase();
    diesel::sql_query(
        "INSERT INTO certificates (serial, kind, subject, sans, host_id, cert_pem, key_file, not_before, \
         not_after, created_at) VALUES ($1, 'agent_server', 'agent', '', $2, $3, '', now() - interval '1 day', \
         now() + interval '30 days', now())",
    )
    .bind::<diesel::sql_types::Text, _>(serial)
    .bind::<diesel::sql_types::BigInt, _>(host_id)
    .bind::<diesel::sql_types::Text, _>(pem)
    .execute(conn)
    .unwrap();
}

/// A certificate signing request (PEM) for a fresh P-256 key, as an enrolling agent sends it.
pub fn test_csr() -> String {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    let g = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let k = openssl::pkey::PKey::from_ec_key(EcKey::generate(&g).unwrap()).unwrap();
    let mut b = openssl::x509::X509ReqBuilder::new().unwrap();
    b.set_pubkey(&k).unwrap();
    b.sign(&k, openssl::hash::MessageDigest::sha256()).unwrap();
    String::from_utf8(b.build().to_pem().unwrap()).unwrap()
}
