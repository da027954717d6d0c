//! The manager's own client certificate renews (the daily pass, on the manager's clock) and the agent accepts
//! the new one without a restart; the manager keeps polling it. The manager runs in-process on a manual clock
//! started 340 days ago, so its first client certificate has 25 days left when the clock reaches today.

use crate::manager_certs::untar;
use actix_web::web;
use linux_patch_manager::app::{ActorMode, AppBuilder, AppContext};
use linux_patch_manager::ca::runtime::renewal_pass;
use linux_patch_manager::ca::{load_trust, InternalCa};
use linux_patch_manager::config::file::PollerSection;
use linux_patch_manager::db::models::scope::Scope;
use linux_patch_manager::db::models::{Certificate, Host};
use linux_patch_manager::services::certificates;
use linux_patch_shared::clock::{Clock, ManualClock, SystemClock};
use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::pg::TestDb;
use std::sync::Arc;

/// The app on a manual clock at `start`, its CA in a fresh directory, actors driven by the test.
fn state_at(db: &TestDb, start: chrono::DateTime<chrono::Utc>) -> (web::Data<AppContext>, ManualClock) {
    let clock = ManualClock::new(start);
    let data_dir = tempfile::Builder::new()
        .prefix("lpm-renew-")
        .tempdir()
        .unwrap()
        .keep();
    let ca = InternalCa::load_or_create(&data_dir, &clock).unwrap();
    let st = AppBuilder::new(
        linux_patch_manager::db::pool(db.url()),
        Arc::new(clock.clone()),
        data_dir,
        ca,
        webauthn_rs::prelude::Url::parse("https://localhost:8443").unwrap(),
    )
    .poller(PollerSection {
        retry_base_secs: 1,
        timeout_secs: 5,
        ..PollerSection::default()
    })
    .mode(ActorMode::Manual)
    .build()
    .unwrap();
    (web::Data::new(st), clock)
}

/// Serials (lowercase hex) of the client certificates the agent accepted, in order.
fn accepted_serials(agent: &AgentProc) -> Vec<String> {
    agent
        .audit_events("tls.accepted")
        .iter()
        .filter_map(|e| e["cert_serial"].as_str().map(str::to_lowercase))
        .collect()
}

fn host_state(db: &TestDb, id: i64) -> String {
    use diesel::prelude::*;
    use linux_patch_manager::db::schema::hosts;
    hosts::table
        .find(id)
        .select(hosts::state)
        .first(&mut db.conn())
        .unwrap()
}

#[actix_web::test]
async fn the_manager_renews_its_client_certificate_and_the_agent_accepts_it_without_a_restart() {
    let db = TestDb::new();
    let today = SystemClock.now();
    let (st, clock) = state_at(&db, today - chrono::Duration::days(340));
    load_trust(&st.ca_ctx()).await.unwrap();
    let first = Certificate::current(&mut db.conn(), "manager_client", None, st.now())
        .unwrap()
        .unwrap();

    // A real agent serving a bundle of this manager, with its CRL.
    let setup = AgentSetup {
        backend_kind: "simulated".into(),
        ..AgentSetup::default()
    };
    let mut agent = AgentProc::start(&setup);
    agent.kill_hard();
    let host = Host::insert(
        &mut db.conn(),
        "agent-renew.test",
        "127.0.0.1",
        agent.addr.port(),
        st.now(),
    )
    .unwrap();
    let (_, gz) = certificates::bundle_archive(&st, Scope::All, "root1", host.id)
        .await
        .unwrap();
    untar(&gz, &agent.etc().join("certs"));
    agent.restart();
    let pid = agent.pid();

    st.actors.poller.sweep_due().await.unwrap();
    assert_eq!(host_state(&db, host.id), "healthy", "{}", agent.logs());
    assert_eq!(accepted_serials(&agent).last(), Some(&first.serial));

    // Today: 25 days left, the daily pass renews it and puts the new one in force at once.
    clock.advance(today - clock.now());
    let renewed = renewal_pass(&st.ca_ctx(), false).await.unwrap();
    assert_eq!(renewed.len(), 1, "{renewed:?}");
    let next = &renewed[0].new;
    assert_eq!(next.kind, "manager_client");
    assert_ne!(next.serial, first.serial);

    // The next sweep reaches the same agent process with the new certificate.
    st.actors.poller.sweep_due().await.unwrap();
    assert_eq!(host_state(&db, host.id), "healthy", "{}", agent.logs());
    assert_eq!(
        accepted_serials(&agent).last(),
        Some(&next.serial),
        "{}",
        agent.logs()
    );
    assert_eq!(agent.pid(), pid, "no restart");
}
