//! Hot reload of the running agent: allow-list, certificates and log level change without a restart;
//! invalid files are refused (audited, old configuration kept); listen changes wait for a restart.

use linux_patch_tests::agent::{wait_a_little, AgentProc, AgentSetup};
use linux_patch_tests::certs::{Ca, Issued, Leaf};
use linux_patch_tests::client::{self, connect, drain, request, tls13};
use serde_json::Value;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Longest a change may take to show (debounce 300 ms + loading); generous for loaded CI machines.
const LIMIT: Duration = Duration::from_secs(5);

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Whether a new mTLS connection from `source`, trusting `ca_pem` and presenting `cert`, gets a 200.
async fn served(agent: &AgentProc, source: IpAddr, ca_pem: &str, cert: &Issued) -> bool {
    let attempt = async {
        let mut s = connect(agent.addr, tls13(ca_pem, Some(cert)), Some(source))
            .await
            .ok()?;
        request(&mut s, "GET", "/api/v1/health", &[], b"").await.ok()
    };
    matches!(tokio::time::timeout(LIMIT, attempt).await, Ok(Some(r)) if r.status == 200)
}

/// Polls until `served` gives `want`; returns how long it took.
async fn wait_served(agent: &AgentProc, source: IpAddr, ca_pem: &str, cert: &Issued, want: bool) -> Duration {
    let start = Instant::now();
    while served(agent, source, ca_pem, cert).await != want {
        assert!(
            start.elapsed() < LIMIT,
            "still served={} from {source} after {LIMIT:?}:\n{}",
            !want,
            agent.logs()
        );
        wait_a_little();
    }
    start.elapsed()
}

/// Waits for the `n`-th record of `event` and returns it.
fn wait_nth(agent: &AgentProc, event: &str, n: usize) -> Value {
    agent.wait_audit(LIMIT, |_| agent.audit_events(event).len() >= n);
    agent.audit_events(event).swap_remove(n - 1)
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn removed_allow_list_entry_refuses_new_connections_at_once() {
    let agent = AgentProc::start(&AgentSetup::default()); // allows 127.0.0.1
    let (ca, cert) = (agent.pki.ca.cert_pem(), &agent.pki.client);
    assert!(served(&agent, ip("127.0.0.1"), &ca, cert).await);
    // A keep-alive connection opened before the change...
    let mut kept = client::connect(agent.addr, client::tls13(&ca, Some(cert)), Some(ip("127.0.0.1")))
        .await
        .unwrap();
    assert_eq!(
        client::request(&mut kept, "GET", "/api/v1/health", &[], b"")
            .await
            .unwrap()
            .status,
        200
    );

    agent.replace_etc_file("whitelist.yaml", b"allow:\n  - 127.0.0.2\n");
    let took = wait_served(&agent, ip("127.0.0.1"), &ca, cert, false).await;
    // ...is refused on its next request and closed.
    let r = client::request(&mut kept, "GET", "/api/v1/health", &[], b"")
        .await
        .unwrap();
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["error"]["code"], "FORBIDDEN");
    assert_eq!(r.header("connection"), Some("close"));
    eprintln!("allow-list removal took effect after {took:?}");
    // Refused at accept: closed before a single byte, even though the client sends nothing.
    let mut tcp = client::tcp(agent.addr, Some(ip("127.0.0.1"))).await.unwrap();
    let (got, closed) = drain(&mut tcp, LIMIT).await;
    assert!(closed && got.is_empty(), "closed={closed}, {} bytes", got.len());
    assert!(
        served(&agent, ip("127.0.0.2"), &ca, cert).await,
        "the new entry is allowed"
    );

    let rec = wait_nth(&agent, "config.reloaded", 1);
    assert_eq!(strings(&rec["changed"]), ["allow"], "{rec}");
    assert_eq!(strings(&rec["applied_live"]), ["allow"], "{rec}");
    assert!(strings(&rec["restart_required"]).is_empty(), "{rec}");
    assert!(strings(&rec["trigger"]).contains(&"whitelist.yaml"), "{rec}");
    assert_eq!(rec["allow_entries"], 1);
    agent.wait_audit(LIMIT, |r| {
        r["event"] == "net.denied" && r["source_ip"] == "127.0.0.1"
    });

    agent.replace_etc_file("whitelist.yaml", b"allow:\n  - 127.0.0.1\n");
    let took = wait_served(&agent, ip("127.0.0.1"), &ca, cert, true).await;
    eprintln!("allow-list restore took effect after {took:?}");
    wait_nth(&agent, "config.reloaded", 2);
}

