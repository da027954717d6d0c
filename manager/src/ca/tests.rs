//! Tests of the root CA (creation, reload, file modes, half-written pairs) and of leaf issuance.

use super::*;
use chrono::{DateTime, Duration, Utc};
use linux_patch_shared::clock::ManualClock;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509ExtendedKeyUsage, X509KeyUsage, X509PurposeId, X509StoreContext};
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// A clock stopped at 2026-03-01 noon UTC.
pub(super) fn clock() -> ManualClock {
    let t = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
        .unwrap()
        .to_utc();
    ManualClock::new(t)
}

/// `openssl x509 -in <file> <args>` with the real CLI; its stdout.
pub(super) fn openssl_x509(file: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .arg("x509")
        .arg("-in")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Verifies `leaf` against the CA at time `at` for `purpose`; Ok(()) or the openssl verify error.
pub(super) fn verify(
    ca: &InternalCa,
    leaf: &X509,
    at: DateTime<Utc>,
    purpose: X509PurposeId,
) -> Result<(), String> {
    let mut store = X509StoreBuilder::new().unwrap();
    store
        .add_cert(X509::from_pem(ca.cert_pem().as_bytes()).unwrap())
        .unwrap();
    let mut param = X509VerifyParam::new().unwrap();
    param.set_time(at.timestamp());
    param.set_purpose(purpose).unwrap();
    store.set_param(&param).unwrap();
    let store = store.build();
    let mut ctx = X509StoreContext::new().unwrap();
    let untrusted = Stack::new().unwrap();
    ctx.init(&store, leaf, &untrusted, |c| {
        Ok(if c.verify_cert()? {
            Ok(())
        } else {
            Err(c.error().to_string())
        })
    })
    .unwrap()
}

fn server_request() -> IssueRequest {
    IssueRequest {
        common_name: "host1.example.org".into(),
        dns: vec!["host1.example.org".into(), "host1".into()],
        ips: vec!["10.1.2.3".parse().unwrap(), "fd00::7".parse().unwrap()],
        usage: Usage::Server,
        days: 397,
    }
}

#[test]
fn create_then_reload_keeps_fingerprint_matching_openssl_cli() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let created = InternalCa::load_or_create(dir.path(), &c).unwrap();
    let reloaded = InternalCa::load_or_create(dir.path(), &c).unwrap();
    assert_eq!(created.fingerprint_sha256(), reloaded.fingerprint_sha256());
    assert_eq!(created.cert_pem(), reloaded.cert_pem());
    let cli = openssl_x509(
        &dir.path().join("ca/ca.pem"),
        &["-noout", "-fingerprint", "-sha256"],
    );
    let cli = cli.trim().split_once('=').unwrap().1;
    assert_eq!(created.fingerprint_sha256(), cli);
    assert_eq!(cli.len(), 32 * 3 - 1);
}

#[test]
fn key_file_is_0600_and_ca_dir_0700() {
    let dir = tempfile::tempdir().unwrap();
    InternalCa::load_or_create(dir.path(), &clock()).unwrap();
    assert_eq!(mode(&dir.path().join("ca")), 0o700);
    assert_eq!(mode(&dir.path().join("ca/ca.key")), 0o600);
    assert_eq!(mode(&dir.path().join("ca/agents-ca.key")), 0o600);
    // No temp files left behind: the root and the agents' CA, each certificate + key.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("ca"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
}

#[test]
fn root_is_p256_self_signed_ca_with_expected_extensions() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let ca = InternalCa::load_or_create(dir.path(), &c).unwrap();
    let key = PKey::private_key_from_pem(&std::fs::read(dir.path().join("ca/ca.key")).unwrap()).unwrap();
    assert_eq!(
        key.ec_key().unwrap().group().curve_name(),
        Some(openssl::nid::Nid::X9_62_PRIME256V1)
    );
    assert!(std::fs::read_to_string(dir.path().join("ca/ca.key"))
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(ca.root.cert.verify(&key).unwrap());
    assert_eq!(
        ca.root.cert.key_usage(),
        Some(X509KeyUsage::KEY_CERT_SIGN | X509KeyUsage::CRL_SIGN)
    );
    assert!(ca.root.cert.subject_key_id().is_some());
    let not_before = build::chrono_time(ca.root.cert.not_before()).unwrap();
    let not_after = build::chrono_time(ca.root.cert.not_after()).unwrap();
    assert_eq!(not_before, c.now() - Duration::minutes(5));
    assert_eq!(not_after.format("%Y-%m-%d").to_string(), "2036-03-01");
    let text = openssl_x509(&dir.path().join("ca/ca.pem"), &["-noout", "-text"]);
    assert!(
        text.contains("Subject: CN = Linux Patch Manager Root CA"),
        "{text}"
    );
    assert!(
        text.contains("Issuer: CN = Linux Patch Manager Root CA"),
        "{text}"
    );
    assert!(text.contains("ecdsa-with-SHA256"), "{text}");
    assert!(text.contains("NIST CURVE: P-256"), "{text}");
    assert!(
        text.contains("X509v3 Basic Constraints: critical\n                CA:TRUE"),
        "{text}"
    );
    assert!(
        text.contains("X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign"),
        "{text}"
    );
    assert!(text.contains("X509v3 Subject Key Identifier"), "{text}");
}

