//! Deployment notifications where they happen: with e-mail on (a real SMTP server, STARTTLS and AUTH), one host
//! of three failing after its retry e-mails one `target_failed` message and the finished deployment one
//! `deployment_finished` message, each to the user who chose it (the opt-in one only to whoever opted in); an
//! administrator who chose neither gets nothing.

use super::kit::{agents, app, break_index, call, ctx, settle, token};
use actix_web::test::TestRequest;
use diesel::prelude::*;
use linux_patch_manager::db::models::Role;
use linux_patch_manager::db::schema::notification_outbox as o;
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::smtp::SmtpServer;
use serde_json::{json, Value};

#[actix_web::test]
async fn a_failed_target_and_the_finished_deployment_are_emailed() {
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let fleet = agents(&st, &db, &clock, 3);
    break_index(&fleet[1].0);
    let app = app(st.clone()).await;
    let admin = token(&app, &db, &clock, "root", Role::Admin).await;
    let ada = token(&app, &db, &clock, "ada", Role::Admin).await;
    let server = SmtpServer::start("pm", "s3cret-pass");
    let on = crate::manager_notify::smtp(&server, "s3cret-pass");
    let r = call(
        &app,
        &admin,
        TestRequest::put().uri("/api/v1/settings").set_json(on),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let prefs = json!({"email": "root@example.org", "events": ["target_failed", "deployment_finished"]});
    let r = call(
        &app,
        &admin,
        TestRequest::put()
            .uri("/api/v1/account/notifications")
            .set_json(prefs),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = call(
        &app,
        &ada,
        TestRequest::put()
            .uri("/api/v1/account/notifications")
            .set_json(json!({"email": "ada@example.org", "events": ["host_red"]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let ids: Vec<i64> = fleet.iter().map(|(_, h)| h.id).collect();
    let body = json!({"host_ids": ids, "operation": "security_only", "mode": "now"});
    let r = call(
        &app,
        &admin,
        TestRequest::post().uri("/api/v1/deployments").set_json(body),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["data"]["id"].as_i64().unwrap();
    settle(&st, &db, id).await;

    let rows: Vec<(String, Value, String)> = o::table
        .order(o::id)
        .select((o::event, o::recipients, o::subject))
        .load(&mut db.conn())
        .unwrap();
    let to = json!(["root@example.org"]);
    assert_eq!(
        rows,
        vec![
            (
                "target_failed".to_owned(),
                to.clone(),
                format!("[Linux Patch Manager] Deployment {id}: deploy-1.test failed")
            ),
            (
                "deployment_finished".to_owned(),
                to,
                format!("[Linux Patch Manager] Deployment {id} finished: 2 succeeded, 1 failed")
            ),
        ]
    );

    // Both reach the real server, to root only, with what happened in the body.
    let d = st.actors.notifier.run_due().await.unwrap();
    assert_eq!((d.sent, d.failed), (2, 0), "{d:?}");
    let got = crate::manager_notify::mails(&server);
    let seen: Vec<(Vec<String>, String)> = got.iter().map(|m| (m.to.clone(), m.subject.clone())).collect();
    assert_eq!(
        seen,
        vec![
            (
                vec!["root@example.org".to_owned()],
                format!("[Linux Patch Manager] Deployment {id}: deploy-1.test failed")
            ),
            (
                vec!["root@example.org".to_owned()],
                format!("[Linux Patch Manager] Deployment {id} finished: 2 succeeded, 1 failed")
            ),
        ]
    );
    assert!(
        got[0].text.contains(&format!(
            "The deployment {id} failed on deploy-1.test after its retry:"
        )),
        "{}",
        got[0].text
    );
    assert!(
        got[1].text.contains(&format!(
            "The deployment {id} (by root) finished: 2 hosts succeeded, 1 did not."
        )),
        "{}",
        got[1].text
    );
}
