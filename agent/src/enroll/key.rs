//! The agent's own key: created here (ECDSA P-256), sent to the manager only as a certificate signing
//! request, its public-key fingerprint printed so the approving administrator can compare it.

use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::{X509NameBuilder, X509ReqBuilder, X509};

/// A fresh key and its CSR.
pub struct OwnKey {
    key: PKey<Private>,
    /// The CSR (PEM) for `POST /api/v1/enroll`.
    pub csr_pem: String,
    /// SHA-256 of the public key's SubjectPublicKeyInfo DER, uppercase hex pairs joined by ':' (the
    /// manager's approval page shows the same).
    pub fingerprint: String,
}

impl std::fmt::Debug for OwnKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnKey")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

fn ossl(what: &'static str) -> impl FnOnce(openssl::error::ErrorStack) -> String {
    move |e| format!("{what}: {e}")
}

impl OwnKey {
    /// A new P-256 key and a CSR for it with CN = `fqdn`.
    pub fn generate(fqdn: &str) -> Result<Self, String> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(ossl("P-256"))?;
        let key = PKey::from_ec_key(EcKey::generate(&group).map_err(ossl("key generation"))?)
            .map_err(ossl("key"))?;
        Self::with_key(key, fqdn)
    }

    /// A key saved before (PKCS#8 PEM, P-256) and a new CSR for it with CN = `fqdn`.
    pub fn from_key_pem(pem: &str, fqdn: &str) -> Result<Self, String> {
        let key = PKey::private_key_from_pem(pem.as_bytes()).map_err(ossl("saved key"))?;
        let p256 = key
            .ec_key()
            .map(|ec| ec.group().curve_name() == Some(Nid::X9_62_PRIME256V1))
            .unwrap_or(false);
        if !p256 {
            return Err("saved key: not an ECDSA P-256 key".into());
        }
        Self::with_key(key, fqdn)
    }

    fn with_key(key: PKey<Private>, fqdn: &str) -> Result<Self, String> {
        let mut name = X509NameBuilder::new().map_err(ossl("CSR name"))?;
        name.append_entry_by_nid(Nid::COMMONNAME, fqdn)
            .map_err(ossl("CSR common name"))?;
        let mut b = X509ReqBuilder::new().map_err(ossl("CSR"))?;
        b.set_subject_name(&name.build()).map_err(ossl("CSR subject"))?;
        b.set_pubkey(&key).map_err(ossl("CSR key"))?;
        b.sign(&key, MessageDigest::sha256())
            .map_err(ossl("CSR signature"))?;
        let csr_pem = String::from_utf8(b.build().to_pem().map_err(ossl("CSR PEM"))?)
            .map_err(|e| format!("CSR PEM: {e}"))?;
        let der = key.public_key_to_der().map_err(ossl("public key"))?;
        let d = openssl::hash::hash(MessageDigest::sha256(), &der).map_err(ossl("SHA-256"))?;
        let fingerprint = d.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
        Ok(Self {
            key,
            csr_pem,
            fingerprint,
        })
    }

    /// The private key, PKCS#8 PEM (written to `certs/server.key`, 0600).
    pub fn key_pem(&self) -> Result<String, String> {
        String::from_utf8(self.key.private_key_to_pem_pkcs8().map_err(ossl("key PEM"))?)
            .map_err(|e| format!("key PEM: {e}"))
    }

    /// Whether `cert_pem` certifies this key (the manager must not hand over a certificate for another).
    pub fn certified_by(&self, cert_pem: &str) -> bool {
        X509::from_pem(cert_pem.as_bytes())
            .and_then(|c| c.public_key())
            .map(|k| k.public_eq(&self.key))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_its_csr_and_fingerprint() {
        let k = OwnKey::generate("web-01.example.lan").unwrap();
        assert!(k.csr_pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
        assert_eq!(k.fingerprint.len(), 95);
        assert!(k.key_pem().unwrap().contains("PRIVATE KEY"));
        assert!(!k.certified_by("not a certificate"));
    }
}
