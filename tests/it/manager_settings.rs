//! Runtime settings through `/api/v1/settings` and the Settings page on real PostgreSQL: validated (bad input
//! changes nothing), audited with before/after (secrets redacted, the SMTP password sealed at rest), admins
//! only, applied live (a real agent polled on the new interval, the deployer's concurrency, the allow-list),
//! kept across a restart of the context.

use crate::manager_poller::{agent_for, bearer, state_with};
use actix_web::test::TestRequest;
use chrono::Duration;
use diesel::prelude::*;
use linux_patch_manager::config::file::PollerSection;
use linux_patch_manager::db::models::{Host, Role};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{self, send, Jar, Resp};
use linux_patch_tests::pg::TestDb;
use serde_json::{json, Value};
use std::net::Ipv4Addr;

pub(crate) async fn call<S, B>(app: &S, auth: &str, req: TestRequest) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    send(
        app,
        &mut Jar::default(),
        req.insert_header(("authorization", auth.to_owned())),
    )
    .await
}

pub(crate) fn put(body: Value) -> TestRequest {
    TestRequest::put().uri("/api/v1/settings").set_json(body)
}

fn get() -> TestRequest {
    TestRequest::get().uri("/api/v1/settings")
}

fn audit_rows(db: &TestDb, action: &str) -> Vec<Value> {
    use linux_patch_manager::db::schema::audit_log as a;
    a::table
        .filter(a::action.eq(action))
        .order(a::id)
        .select(a::details)
        .load(&mut db.conn())
        .unwrap()
}

fn stored_doc(db: &TestDb) -> String {
    use linux_patch_manager::db::schema::runtime_settings as r;
    r::table
        .select(r::doc)
        .first::<Value>(&mut db.conn())
        .unwrap()
        .to_string()
}

fn fast() -> PollerSection {
    PollerSection {
        retry_base_secs: 1,
        timeout_secs: 5,
        ..PollerSection::default()
    }
}

