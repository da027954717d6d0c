//! Tests of the register's building blocks without a database: the CRL, renewal requests, key files.

use super::registry::{read_key, write_key};
use super::sans::{agent_request, renewal_request, sans_text};
use super::tests::clock;
use super::*;
use crate::db::models::Certificate;
use chrono::Duration;
use linux_patch_shared::clock::Clock;
use openssl::x509::{CrlStatus, X509Crl};
use std::os::unix::fs::PermissionsExt;

fn ca() -> (tempfile::TempDir, InternalCa) {
    let dir = tempfile::tempdir().unwrap();
    let ca = InternalCa::load_or_create(dir.path(), &clock()).unwrap();
    (dir, ca)
}

#[test]
fn crl_lists_the_revoked_serials_and_verifies_with_the_root_key() {
    let (dir, ca) = ca();
    let c = clock();
    let req = agent_request("web-01.example.lan", "10.0.0.5").unwrap();
    let revoked = ca.issue(&req, &c).unwrap();
    let kept = ca.issue(&req, &c).unwrap();
    let now = c.now();
    let pem = ca
        .sign_crl(&[(revoked.serial.clone(), now - Duration::hours(1))], now)
        .unwrap();
    let crl = X509Crl::from_pem(pem.as_bytes()).unwrap();
    let root = openssl::x509::X509::from_pem(ca.cert_pem().as_bytes()).unwrap();
    assert!(crl.verify(&root.public_key().unwrap()).unwrap());
    assert_eq!(
        crl.issuer_name().to_der().unwrap(),
        root.subject_name().to_der().unwrap()
    );
    let last = build::chrono_time(crl.last_update()).unwrap();
    let next = build::chrono_time(crl.next_update().unwrap()).unwrap();
    assert_eq!((last, next), (now, now + Duration::days(7)));
    let serials: Vec<String> = crl
        .get_revoked()
        .unwrap()
        .iter()
        .map(|r| {
            r.serial_number()
                .to_bn()
                .unwrap()
                .to_hex_str()
                .unwrap()
                .to_lowercase()
        })
        .collect();
    assert_eq!(serials, std::slice::from_ref(&revoked.serial));
    let rev = openssl::x509::X509::from_pem(revoked.cert_pem.as_bytes()).unwrap();
    let ok = openssl::x509::X509::from_pem(kept.cert_pem.as_bytes()).unwrap();
    assert!(matches!(crl.get_by_cert(&rev), CrlStatus::Revoked(_)));
    assert!(matches!(crl.get_by_cert(&ok), CrlStatus::NotRevoked));

    // An empty CRL is valid too, and `openssl crl` reads what we write.
    let empty = ca.sign_crl(&[], now).unwrap();
    assert!(X509Crl::from_pem(empty.as_bytes())
        .unwrap()
        .get_revoked()
        .is_none());
    ca.write_crl(&pem).unwrap();
    let path = dir.path().join("ca/crl.pem");
    let out = std::process::Command::new("openssl")
        .args(["crl", "-noout", "-text", "-CAfile"])
        .arg(dir.path().join("ca/ca.pem"))
        .arg("-in")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_uppercase();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(&revoked.serial.to_uppercase()), "{text}");
    assert!(!text.contains(&kept.serial.to_uppercase()));
    assert!(ca.sign_crl(&[("zz; rm".into(), now)], now).is_err());
}

#[test]
fn renewal_keeps_subject_and_sans() {
    let (_dir, ca) = ca();
    let req = IssueRequest {
        common_name: "db.example.lan".into(),
        dns: vec!["db.example.lan".into(), "db".into()],
        ips: vec!["10.0.0.9".parse().unwrap(), "fd00::9".parse().unwrap()],
        usage: Usage::Server,
        days: 365,
    };
    let first = ca.issue(&req, &clock()).unwrap();
    let again = renewal_request(&first.cert_pem, Usage::Server, 365).unwrap();
    assert_eq!(again, req);
    assert_eq!(
        sans_text(&again),
        "DNS:db.example.lan, DNS:db, IP:10.0.0.9, IP:fd00::9"
    );
    let later = clock();
    later.advance(Duration::days(340));
    let renewed = ca.issue(&again, &later).unwrap();
    assert_ne!(renewed.serial, first.serial);
    assert_eq!(
        renewal_request(&renewed.cert_pem, Usage::Server, 365).unwrap(),
        req
    );
    assert_eq!(renewed.not_after, later.now() + Duration::days(365));
}

#[test]
fn leaf_keys_are_private_files_named_by_serial() {
    let (dir, ca) = ca();
    let issued = ca.issue(&sans::manager_client_request(), &clock()).unwrap();
    let rel = write_key(dir.path(), &issued.serial, &issued.key_pem).unwrap();
    assert_eq!(rel, format!("certs/{}.key", issued.serial));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join(&rel)), 0o600);
    assert_eq!(mode(&dir.path().join("certs")), 0o700);
    let row = Certificate {
        id: 1,
        serial: issued.serial.clone(),
        kind: "manager_client".into(),
        subject: "linux-patch-manager".into(),
        sans: String::new(),
        host_id: None,
        cert_pem: issued.cert_pem.clone(),
        key_file: rel,
        not_before: clock().now(),
        not_after: issued.not_after,
        created_at: clock().now(),
        revoked_at: None,
        revoke_reason: None,
        superseded_by: None,
    };
    assert_eq!(read_key(dir.path(), &row).unwrap(), issued.key_pem);
    // A serial that is not hex never becomes a path.
    assert!(write_key(dir.path(), "../../etc/passwd", "x").is_err());
    assert!(write_key(dir.path(), "", "x").is_err());
}
