//! RBAC on deployments and windows: an operator cannot target, read, list or cancel what touches a host
//! outside their groups (404 exactly as elsewhere), and bad requests change nothing.

use super::kit::{app, call, ctx, token};
use actix_web::test::TestRequest;
use diesel::prelude::*;
use linux_patch_manager::db::models::{Group, Host, Role};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::pg::TestDb;

#[actix_web::test]
async fn operators_see_and_touch_only_deployments_of_their_hosts() {
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let app = app(st.clone()).await;
    let admin = token(&app, &db, &clock, "root", Role::Admin).await;
    let op = token(&app, &db, &clock, "olga", Role::Operator).await;
    let now = clock.now();
    let mut c = db.conn();
    let mine = Host::insert(&mut c, "mine.test", "10.0.0.1", 12443, now).unwrap();
    let theirs = Host::insert(&mut c, "theirs.test", "10.0.0.2", 12443, now).unwrap();
    let g_mine = Group::insert(&mut c, "web", now).unwrap();
    let g_theirs = Group::insert(&mut c, "db", now).unwrap();
    let olga: i64 = linux_patch_manager::db::schema::users::table
        .filter(linux_patch_manager::db::schema::users::username.eq("olga"))
        .select(linux_patch_manager::db::schema::users::id)
        .first(&mut c)
        .unwrap();
    Group::set_members(&mut c, g_mine.id, &[olga], &[mine.id]).unwrap();
    Group::set_members(&mut c, g_theirs.id, &[], &[theirs.id]).unwrap();
    let new = |body: serde_json::Value| TestRequest::post().uri("/api/v1/deployments").set_json(body);

    // Out-of-scope host or group: 404, nothing created.
    for body in [
        serde_json::json!({"host_ids": [theirs.id], "operation": "apply_all", "mode": "now"}),
        serde_json::json!({"group_ids": [g_theirs.id], "operation": "apply_all", "mode": "now"}),
    ] {
        let r = call(&app, &op, new(body)).await;
        assert_eq!(r.status, 404, "{}", r.body);
    }
    // Bad requests: 400 with the reason, nothing created.
    for (body, says) in [
        (
            serde_json::json!({"host_ids": [mine.id], "operation": "drop"}),
            "operation",
        ),
        (
            serde_json::json!({"host_ids": [mine.id], "operation": "install", "packages": ["a;reboot"]}),
            "not a valid package",
        ),
        (
            serde_json::json!({"host_ids": [mine.id], "operation": "apply_all", "extra": 1}),
            "unknown field",
        ),
    ] {
        let r = call(&app, &op, new(body)).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains(says), "{}", r.body);
    }
    let count = |c: &mut diesel::PgConnection| -> i64 {
        linux_patch_manager::db::schema::deployments::table
            .count()
            .get_result(c)
            .unwrap()
    };
    assert_eq!(count(&mut c), 0);

    // The operator's own group: created (mode now), visible to them and to the admin.
    let r = call(
        &app,
        &op,
        new(serde_json::json!({"group_ids": [g_mine.id], "operation": "security_only", "mode": "now"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let own = r.json()["data"]["id"].as_i64().unwrap();
    // The admin's deployment touching the other group's host: invisible to the operator.
    let r = call(
        &app,
        &admin,
        new(serde_json::json!({"host_ids": [mine.id, theirs.id], "operation": "reboot", "mode": "now"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let hidden = r.json()["data"]["id"].as_i64().unwrap();

    let get = |id: i64| TestRequest::get().uri(&format!("/api/v1/deployments/{id}"));
    assert_eq!(call(&app, &op, get(own)).await.status, 200);
    assert_eq!(call(&app, &op, get(hidden)).await.status, 404);
    assert_eq!(call(&app, &admin, get(hidden)).await.status, 200);
    let cancel = TestRequest::post().uri(&format!("/api/v1/deployments/{hidden}/cancel"));
    assert_eq!(call(&app, &op, cancel).await.status, 404);
    let list = call(&app, &op, TestRequest::get().uri("/api/v1/deployments")).await;
    let ids: Vec<i64> = list.json()["data"]["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![own], "{}", list.body);
    // Windows on an out-of-scope host: 404.
    let w = serde_json::json!({"host_ids": [theirs.id], "spec": {"kind": {"type": "daily"}, "start": "02:00", "duration_minutes": 60}});
    let r = call(&app, &op, TestRequest::post().uri("/api/v1/windows").set_json(w)).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = call(
        &app,
        &op,
        TestRequest::get().uri(&format!("/api/v1/hosts/{}/windows", theirs.id)),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);

    // Cancelling the own deployment cancels what was not dispatched, audited.
    let r = call(
        &app,
        &op,
        TestRequest::post().uri(&format!("/api/v1/deployments/{own}/cancel")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["data"]["targets_cancelled"], 1);
    let audit = linux_patch_manager::audit::recent(&mut c, None, 50).unwrap();
    assert!(audit
        .iter()
        .any(|a| a.action == "deployment.cancel" && a.actor == "olga"));
}
