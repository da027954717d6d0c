//! The manager's internal certificate authority (openssl, ECDSA P-256): root CA, issued certificates.

pub mod agent_renewal;
mod build;
pub mod bundle;
mod crl;
mod files;
mod lifecycle;
pub mod names;
pub mod pinning;
pub mod registry;
pub mod runtime;
mod sans;
pub mod trust;
mod web;

#[cfg(test)]
mod load_tests;
#[cfg(test)]
mod register_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod web_tests;

pub use names::ConsoleNames;
pub use runtime::{load_trust, CaContext};
pub use web::WebCert;

use build::ossl;
use linux_patch_shared::clock::Clock;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use std::path::Path;

/// Why a CA operation failed (file path + reason); Display is a clear message for admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaError(pub String);

impl CaError {
    /// `<path>: <what>: <cause>`.
    pub(crate) fn at(path: &Path, what: &str, cause: impl std::fmt::Display) -> Self {
        Self(format!("{}: {what}: {cause}", path.display()))
    }
}

impl std::fmt::Display for CaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CaError {}

/// What an issued certificate is for (its extendedKeyUsage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// TLS server (serverAuth).
    Server,
    /// TLS client (clientAuth).
    Client,
}

/// A request for a leaf certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRequest {
    /// Subject common name.
    pub common_name: String,
    /// DNS names for the subjectAltName.
    pub dns: Vec<String>,
    /// IP addresses for the subjectAltName.
    pub ips: Vec<std::net::IpAddr>,
    /// Server or client certificate.
    pub usage: Usage,
    /// Validity in days from now (at least 1).
    pub days: u32,
}

/// A freshly issued certificate and its private key.
#[derive(Clone)]
pub struct Issued {
    /// The leaf certificate, PEM.
    pub cert_pem: String,
    /// The leaf's private key, PKCS#8 PEM.
    pub key_pem: String,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// End of validity.
    pub not_after: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("serial", &self.serial)
            .field("not_after", &self.not_after)
            .field("key_pem", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// One self-signed CA: certificate, key, PEM and fingerprint.
pub(crate) struct Root {
    pub(crate) cert: X509,
    pub(crate) key: PKey<Private>,
    pub(crate) cert_pem: String,
    fingerprint: String,
}

/// Which of the two roots signs a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// The root clients are told to trust (`ca/ca.pem`, served at `/ca.pem`): the console's certificate and
    /// the manager's client certificate, nothing an operator can obtain.
    Root,
    /// The agents' CA (`ca/agents-ca.pem`): agents' server certificates; trusted only by the manager.
    Agents,
}

/// The internal CA under `<data_dir>/ca/`: the root clients and agents trust (`ca.pem`), and the agents' CA
/// (`agents-ca.pem`), a separate root that signs agents' server certificates and that only the manager trusts
/// (DESIGN §5.4: no certificate an operator can obtain chains to what browsers or agents trust).
pub struct InternalCa {
    root: Root,
    agents: Root,
    /// `<data_dir>/ca/` (the CRL is written there).
    dir: std::path::PathBuf,
}

impl std::fmt::Debug for InternalCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InternalCa")
            .field("fingerprint_sha256", &self.root.fingerprint)
            .field("agents_fingerprint_sha256", &self.agents.fingerprint)
            .finish_non_exhaustive()
    }
}

impl InternalCa {
    /// Loads `<data_dir>/ca/ca.pem` + `ca.key` and `agents-ca.pem` + `agents-ca.key`, or creates each pair
    /// that does not exist yet: ECDSA P-256 key, self-signed, 10-year validity. Directory `ca/` is 0700, the
    /// keys 0600 (written atomically with that mode from creation). A half-written pair (one file without the
    /// other) is an error naming the missing file, never silently replaced.
    pub fn load_or_create(data_dir: &Path, clock: &dyn Clock) -> Result<Self, CaError> {
        let dir = data_dir.join("ca");
        files::private_dir(&dir)?;
        let root = Root::load_or_create(&dir, "ca", build::ROOT_CN, clock)?;
        let agents = Root::load_or_create(&dir, "agents-ca", build::AGENTS_CN, clock)?;
        Ok(Self { root, agents, dir })
    }

    /// The root certificate (what clients and agents trust), PEM.
    pub fn cert_pem(&self) -> String {
        self.root.cert_pem.clone()
    }

    /// The agents' CA certificate (what the manager trusts for agents' server certificates), PEM.
    pub fn agents_cert_pem(&self) -> String {
        self.agents.cert_pem.clone()
    }

    /// SHA-256 fingerprint of the root certificate's DER: uppercase hex pairs joined by ':'
    /// (as `openssl x509 -fingerprint -sha256` prints).
    pub fn fingerprint_sha256(&self) -> String {
        self.root.fingerprint.clone()
    }

    /// The root of `signer`.
    pub(crate) fn signer(&self, signer: Signer) -> &Root {
        match signer {
            Signer::Root => &self.root,
            Signer::Agents => &self.agents,
        }
    }

    /// Issues a leaf certificate + fresh P-256 key signed by the root.
    pub fn issue(&self, req: &IssueRequest, clock: &dyn Clock) -> Result<Issued, CaError> {
        self.issue_by(Signer::Root, req, clock)
    }

    /// Issues a leaf certificate + fresh P-256 key signed by `signer`.
    pub fn issue_by(&self, signer: Signer, req: &IssueRequest, clock: &dyn Clock) -> Result<Issued, CaError> {
        let key = build::new_key()?;
        let (cert_pem, serial, not_after) = self.sign(signer, req, &key, clock)?;
        let key_pem = String::from_utf8(
            key.private_key_to_pem_pkcs8()
                .map_err(ossl("cannot encode the key"))?,
        )
        .map_err(|e| CaError(format!("PEM is not UTF-8: {e}")))?;
        Ok(Issued {
            cert_pem,
            key_pem,
            serial,
            not_after,
        })
    }

