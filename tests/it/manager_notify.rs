//! E-mail notifications against a real SMTP server (aiosmtpd with STARTTLS and AUTH): the Settings' test
//! e-mail arrives; a host going red (a real poll of a closed port) is e-mailed to the users who chose it and
//! may see the host; a wrong password is shown and loses nothing; the server down for a while, then back: the
//! outbox delivers exactly once after its backoff (manual clock, no sleeping).

use crate::manager_poller::{bearer, state_with};
use crate::manager_settings::{call, put};
use actix_web::test::TestRequest;
use chrono::Duration;
use linux_patch_manager::config::file::PollerSection;
use linux_patch_manager::db::models::{Host, Role};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console;
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::smtp::SmtpServer;
use serde_json::{json, Value};

fn smtp(server: &SmtpServer, password: &str) -> Value {
    json!({"smtp": {"enabled": true, "host": "localhost", "port": server.port, "tls": "starttls",
        "username": "pm", "password": password, "from": "patch-manager@example.org", "ca_pem": server.ca_pem}})
}

fn subjects(server: &SmtpServer) -> Vec<(Vec<String>, String)> {
    server
        .messages()
        .iter()
        .map(|m| {
            let to = m["to"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            let subject = m["content"]
                .as_str()
                .unwrap()
                .lines()
                .find_map(|l| l.strip_prefix("Subject: "))
                .unwrap_or_default()
                .to_owned();
            (to, subject)
        })
        .collect()
}

#[actix_web::test]
async fn notifications_reach_a_real_smtp_server_and_survive_its_outage() {
    let db = TestDb::new();
    let poller = PollerSection {
        retries: 1,
        timeout_secs: 2,
        ..PollerSection::default()
    };
    let (state, clock) = state_with(&db, poller, true);
    let app = console::app(state.clone()).await;
    let (_, admin) = bearer(&app, &db, &clock, "root", Role::Admin).await;
    let (_, operator) = bearer(&app, &db, &clock, "olive", Role::Operator).await;
    let mut server = SmtpServer::start("pm", "s3cret-pass");

    // Off by default: a red host queues nothing.
    let notifier = state.actors.notifier.clone();
    assert_eq!(
        notifier.run_due().await.unwrap().skipped.as_deref(),
        Some("e-mail notifications are off")
    );

    let r = call(&app, &admin, put(smtp(&server, "s3cret-pass"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let test = TestRequest::post()
        .uri("/api/v1/settings/smtp/test")
        .set_json(json!({"to": "root@example.org"}));
    let r = call(&app, &admin, test).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = server.messages();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["to"], json!(["root@example.org"]));
    assert_eq!(got[0]["from"], "patch-manager@example.org");
    assert_eq!(got[0]["tls"], true, "STARTTLS was used");
    assert!(got[0]["content"]
        .as_str()
        .unwrap()
        .contains("This is a test e-mail from Linux Patch Manager, sent by root"));
    let r = call(
        &app,
        &operator,
        TestRequest::post()
            .uri("/api/v1/settings/smtp/test")
            .set_json(json!({"to": "x@example.org"})),
    )
    .await;
    assert_eq!(r.status, 403);

    // Choices: the admin wants red hosts; the operator too, but the host is outside their groups.
    let prefs = |email: &str, events: Value| {
        TestRequest::put()
            .uri("/api/v1/account/notifications")
            .set_json(json!({"email": email, "events": events}))
    };
    let r = call(
        &app,
        &admin,
        prefs("admin@example.org", json!(["host_red", "audit_broken"])),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(&app, &operator, prefs("olive@example.org", json!(["host_red"]))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(&app, &operator, prefs("olive@example.org", json!(["bogus"]))).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = call(
        &app,
        &operator,
        TestRequest::get().uri("/api/v1/account/notifications"),
    )
    .await;
    let j = r.json();
    let chosen: Vec<&str> = j["data"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["chosen"] == true)
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(chosen, vec!["host_red"], "the bad change changed nothing");

    // A host on a closed port goes red on its first failed poll: one e-mail, to the admin only.
    let dead = linux_patch_tests::agent::free_port();
    Host::insert(&mut db.conn(), "dead-1.test", "127.0.0.1", dead, clock.now()).unwrap();
    state.actors.poller.sweep_due().await.unwrap();
    let d = notifier.run_due().await.unwrap();
    assert_eq!((d.sent, d.failed), (1, 0), "{d:?}");
    let s = subjects(&server);
    assert_eq!(s.len(), 2);
    assert_eq!(
        s[1],
        (
            vec!["admin@example.org".to_owned()],
            "[Linux Patch Manager] Host dead-1.test is unreachable".to_owned()
        )
    );
    assert_eq!(notifier.run_due().await.unwrap().sent, 0, "sent once");

    // A wrong password: the test e-mail says why; a queued e-mail is kept, not lost.
    let r = call(&app, &admin, put(smtp(&server, "wrong-password"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(
        &app,
        &admin,
        TestRequest::post()
            .uri("/api/v1/settings/smtp/test")
            .set_json(json!({"to": "root@example.org"})),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("the test e-mail was not sent") && r.body.contains("535"),
        "{}",
        r.body
    );
    Host::insert(&mut db.conn(), "dead-2.test", "127.0.0.2", dead, clock.now()).unwrap();
    clock.advance(Duration::minutes(10));
    state.actors.poller.sweep_due().await.unwrap();
    let d = notifier.run_due().await.unwrap();
    assert_eq!((d.sent, d.failed), (0, 1), "{d:?}");
    assert!(d.last_error.unwrap_or_default().contains("535"));
    assert_eq!(server.messages().len(), 2);

    // The password fixed, but the server down: attempt 2 fails too (refused), then waits 2 minutes.
    let r = call(&app, &admin, put(smtp(&server, "s3cret-pass"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    server.stop();
    clock.advance(Duration::seconds(60));
    let d = notifier.run_due().await.unwrap();
    assert_eq!((d.sent, d.failed), (0, 1), "{d:?}");
    clock.advance(Duration::seconds(60));
    let d = notifier.run_due().await.unwrap();
    assert_eq!((d.sent, d.failed), (0, 0), "not due before its backoff: {d:?}");

    // Back: delivered exactly once.
    server.resume();
    clock.advance(Duration::seconds(60));
    let d = notifier.run_due().await.unwrap();
    assert_eq!((d.sent, d.failed), (1, 0), "{d:?}");
    clock.advance(Duration::hours(7));
    assert_eq!(notifier.run_due().await.unwrap().sent, 0);
    let s = subjects(&server);
    assert_eq!(s.len(), 3);
    assert_eq!(
        s[2],
        (
            vec!["admin@example.org".to_owned()],
            "[Linux Patch Manager] Host dead-2.test is unreachable".to_owned()
        )
    );
}

#[actix_web::test]
async fn a_broken_audit_chain_is_queued_for_the_admins_who_chose_it() {
    use diesel::prelude::*;
    use linux_patch_manager::db::schema::{audit_log, notification_outbox as o};
    let db = TestDb::new();
    let (state, clock) = console::state(&db);
    let app = console::app(state.clone()).await;
    let (_, admin) = bearer(&app, &db, &clock, "root", Role::Admin).await;
    let (_, operator) = bearer(&app, &db, &clock, "olive", Role::Operator).await;
    let on = json!({"smtp": {"enabled": true, "host": "localhost", "port": 2525, "tls": "none", "from": "pm@example.org"}});
    assert_eq!(call(&app, &admin, put(on)).await.status, 200);
    let prefs = |email: &str| {
        TestRequest::put()
            .uri("/api/v1/account/notifications")
            .set_json(json!({"email": email, "events": ["audit_broken"]}))
    };
    assert_eq!(call(&app, &admin, prefs("admin@example.org")).await.status, 200);
    assert_eq!(
        call(&app, &operator, prefs("olive@example.org")).await.status,
        200
    );

    // Someone alters a row behind the manager's back; the daily check finds it and queues one e-mail.
    diesel::sql_query("UPDATE audit_log SET actor = 'mallory' WHERE id = (SELECT min(id) FROM audit_log)")
        .execute(&mut db.conn())
        .unwrap();
    let first: i64 = audit_log::table
        .select(diesel::dsl::min(audit_log::id))
        .first::<Option<i64>>(&mut db.conn())
        .unwrap()
        .unwrap();
    let out = state
        .actors
        .housekeeping
        .run_now(linux_patch_manager::housekeeping::Chore::Audit)
        .await
        .unwrap();
    assert!(out.result.as_deref().unwrap().contains("BROKEN"), "{out:?}");
    let rows: Vec<(String, Value, String)> = o::table
        .select((o::event, o::recipients, o::subject))
        .load(&mut db.conn())
        .unwrap();
    assert_eq!(
        rows,
        vec![(
            "audit_broken".to_owned(),
            json!(["admin@example.org"]),
            "[Linux Patch Manager] The audit chain failed verification".to_owned()
        )],
        "admins only (row {first})"
    );
}

#[actix_web::test]
async fn a_certificate_expiring_within_30_days_is_queued_once() {
    use diesel::prelude::*;
    use linux_patch_manager::db::schema::{certificates as k, notification_outbox as o};
    use linux_patch_manager::housekeeping::Chore;
    let db = TestDb::new();
    let (state, clock) = console::state(&db);
    let app = console::app(state.clone()).await;
    let (_, admin) = bearer(&app, &db, &clock, "root", Role::Admin).await;
    let on = json!({"smtp": {"enabled": true, "host": "localhost", "port": 2525, "tls": "none", "from": "pm@example.org"}});
    assert_eq!(call(&app, &admin, put(on)).await.status, 200);
    let prefs = json!({"email": "admin@example.org", "events": ["cert_expiring"]});
    let r = call(
        &app,
        &admin,
        TestRequest::put()
            .uri("/api/v1/account/notifications")
            .set_json(prefs),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // An agent's server certificate (the agent renews those itself) that ends in 10 days, one in 40 days.
    let now = clock.now();
    for (serial, days) in [("0a0b", 10), ("0c0d", 40)] {
        diesel::insert_into(k::table)
            .values((
                k::serial.eq(serial),
                k::kind.eq("agent_server"),
                k::subject.eq(format!("CN=agent-{serial}")),
                k::sans.eq(""),
                k::cert_pem.eq(""),
                k::key_file.eq(""),
                k::not_before.eq(now - Duration::days(300)),
                k::not_after.eq(now + Duration::days(days)),
                k::created_at.eq(now - Duration::days(300)),
            ))
            .execute(&mut db.conn())
            .unwrap();
    }
    for _ in 0..2 {
        let out = state
            .actors
            .housekeeping
            .run_now(Chore::CertificateRenewal)
            .await
            .unwrap();
        assert!(out.result.is_ok(), "{out:?}");
    }
    let rows: Vec<(String, Value, String)> = o::table
        .select((o::event, o::recipients, o::subject))
        .load(&mut db.conn())
        .unwrap();
    let when = (now + Duration::days(10)).format("%Y-%m-%d");
    assert_eq!(
        rows,
        vec![(
            "cert_expiring".to_owned(),
            json!(["admin@example.org"]),
            format!("[Linux Patch Manager] Certificate CN=agent-0a0b expires on {when}")
        )],
        "once, and only the one within 30 days"
    );
}