#[actix_web::test]
async fn settings_are_validated_audited_redacted_and_applied_live() {
    let db = TestDb::new();
    let (state, clock) = state_with(&db, fast(), true);
    let app = console::app(state.clone()).await;
    let (_, admin) = bearer(&app, &db, &clock, "root", Role::Admin).await;
    let (_, operator) = bearer(&app, &db, &clock, "olive", Role::Operator).await;

    // Operators neither read nor change settings.
    assert_eq!(call(&app, &operator, get()).await.status, 403);
    let r = call(&app, &operator, put(json!({"deployments": {"concurrency": 2}}))).await;
    assert_eq!(r.status, 403, "{}", r.body);

    // Defaults from the configuration; notifications off; no password.
    let r = call(&app, &admin, get()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = &r.json()["data"]["settings"];
    assert_eq!(
        s["polling"],
        json!({"health_interval_secs": 300, "patch_interval_secs": 1800})
    );
    assert_eq!(s["retention"], json!({"operational_days": 30, "audit_days": 183}));
    assert_eq!(s["allow_list"], json!(["127.0.0.0/8"]));
    assert_eq!(
        (s["smtp"]["enabled"].clone(), s["smtp"]["password_set"].clone()),
        (json!(false), json!(false))
    );

    // A real agent, polled at start; 100 s later it is not due under the 300 s interval.
    let agent = agent_for(&state, Ipv4Addr::LOCALHOST, None);
    let h = Host::insert(
        &mut db.conn(),
        "agent-s.test",
        "127.0.0.1",
        agent.addr.port(),
        clock.now(),
    )
    .unwrap();
    linux_patch_tests::certs::record_agent_cert(&mut db.conn(), h.id, &agent.pki.server.cert_pem);
    let poller = state.actors.poller.clone();
    assert_eq!(poller.sweep_due().await.unwrap().health.unwrap().hosts, 1);
    clock.advance(Duration::seconds(100));
    assert!(
        poller.sweep_due().await.unwrap().health.is_none(),
        "not due at 100 s of 300"
    );

    // Bad input: a clear error naming the field, nothing stored, nothing audited, nothing applied.
    for bad in [
        json!({"polling": {"health_interval_secs": 1, "patch_interval_secs": 1800}}),
        json!({"deployments": {"concurrency": 0}}),
        json!({"retention": {"operational_days": 30, "audit_days": 3}}),
        json!({"allow_list": ["10.0.0.0/40"]}),
        json!({"smtp": {"enabled": true, "host": "mail.test", "port": 25, "tls": "none", "from": "nobody"}}),
        json!({"web_tls": {"strategy": "uploaded", "cert_pem": "junk", "key_pem": "junk"}}),
        json!({"polling": {"health_interval_secs": 60}}),
        json!({"surprise": 1}),
    ] {
        let r = call(&app, &admin, put(bad.clone())).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert!(
            !r.json()["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{}",
            r.body
        );
    }
    assert!(audit_rows(&db, "settings.changed").is_empty());
    assert!(
        poller.sweep_due().await.unwrap().health.is_none(),
        "the poller kept its interval"
    );

    // A 60 s interval applies at once: the same agent is due now.
    let r = call(
        &app,
        &admin,
        put(json!({"polling": {"health_interval_secs": 60, "patch_interval_secs": 1800}})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["data"]["changed"], json!(["polling"]));
    assert_eq!(
        poller.sweep_due().await.unwrap().health.unwrap().hosts,
        1,
        "polled on the new interval"
    );
    let a = audit_rows(&db, "settings.changed");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["before"]["polling"]["health_interval_secs"], 300);
    assert_eq!(a[0]["after"]["polling"]["health_interval_secs"], 60);
    assert_eq!(a[0]["sections"], json!(["polling"]));

    // The deployer's concurrency.
    assert_eq!(state.actors.deployer.concurrency().await.unwrap(), 64);
    let r = call(&app, &admin, put(json!({"deployments": {"concurrency": 3}}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(state.actors.deployer.concurrency().await.unwrap(), 3);

    // The allow-list: one without the caller's address (127.0.0.1 in the test kit) is refused.
    let r = call(&app, &admin, put(json!({"allow_list": ["10.0.0.0/8"]}))).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("lock you out"), "{}", r.body);
    assert!(
        state.gate.allows("127.0.0.1".parse().unwrap()) && !state.gate.allows("10.1.1.1".parse().unwrap())
    );
    let r = call(
        &app,
        &admin,
        put(json!({"allow_list": ["127.0.0.1", "10.0.0.0/8"]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        state.gate.allows("10.1.1.1".parse().unwrap()),
        "applied to the edge at once"
    );
    assert!(!state.gate.allows("127.0.0.2".parse().unwrap()));

    // SMTP: the password is write-only, sealed at rest and redacted from the audit trail.
    let secret = "hunter2-correct-horse";
    let smtp = json!({"smtp": {"enabled": true, "host": "mail.test", "port": 2525, "tls": "starttls",
        "username": "pm", "password": secret, "from": "pm@example.org"}});
    let r = call(&app, &admin, put(smtp)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(&app, &admin, get()).await;
    assert_eq!(r.json()["data"]["settings"]["smtp"]["password_set"], true);
    assert!(
        !r.body.contains(secret) && !r.body.contains("enc:v1"),
        "{}",
        r.body
    );
    let doc = stored_doc(&db);
    assert!(
        !doc.contains(secret) && doc.contains("enc:v1:"),
        "sealed at rest: {doc}"
    );
    let sealed: Value = serde_json::from_str(&doc).unwrap();
    let opened = state
        .secrets
        .open(
            "settings.smtp.password",
            sealed["smtp"]["password_sealed"].as_str().unwrap(),
        )
        .unwrap();
    assert_eq!(opened, secret.as_bytes());
    let all_audit: Vec<Value> = audit_rows(&db, "settings.changed");
    assert_eq!(all_audit.len(), 4);
    for row in &all_audit {
        let t = row.to_string();
        assert!(!t.contains(secret) && !t.contains("enc:v1"), "{t}");
    }
    assert_eq!(all_audit[3]["after"]["smtp"]["password_set"], true);
    assert_eq!(all_audit[3]["before"]["smtp"]["password_set"], false);

    // A new context on the same database (a restart) starts from the stored settings, not config.yaml's.
    drop(app);
    let (b, _) = console::builder(&db);
    let again = actix_web::web::Data::new(b.poller(fast()).build().unwrap());
    assert_eq!(again.actors.deployer.concurrency().await.unwrap(), 3);
    assert!(again.gate.allows("10.9.9.9".parse().unwrap()));
    let s = linux_patch_manager::services::settings::current(&again)
        .await
        .unwrap();
    assert_eq!(s.polling.health_interval_secs, 60);
}

#[actix_web::test]
async fn the_settings_page_saves_one_section_and_shows_errors() {
    let db = TestDb::new();
    let (state, clock) = state_with(&db, fast(), false);
    let app = console::app(state.clone()).await;
    let (_, secret) = linux_patch_tests::signin::ready_user(&mut db.conn(), "root", Role::Admin);
    let (_, osecret) = linux_patch_tests::signin::ready_user(&mut db.conn(), "olive", Role::Operator);
    let mut jar = linux_patch_tests::signin::sign_in(&app, &clock, "root", &secret).await;
    let page = send(&app, &mut jar, TestRequest::get().uri("/settings")).await;
    assert_eq!(page.status, 200);
    for id in [
        "polling",
        "deployments",
        "retention",
        "allow_list",
        "web_tls",
        "smtp",
    ] {
        assert!(page.body.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    assert!(
        page.body.contains("href=\"/settings\""),
        "navigation link for admins"
    );
    let csrf = page.input_value("csrf").unwrap();
    let r = send(
        &app,
        &mut jar,
        console::form(
            "/settings/retention",
            &[("csrf", &csrf), ("operational_days", "14"), ("audit_days", "90")],
        ),
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(r.notice().unwrap_or_default().contains("retention"), "{r:?}");
    let r = send(
        &app,
        &mut jar,
        console::form(
            "/settings/retention",
            &[("csrf", &csrf), ("operational_days", "x"), ("audit_days", "90")],
        ),
    )
    .await;
    assert!(
        r.flash_error().unwrap_or_default().contains("not a whole number"),
        "{r:?}"
    );
    let r = send(
        &app,
        &mut jar,
        console::form(
            "/settings/allow_list",
            &[("csrf", &csrf), ("allow_list", "192.168.0.0/16")],
        ),
    )
    .await;
    assert!(
        r.flash_error().unwrap_or_default().contains("lock you out"),
        "{r:?}"
    );
    let page = send(&app, &mut jar, TestRequest::get().uri("/settings")).await;
    assert_eq!(page.input_value("operational_days").as_deref(), Some("14"));
    assert_eq!(page.input_value("audit_days").as_deref(), Some("90"));
    assert_eq!(audit_rows(&db, "settings.changed").len(), 1);

    // Operators: no link, no page, no change.
    let mut ojar = linux_patch_tests::signin::sign_in(&app, &clock, "olive", &osecret).await;
    let home = send(&app, &mut ojar, TestRequest::get().uri("/hosts")).await;
    assert!(!home.body.contains("href=\"/settings\""));
    assert_eq!(
        send(&app, &mut ojar, TestRequest::get().uri("/settings"))
            .await
            .status,
        403
    );
    let ocsrf = home.input_value("csrf").unwrap();
    let r = send(
        &app,
        &mut ojar,
        console::form(
            "/settings/retention",
            &[("csrf", &ocsrf), ("operational_days", "1"), ("audit_days", "30")],
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(audit_rows(&db, "settings.changed").len(), 1);
}