    /// Signs a certificate for someone else's public key (a CSR's, or a certificate's being renewed): PEM,
    /// serial (lowercase hex), end of validity. Only P-256 keys are accepted.
    pub fn sign<T: openssl::pkey::HasPublic>(
        &self,
        signer: Signer,
        req: &IssueRequest,
        public: &openssl::pkey::PKeyRef<T>,
        clock: &dyn Clock,
    ) -> Result<(String, String, chrono::DateTime<chrono::Utc>), CaError> {
        let p256 = public
            .ec_key()
            .map(|ec| ec.group().curve_name() == Some(openssl::nid::Nid::X9_62_PRIME256V1))
            .unwrap_or(false);
        if !p256 {
            return Err(CaError("the public key is not an ECDSA P-256 key".into()));
        }
        let root = self.signer(signer);
        let cert = build::leaf_cert(req, public, &root.cert, &root.key, clock.now())?;
        let pem = String::from_utf8(cert.to_pem().map_err(ossl("cannot encode the certificate"))?)
            .map_err(|e| CaError(format!("PEM is not UTF-8: {e}")))?;
        Ok((
            pem,
            build::serial_hex(&cert)?,
            build::chrono_time(cert.not_after())?,
        ))
    }
}

impl Root {
    /// `<dir>/<stem>.pem` + `<dir>/<stem>.key`, loaded or created (named `cn`).
    fn load_or_create(dir: &Path, stem: &str, cn: &str, clock: &dyn Clock) -> Result<Self, CaError> {
        let cert_path = dir.join(format!("{stem}.pem"));
        let key_path = dir.join(format!("{stem}.key"));
        let exists = |p: &Path| {
            p.try_exists()
                .map_err(|e| CaError::at(p, "cannot check whether the file exists", e))
        };
        match (exists(&cert_path)?, exists(&key_path)?) {
            (true, true) => Self::load(&cert_path, &key_path, clock),
            (false, false) => Self::create(cn, &cert_path, &key_path, clock),
            (true, false) => Err(CaError(format!(
                "{}: root CA private key is missing although {} exists; restore it from backup \
                 (or remove both files to create a new CA, which invalidates every issued certificate)",
                key_path.display(),
                cert_path.display()
            ))),
            (false, true) => Err(CaError(format!(
                "{}: root CA certificate is missing although {} exists; restore it from backup \
                 (or remove both files to create a new CA, which invalidates every issued certificate)",
                cert_path.display(),
                key_path.display()
            ))),
        }
    }

    /// Reads and checks an existing pair.
    fn load(cert_path: &Path, key_path: &Path, clock: &dyn Clock) -> Result<Self, CaError> {
        files::tighten_key_mode(key_path)?;
        let cert_bytes = files::read(cert_path)?;
        let cert =
            X509::from_pem(&cert_bytes).map_err(|e| CaError::at(cert_path, "not a PEM certificate", e))?;
        let key = PKey::private_key_from_pem(&files::read(key_path)?)
            .map_err(|e| CaError::at(key_path, "not a PEM private key", e))?;
        if !build::is_p256(&key) {
            return Err(CaError(format!(
                "{}: root CA key is not an ECDSA P-256 key",
                key_path.display()
            )));
        }
        let matches = cert
            .public_key()
            .map(|pk| pk.public_eq(&key))
            .map_err(|e| CaError::at(cert_path, "cannot read the public key", e))?;
        if !matches {
            return Err(CaError(format!(
                "{}: private key does not belong to the certificate {}",
                key_path.display(),
                cert_path.display()
            )));
        }
        let not_after = build::chrono_time(cert.not_after())?;
        if not_after <= clock.now() {
            log::warn!("{}: root CA expired at {not_after}", cert_path.display());
        }
        let cert_pem = String::from_utf8(cert.to_pem().map_err(ossl("cannot encode the root CA"))?)
            .map_err(|e| CaError::at(cert_path, "PEM is not UTF-8", e))?;
        let fingerprint = fingerprint(&cert)?;
        Ok(Self {
            cert,
            key,
            cert_pem,
            fingerprint,
        })
    }

    /// Generates a new key and self-signed root; the key is written first so a crash leaves a detectable state.
    fn create(cn: &str, cert_path: &Path, key_path: &Path, clock: &dyn Clock) -> Result<Self, CaError> {
        let key = build::new_key()?;
        let cert = build::root_cert(cn, &key, clock.now())?;
        let key_pem = key
            .private_key_to_pem_pkcs8()
            .map_err(ossl("cannot encode the root CA key"))?;
        let cert_pem = cert.to_pem().map_err(ossl("cannot encode the root CA"))?;
        files::write_atomic(key_path, &key_pem, files::KEY_MODE)?;
        files::write_atomic(cert_path, &cert_pem, files::CERT_MODE)?;
        log::info!("created the CA {cn:?} in {}", cert_path.display());
        let cert_pem =
            String::from_utf8(cert_pem).map_err(|e| CaError::at(cert_path, "PEM is not UTF-8", e))?;
        let fingerprint = fingerprint(&cert)?;
        Ok(Self {
            cert,
            key,
            cert_pem,
            fingerprint,
        })
    }
}

/// SHA-256 of a certificate's DER as uppercase hex pairs joined by ':'.
fn fingerprint(cert: &X509) -> Result<String, CaError> {
    let d = cert
        .digest(MessageDigest::sha256())
        .map_err(ossl("cannot digest the root CA"))?;
    Ok(d.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":"))
}
