//! Loading a reload candidate: `config.yaml`, `whitelist.yaml` and a TLS configuration built from the
//! certificates, all validated before anything is swapped; a refusal says which file, line and field.

use crate::config::tls_config;
use crate::config::{AgentConfig, ConfigError, TlsPaths};
use crate::paths::Paths;
use std::fmt;
use std::path::PathBuf;

/// SHA-256 over the certificate files' paths and contents: notices certificates replaced in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsDigest([u8; 32]);

impl TlsDigest {
    /// A digest with the given value (for tests and comparisons).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Digest of the CA, certificate, key and CRL files named by `tls`.
    pub fn of(tls: &TlsPaths) -> Result<Self, Refusal> {
        let mut h = openssl::sha::Sha256::new();
        for path in [&tls.ca_cert, &tls.server_cert, &tls.server_key]
            .into_iter()
            .chain(tls.crl.as_ref())
        {
            let bytes = std::fs::read(path).map_err(|e| Refusal {
                file: Some(path.clone()),
                line: None,
                field: None,
                error: format!("{}: cannot read: {e}", path.display()),
                cert_paths: Some(Box::new(tls.clone())),
            })?;
            h.update(path.as_os_str().as_encoded_bytes());
            h.update(&[0]);
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
        Ok(Self(h.finish()))
    }
}

/// A configuration that passed every check and can be swapped in.
#[derive(Debug)]
pub struct Candidate {
    /// `config.yaml` + `whitelist.yaml`, validated.
    pub cfg: AgentConfig,
    /// The TLS configuration built from the certificates it names.
    pub tls: rustls::ServerConfig,
    /// The certificates' contents, to notice in-place replacements next time.
    pub digest: TlsDigest,
}

/// Why a candidate was refused, located as precisely as the failed check allows.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The file at fault, when known.
    pub file: Option<PathBuf>,
    /// 1-based line in that file, when known.
    pub line: Option<usize>,
    /// Dotted field (`server.prot`, `allow[1]`), when the error is about one field.
    pub field: Option<String>,
    /// The whole message for a human: file, line, field and what is wrong.
    pub error: String,
    /// Certificate paths named by an otherwise valid configuration (so their directories can be
    /// watched while the certificates are not usable yet).
    pub cert_paths: Option<Box<TlsPaths>>,
}

impl Refusal {
    /// A refusal not tied to a file (e.g. the loading task failed).
    pub fn other(error: impl Into<String>) -> Self {
        Self {
            file: None,
            line: None,
            field: None,
            error: error.into(),
            cert_paths: None,
        }
    }

    /// A certificate refusal; the file is the configured path the message starts with.
    fn tls(tls: &TlsPaths, error: String) -> Self {
        let file = [&tls.server_cert, &tls.server_key, &tls.ca_cert]
            .into_iter()
            .chain(tls.crl.as_ref())
            .find(|p| error.starts_with(&p.display().to_string()))
            .cloned();
        Self {
            file,
            line: None,
            field: None,
            error,
            cert_paths: Some(Box::new(tls.clone())),
        }
    }
}

impl PartialEq for Refusal {
    /// Two refusals are the same when they say the same thing about the same place.
    fn eq(&self, other: &Self) -> bool {
        self.error == other.error
    }
}

impl From<ConfigError> for Refusal {
    fn from(e: ConfigError) -> Self {
        Self {
            error: e.to_string(),
            file: Some(e.file),
            line: e.line,
            field: e.field,
            cert_paths: None,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error)
    }
}

