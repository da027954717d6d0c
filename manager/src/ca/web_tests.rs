//! Tests of the console's HTTPS certificate: first issue, reuse, renewal, new names, rustls compatibility.

use super::tests::{clock, verify};
use super::*;
use chrono::Duration;
use linux_patch_shared::tls;
use openssl::x509::X509PurposeId;
use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn names() -> (Vec<String>, Vec<IpAddr>) {
    (
        vec!["patch.example.org".into(), "localhost".into()],
        vec!["127.0.0.1".parse().unwrap()],
    )
}

#[test]
fn web_cert_is_issued_once_then_reused() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let ca = InternalCa::load_or_create(dir.path(), &c).unwrap();
    let (dns, ips) = names();
    let first = ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap();
    assert!(first.issued);
    assert_eq!(first.cert, dir.path().join("tls/web.pem"));
    assert_eq!(first.key, dir.path().join("tls/web.key"));
    assert_eq!(first.not_after, c.now() + Duration::days(365));
    assert_eq!(mode(&dir.path().join("tls")), 0o700);
    assert_eq!(mode(&first.key), 0o600);
    // The file is the chain: leaf, then the root CA.
    let chain = X509::stack_from_pem(&std::fs::read(&first.cert).unwrap()).unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[1].to_pem().unwrap(), ca.cert_pem().into_bytes());
    verify(&ca, &chain[0], c.now(), X509PurposeId::SSL_SERVER).unwrap();
    let (have_dns, have_ips) = web::san_names(&chain[0]);
    assert!(dns.iter().all(|d| have_dns.contains(d)));
    assert!(ips.iter().all(|ip| have_ips.contains(ip)));

    c.advance(Duration::days(100));
    let second = ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap();
    assert!(!second.issued);
    assert_eq!(second.not_after, first.not_after);
    // A subset of the names is covered too.
    let third = ca.ensure_web_cert(dir.path(), &dns[..1], &[], &c).unwrap();
    assert!(!third.issued);
}

#[test]
fn web_cert_is_reissued_20_days_before_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let ca = InternalCa::load_or_create(dir.path(), &c).unwrap();
    let (dns, ips) = names();
    let first = ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap();
    c.advance(Duration::days(365 - 31));
    assert!(!ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap().issued);
    c.advance(Duration::days(11)); // now 20 days before expiry
    assert_eq!(first.not_after - c.now(), Duration::days(20));
    let renewed = ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap();
    assert!(renewed.issued);
    assert_eq!(renewed.not_after, c.now() + Duration::days(365));
    assert!(!ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap().issued);
}

#[test]
fn web_cert_is_reissued_for_a_new_name_or_ip() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let ca = InternalCa::load_or_create(dir.path(), &c).unwrap();
    let (mut dns, mut ips) = names();
    assert!(ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap().issued);
    dns.push("console.example.org".into());
    assert!(ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap().issued);
    assert!(!ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap().issued);
    ips.push("::1".parse().unwrap());
    assert!(ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap().issued);
    let chain = X509::stack_from_pem(&std::fs::read(dir.path().join("tls/web.pem")).unwrap()).unwrap();
    let (have_dns, have_ips) = web::san_names(&chain[0]);
    assert!(have_dns.contains("console.example.org"));
    assert!(have_ips.contains(&"::1".parse::<IpAddr>().unwrap()));
}

#[test]
fn web_cert_from_another_ca_or_with_a_foreign_key_is_reissued() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let (dns, ips) = names();
    let other_dir = tempfile::tempdir().unwrap();
    let other = InternalCa::load_or_create(other_dir.path(), &c).unwrap();
    assert!(other.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap().issued);
    let ca = InternalCa::load_or_create(dir.path(), &c).unwrap();
    let web = ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap();
    assert!(web.issued, "a certificate from another CA must be replaced");
    assert!(!ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap().issued);
    // A key that does not match the certificate (e.g. a crash between the two writes).
    let stray = ca.issue(
        &IssueRequest {
            common_name: "x".into(),
            dns: vec!["x".into()],
            ips: vec![],
            usage: Usage::Server,
            days: 1,
        },
        &c,
    );
    std::fs::write(&web.key, stray.unwrap().key_pem).unwrap();
    assert!(ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap().issued);
    std::fs::remove_file(&web.key).unwrap();
    assert!(ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap().issued);
    assert_eq!(mode(&web.key), 0o600);
}

#[test]
fn web_cert_needs_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let ca = InternalCa::load_or_create(dir.path(), &c).unwrap();
    assert!(ca.ensure_web_cert(dir.path(), &[], &[], &c).is_err());
}

#[test]
fn rustls_server_config_builds_from_web_cert_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let ca = InternalCa::load_or_create(dir.path(), &c).unwrap();
    let (dns, ips) = names();
    let web = ca.ensure_web_cert(dir.path(), &dns, &ips, &c).unwrap();
    let certs = tls::load_certs(&web.cert).unwrap();
    assert_eq!(certs.len(), 2);
    let key = tls::load_key(&web.key).unwrap();
    rustls::ServerConfig::builder_with_provider(tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
}
