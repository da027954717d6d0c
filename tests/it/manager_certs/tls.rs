//! With real TLS against the real agent binary: a revoked agent certificate is refused by the manager's
//! trust; a revoked manager client certificate by an agent whose `tls.crl` is the manager's CRL.

use super::{serials_in, untar};
use linux_patch_manager::app::AppContext;
use linux_patch_manager::ca::load_trust;
use linux_patch_manager::db::models::scope::Scope;
use linux_patch_manager::db::models::{Certificate, Host};
use linux_patch_manager::services::certificates;
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::client::{connect_as, request};
use linux_patch_tests::console::state;
use linux_patch_tests::pg::TestDb;

/// An agent on 127.0.0.1 serving the bundle of host `agent-tls.test` from the manager of `st`, with
/// `tls.crl: certs/crl.pem`; the agent and the host.
async fn agent_with_bundle(st: &AppContext, db: &TestDb) -> (AgentProc, Host) {
    let mut c = db.conn();
    let host = Host::insert(&mut c, "agent-tls.test", "127.0.0.1", 12443, st.now()).unwrap();
    // The simulated backend: what is under test here is TLS, not package management.
    let setup = AgentSetup {
        backend_kind: "simulated".into(),
        backend_env: std::collections::BTreeMap::from([(
            "SIMULATED_HOST".to_owned(),
            "demo-web-01".to_owned(),
        )]),
        ..AgentSetup::default()
    };
    let mut agent = AgentProc::start(&setup);
    agent.kill_hard();
    install_bundle(st, &agent, host.id).await;
    let cfg = agent.etc().join("config.yaml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    let with_crl = text.replace(
        "server_key: certs/server.key }",
        "server_key: certs/server.key, crl: certs/crl.pem }",
    );
    assert_ne!(text, with_crl, "config layout changed: {text}");
    std::fs::write(&cfg, with_crl).unwrap();
    agent.restart();
    (agent, host)
}

/// Downloads the bundle of `host_id` (as an admin) and unpacks it into the agent's `certs/`.
async fn install_bundle(st: &AppContext, agent: &AgentProc, host_id: i64) {
    let (_, gz) = certificates::bundle_archive(st, Scope::All, "root1", host_id)
        .await
        .unwrap();
    untar(&gz, &agent.etc().join("certs"));
}

/// `GET /api/v1/health` on a fresh TLS connection with the manager's trust in force: the status, or the error.
async fn health(st: &AppContext, agent: &AgentProc) -> Result<u16, String> {
    health_with(st.trust.current().unwrap(), agent).await
}

async fn health_with(cfg: std::sync::Arc<rustls::ClientConfig>, agent: &AgentProc) -> Result<u16, String> {
    // As the manager does: the agent is verified against its IP address (host `agent-tls.test` at 127.0.0.1).
    let name = rustls::pki_types::ServerName::IpAddress(agent.addr.ip().into());
    let mut s = connect_as(agent.addr, cfg, None, name)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    request(&mut s, "GET", "/api/v1/health", &[], b"")
        .await
        .map(|r| r.status)
        .map_err(|e| format!("request: {e}"))
}

/// The app state with the manual clock moved to the real time (the agent checks validity by its clock).
pub(super) fn real_time_state(db: &TestDb) -> actix_web::web::Data<AppContext> {
    let (st, clock) = state(db);
    let lag = SystemClock.now() - clock.now();
    if lag > chrono::Duration::zero() {
        clock.advance(lag);
    }
    st
}

#[actix_web::test]
async fn a_revoked_agent_certificate_is_refused_by_the_manager() {
    let db = TestDb::new();
    let st = real_time_state(&db);
    load_trust(&st.ca_ctx()).await.unwrap();
    let (mut agent, host) = agent_with_bundle(&st, &db).await;
    assert_eq!(health(&st, &agent).await, Ok(200), "{}", agent.logs());

    let cert = Certificate::current(&mut db.conn(), "agent_server", Some(host.id), st.now())
        .unwrap()
        .unwrap();
    certificates::revoke(&st, Scope::All, "root1", cert.id, "stolen disk")
        .await
        .unwrap();
    let err = health(&st, &agent).await.unwrap_err();
    assert!(err.to_lowercase().contains("revoked"), "{err}");

    // A fresh bundle carries a new, unrevoked certificate, which is accepted.
    agent.kill_hard();
    install_bundle(&st, &agent, host.id).await;
    agent.restart();
    assert_eq!(health(&st, &agent).await, Ok(200), "{}", agent.logs());
}

#[actix_web::test]
async fn a_revoked_manager_client_certificate_is_refused_by_an_agent_with_the_crl() {
    let db = TestDb::new();
    let st = real_time_state(&db);
    load_trust(&st.ca_ctx()).await.unwrap();
    let (mut agent, _) = agent_with_bundle(&st, &db).await;
    let before = st.trust.current().unwrap();
    assert_eq!(
        health_with(before.clone(), &agent).await,
        Ok(200),
        "{}",
        agent.logs()
    );

    let client = Certificate::current(&mut db.conn(), "manager_client", None, st.now())
        .unwrap()
        .unwrap();
    let r = certificates::revoke(&st, Scope::All, "root1", client.id, "key compromise")
        .await
        .unwrap();
    let replacement = r.replacement.unwrap();
    assert_ne!(replacement.serial, client.serial);
    // The agent gets the CRL the manager produced.
    let crl = std::fs::read(st.data_dir.join("ca/crl.pem")).unwrap();
    assert_eq!(
        serials_in(&String::from_utf8_lossy(&crl)),
        [client.serial.as_str()]
    );
    agent.kill_hard();
    std::fs::write(agent.etc().join("certs/crl.pem"), &crl).unwrap();
    agent.restart();

    assert!(
        health_with(before, &agent).await.is_err(),
        "the revoked client certificate is refused"
    );
    agent.wait_audit(std::time::Duration::from_secs(10), |r| {
        r["event"] == "tls.handshake_failed" && r.to_string().to_lowercase().contains("revoked")
    });
    assert_eq!(
        health(&st, &agent).await,
        Ok(200),
        "the new one is accepted: {}",
        agent.logs()
    );
}
