//! Deployment notifications where they happen: with e-mail on, one host of three failing after its retry
//! queues one `target_failed` e-mail and the finished deployment one `deployment_finished` e-mail, each to the
//! users who chose it (the opt-in one only to whoever opted in).

use super::kit::{agents, app, break_index, call, ctx, settle, token};
use actix_web::test::TestRequest;
use diesel::prelude::*;
use linux_patch_manager::db::models::Role;
use linux_patch_manager::db::schema::notification_outbox as o;
use linux_patch_tests::pg::TestDb;
use serde_json::{json, Value};

#[actix_web::test]
async fn a_failed_target_and_the_finished_deployment_are_queued() {
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let fleet = agents(&st, &db, &clock, 3);
    break_index(&fleet[1].0);
    let app = app(st.clone()).await;
    let admin = token(&app, &db, &clock, "root", Role::Admin).await;
    let on = json!({"smtp": {"enabled": true, "host": "localhost", "port": 2525, "tls": "none", "from": "pm@example.org"}});
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
}
