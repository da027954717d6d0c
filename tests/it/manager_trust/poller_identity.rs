//! High 2: an operator registers an out-of-scope host's address again, or an agent that is not the one
//! certified for a host answers at its address; the manager must expose nothing of it.

use crate::manager_poller::{agent_for, state_with};
use actix_web::test::TestRequest;
use linux_patch_manager::config::file::PollerSection;
use linux_patch_manager::db::models::scope::Scope;
use linux_patch_manager::db::models::{Group, Host, Role};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::agent::AgentProc;
use linux_patch_tests::console::{app, send};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in};
use std::net::Ipv4Addr;

/// Records `agent`'s server certificate as the one issued to host `host_id`.
pub fn record_agent_cert(db: &TestDb, host_id: i64, agent: &AgentProc) {
    linux_patch_tests::certs::record_agent_cert(&mut db.conn(), host_id, &agent.pki.server.cert_pem);
}

fn fast() -> PollerSection {
    PollerSection {
        retry_base_secs: 1,
        timeout_secs: 5,
        ..PollerSection::default()
    }
}

#[actix_web::test]
async fn decoy_host_with_a_victims_address_reads_nothing() {
    let db = TestDb::new();
    let (_, op_secret) = ready_user(&mut db.conn(), "op1", Role::Operator);
    let (st, clock) = state_with(&db, fast(), true);
    let now = clock.now();
    // The victim: a real agent in a group the operator is not in, its certificate recorded.
    let victim_agent = agent_for(&st, Ipv4Addr::LOCALHOST, None);
    let port = victim_agent.addr.port();
    let victim = Host::insert(&mut db.conn(), "victim.example.lan", "127.0.0.1", port, now).unwrap();
    let g = Group::insert(&mut db.conn(), "secret", now).unwrap();
    Host::set_groups(&mut db.conn(), victim.id, &[g.id]).unwrap();
    record_agent_cert(&db, victim.id, &victim_agent);

    // The operator registers a decoy at the victim's address and port.
    let app = app(st.clone()).await;
    let mut op = sign_in(&app, &clock, "op1", &op_secret).await;
    let csrf = send(&app, &mut op, TestRequest::get().uri("/hosts"))
        .await
        .input_value("csrf")
        .unwrap();
    let r = send(
        &app,
        &mut op,
        TestRequest::post()
            .uri("/api/v1/hosts")
            .insert_header(("x-csrf-token", csrf.as_str()))
            .set_json(serde_json::json!({"hostname": "decoy.example.lan", "ip": "127.0.0.1", "port": port})),
    )
    .await;
    let decoy = (r.status == 201).then(|| r.json()["data"]["id"].as_i64().unwrap());

    // A second path: a host whose recorded certificate is not what answers at its address (another
    // CA-signed agent listens there).
    let impostor = agent_for(&st, Ipv4Addr::LOCALHOST, None);
    let moved = Host::insert(
        &mut db.conn(),
        "moved.example.lan",
        "127.0.0.1",
        impostor.addr.port(),
        now,
    )
    .unwrap();
    let other = agent_for(&st, Ipv4Addr::LOCALHOST, None);
    record_agent_cert(&db, moved.id, &other);
    drop(other);

    st.actors.poller.sweep_due().await.unwrap();

    let mut leaks = Vec::new();
    if let Some(id) = decoy {
        let h = Host::find(&mut db.conn(), Scope::All, id).unwrap().unwrap();
        if !h.kernel.is_empty() || h.state == "healthy" {
            leaks.push(format!(
                "decoy shows the victim: state {}, kernel {:?}",
                h.state, h.kernel
            ));
        }
        let p = send(
            &app,
            &mut op,
            TestRequest::get().uri(&format!("/api/v1/hosts/{id}/packages")),
        )
        .await;
        if p.status == 200 && p.body.contains("\"name\"") {
            leaks.push("decoy's live package list is the victim's".into());
        }
    }
    let m = Host::find(&mut db.conn(), Scope::All, moved.id).unwrap().unwrap();
    if !m.kernel.is_empty() || m.state != "unreachable" {
        leaks.push(format!(
            "a host answered by an agent that is not its own: state {}, kernel {:?}, reason {:?}",
            m.state, m.kernel, m.state_reason
        ));
    }
    assert!(leaks.is_empty(), "{leaks:?}");
    assert!(decoy.is_none(), "(ip, port) of another host was registered again");
    assert!(
        m.state_reason.contains("not the certificate issued to this host"),
        "{}",
        m.state_reason
    );
    // The victim itself is polled as before.
    let v = Host::find(&mut db.conn(), Scope::All, victim.id)
        .unwrap()
        .unwrap();
    assert_eq!(v.state, "healthy", "{}", v.state_reason);
}
