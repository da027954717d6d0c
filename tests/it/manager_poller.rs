//! The poller against real agents (the agent binary on apt sandboxes, certificates from the manager's
//! internal CA, real mTLS): a host polled end to end (state, system info, pending patches equal to what the
//! agent reports), an agent that stops going yellow then red after the retries and recovering, on-demand
//! refresh ignoring the backoff, the daily history prune, no trust = nothing marked, `GET /api/v1/poller`.
//! Time is a ManualClock; sweeps are driven through the in-process poller (no sleeping).

use actix_web::test::TestRequest;
use actix_web::web;
use chrono::Duration;
use diesel::prelude::*;
use linux_patch_manager::actors::poller::Refresh;
use linux_patch_manager::app::AppContext;
use linux_patch_manager::ca::trust::TrustMaterial;
use linux_patch_manager::ca::{IssueRequest, Usage};
use linux_patch_manager::config::file::PollerSection;
use linux_patch_manager::db::models::health::HostHealth;
use linux_patch_manager::db::models::patch::HostPatch;
use linux_patch_manager::db::models::{Host, Role};
use linux_patch_shared::clock::{Clock, ManualClock, SystemClock};
use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::certs::{Ca, Issued, Pki};
use linux_patch_tests::console::{self, send, Jar};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin;
use std::net::Ipv4Addr;

/// A test app state with `poller` settings and the manager's client certificate loaded (issued by its CA).
pub fn state_with(db: &TestDb, poller: PollerSection, trust: bool) -> (web::Data<AppContext>, ManualClock) {
    let (b, clock) = console::builder(db);
    let s: AppContext = b.poller(poller).build().unwrap();
    if trust {
        let me =
            s.ca.issue(
                &IssueRequest {
                    common_name: "linux-patch-manager".into(),
                    dns: vec![],
                    ips: vec![],
                    usage: Usage::Client,
                    days: 30,
                },
                &SystemClock,
            )
            .unwrap();
        s.trust
            .replace(&TrustMaterial {
                ca_pem: s.ca.cert_pem(),
                crl_pem: String::new(),
                client_cert_pem: me.cert_pem,
                client_key_pem: me.key_pem,
            })
            .unwrap();
    }
    (web::Data::new(s), clock)
}

/// A real agent on `ip`:`port` (free port if None) with a server certificate from the manager's CA
/// (SAN: that IP and localhost) and a client certificate for the test's own direct calls.
pub fn agent_for(state: &AppContext, ip: Ipv4Addr, port: Option<u16>) -> AgentProc {
    let issue = |usage: Usage, ips: Vec<std::net::IpAddr>, dns: Vec<String>| {
        let i = state
            .ca
            .issue(
                &IssueRequest {
                    common_name: format!("agent-{ip}"),
                    dns,
                    ips,
                    usage,
                    days: 30,
                },
                &SystemClock,
            )
            .unwrap();
        Issued {
            cert_pem: i.cert_pem,
            key_pem: i.key_pem,
        }
    };
    let ca_key = std::fs::read_to_string(state.data_dir.join("ca/ca.key")).unwrap();
    let pki = Pki {
        ca: Ca::from_pem(&state.ca.cert_pem(), &ca_key),
        server: issue(Usage::Server, vec![ip.into()], vec!["localhost".into()]),
        client: issue(Usage::Client, vec![], vec![]),
    };
    let setup = AgentSetup {
        allow: vec!["127.0.0.0/8".into()],
        bind_address: ip,
        port,
        ..AgentSetup::default()
    };
    AgentProc::start_with_pki(&setup, pki)
}

/// GET `target` from `agent` directly (the test kit's own rustls client), the envelope's data.
pub async fn agent_get(agent: &AgentProc, target: &str) -> serde_json::Value {
    let r =
        linux_patch_tests::client::get(agent.addr, &agent.pki.ca.cert_pem(), &agent.pki.client, target).await;
    assert_eq!(r.status, 200, "{target}: {}", String::from_utf8_lossy(&r.body));
    r.json()["data"].clone()
}