/// Reads and validates everything a reload would swap in (blocking: file reads, host-name resolution).
pub fn load(paths: &Paths) -> Result<Candidate, Refusal> {
    let cfg = AgentConfig::load(paths)?;
    let digest = TlsDigest::of(&cfg.tls)?;
    let tls = tls_config(&cfg).map_err(|e| Refusal::tls(&cfg.tls, e.to_string()))?;
    Ok(Candidate { cfg, tls, digest })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::Path;

    /// Writes a self-signed certificate usable as CA and server certificate, and its key.
    pub(crate) fn write_self_signed(cert: &Path, key: &Path) {
        use openssl::{asn1, bn, ec, hash, nid, pkey, x509};
        let group = ec::EcGroup::from_curve_name(nid::Nid::X9_62_PRIME256V1).unwrap();
        let k = pkey::PKey::from_ec_key(ec::EcKey::generate(&group).unwrap()).unwrap();
        let mut name = x509::X509NameBuilder::new().unwrap();
        name.append_entry_by_nid(nid::Nid::COMMONNAME, "reload-test")
            .unwrap();
        let name = name.build();
        let mut b = x509::X509::builder().unwrap();
        b.set_version(2).unwrap();
        let serial = bn::BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap();
        b.set_serial_number(&serial).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&k).unwrap();
        b.set_not_before(&asn1::Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&asn1::Asn1Time::days_from_now(30).unwrap())
            .unwrap();
        let ca = x509::extension::BasicConstraints::new().critical().ca().build();
        b.append_extension(ca.unwrap()).unwrap();
        b.sign(&k, hash::MessageDigest::sha256()).unwrap();
        std::fs::write(cert, b.build().to_pem().unwrap()).unwrap();
        std::fs::write(key, k.private_key_to_pem_pkcs8().unwrap()).unwrap();
    }

    /// A prefix with a valid config, allow-list and certificates; returns it and its paths.
    pub(crate) fn valid_prefix() -> (tempfile::TempDir, Paths) {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path(), None);
        let certs = paths.config_dir.join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        write_self_signed(&certs.join("server.pem"), &certs.join("server.key"));
        std::fs::copy(certs.join("server.pem"), certs.join("ca.pem")).unwrap();
        std::fs::write(&paths.config_file, "logging: { level: info }\n").unwrap();
        std::fs::write(&paths.whitelist_file, "allow:\n  - 127.0.0.1\n").unwrap();
        (dir, paths)
    }

    #[test]
    fn a_valid_prefix_loads_and_its_digest_follows_the_contents() {
        let (_d, paths) = valid_prefix();
        let c = load(&paths).unwrap();
        assert!(c.cfg.allow.allows("127.0.0.1".parse().unwrap()));
        assert_eq!(load(&paths).unwrap().digest, c.digest, "same files, same digest");
        let certs = paths.config_dir.join("certs");
        write_self_signed(&certs.join("server.pem"), &certs.join("server.key"));
        assert_ne!(load(&paths).unwrap().digest, c.digest, "new key pair, new digest");
    }

    #[test]
    fn config_errors_keep_file_line_and_field() {
        let (_d, paths) = valid_prefix();
        std::fs::write(&paths.config_file, "logging:\n  level: info\n  colour: red\n").unwrap();
        let r = load(&paths).unwrap_err();
        assert_eq!(r.file.as_deref(), Some(paths.config_file.as_path()));
        assert_eq!(r.line, Some(3), "{r}");
        assert_eq!(r.field.as_deref(), Some("logging.colour"), "{r}");
        assert!(r.error.contains("unknown field `colour`"), "{r}");
        assert!(r.cert_paths.is_none());
    }

    #[test]
    fn broken_certificates_are_refused_naming_the_file() {
        let (_d, paths) = valid_prefix();
        let cert = paths.config_dir.join("certs/server.pem");
        std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n").unwrap();
        let r = load(&paths).unwrap_err();
        assert_eq!(r.file.as_deref(), Some(cert.as_path()), "{r}");
        assert!(
            r.cert_paths.is_some(),
            "the valid config's certificate paths are kept"
        );

        std::fs::remove_file(&cert).unwrap();
        let r = load(&paths).unwrap_err();
        assert_eq!(r.file.as_deref(), Some(cert.as_path()), "{r}");
        assert!(r.error.contains("cannot read"), "{r}");
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let (d, paths) = valid_prefix();
        let other = d.path().join("other.pem");
        write_self_signed(&other, &paths.config_dir.join("certs/server.key"));
        let r = load(&paths).unwrap_err();
        assert!(r.error.contains("do not form a usable pair"), "{r}");
    }
}
