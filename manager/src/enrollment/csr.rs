//! The agent's certificate signing request: parsed, its self-signature checked, its key P-256, and the
//! fingerprint of its public key (what the agent prints and the approval page shows).

use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Public};
use openssl::x509::X509Req;

/// Largest CSR accepted (a P-256 CSR is about 400 bytes of PEM).
pub const MAX_CSR_LEN: usize = 2048;

/// A CSR that passed the checks.
#[derive(Debug, Clone)]
pub struct CheckedCsr {
    /// The PEM as sent (trimmed).
    pub pem: String,
    /// SHA-256 of the public key's SubjectPublicKeyInfo DER, uppercase hex pairs joined by ':'.
    pub fingerprint: String,
}

/// SHA-256 of `key`'s SubjectPublicKeyInfo DER as uppercase hex pairs joined by ':' (the agent prints the
/// same for its key).
pub fn key_fingerprint(key: &PKey<Public>) -> Result<String, String> {
    let der = key
        .public_key_to_der()
        .map_err(|e| format!("cannot encode the public key: {e}"))?;
    let d = openssl::hash::hash(MessageDigest::sha256(), &der).map_err(|e| format!("SHA-256: {e}"))?;
    Ok(d.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":"))
}

/// Checks `pem`: one PKCS#10 request, signed by its own key (proof the agent holds it), ECDSA P-256.
pub fn check(pem: &str) -> Result<CheckedCsr, String> {
    let pem = pem.trim();
    if pem.is_empty() {
        return Err(
            "csr: missing (the agent creates its own key and sends a certificate signing request; \
                    update the agent)"
                .into(),
        );
    }
    if pem.len() > MAX_CSR_LEN {
        return Err(format!("csr: longer than {MAX_CSR_LEN} bytes"));
    }
    let req = X509Req::from_pem(pem.as_bytes())
        .map_err(|_| "csr: not a PEM certificate signing request".to_owned())?;
    let key = req
        .public_key()
        .map_err(|_| "csr: the request carries no usable public key".to_owned())?;
    let p256 = key
        .ec_key()
        .map(|ec| ec.group().curve_name() == Some(Nid::X9_62_PRIME256V1))
        .unwrap_or(false);
    if !p256 {
        return Err("csr: the key must be ECDSA P-256".into());
    }
    if !req.verify(&key).unwrap_or(false) {
        return Err("csr: the request's signature does not match its key".into());
    }
    Ok(CheckedCsr {
        pem: pem.to_owned(),
        fingerprint: key_fingerprint(&key)?,
    })
}

/// The public key of a stored CSR.
pub fn public_key(pem: &str) -> Result<PKey<Public>, String> {
    X509Req::from_pem(pem.as_bytes())
        .and_then(|r| r.public_key())
        .map_err(|e| format!("stored CSR is unusable: {e}"))
}

/// A valid CSR for a fresh P-256 key (tests).
#[cfg(test)]
pub(crate) fn test_csr() -> String {
    let g = openssl::ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let k = PKey::from_ec_key(openssl::ec::EcKey::generate(&g).unwrap()).unwrap();
    let mut b = openssl::x509::X509ReqBuilder::new().unwrap();
    b.set_pubkey(&k).unwrap();
    b.sign(&k, MessageDigest::sha256()).unwrap();
    String::from_utf8(b.build().to_pem().unwrap()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::x509::X509ReqBuilder;

    fn csr(key: &PKey<openssl::pkey::Private>, signer: &PKey<openssl::pkey::Private>) -> String {
        let mut b = X509ReqBuilder::new().unwrap();
        b.set_pubkey(key).unwrap();
        b.sign(signer, MessageDigest::sha256()).unwrap();
        String::from_utf8(b.build().to_pem().unwrap()).unwrap()
    }

    fn p256() -> PKey<openssl::pkey::Private> {
        let g = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        PKey::from_ec_key(EcKey::generate(&g).unwrap()).unwrap()
    }

    #[test]
    fn csrs_are_checked_and_fingerprinted() {
        let k = p256();
        let c = check(&csr(&k, &k)).unwrap();
        let pubk = PKey::public_key_from_der(&k.public_key_to_der().unwrap()).unwrap();
        assert_eq!(c.fingerprint, key_fingerprint(&pubk).unwrap());
        assert_eq!(c.fingerprint.len(), 95);
        assert!(check(&csr(&k, &p256())).unwrap_err().contains("signature"));
        assert!(check("").unwrap_err().contains("missing"));
        assert!(
            check("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----")
                .unwrap_err()
                .contains("not a PEM")
        );
        let rsa = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        assert!(check(&csr(&rsa, &rsa)).unwrap_err().contains("P-256"));
    }
}
