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

mod lease;
mod weekly;

/// The Settings document that turns e-mail on against `server` (STARTTLS, AUTH as `pm`).
pub(crate) fn smtp(server: &SmtpServer, password: &str) -> Value {
    json!({"smtp": {"enabled": true, "host": "localhost", "port": server.port, "tls": "starttls",
        "username": "pm", "password": password, "from": "patch-manager@example.org", "ca_pem": server.ca_pem}})
}

/// (recipients, subject) of every message `server` accepted, oldest first.
pub(crate) fn subjects(server: &SmtpServer) -> Vec<(Vec<String>, String)> {
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

/// One received message as Python's `email` package reads it: subject, text body, attachments.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    /// Envelope recipients.
    pub to: Vec<String>,
    /// Decoded subject.
    pub subject: String,
    /// The text/plain part, decoded, with `\n` line ends.
    pub text: String,
    /// (file name, content type, bytes) of each attachment.
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

/// Every message `server` accepted, parsed (oldest first).
pub(crate) fn mails(server: &SmtpServer) -> Vec<Mail> {
    use base64::Engine;
    use std::io::Write;
    server
        .messages()
        .iter()
        .map(|m| {
            let script = "import base64, email, json, sys\n\
                from email import policy\n\
                m = email.message_from_string(sys.stdin.read(), policy=policy.default)\n\
                body = m.get_body(preferencelist=('plain',))\n\
                atts = [[a.get_filename(), a.get_content_type(), base64.b64encode(a.get_payload(decode=True)).decode()] for a in m.iter_attachments()]\n\
                print(json.dumps({'subject': str(m['subject']), 'text': body.get_content() if body else '', 'atts': atts}))\n";
            let mut p = std::process::Command::new("python3")
                .args(["-c", script])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            p.stdin
                .take()
                .unwrap()
                .write_all(m["content"].as_str().unwrap().as_bytes())
                .unwrap();
            let out = p.wait_with_output().unwrap();
            assert!(out.status.success(), "python email failed");
            let j: Value = serde_json::from_slice(&out.stdout).unwrap();
            Mail {
                to: serde_json::from_value(m["to"].clone()).unwrap(),
                subject: j["subject"].as_str().unwrap().to_owned(),
                text: j["text"].as_str().unwrap().replace("\r\n", "\n"),
                attachments: j["atts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| {
                        (
                            a[0].as_str().unwrap_or_default().to_owned(),
                            a[1].as_str().unwrap().to_owned(),
                            base64::engine::general_purpose::STANDARD
                                .decode(a[2].as_str().unwrap())
                                .unwrap(),
                        )
                    })
                    .collect(),
            }
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

/// Users of a test: `root` (admin) and `ada` (admin) and `olive` (operator), each with an address; `chosen`
/// are root's and olive's events, ada chooses only `host_red`. Answers the admin's bearer.
async fn three_users<S, B>(
    app: &S,
    db: &TestDb,
    clock: &linux_patch_shared::clock::ManualClock,
    chosen: &[&str],
) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let (_, admin) = bearer(app, db, clock, "root", Role::Admin).await;
    let (_, ada) = bearer(app, db, clock, "ada", Role::Admin).await;
    let (_, operator) = bearer(app, db, clock, "olive", Role::Operator).await;
    for (who, email, events) in [
        (&admin, "admin@example.org", json!(chosen)),
        (&ada, "ada@example.org", json!(["host_red"])),
        (&operator, "olive@example.org", json!(chosen)),
    ] {
        let r = call(
            app,
            who,
            TestRequest::put()
                .uri("/api/v1/account/notifications")
                .set_json(json!({"email": email, "events": events})),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    admin
}

#[actix_web::test]
async fn a_broken_audit_chain_is_emailed_to_the_admins_who_chose_it() {
    use diesel::prelude::*;
    use linux_patch_manager::db::schema::audit_log;
    let db = TestDb::new();
    let (state, clock) = console::state(&db);
    let app = console::app(state.clone()).await;
    let server = SmtpServer::start("pm", "s3cret-pass");
    let admin = three_users(&app, &db, &clock, &["audit_broken"]).await;
    assert_eq!(
        call(&app, &admin, put(smtp(&server, "s3cret-pass"))).await.status,
        200
    );

    // Someone alters a row behind the manager's back; the daily check finds it and e-mails root only (ada did
    // not choose it, olive is an operator).
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
    let d = state.actors.notifier.run_due().await.unwrap();
    assert_eq!((d.sent, d.failed), (1, 0), "{d:?}");
    let got = mails(&server);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].to, ["admin@example.org"]);
    assert_eq!(
        got[0].subject,
        "[Linux Patch Manager] The audit chain failed verification"
    );
    assert!(
        got[0]
            .text
            .contains(&format!("The audit chain breaks at row {first}"))
            && got[0].text.contains("2026-06-01 12:00 UTC"),
        "{}",
        got[0].text
    );
}

#[actix_web::test]
async fn a_certificate_expiring_within_30_days_is_emailed_once() {
    use diesel::prelude::*;
    use linux_patch_manager::db::schema::certificates as k;
    use linux_patch_manager::housekeeping::Chore;
    let db = TestDb::new();
    let (state, clock) = console::state(&db);
    let app = console::app(state.clone()).await;
    let server = SmtpServer::start("pm", "s3cret-pass");
    let admin = three_users(&app, &db, &clock, &["cert_expiring"]).await;
    assert_eq!(
        call(&app, &admin, put(smtp(&server, "s3cret-pass"))).await.status,
        200
    );
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
    // Two daily runs (a day apart): one e-mail, for the one within 30 days, to root only.
    for _ in 0..2 {
        let out = state
            .actors
            .housekeeping
            .run_now(Chore::CertificateRenewal)
            .await
            .unwrap();
        assert!(out.result.is_ok(), "{out:?}");
        state.actors.notifier.run_due().await.unwrap();
        clock.advance(Duration::days(1));
    }
    let got = mails(&server);
    assert_eq!(got.len(), 1, "once, and only the one within 30 days: {got:?}");
    let when = (now + Duration::days(10)).format("%Y-%m-%d");
    assert_eq!(got[0].to, ["admin@example.org"]);
    assert_eq!(
        got[0].subject,
        format!("[Linux Patch Manager] Certificate CN=agent-0a0b expires on {when}")
    );
    assert!(
        got[0]
            .text
            .contains("The certificate CN=agent-0a0b (serial 0a0b) expires on"),
        "{}",
        got[0].text
    );
}
