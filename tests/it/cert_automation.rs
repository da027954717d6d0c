//! Issue 14, "certificates without hand work", with the real manager and real enrolled agents: the agent
//! fetches the manager's CRL on its own (on a schedule and when an unknown client certificate shows up) and
//! refuses a revoked manager certificate without a restart; it renews its own server certificate through the
//! manager (a revoked one cannot); the manager's client certificate renews and agents accept the new one.
//! Shared helpers here; the tests in `crl`, `renewal` and `manager_client`.

mod crl;
mod manager_client;
mod renewal;

use crate::enroll::{admin_token, call, fingerprint, EnrollSandbox, Enrolling};
use linux_patch_manager::ca::{InternalCa, IssueRequest, Usage};
use linux_patch_manager::db::models::Certificate;
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::agent::wait_a_little;
use linux_patch_tests::certs::Issued;
use linux_patch_tests::client::{client_config, request, tcp};
use linux_patch_tests::manager::ManagerProc;
use rustls::pki_types::ServerName;
use std::time::{Duration, Instant};

/// An agent enrolled with `m` (approved through the API) and serving, with `manager.refresh_secs: refresh`;
/// the sandbox, the running agent, the host's id and an admin token.
pub fn enrolled(m: &ManagerProc, refresh: u64) -> (EnrollSandbox, Enrolling, i64, String) {
    let sb = EnrollSandbox::new();
    let cfg = sb.etc().join("config.yaml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{text}manager: {{ refresh_secs: {refresh} }}\n")).unwrap();
    let bare = fingerprint(m).replace(':', "");
    let mut agent = sb.enroll(&m.url, &["--ca-fingerprint", &bare]);
    agent.wait_for("pending approval by an administrator");
    let token = admin_token(m, "boss");
    let list = call(m, "GET", "/api/v1/enrollments", Some(&token), None).json();
    let id = list["data"]["pending"][0]["id"].as_i64().unwrap();
    let r = call(
        m,
        "POST",
        &format!("/api/v1/enrollments/{id}/approve"),
        Some(&token),
        None,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let host_id = r.json()["data"]["host"]["id"].as_i64().unwrap();
    agent.wait_for("enrolment complete");
    (sb, agent, host_id, token)
}

/// A client certificate from the manager's root (what the manager's own is signed by), not recorded.
pub fn root_client(m: &ManagerProc, cn: &str) -> Issued {
    let ca = InternalCa::load_or_create(&m.data_dir(), &SystemClock).unwrap();
    let i = ca
        .issue(
            &IssueRequest {
                common_name: cn.into(),
                dns: vec![],
                ips: vec![],
                usage: Usage::Client,
                days: 1,
            },
            &SystemClock,
        )
        .unwrap();
    Issued {
        cert_pem: i.cert_pem,
        key_pem: i.key_pem,
    }
}

/// The manager's current client certificate (row) and the certificate + key it presents.
pub fn manager_identity(m: &ManagerProc) -> (Certificate, Issued) {
    let row = Certificate::current(&mut m.db().conn(), "manager_client", None, SystemClock.now())
        .unwrap()
        .unwrap();
    let key_pem = std::fs::read_to_string(m.data_dir().join(&row.key_file)).unwrap();
    let issued = Issued {
        cert_pem: row.cert_pem.clone(),
        key_pem,
    };
    (row, issued)
}

/// One `GET /api/v1/health` on a fresh mTLS connection to the agent at 127.0.0.1:`port`, presenting `client`
/// and verifying the agent against `agents_ca`: the status and the server certificate (DER), or the error.
pub fn health_as(agents_ca: &str, client: &Issued, port: u16) -> Result<(u16, Vec<u8>), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = client_config(agents_ca, Some(client), &[&rustls::version::TLS13]);
        let stream = tcp(([127, 0, 0, 1], port).into(), None)
            .await
            .map_err(|e| e.to_string())?;
        let name = ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
        let mut tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, stream)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let served = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
        let r = request(&mut tls, "GET", "/api/v1/health", &[], b"")
            .await
            .map_err(|e| format!("request: {e}"))?;
        Ok((r.status, served))
    })
}

/// Waits (`secs` at most) until `check` holds; panics with `what` and the agent's output otherwise.
pub fn wait_until(secs: u64, what: &str, agent: &Enrolling, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(
            Instant::now() < deadline,
            "{what}\n{}\n{}",
            agent.stdout(),
            agent.stderr()
        );
        wait_a_little();
    }
}

/// The agent's audit log.
pub fn agent_audit(sb: &EnrollSandbox) -> String {
    std::fs::read_to_string(sb.dir.path().join("var/log/linux_patch_api/audit.log")).unwrap_or_default()
}

/// The audit events of `name` in the agent's log, parsed.
pub fn events(sb: &EnrollSandbox, name: &str) -> Vec<serde_json::Value> {
    agent_audit(sb)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == name)
        .collect()
}

/// SHA-256 of a DER certificate, lowercase hex.
pub fn sha256(der: &[u8]) -> String {
    openssl::sha::sha256(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
