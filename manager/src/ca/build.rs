//! Building certificates with openssl: P-256 keys, serials, validity times, root and leaf extensions.

use super::{CaError, IssueRequest, Usage};
use chrono::{DateTime, Duration, Months, Utc};
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{HasPublic, PKey, PKeyRef, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509Name, X509NameBuilder, X509Ref, X509};

/// Common name of the root certificate.
pub(crate) const ROOT_CN: &str = "Linux Patch Manager Root CA";
/// Common name of the agents' CA (a separate self-signed root only the manager trusts).
pub(crate) const AGENTS_CN: &str = "Linux Patch Manager Agents CA";
/// How far notBefore is backdated, for peers whose clocks run a little behind.
const SKEW: Duration = Duration::minutes(5);
/// Root validity in months (10 years).
const ROOT_MONTHS: u32 = 120;

/// Maps an openssl error to a `CaError` saying what was being done.
pub(crate) fn ossl(what: &'static str) -> impl FnOnce(openssl::error::ErrorStack) -> CaError {
    move |e| CaError(format!("{what}: {e}"))
}

/// A fresh ECDSA P-256 key.
pub(crate) fn new_key() -> Result<PKey<Private>, CaError> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(ossl("P-256 curve unavailable"))?;
    let ec = EcKey::generate(&group).map_err(ossl("cannot generate a P-256 key"))?;
    PKey::from_ec_key(ec).map_err(ossl("cannot wrap the P-256 key"))
}

/// Whether `key` is an EC key on P-256.
pub(crate) fn is_p256(key: &PKeyRef<Private>) -> bool {
    key.ec_key()
        .map(|ec| ec.group().curve_name() == Some(Nid::X9_62_PRIME256V1))
        .unwrap_or(false)
}

/// A chrono time as an ASN.1 time.
pub(crate) fn asn1_time(t: DateTime<Utc>) -> Result<Asn1Time, CaError> {
    Asn1Time::from_unix(t.timestamp()).map_err(ossl("cannot encode a certificate time"))
}

/// An ASN.1 time (as found in a certificate) as a chrono time.
pub(crate) fn chrono_time(t: &Asn1TimeRef) -> Result<DateTime<Utc>, CaError> {
    let epoch = Asn1Time::from_unix(0).map_err(ossl("cannot encode the epoch"))?;
    let diff = epoch.diff(t).map_err(ossl("cannot decode a certificate time"))?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    DateTime::from_timestamp(secs, 0).ok_or_else(|| CaError(format!("certificate time {t} is out of range")))
}

/// A random positive 128-bit serial number.
fn serial() -> Result<BigNum, CaError> {
    let mut bn = BigNum::new().map_err(ossl("cannot allocate a serial number"))?;
    bn.rand(128, MsbOption::ONE, false)
        .map_err(ossl("cannot draw a random serial number"))?;
    Ok(bn)
}

/// Lowercase hex of a certificate's serial number.
pub(crate) fn serial_hex(cert: &X509Ref) -> Result<String, CaError> {
    let bn = cert
        .serial_number()
        .to_bn()
        .map_err(ossl("cannot read the serial number"))?;
    Ok(bn
        .to_hex_str()
        .map_err(ossl("cannot print the serial number"))?
        .to_lowercase())
}

/// A subject name with only a common name.
fn cn_name(cn: &str) -> Result<X509Name, CaError> {
    let mut b = X509NameBuilder::new().map_err(ossl("cannot build a name"))?;
    b.append_entry_by_nid(Nid::COMMONNAME, cn)
        .map_err(|e| CaError(format!("common name {cn:?} is not usable: {e}")))?;
    Ok(b.build())
}

/// A v3 certificate builder with serial, subject, key and validity `not_before..not_after` filled in.
fn base<T: HasPublic>(
    cn: &str,
    key: &PKeyRef<T>,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
) -> Result<X509Builder, CaError> {
    let mut b = X509Builder::new().map_err(ossl("cannot start a certificate"))?;
    b.set_version(2)
        .map_err(ossl("cannot set the certificate version"))?;
    let serial = serial()?
        .to_asn1_integer()
        .map_err(ossl("cannot encode the serial number"))?;
    b.set_serial_number(&serial)
        .map_err(ossl("cannot set the serial number"))?;
    let subject = cn_name(cn)?;
    b.set_subject_name(&subject)
        .map_err(ossl("cannot set the subject"))?;
    b.set_pubkey(key).map_err(ossl("cannot set the public key"))?;
    let (nb, na) = (asn1_time(not_before)?, asn1_time(not_after)?);
    b.set_not_before(&nb).map_err(ossl("cannot set notBefore"))?;
    b.set_not_after(&na).map_err(ossl("cannot set notAfter"))?;
    Ok(b)
}