#[test]
fn issued_server_cert_verifies_and_carries_sans_and_eku() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let ca = InternalCa::load_or_create(dir.path(), &c).unwrap();
    let issued = ca.issue(&server_request(), &c).unwrap();
    let leaf = X509::from_pem(issued.cert_pem.as_bytes()).unwrap();
    verify(&ca, &leaf, c.now(), X509PurposeId::SSL_SERVER).unwrap();
    // Backdated by 5 minutes for clock skew, not more.
    verify(
        &ca,
        &leaf,
        c.now() - Duration::minutes(4),
        X509PurposeId::SSL_SERVER,
    )
    .unwrap();
    assert!(verify(
        &ca,
        &leaf,
        c.now() - Duration::minutes(6),
        X509PurposeId::SSL_SERVER
    )
    .is_err());
    // A server certificate is not a client certificate.
    assert!(verify(&ca, &leaf, c.now(), X509PurposeId::SSL_CLIENT).is_err());
    assert_eq!(leaf.extended_key_usage(), Some(X509ExtendedKeyUsage::SSL_SERVER));
    assert_eq!(leaf.key_usage(), Some(X509KeyUsage::DIGITAL_SIGNATURE));
    assert_eq!(
        leaf.authority_key_id().unwrap().as_slice(),
        ca.root.cert.subject_key_id().unwrap().as_slice()
    );
    let (dns, ips) = web::san_names(&leaf);
    assert_eq!(
        dns,
        ["host1.example.org", "host1"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert_eq!(ips, server_request().ips.into_iter().collect());
    assert_eq!(issued.not_after, c.now() + Duration::days(397));
    assert_eq!(build::chrono_time(leaf.not_after()).unwrap(), issued.not_after);
    // Serial: lowercase hex of a positive 128-bit number, matching the certificate.
    assert_eq!(issued.serial.len(), 32, "{}", issued.serial);
    assert!(issued
        .serial
        .chars()
        .all(|ch| ch.is_ascii_digit() || ('a'..='f').contains(&ch)));
    let cli_serial = openssl_x509_pem(&issued.cert_pem, &["-noout", "-serial"]);
    assert_eq!(
        cli_serial.trim().to_lowercase(),
        format!("serial={}", issued.serial)
    );
    // Fresh P-256 key in PKCS#8 that belongs to the certificate.
    assert!(issued.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let key = PKey::private_key_from_pem(issued.key_pem.as_bytes()).unwrap();
    assert!(build::is_p256(&key));
    assert!(leaf.public_key().unwrap().public_eq(&key));
    let text = openssl_x509_pem(&issued.cert_pem, &["-noout", "-text"]);
    assert!(text.contains("CA:FALSE"), "{text}");
    assert!(
        text.contains("X509v3 Key Usage: critical\n                Digital Signature"),
        "{text}"
    );
    assert!(text.contains("TLS Web Server Authentication"), "{text}");
    assert!(
        text.contains("IP Address:FD00:0:0:0:0:0:0:7") || text.contains("IP Address:fd00::7"),
        "{text}"
    );
}

/// `openssl x509` on a PEM string (written to a temp file).
fn openssl_x509_pem(pem: &str, args: &[&str]) -> String {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), pem).unwrap();
    openssl_x509(f.path(), args)
}

#[test]
fn issued_client_cert_is_client_only_and_serials_differ() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let ca = InternalCa::load_or_create(dir.path(), &c).unwrap();
    let req = IssueRequest {
        common_name: "Linux Patch Manager".into(),
        dns: vec![],
        ips: vec![],
        usage: Usage::Client,
        days: 30,
    };
    let a = ca.issue(&req, &c).unwrap();
    let b = ca.issue(&req, &c).unwrap();
    assert_ne!(a.serial, b.serial);
    assert_ne!(a.key_pem, b.key_pem);
    let leaf = X509::from_pem(a.cert_pem.as_bytes()).unwrap();
    verify(&ca, &leaf, c.now(), X509PurposeId::SSL_CLIENT).unwrap();
    assert!(verify(&ca, &leaf, c.now(), X509PurposeId::SSL_SERVER).is_err());
    assert_eq!(leaf.extended_key_usage(), Some(X509ExtendedKeyUsage::SSL_CLIENT));
    assert!(verify(
        &ca,
        &leaf,
        c.now() + Duration::days(31),
        X509PurposeId::SSL_CLIENT
    )
    .is_err());
}

#[test]
fn bad_requests_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let ca = InternalCa::load_or_create(dir.path(), &c).unwrap();
    let mut req = server_request();
    req.days = 0;
    assert!(ca.issue(&req, &c).unwrap_err().0.contains("at least 1 day"));
    let mut req = server_request();
    req.dns.push("bad name".into());
    assert!(ca.issue(&req, &c).unwrap_err().0.contains("not a DNS name"));
    let mut req = server_request();
    req.common_name = " ".into();
    assert!(ca.issue(&req, &c).is_err());
}
