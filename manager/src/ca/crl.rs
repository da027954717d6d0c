//! The certificate revocation list: every revoked serial, signed by the root key, valid for 7 days.

use super::build::{asn1_time, ossl};
use super::{files, CaError, InternalCa, Signer};
use chrono::{DateTime, Duration, Utc};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::x509::extension::AuthorityKeyIdentifier;
use openssl::x509::{CrlNumber, X509Builder, X509CrlBuilder, X509RevokedBuilder};
use std::path::PathBuf;

/// How long a CRL is good for (nextUpdate - lastUpdate); the manager re-signs it daily and on every revocation.
pub(crate) const CRL_VALIDITY: Duration = Duration::days(7);

/// A serial number in lowercase hex as a BigNum (only hex digits are accepted).
pub(crate) fn serial_bn(serial: &str) -> Result<BigNum, CaError> {
    if serial.is_empty() || !serial.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CaError(format!("{serial:?} is not a hexadecimal serial number")));
    }
    BigNum::from_hex_str(serial).map_err(ossl("cannot parse a serial number"))
}

impl InternalCa {
    /// A CRL (PEM) listing `revoked` (serial in lowercase hex, revocation time), lastUpdate `now`, nextUpdate
    /// `now` + 7 days, CRL number = `now` in milliseconds (increases with time), signed by the root key.
    pub fn sign_crl(
        &self,
        revoked: &[(String, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<String, CaError> {
        self.sign_crl_by(Signer::Root, revoked, now)
    }

    /// The same CRL signed by `signer` (the agents' CA signs the one the manager checks agents against).
    pub fn sign_crl_by(
        &self,
        signer: Signer,
        revoked: &[(String, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<String, CaError> {
        let root = self.signer(signer);
        let mut b = X509CrlBuilder::new().map_err(ossl("cannot start a CRL"))?;
        b.set_issuer_name(root.cert.subject_name())
            .map_err(ossl("cannot set the CRL issuer"))?;
        b.set_last_update(&*asn1_time(now)?)
            .map_err(ossl("cannot set lastUpdate"))?;
        b.set_next_update(&*asn1_time(now + CRL_VALIDITY)?)
            .map_err(ossl("cannot set nextUpdate"))?;
        let ctx_holder = X509Builder::new().map_err(ossl("cannot start an extension context"))?;
        let aki = AuthorityKeyIdentifier::new()
            .keyid(true)
            .build(&ctx_holder.x509v3_context(Some(&root.cert), None))
            .map_err(ossl("CRL authorityKeyIdentifier"))?;
        b.append_extension(aki)
            .map_err(ossl("CRL authorityKeyIdentifier"))?;
        let number =
            BigNum::from_dec_str(&now.timestamp_millis().max(0).to_string()).map_err(ossl("CRL number"))?;
        let number = CrlNumber::new(number)
            .and_then(|n| n.build())
            .map_err(ossl("CRL number"))?;
        b.append_extension(number).map_err(ossl("CRL number"))?;
        for (serial, at) in revoked {
            let mut r = X509RevokedBuilder::new().map_err(ossl("cannot start a CRL entry"))?;
            let sn = serial_bn(serial)?
                .to_asn1_integer()
                .map_err(ossl("cannot encode a serial number"))?;
            r.set_serial_number(&sn)
                .map_err(ossl("cannot set a revoked serial"))?;
            r.set_revocation_date(&*asn1_time(*at)?)
                .map_err(ossl("cannot set a revocation date"))?;
            b.add_revoked(r.build()).map_err(ossl("cannot add a CRL entry"))?;
        }
        b.sort().map_err(ossl("cannot sort the CRL"))?;
        b.sign(&root.key, MessageDigest::sha256())
            .map_err(ossl("cannot sign the CRL"))?;
        let crl = b.build().map_err(ossl("cannot finish the CRL"))?;
        let pem = crl.to_pem().map_err(ossl("cannot encode the CRL"))?;
        String::from_utf8(pem).map_err(|e| CaError(format!("CRL PEM is not UTF-8: {e}")))
    }

    /// `<data_dir>/ca/crl.pem`.
    pub fn crl_path(&self) -> PathBuf {
        self.dir.join("crl.pem")
    }

    /// Writes `pem` to `<data_dir>/ca/crl.pem` atomically (mode 0644: public material).
    pub fn write_crl(&self, pem: &str) -> Result<(), CaError> {
        files::write_atomic(&self.crl_path(), pem.as_bytes(), files::CERT_MODE)
    }
}
