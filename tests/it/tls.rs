//! Transport: TLS 1.3 only, client certificates required and verified, allow-list at accept, audit of both.

use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::certs::{Ca, Leaf};
use linux_patch_tests::client::{self, connect, drain, request, tls13};
use std::net::IpAddr;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const LIMIT: Duration = Duration::from_secs(5);

/// Tries a request over a TLS session that the server should refuse; returns the plaintext received.
async fn refused_bytes(agent: &AgentProc, config: std::sync::Arc<rustls::ClientConfig>) -> Vec<u8> {
    match connect(agent.addr, config, None).await {
        // TLS 1.3: the client may finish its side before the server rejects its certificate.
        Ok(mut s) => {
            let _ = s
                .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .await;
            let (got, closed) = drain(&mut s, LIMIT).await;
            assert!(closed, "server kept the refused connection open");
            got
        }
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn allowed_client_with_valid_certificate_is_served_and_audited() {
    let agent = AgentProc::start(&AgentSetup::default());
    let ca = agent.pki.ca.cert_pem();
    let mut s = connect(agent.addr, tls13(&ca, Some(&agent.pki.client)), None)
        .await
        .unwrap();
    let r = request(
        &mut s,
        "GET",
        "/api/v1/health",
        &[("X-Request-ID", "tls-ok-1")],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["status"], "healthy");
    // keep-alive: a second request on the same connection
    let r2 = request(&mut s, "GET", "/api/v1/health", &[], b"").await.unwrap();
    assert_eq!(r2.status, 200);

    let rec = agent.wait_audit(LIMIT, |r| {
        r["event"] == "http.request" && r["request_id"] == "tls-ok-1"
    });
    assert_eq!(rec["client"], "CN=manager-test");
    assert_eq!(rec["source_ip"], "127.0.0.1");
    assert_eq!(rec["method"], "GET");
    assert_eq!(rec["path"], "/api/v1/health");
    assert_eq!(rec["status"], 200);
    assert!(rec["duration_ms"].as_f64().unwrap() >= 0.0);
    assert!(rec["cert_serial"].as_str().is_some_and(|s| !s.is_empty()));
}

#[tokio::test]
async fn tls12_client_is_refused() {
    let agent = AgentProc::start(&AgentSetup::default());
    let cfg = client::client_config(
        &agent.pki.ca.cert_pem(),
        Some(&agent.pki.client),
        &[&rustls::version::TLS12],
    );
    let res = connect(agent.addr, cfg, None).await;
    assert!(res.is_err(), "a TLS 1.2-only client completed a handshake");
    agent.wait_audit(LIMIT, |r| r["event"] == "tls.handshake_failed");
}

#[tokio::test]
async fn missing_wrong_ca_and_expired_client_certificates_get_no_http_bytes() {
    let agent = AgentProc::start(&AgentSetup::default());
    let ca = agent.pki.ca.cert_pem();
    let other = Ca::new("Some Other CA").issue(&Leaf::client("intruder"));
    let expired = agent.pki.ca.issue(&Leaf::client("old-client").expired());
    for (what, cert) in [
        ("no certificate", None),
        ("other CA", Some(&other)),
        ("expired", Some(&expired)),
    ] {
        let got = refused_bytes(&agent, tls13(&ca, cert)).await;
        assert!(
            got.is_empty(),
            "{what}: received application bytes: {:?}",
            String::from_utf8_lossy(&got)
        );
    }
    let failures = || -> Vec<String> {
        agent
            .audit_records()
            .into_iter()
            .filter(|r| r["event"] == "tls.handshake_failed")
            .map(|r| r["reason"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // The server audits after it has sent its alert: wait for the three records.
    agent.wait_audit(LIMIT, |_| failures().len() >= 3);
    let failures = failures();
    assert!(
        failures.iter().any(|r| r.contains("no certificates")),
        "{failures:?}"
    );
    assert!(
        failures.iter().any(|r| r.contains("UnknownIssuer")),
        "{failures:?}"
    );
    assert!(failures.iter().any(|r| r.contains("expired")), "{failures:?}");
    assert!(
        !agent.audit_records().iter().any(|r| r["event"] == "http.request"),
        "nothing was served"
    );
}

#[tokio::test]
async fn plain_http_gets_no_http_response() {
    let agent = AgentProc::start(&AgentSetup::default());
    let mut tcp = client::tcp(agent.addr, None).await.unwrap();
    tcp.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let (got, closed) = drain(&mut tcp, LIMIT).await;
    assert!(closed);
    assert!(
        !got.windows(5).any(|w| w == b"HTTP/"),
        "plain HTTP got an HTTP answer: {got:?}"
    );
    agent.wait_audit(LIMIT, |r| r["event"] == "tls.handshake_failed");
}

#[tokio::test]
async fn peer_not_on_allow_list_is_closed_before_any_byte() {
    let agent = AgentProc::start(&AgentSetup::default()); // allows 127.0.0.1 only
    let denied: IpAddr = "127.0.0.2".parse().unwrap();
    let mut tcp = client::tcp(agent.addr, Some(denied)).await.unwrap();
    // Nothing is sent by the client: the server must close without writing a single byte.
    let (got, closed) = drain(&mut tcp, LIMIT).await;
    assert!(closed, "connection from a denied address stayed open");
    assert!(got.is_empty(), "denied peer received {} bytes", got.len());
    // A full TLS attempt with a valid certificate fails too.
    let res = connect(
        agent.addr,
        tls13(&agent.pki.ca.cert_pem(), Some(&agent.pki.client)),
        Some(denied),
    )
    .await;
    assert!(res.is_err(), "denied address completed a TLS handshake");
    let rec = agent.wait_audit(LIMIT, |r| r["event"] == "net.denied");
    assert_eq!(rec["source_ip"], "127.0.0.2");
    assert!(rec["reason"].as_str().unwrap().contains("allow-list"));
    // The allowed address still works.
    let ok = client::get(
        agent.addr,
        &agent.pki.ca.cert_pem(),
        &agent.pki.client,
        "/api/v1/health",
    )
    .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn denial_floods_are_audited_at_a_bounded_rate() {
    let agent = AgentProc::start(&AgentSetup::default());
    let denied: IpAddr = "127.0.0.3".parse().unwrap();
    for _ in 0..150 {
        let mut tcp = client::tcp(agent.addr, Some(denied)).await.unwrap();
        let _ = drain(&mut tcp, LIMIT).await;
    }
    // The 150 connections were all refused; give the audit writer a moment to flush the last record.
    agent.wait_audit(LIMIT, |r| r["event"] == "net.denied");
    let logged = agent
        .audit_records()
        .iter()
        .filter(|r| r["event"] == "net.denied")
        .count();
    assert!(
        (1..=linux_patch_api::net::listener::DENIALS_AUDITED_PER_MINUTE as usize).contains(&logged),
        "{logged} denial records for 150 denied connections"
    );
}