/// Creates `name` (password + TOTP) and returns (id, a bearer header value from `POST /api/v1/auth/token`).
pub async fn bearer<S, B>(app: &S, db: &TestDb, clock: &ManualClock, name: &str, role: Role) -> (i64, String)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let (id, secret) = signin::ready_user(&mut db.conn(), name, role);
    (id, signin::bearer(app, clock, name, &secret).await)
}

fn host(db: &TestDb, id: i64) -> Host {
    use linux_patch_manager::db::models::scope::Scope;
    Host::find(&mut db.conn(), Scope::All, id).unwrap().unwrap()
}

fn fast() -> PollerSection {
    PollerSection {
        retry_base_secs: 1,
        timeout_secs: 5,
        ..PollerSection::default()
    }
}

#[actix_web::test]
async fn a_real_agent_is_polled_end_to_end() {
    let db = TestDb::new();
    let (state, clock) = state_with(&db, fast(), true);
    let agent = agent_for(&state, Ipv4Addr::LOCALHOST, None);
    let now = clock.now();
    let h = Host::insert(
        &mut db.conn(),
        "agent-a.test",
        "127.0.0.1",
        agent.addr.port(),
        now,
    )
    .unwrap();
    // The certificate the agent serves is the one recorded for the host (the manager pins it).
    linux_patch_tests::certs::record_agent_cert(&mut db.conn(), h.id, &agent.pki.server.cert_pem);
    // An attempt older than the 30-day history, pruned by the first sweep of the day.
    {
        use linux_patch_manager::db::schema::host_health as hh;
        diesel::insert_into(hh::table)
            .values((
                hh::host_id.eq(h.id),
                hh::checked_at.eq(now - Duration::days(31)),
                hh::state.eq("healthy"),
            ))
            .execute(&mut db.conn())
            .unwrap();
    }
    let poller = state.actors.poller.clone();

    let report = poller.sweep_due().await.unwrap();
    assert_eq!(report.pruned, 1, "{report:?}");
    let (hp, pp) = (report.health.unwrap(), report.patches.unwrap());
    assert_eq!((hp.hosts, hp.ok, hp.failed), (1, 1, 0));
    assert_eq!((pp.hosts, pp.ok, pp.failed), (1, 1, 0));

    let row = host(&db, h.id);
    let health = agent_get(&agent, "/api/v1/health").await;
    let info = agent_get(&agent, "/api/v1/system/info").await;
    let patches = agent_get(&agent, "/api/v1/patches").await;
    assert_eq!(
        (row.state.as_str(), row.state_reason.as_str(), row.failures),
        ("healthy", "", 0)
    );
    assert_eq!(row.agent_version, health["version"].as_str().unwrap());
    assert_eq!(row.backend, "apt");
    assert_eq!(row.kernel, info["kernel"].as_str().unwrap());
    assert_eq!(row.os, info["os"]["pretty_name"].as_str().unwrap_or_default());
    assert_eq!(
        row.reboot_required,
        info["reboot_required"]["state"].as_str().unwrap()
    );
    assert_eq!(
        row.reboot_reason,
        info["reboot_required"]["reason"].as_str().unwrap()
    );
    assert_eq!(
        (row.last_seen_at, row.health_checked_at, row.patches_checked_at),
        (Some(now), Some(now), Some(now))
    );

    // host_patches is what the agent's GET /patches says: names, versions, security, severity, CVEs.
    let list = patches.as_array().unwrap();
    assert!(!list.is_empty(), "the apt sandbox has pending updates");
    let security = list.iter().filter(|p| p["security"] == true).count();
    assert!(
        security >= 1,
        "pmtest-lib 1.0.1 comes from the security repository"
    );
    assert_eq!(
        (row.pending_total as usize, row.pending_security as usize),
        (list.len(), security)
    );
    let mut want: Vec<serde_json::Value> = list
        .iter()
        .map(|p| {
            serde_json::json!([
                p["name"],
                p["architecture"],
                p["installed_version"],
                p["candidate_version"],
                p["repository"],
                p["security"],
                p["severity"],
                p["cves"],
                p["security_source"]
            ])
        })
        .collect();
    let mut got: Vec<serde_json::Value> = HostPatch::of_host(&mut db.conn(), h.id)
        .unwrap()
        .into_iter()
        .map(|p| {
            serde_json::json!([
                p.name,
                p.architecture,
                p.installed_version,
                p.candidate_version,
                p.repository,
                p.security,
                p.severity,
                p.cves,
                p.security_source
            ])
        })
        .collect();
    want.sort_by_key(|v| v.to_string());
    got.sort_by_key(|v| v.to_string());
    assert_eq!(got, want);
    // The reports read the same answer: first seen = this poll for every pending update; the host is not
    // compliant (a security update is pending).
    let first_seen: Vec<chrono::DateTime<chrono::Utc>> =
        linux_patch_manager::db::schema::patch_first_seen::table
            .filter(linux_patch_manager::db::schema::patch_first_seen::host_id.eq(h.id))
            .select(linux_patch_manager::db::schema::patch_first_seen::first_seen_at)
            .load(&mut db.conn())
            .unwrap();
    assert_eq!(first_seen.len(), list.len());
    assert!(first_seen.iter().all(|t| *t == now), "{first_seen:?}");
    let counts = linux_patch_manager::db::models::reports::compliance::counts(
        &mut db.conn(),
        linux_patch_manager::db::models::scope::Scope::All,
        None,
    )
    .unwrap();
    assert_eq!((counts.compliant, counts.noncompliant, counts.nodata), (0, 1, 0));

    let hist = HostHealth::recent(&mut db.conn(), h.id, 10).unwrap();
    assert_eq!(hist.len(), 1, "one attempt; the old row was pruned");
    assert_eq!(hist[0].state, "healthy");
    assert!(hist[0].latency_ms.is_some());

    // Nothing is due right after; health again after the interval, patch data not yet.
    let again = poller.sweep_due().await.unwrap();
    assert!(again.health.is_none() && again.patches.is_none(), "{again:?}");
    clock.advance(Duration::seconds(300));
    let later = poller.sweep_due().await.unwrap();
    assert_eq!(later.health.as_ref().map(|p| p.ok), Some(1));
    assert!(later.patches.is_none());
    assert_eq!(HostHealth::recent(&mut db.conn(), h.id, 10).unwrap().len(), 2);

    // GET /api/v1/poller (administrators) reports the sweeps.
    let app = console::app(state.clone()).await;
    let (_, admin) = bearer(&app, &db, &clock, "admin1", Role::Admin).await;
    let st = send(
        &app,
        &mut Jar::default(),
        TestRequest::get()
            .uri("/api/v1/poller")
            .insert_header(("authorization", admin)),
    )
    .await;
    assert_eq!(st.status, 200, "{}", st.body);
    let st = st.json()["data"].clone();
    assert_eq!(st["trust_loaded"], true);
    assert_eq!(st["sweeps_completed"], 2);
    assert_eq!(st["last_health_sweep"]["hosts"], 1);
    assert_eq!(st["last_patch_sweep"]["ok"], 1);
    let (_, op) = bearer(&app, &db, &clock, "op1", Role::Operator).await;
    let r = send(
        &app,
        &mut Jar::default(),
        TestRequest::get()
            .uri("/api/v1/poller")
            .insert_header(("authorization", op)),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
}

#[actix_web::test]
async fn a_stopped_agent_goes_yellow_then_red_and_recovers() {
    let db = TestDb::new();
    let (state, clock) = state_with(&db, fast(), true);
    let mut agent = agent_for(&state, Ipv4Addr::LOCALHOST, None);
    let h = Host::insert(
        &mut db.conn(),
        "agent-b.test",
        "127.0.0.1",
        agent.addr.port(),
        clock.now(),
    )
    .unwrap();
    // The certificate the agent serves is the one recorded for the host (the manager pins it).
    linux_patch_tests::certs::record_agent_cert(&mut db.conn(), h.id, &agent.pki.server.cert_pem);
    let poller = state.actors.poller.clone();
    poller.sweep_due().await.unwrap();
    assert_eq!(host(&db, h.id).state, "healthy");

    agent.kill_hard();
    clock.advance(Duration::seconds(300));
    let r = poller.sweep_due().await.unwrap();
    assert_eq!(r.health.as_ref().map(|p| p.failed), Some(1), "{r:?}");
    let row = host(&db, h.id);
    assert_eq!((row.state.as_str(), row.failures), ("degraded", 1));
    assert!(
        row.state_reason.starts_with("retry 1/3: connection refused"),
        "{}",
        row.state_reason
    );
    assert_eq!(row.retry_at, Some(clock.now() + Duration::seconds(1)));

    // Backing off: not due before retry_at; then 2/3 after 1 s, red after 2 s more.
    assert!(poller.sweep_due().await.unwrap().health.is_none());
    clock.advance(Duration::seconds(1));
    poller.sweep_due().await.unwrap();
    let row = host(&db, h.id);
    assert!(
        row.state_reason.starts_with("retry 2/3: "),
        "{}",
        row.state_reason
    );
    assert_eq!(row.retry_at, Some(clock.now() + Duration::seconds(2)));
    clock.advance(Duration::seconds(2));
    poller.sweep_due().await.unwrap();
    let row = host(&db, h.id);
    assert_eq!((row.state.as_str(), row.failures), ("unreachable", 3));
    assert!(
        row.state_reason.starts_with("connection refused") && row.state_reason.ends_with("(3 attempts)"),
        "{}",
        row.state_reason
    );

    // On-demand refresh ignores the backoff.
    let rep = poller.refresh_wait(vec![h.id], Refresh::Health).await.unwrap();
    assert_eq!((rep.hosts, rep.failed), (1, 1));
    assert_eq!(host(&db, h.id).failures, 4);
    let states: Vec<String> = HostHealth::recent(&mut db.conn(), h.id, 10)
        .unwrap()
        .into_iter()
        .map(|x| x.state)
        .collect();
    assert_eq!(
        states,
        ["unreachable", "unreachable", "degraded", "degraded", "healthy"]
    );

    // Back up: healthy again at the next retry.
    agent.restart();
    clock.advance(Duration::seconds(8));
    let r = poller.sweep_due().await.unwrap();
    assert_eq!(r.health.as_ref().map(|p| p.ok), Some(1), "{r:?}");
    let row = host(&db, h.id);
    assert_eq!(
        (row.state.as_str(), row.failures, row.retry_at),
        ("healthy", 0, None)
    );
    assert_eq!(row.last_seen_at, Some(clock.now()));
}

#[actix_web::test]
async fn without_trust_nothing_is_polled_or_marked() {
    let db = TestDb::new();
    let (state, clock) = state_with(&db, fast(), false);
    let h = Host::insert(&mut db.conn(), "agent-c.test", "127.0.0.1", 1, clock.now()).unwrap();
    let poller = state.actors.poller.clone();
    let r = poller.sweep_due().await.unwrap();
    assert!(
        r.skipped
            .as_deref()
            .unwrap_or_default()
            .contains("no manager client certificate"),
        "{r:?}"
    );
    let row = host(&db, h.id);
    assert_eq!((row.state.as_str(), row.health_checked_at), ("unknown", None));
    let st = poller.status().await.unwrap();
    assert!(!st.trust_loaded);
    assert!(poller.refresh(vec![h.id], Refresh::All).await.is_err());
}
