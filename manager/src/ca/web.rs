//! The console's own HTTPS certificate under `<data_dir>/tls/`, issued by the internal CA and renewed as needed.

use super::{build, files, CaError, InternalCa, IssueRequest, Usage};
use chrono::{DateTime, Duration, Utc};
use linux_patch_shared::clock::Clock;
use openssl::pkey::PKey;
use openssl::x509::{X509VerifyResult, X509};
use std::collections::HashSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Validity of the web certificate, days.
const WEB_DAYS: u32 = 365;
/// Re-issue when the certificate expires within this long.
const RENEW_BEFORE: Duration = Duration::days(30);

/// Where the console's HTTPS certificate is and whether this call (re)issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebCert {
    /// `<data_dir>/tls/web.pem`: the leaf, then the root CA.
    pub cert: PathBuf,
    /// `<data_dir>/tls/web.key`: the leaf's private key (PKCS#8, 0600).
    pub key: PathBuf,
    /// True when this call wrote a new certificate and key.
    pub issued: bool,
    /// End of the certificate's validity.
    pub not_after: DateTime<Utc>,
}

/// What to do with the certificate on disk.
enum Verdict {
    /// It is fine; it expires at the given time.
    Keep(DateTime<Utc>),
    /// It must be replaced, for the given reason.
    Reissue(String),
}

impl InternalCa {
    /// The console's own HTTPS certificate: `<data_dir>/tls/web.pem` (leaf then root CA, i.e. the chain) and
    /// `<data_dir>/tls/web.key` (0600, dir 0700). Issued on first call for `dns` + `ips` (server usage, 1-year
    /// validity); re-issued when it expires within 30 days (by `clock`), is not yet valid, is not signed by this
    /// CA, does not match its key, or does not cover every requested name/IP. At least one name or IP is required.
    pub fn ensure_web_cert(
        &self,
        data_dir: &Path,
        dns: &[String],
        ips: &[IpAddr],
        clock: &dyn Clock,
    ) -> Result<WebCert, CaError> {
        let common_name = match (dns.first(), ips.first()) {
            (Some(d), _) => d.clone(),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => {
                return Err(CaError(
                    "web certificate: no DNS name or IP address to issue it for".into(),
                ))
            }
        };
        let dir = data_dir.join("tls");
        files::private_dir(&dir)?;
        let cert = dir.join("web.pem");
        let key = dir.join("web.key");
        let now = clock.now();
        let reason = match self.check_web(&cert, &key, dns, ips, now)? {
            Verdict::Keep(not_after) => {
                return Ok(WebCert {
                    cert,
                    key,
                    issued: false,
                    not_after,
                });
            }
            Verdict::Reissue(reason) => reason,
        };
        let req = IssueRequest {
            common_name,
            dns: dns.to_vec(),
            ips: ips.to_vec(),
            usage: Usage::Server,
            days: WEB_DAYS,
        };
        let issued = self.issue(&req, clock)?;
        self.write_web_files(data_dir, &issued)?;
        log::info!(
            "{}: issued the console certificate (serial {}, until {}): {reason}",
            cert.display(),
            issued.serial,
            issued.not_after
        );
        Ok(WebCert {
            cert,
            key,
            issued: true,
            not_after: issued.not_after,
        })
    }

    /// Writes `issued` as the console's certificate: `<data_dir>/tls/web.key` (0600) first, then
    /// `<data_dir>/tls/web.pem` (leaf then root CA). A crash in between leaves a cert/key mismatch, which
    /// [`InternalCa::ensure_web_cert`] detects and repairs.
    pub(crate) fn write_web_files(&self, data_dir: &Path, issued: &super::Issued) -> Result<(), CaError> {
        let dir = data_dir.join("tls");
        files::private_dir(&dir)?;
        files::write_atomic(&dir.join("web.key"), issued.key_pem.as_bytes(), files::KEY_MODE)?;
        let chain = format!("{}{}", issued.cert_pem, self.root.cert_pem);
        files::write_atomic(&dir.join("web.pem"), chain.as_bytes(), files::CERT_MODE)
    }

    /// Decides whether the certificate and key at `cert_path`/`key_path` can stay.
    fn check_web(
        &self,
        cert_path: &Path,
        key_path: &Path,
        dns: &[String],
        ips: &[IpAddr],
        now: DateTime<Utc>,
    ) -> Result<Verdict, CaError> {
        let exists = |p: &Path| {
            p.try_exists()
                .map_err(|e| CaError::at(p, "cannot check whether the file exists", e))
        };
        if !exists(cert_path)? {
            return Ok(Verdict::Reissue("no certificate yet".into()));
        }
        if !exists(key_path)? {
            return Ok(Verdict::Reissue(format!("{} is missing", key_path.display())));
        }
        files::tighten_key_mode(key_path)?;
        let chain = match X509::stack_from_pem(&files::read(cert_path)?) {
            Ok(chain) => chain,
            Err(e) => return Ok(Verdict::Reissue(format!("unreadable certificate: {e}"))),
        };
        let Some(leaf) = chain.first() else {
            return Ok(Verdict::Reissue("no certificate in the file".into()));
        };
        let key = match PKey::private_key_from_pem(&files::read(key_path)?) {
            Ok(key) => key,
            Err(e) => return Ok(Verdict::Reissue(format!("unreadable key: {e}"))),
        };
        let pair = leaf.public_key().map(|pk| pk.public_eq(&key)).unwrap_or(false);
        if !pair {
            return Ok(Verdict::Reissue("the key does not match the certificate".into()));
        }
        let signed = self.root.cert.issued(leaf) == X509VerifyResult::OK
            && leaf.verify(&self.root.key).unwrap_or(false);
        if !signed {
            return Ok(Verdict::Reissue("not signed by the internal CA".into()));
        }
        let not_before = build::chrono_time(leaf.not_before())?;
        let not_after = build::chrono_time(leaf.not_after())?;
        if not_before > now {
            return Ok(Verdict::Reissue(format!("not valid before {not_before}")));
        }
        if not_after - now < RENEW_BEFORE {
            return Ok(Verdict::Reissue(format!("expires at {not_after}")));
        }
        let (have_dns, have_ips) = san_names(leaf);
        if let Some(d) = dns.iter().find(|d| !have_dns.contains(&d.to_ascii_lowercase())) {
            return Ok(Verdict::Reissue(format!("does not cover {d}")));
        }
        if let Some(ip) = ips.iter().find(|ip| !have_ips.contains(ip)) {
            return Ok(Verdict::Reissue(format!("does not cover {ip}")));
        }
        Ok(Verdict::Keep(not_after))
    }
}

/// The DNS names (lowercase) and IP addresses in a certificate's subjectAltName.
pub(crate) fn san_names(cert: &openssl::x509::X509Ref) -> (HashSet<String>, HashSet<IpAddr>) {
    let mut dns = HashSet::new();
    let mut ips = HashSet::new();
    for name in cert.subject_alt_names().iter().flatten() {
        if let Some(d) = name.dnsname() {
            dns.insert(d.to_ascii_lowercase());
        }
        match name.ipaddress() {
            Some(b) if b.len() == 4 => {
                let mut a = [0u8; 4];
                a.copy_from_slice(b);
                ips.insert(IpAddr::from(a));
            }
            Some(b) if b.len() == 16 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                ips.insert(IpAddr::from(a));
            }
            _ => {}
        }
    }
    (dns, ips)
}
