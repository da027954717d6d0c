//! The real `linux-patch-manager serve`: TLS 1.3 only with the internal CA's certificate, allow-list
//! closing unlisted peers before any byte, the root CA download, and the embedded database across restarts.

use linux_patch_tests::client::{self, drain, request};
use linux_patch_tests::manager::{cli, ManagerProc};
use linux_patch_tests::pg::postgres_processes_under;
use std::time::Duration;

#[actix_web::test]
async fn serves_tls13_with_its_own_ca_and_refuses_tls12() {
    let m = ManagerProc::start();
    let ca = m.ca();
    let mut s = client::connect(m.addr, client::tls13(&ca, None), None)
        .await
        .unwrap();
    let r = request(&mut s, "GET", "/api/v1/health", &[], b"").await.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let fp = r.json()["data"]["ca_fingerprint"].as_str().unwrap().to_owned();
    assert!(
        m.stdout().contains(&fp),
        "the fingerprint printed at start is the one served"
    );
    assert_eq!(r.header("strict-transport-security"), Some("max-age=31536000"));
    let pem = request(&mut s, "GET", "/ca.pem", &[], b"").await.unwrap();
    assert_eq!(String::from_utf8_lossy(&pem.body), ca);
    let login = request(&mut s, "GET", "/login", &[], b"").await.unwrap();
    assert_eq!(login.status, 200);
    let c = login.header("set-cookie").unwrap();
    assert!(
        c.starts_with("__Host-")
            && c.contains("Secure")
            && c.contains("HttpOnly")
            && c.contains("SameSite=Strict"),
        "{c}"
    );

    let tls12 = client::client_config(&ca, None, &[&rustls::version::TLS12]);
    assert!(
        client::connect(m.addr, tls12, None).await.is_err(),
        "TLS 1.2 must be refused"
    );
    // A client that does not trust the manager's CA cannot complete the handshake either.
    let other = linux_patch_tests::certs::Ca::new("someone else").cert_pem();
    assert!(client::connect(m.addr, client::tls13(&other, None), None)
        .await
        .is_err());
}

#[actix_web::test]
async fn closes_peers_not_on_the_allow_list_without_a_byte() {
    let m = ManagerProc::start_with_allow(&["127.0.0.1"]);
    let mut tcp = client::tcp(m.addr, Some("127.0.0.2".parse().unwrap()))
        .await
        .unwrap();
    let (bytes, closed) = drain(&mut tcp, Duration::from_secs(5)).await;
    assert!(
        bytes.is_empty() && closed,
        "got {} bytes, closed={closed}",
        bytes.len()
    );
    for _ in 0..200 {
        if m.stderr().contains("127.0.0.2") {
            break;
        }
        linux_patch_tests::agent::wait_a_little();
    }
    assert!(
        m.stderr().contains("connection from 127.0.0.2 refused"),
        "{}",
        m.stderr()
    );
    // 127.0.0.1 still works.
    assert!(client::connect(m.addr, client::tls13(&m.ca(), None), None)
        .await
        .is_ok());
}

#[actix_web::test]
async fn embedded_database_survives_a_restart_and_stops_with_the_manager() {
    let mut m = ManagerProc::start_embedded();
    let data = m.prefix().join("var/lib/linux_patch_manager/postgres");
    assert!(
        data.join("PG_VERSION").exists(),
        "initdb ran into data_dir/postgres"
    );
    assert!(
        !postgres_processes_under(&data).is_empty(),
        "the cluster runs while the manager does"
    );
    m.stop();
    let left = postgres_processes_under(&data);
    assert!(
        left.is_empty(),
        "the cluster stopped with the manager: {left:?}\n{}",
        m.stderr()
    );
    m.restart();
    let again = cli(m.prefix(), &["user", "create", "--admin", "admin"]);
    assert_eq!(
        again.status.code(),
        Some(5),
        "the first admin is still there after the restart"
    );
    let mut s = client::connect(m.addr, client::tls13(&m.ca(), None), None)
        .await
        .unwrap();
    let r = request(&mut s, "GET", "/api/v1/health", &[], b"").await.unwrap();
    assert_eq!(r.status, 200);
    m.stop();
    assert_eq!(postgres_processes_under(&data), Vec::<String>::new());
}