#[tokio::test]
async fn invalid_config_or_allow_list_is_refused_and_the_old_one_kept() {
    let agent = AgentProc::start(&AgentSetup::default());
    let (ca, cert) = (agent.pki.ca.cert_pem(), &agent.pki.client);
    let config = agent.etc().join("config.yaml");
    let good = std::fs::read_to_string(&config).unwrap();
    let bad = good.replace(
        "logging: { level: debug }",
        "logging: { level: debug }\nsecurity2: 1",
    );
    assert_ne!(bad, good);
    std::fs::write(&config, bad).unwrap(); // in place, as an editor without backup files does

    let rec = wait_nth(&agent, "config.rejected", 1);
    assert_eq!(rec["file"], config.display().to_string(), "{rec}");
    assert_eq!(rec["line"], 4, "{rec}");
    assert_eq!(rec["field"], "security2", "{rec}");
    let error = rec["error"].as_str().unwrap();
    assert!(error.contains("unknown field `security2`"), "{rec}");
    assert!(
        agent.stderr().contains("refused"),
        "warning logged:\n{}",
        agent.stderr()
    );
    assert!(served(&agent, ip("127.0.0.1"), &ca, cert).await, "still serving");
    assert!(
        agent.audit_events("config.reloaded").is_empty(),
        "nothing was applied"
    );

    // Back to valid: the recovery is audited even though nothing differs from what runs.
    std::fs::write(&config, &good).unwrap();
    let rec = wait_nth(&agent, "config.reloaded", 1);
    assert!(strings(&rec["changed"]).is_empty(), "{rec}");

    // An IPv6 entry refuses the whole list: 127.0.0.2 (also in it) must stay denied.
    agent.replace_etc_file(
        "whitelist.yaml",
        b"allow:\n  - 127.0.0.1\n  - 127.0.0.2\n  - \"::1\"\n",
    );
    let rec = wait_nth(&agent, "config.rejected", 2);
    let whitelist = agent.etc().join("whitelist.yaml");
    assert_eq!(rec["file"], whitelist.display().to_string(), "{rec}");
    assert_eq!(rec["line"], 4, "{rec}");
    assert_eq!(rec["field"], "allow[2]", "{rec}");
    assert!(rec["error"].as_str().unwrap().contains("IPv6"), "{rec}");
    assert!(
        !served(&agent, ip("127.0.0.2"), &ca, cert).await,
        "refused list applied"
    );
    assert!(
        served(&agent, ip("127.0.0.1"), &ca, cert).await,
        "old list dropped"
    );
    assert_eq!(agent.audit_events("config.reloaded").len(), 1);
}

