//! jsonwebtoken's crypto for our tokens: EdDSA (Ed25519) only, through OpenSSL — installed as the process's
//! `CryptoProvider` so the crate's `rust_crypto` feature (which pulls the `rsa` crate) is not needed.

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use openssl::pkey::{Id, PKey, Private, Public};
use signature::{Error, Signer, Verifier};

/// The provider (no JWK support: we never parse JWKs).
static OPENSSL_EDDSA: CryptoProvider = CryptoProvider {
    signer_factory,
    verifier_factory,
    key_utils: KeyUtils::new_unimplemented(),
};

/// Installs the provider for this process (once; later calls change nothing).
pub fn install() {
    let _ = OPENSSL_EDDSA.install_default();
}

struct EdSigner(PKey<Private>);

impl Signer<Vec<u8>> for EdSigner {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, Error> {
        let mut s = openssl::sign::Signer::new_without_digest(&self.0).map_err(Error::from_source)?;
        s.sign_oneshot_to_vec(msg).map_err(Error::from_source)
    }
}

impl JwtSigner for EdSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct EdVerifier(PKey<Public>);

impl Verifier<Vec<u8>> for EdVerifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), Error> {
        let mut v = openssl::sign::Verifier::new_without_digest(&self.0).map_err(Error::from_source)?;
        match v.verify_oneshot(signature, msg) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::new()),
            Err(e) => Err(Error::from_source(e)),
        }
    }
}

impl JwtVerifier for EdVerifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

fn signer_factory(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    if *alg != Algorithm::EdDSA {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let pkey = PKey::private_key_from_der(key.as_bytes()).map_err(|_| ErrorKind::InvalidEddsaKey)?;
    if pkey.id() != Id::ED25519 {
        return Err(ErrorKind::InvalidEddsaKey.into());
    }
    Ok(Box::new(EdSigner(pkey)))
}

fn verifier_factory(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    if *alg != Algorithm::EdDSA {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let raw = key.try_get_as_bytes()?;
    let raw = raw.get(..32).ok_or(ErrorKind::InvalidEddsaKey)?;
    let pkey = PKey::public_key_from_raw_bytes(raw, Id::ED25519).map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(Box::new(EdVerifier(pkey)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_eddsa_is_signed_or_verified() {
        install();
        let claims = serde_json::json!({"sub": "1"});
        for alg in [Algorithm::HS256, Algorithm::RS256, Algorithm::ES256] {
            let r = jsonwebtoken::encode(
                &jsonwebtoken::Header::new(alg),
                &claims,
                &EncodingKey::from_secret(b"k"),
            );
            assert!(r.is_err(), "{alg:?} signed");
        }
        let Err(e) = verifier_factory(&Algorithm::HS256, &DecodingKey::from_secret(b"k")) else {
            panic!("HS256 verified");
        };
        assert_eq!(e.kind(), &ErrorKind::InvalidAlgorithm);
    }
}
