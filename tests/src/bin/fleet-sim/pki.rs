//! The fleet's certificates: one CA, a manager client certificate, and a server certificate per host
//! (ECDSA P-256, CN and DNS SAN = host name, IP SAN = its address), issued on every core in parallel.

use linux_patch_shared::clock::{Clock, SystemClock};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509Name, X509NameBuilder, X509};
use std::net::Ipv4Addr;

/// A certificate and its private key, DER (PKCS#8 for the key).
#[derive(Debug, Clone)]
pub struct Leaf {
    /// Certificate.
    pub cert_der: Vec<u8>,
    /// Private key.
    pub key_der: Vec<u8>,
}

/// The fleet CA.
pub struct Ca {
    cert: X509,
    key: PKey<Private>,
}

fn key() -> Result<PKey<Private>, ErrorStack> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    PKey::from_ec_key(EcKey::generate(&group)?)
}

fn name(cn: &str) -> Result<X509Name, ErrorStack> {
    let mut n = X509NameBuilder::new()?;
    n.append_entry_by_nid(Nid::ORGANIZATIONNAME, "Linux Patch fleet simulator")?;
    n.append_entry_by_nid(Nid::COMMONNAME, cn)?;
    Ok(n.build())
}

fn validity(days_before: i64, days_after: i64) -> Result<(Asn1Time, Asn1Time), ErrorStack> {
    let now = SystemClock.now().timestamp();
    Ok((
        Asn1Time::from_unix(now - days_before * 86_400)?,
        Asn1Time::from_unix(now + days_after * 86_400)?,
    ))
}

impl Ca {
    /// A new self-signed CA, valid for ten years.
    pub fn new() -> Result<Ca, ErrorStack> {
        let key = key()?;
        let mut b = X509::builder()?;
        b.set_version(2)?;
        let serial = BigNum::from_u32(1)?.to_asn1_integer()?;
        let subject = name("Fleet Simulator CA")?;
        b.set_serial_number(&serial)?;
        b.set_subject_name(&subject)?;
        b.set_issuer_name(&subject)?;
        b.set_pubkey(&key)?;
        let (from, to) = validity(1, 3650)?;
        b.set_not_before(&from)?;
        b.set_not_after(&to)?;
        b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
        b.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build()?)?;
        b.sign(&key, MessageDigest::sha256())?;
        Ok(Ca { cert: b.build(), key })
    }

    /// An existing CA (e.g. the manager's `<data_dir>/ca/ca.pem` + `ca.key`), so the simulated hosts carry
    /// certificates the manager trusts and trust the manager's client certificate.
    pub fn load(dir: &std::path::Path) -> Result<Ca, String> {
        let read = |f: &str| {
            let p = dir.join(f);
            std::fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        let cert = X509::from_pem(&read("ca.pem")?).map_err(|e| format!("{}/ca.pem: {e}", dir.display()))?;
        let key = PKey::private_key_from_pem(&read("ca.key")?)
            .map_err(|e| format!("{}/ca.key: {e}", dir.display()))?;
        Ok(Ca { cert, key })
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> Result<Vec<u8>, ErrorStack> {
        self.cert.to_pem()
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> Result<Vec<u8>, ErrorStack> {
        self.cert.to_der()
    }

    /// Issues a leaf: a server certificate for `cn` at `ip`, or (no `ip`) a client certificate.
    pub fn issue(&self, serial: u32, cn: &str, ip: Option<Ipv4Addr>) -> Result<Leaf, ErrorStack> {
        let key = key()?;
        let mut b = X509::builder()?;
        b.set_version(2)?;
        let serial = BigNum::from_u32(serial)?.to_asn1_integer()?;
        let subject = name(cn)?;
        b.set_serial_number(&serial)?;
        b.set_subject_name(&subject)?;
        b.set_issuer_name(self.cert.subject_name())?;
        b.set_pubkey(&key)?;
        let (from, to) = validity(1, 825)?;
        b.set_not_before(&from)?;
        b.set_not_after(&to)?;
        b.append_extension(BasicConstraints::new().critical().build()?)?;
        b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
        let mut eku = ExtendedKeyUsage::new();
        match ip {
            Some(ip) => {
                eku.server_auth();
                b.append_extension(eku.build()?)?;
                let san = SubjectAlternativeName::new()
                    .dns(cn)
                    .ip(&ip.to_string())
                    .build(&b.x509v3_context(Some(&self.cert), None))?;
                b.append_extension(san)?;
            }
            None => {
                eku.client_auth();
                b.append_extension(eku.build()?)?;
            }
        }
        b.sign(&self.key, MessageDigest::sha256())?;
        Ok(Leaf {
            cert_der: b.build().to_der()?,
            key_der: key.private_key_to_pkcs8()?,
        })
    }

    /// Server certificates for every `(host name, address)`, in order, using `threads` threads.
    pub fn issue_all(&self, hosts: &[(String, Ipv4Addr)], threads: usize) -> Result<Vec<Leaf>, ErrorStack> {
        let chunk = hosts.len().div_ceil(threads.max(1)).max(1);
        std::thread::scope(|s| {
            let workers: Vec<_> = hosts
                .chunks(chunk)
                .enumerate()
                .map(|(c, part)| {
                    s.spawn(move || {
                        part.iter()
                            .enumerate()
                            .map(|(k, (cn, ip))| {
                                let serial = u32::try_from(1000 + c * chunk + k).unwrap_or(u32::MAX);
                                self.issue(serial, cn, Some(*ip))
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            let mut all = Vec::with_capacity(hosts.len());
            for w in workers {
                all.extend(w.join().map_err(|_| ErrorStack::get())??);
            }
            Ok(all)
        })
    }
}

/// PEM armour for DER bytes (`label`: `CERTIFICATE`, `PRIVATE KEY`).
pub fn pem(label: &str, der: &[u8]) -> String {
    use openssl::base64::encode_block;
    let b64 = encode_block(der);
    let body: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        body.join("\n")
    )
}