#[tokio::test]
async fn swapped_certificates_are_used_by_new_connections() {
    let agent = AgentProc::start(&AgentSetup::default());
    let old_ca = agent.pki.ca.cert_pem();
    let old_client = &agent.pki.client;
    let mut before = connect(agent.addr, tls13(&old_ca, Some(old_client)), None)
        .await
        .unwrap();
    assert_eq!(
        request(&mut before, "GET", "/api/v1/health", &[], b"")
            .await
            .unwrap()
            .status,
        200
    );

    let new_ca = Ca::new("Rotated Root CA");
    let new_server = new_ca.issue(&Leaf::server("agent.rotated"));
    let new_client = new_ca.issue(&Leaf::client("manager-rotated"));
    let new_ca_pem = new_ca.cert_pem();
    agent.replace_etc_file("certs/ca.pem", new_ca_pem.as_bytes());
    agent.replace_etc_file("certs/server.key", new_server.key_pem.as_bytes());
    agent.replace_etc_file("certs/server.pem", new_server.cert_pem.as_bytes());

    let took = wait_served(&agent, ip("127.0.0.1"), &new_ca_pem, &new_client, true).await;
    eprintln!("certificate swap took effect after {took:?}");
    // A client still trusting only the old CA no longer accepts the server...
    let res = connect(agent.addr, tls13(&old_ca, Some(old_client)), None).await;
    assert!(res.is_err(), "the old server certificate is still presented");
    // ... and a client certificate of the old CA is refused by the new trust anchor.
    assert!(!served(&agent, ip("127.0.0.1"), &new_ca_pem, old_client).await);
    agent.wait_audit(LIMIT, |r| {
        r["event"] == "tls.handshake_failed"
            && r["reason"].as_str().is_some_and(|s| s.contains("UnknownIssuer"))
    });
    let rec = wait_nth(&agent, "config.reloaded", 1);
    assert_eq!(strings(&rec["changed"]), ["certificates"], "{rec}");
    let served_to = agent.wait_audit(LIMIT, |r| {
        r["event"] == "http.request" && r["client"] == "CN=manager-rotated"
    });
    assert_eq!(served_to["status"], 200);

    // The session opened before the swap keeps its negotiated keys.
    let r = request(&mut before, "GET", "/api/v1/health", &[], b"")
        .await
        .unwrap();
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn a_half_written_certificate_is_refused_and_the_old_tls_kept() {
    let agent = AgentProc::start(&AgentSetup::default());
    let (ca, cert) = (agent.pki.ca.cert_pem(), &agent.pki.client);
    let server_pem = agent.etc().join("certs/server.pem");
    let full = agent.pki.server.cert_pem.clone();
    std::fs::write(&server_pem, &full[..full.len() / 2]).unwrap();

    let rec = wait_nth(&agent, "config.rejected", 1);
    assert_eq!(rec["file"], server_pem.display().to_string(), "{rec}");
    assert!(
        served(&agent, ip("127.0.0.1"), &ca, cert).await,
        "old TLS configuration dropped"
    );

    std::fs::write(&server_pem, "garbage, not a certificate\n").unwrap();
    let rec = wait_nth(&agent, "config.rejected", 2);
    assert!(rec["error"].as_str().unwrap().contains("no certificate"), "{rec}");
    assert!(
        served(&agent, ip("127.0.0.1"), &ca, cert).await,
        "old TLS configuration dropped"
    );
    assert!(agent.audit_events("config.reloaded").is_empty());

    std::fs::write(&server_pem, &full).unwrap();
    let rec = wait_nth(&agent, "config.reloaded", 1);
    assert!(
        strings(&rec["changed"]).is_empty(),
        "same certificate as before: {rec}"
    );
    assert!(served(&agent, ip("127.0.0.1"), &ca, cert).await);
}

#[tokio::test]
async fn log_level_follows_the_config_and_listen_changes_wait_for_a_restart() {
    let agent = AgentProc::start(&AgentSetup::default()); // logging.level debug
    let (ca, cert) = (agent.pki.ca.cert_pem(), &agent.pki.client);
    let config = agent.etc().join("config.yaml");
    let original = std::fs::read_to_string(&config).unwrap();
    let info_lines = || agent.stderr().matches("configuration reloaded").count();
    let edit = |from: &str, to: &str| {
        let text = std::fs::read_to_string(&config).unwrap();
        assert!(text.contains(from), "{text}");
        agent.replace_etc_file("config.yaml", text.replace(from, to).as_bytes());
    };

    agent.replace_etc_file("whitelist.yaml", b"allow: [127.0.0.1, 127.0.0.5]\n");
    wait_nth(&agent, "config.reloaded", 1);
    agent.wait_audit(LIMIT, |_| info_lines() == 1);

    edit("level: debug", "level: warn");
    let rec = wait_nth(&agent, "config.reloaded", 2);
    assert_eq!(strings(&rec["changed"]), ["logging.level"], "{rec}");

    let port = agent.addr.port();
    edit(&format!("port: {port}"), &format!("port: {}", port + 1));
    let rec = wait_nth(&agent, "config.reloaded", 3);
    assert_eq!(strings(&rec["changed"]), ["server.port"], "{rec}");
    assert_eq!(strings(&rec["restart_required"]), ["server.port"], "{rec}");
    assert!(strings(&rec["applied_live"]).is_empty(), "{rec}");
    assert!(
        served(&agent, ip("127.0.0.1"), &ca, cert).await,
        "still on the old port"
    );

    agent.replace_etc_file(
        "config.yaml",
        original.replace("level: debug", "level: info").as_bytes(),
    );
    let rec = wait_nth(&agent, "config.reloaded", 4);
    assert_eq!(
        strings(&rec["changed"]),
        ["server.port", "logging.level"],
        "{rec}"
    );
    assert!(
        strings(&rec["restart_required"]).is_empty(),
        "back to the running port: {rec}"
    );
    // At info the fourth reload is logged; the two at warn were not (their lines would precede it).
    agent.wait_audit(LIMIT, |_| info_lines() >= 2);
    assert_eq!(info_lines(), 2, "{}", agent.stderr());
}
