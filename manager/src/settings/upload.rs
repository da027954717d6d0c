//! Checks an uploaded console certificate and key before it is stored: it parses, the key matches the leaf, it is valid now (and not for less than a day), and each certificate of the chain is signed by the next.

use chrono::{DateTime, TimeZone, Utc};
use openssl::asn1::Asn1Time;
use openssl::pkey::PKey;
use openssl::x509::X509;
use serde::Serialize;

/// What the page and the API show of an accepted upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Uploaded {
    /// The leaf's subject.
    pub subject: String,
    /// The leaf's issuer.
    pub issuer: String,
    /// The leaf's expiry.
    pub not_after: DateTime<Utc>,
    /// Certificates in the chain (leaf included).
    pub chain_len: usize,
}

fn asn1_to_utc(t: &openssl::asn1::Asn1TimeRef) -> Result<DateTime<Utc>, String> {
    let epoch = Asn1Time::from_unix(0).map_err(|e| e.to_string())?;
    let d = epoch.diff(t).map_err(|e| e.to_string())?;
    Utc.timestamp_opt(i64::from(d.days) * 86_400 + i64::from(d.secs), 0)
        .single()
        .ok_or_else(|| "certificate time out of range".to_owned())
}

fn name(n: &openssl::x509::X509NameRef) -> String {
    n.entries()
        .filter_map(|e| {
            let k = e.object().nid().short_name().ok()?;
            let v = e.data().to_string().ok()?;
            Some(format!("{k}={v}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a stored chain says about itself (no validity check: shown even after it has expired).
pub fn describe(cert_pem: &str) -> Result<Uploaded, String> {
    let chain = X509::stack_from_pem(cert_pem.as_bytes()).map_err(|e| e.to_string())?;
    let leaf = chain.first().ok_or("no certificate")?;
    Ok(Uploaded {
        subject: name(leaf.subject_name()),
        issuer: name(leaf.issuer_name()),
        not_after: asn1_to_utc(leaf.not_after())?,
        chain_len: chain.len(),
    })
}

/// Validates `cert_pem` (leaf first, then intermediates) and `key_pem` at `now`.
pub fn check(cert_pem: &str, key_pem: &str, now: DateTime<Utc>) -> Result<Uploaded, String> {
    if cert_pem.len() > 64 * 1024 || key_pem.len() > 16 * 1024 {
        return Err("the certificate or key is too large".into());
    }
    let chain = X509::stack_from_pem(cert_pem.as_bytes())
        .map_err(|_| "the certificate is not PEM (BEGIN CERTIFICATE)".to_owned())?;
    let Some(leaf) = chain.first() else {
        return Err("no certificate in the upload".into());
    };
    let key = PKey::private_key_from_pem(key_pem.as_bytes()).map_err(|_| {
        "the private key is not a PEM private key (unencrypted PKCS#8, PKCS#1 or SEC1)".to_owned()
    })?;
    let leaf_key = leaf
        .public_key()
        .map_err(|e| format!("the certificate's public key: {e}"))?;
    if !leaf_key.public_eq(&key) {
        return Err("the private key does not belong to the certificate".into());
    }
    let not_before = asn1_to_utc(leaf.not_before())?;
    let not_after = asn1_to_utc(leaf.not_after())?;
    if not_before > now {
        return Err(format!("the certificate is not valid before {not_before}"));
    }
    if not_after <= now {
        return Err(format!("the certificate expired on {not_after}"));
    }
    if not_after - now < chrono::Duration::days(1) {
        return Err(format!("the certificate expires within a day ({not_after})"));
    }
    for (i, pair) in chain.windows(2).enumerate() {
        let issuer_key = pair[1].public_key().map_err(|e| e.to_string())?;
        if !pair[0].verify(&issuer_key).unwrap_or(false) {
            return Err(format!(
                "chain: certificate {} is not signed by certificate {} (put the leaf first, then its issuers in order)",
                i + 1,
                i + 2
            ));
        }
        if asn1_to_utc(pair[1].not_after())? <= now {
            return Err(format!("chain: certificate {} has expired", i + 2));
        }
    }
    super::gate::certified(cert_pem.as_bytes(), key_pem.as_bytes())?;
    describe(cert_pem)
}