/// A self-signed root CA certificate named `cn` for `key`, valid 10 years from `now`.
pub(crate) fn root_cert(cn: &str, key: &PKeyRef<Private>, now: DateTime<Utc>) -> Result<X509, CaError> {
    let not_after = now
        .checked_add_months(Months::new(ROOT_MONTHS))
        .ok_or_else(|| CaError(format!("root CA expiry from {now} is out of range")))?;
    let mut b = base(cn, key, now - SKEW, not_after)?;
    let issuer = cn_name(cn)?;
    b.set_issuer_name(&issuer)
        .map_err(ossl("cannot set the issuer"))?;
    let bc = BasicConstraints::new()
        .critical()
        .ca()
        .build()
        .map_err(ossl("basicConstraints"))?;
    b.append_extension(bc).map_err(ossl("basicConstraints"))?;
    let ku = KeyUsage::new()
        .critical()
        .key_cert_sign()
        .crl_sign()
        .build()
        .map_err(ossl("keyUsage"))?;
    b.append_extension(ku).map_err(ossl("keyUsage"))?;
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(None, None))
        .map_err(ossl("subjectKeyIdentifier"))?;
    b.append_extension(ski).map_err(ossl("subjectKeyIdentifier"))?;
    b.sign(key, MessageDigest::sha256())
        .map_err(ossl("cannot sign the root CA certificate"))?;
    Ok(b.build())
}

/// Checks a request before anything is generated.
fn validate(req: &IssueRequest) -> Result<(), CaError> {
    if req.common_name.trim().is_empty() {
        return Err(CaError("certificate request has an empty common name".into()));
    }
    if req.days == 0 {
        return Err(CaError(format!(
            "certificate for {:?}: validity must be at least 1 day",
            req.common_name
        )));
    }
    for d in &req.dns {
        let ok = !d.is_empty()
            && d.is_ascii()
            && d.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*'));
        if !ok {
            return Err(CaError(format!(
                "certificate for {:?}: {d:?} is not a DNS name",
                req.common_name
            )));
        }
    }
    Ok(())
}

/// A leaf certificate for (the public part of) `key` as `req` asks, signed by `ca_cert`/`ca_key`.
pub(crate) fn leaf_cert<T: HasPublic>(
    req: &IssueRequest,
    key: &PKeyRef<T>,
    ca_cert: &X509Ref,
    ca_key: &PKeyRef<Private>,
    now: DateTime<Utc>,
) -> Result<X509, CaError> {
    validate(req)?;
    let not_after = now
        .checked_add_signed(Duration::days(i64::from(req.days)))
        .ok_or_else(|| {
            CaError(format!(
                "certificate for {:?}: expiry out of range",
                req.common_name
            ))
        })?;
    let mut b = base(&req.common_name, key, now - SKEW, not_after)?;
    b.set_issuer_name(ca_cert.subject_name())
        .map_err(ossl("cannot set the issuer"))?;
    let bc = BasicConstraints::new()
        .build()
        .map_err(ossl("basicConstraints"))?;
    b.append_extension(bc).map_err(ossl("basicConstraints"))?;
    let ku = KeyUsage::new()
        .critical()
        .digital_signature()
        .build()
        .map_err(ossl("keyUsage"))?;
    b.append_extension(ku).map_err(ossl("keyUsage"))?;
    let mut eku = ExtendedKeyUsage::new();
    match req.usage {
        Usage::Server => eku.server_auth(),
        Usage::Client => eku.client_auth(),
    };
    b.append_extension(eku.build().map_err(ossl("extendedKeyUsage"))?)
        .map_err(ossl("extendedKeyUsage"))?;
    if !req.dns.is_empty() || !req.ips.is_empty() {
        let mut san = SubjectAlternativeName::new();
        for d in &req.dns {
            san.dns(d);
        }
        for ip in &req.ips {
            san.ip(&ip.to_string());
        }
        let ext = san
            .build(&b.x509v3_context(Some(ca_cert), None))
            .map_err(ossl("subjectAltName"))?;
        b.append_extension(ext).map_err(ossl("subjectAltName"))?;
    }
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(Some(ca_cert), None))
        .map_err(ossl("subjectKeyIdentifier"))?;
    b.append_extension(ski).map_err(ossl("subjectKeyIdentifier"))?;
    let aki = AuthorityKeyIdentifier::new()
        .keyid(true)
        .build(&b.x509v3_context(Some(ca_cert), None))
        .map_err(ossl("authorityKeyIdentifier"))?;
    b.append_extension(aki).map_err(ossl("authorityKeyIdentifier"))?;
    b.sign(ca_key, MessageDigest::sha256())
        .map_err(ossl("cannot sign the certificate"))?;
    Ok(b.build())
}
