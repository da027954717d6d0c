//! The deployment pages in Chromium on the real HTTPS stack with a manual clock: an operator queues a
//! security-only deployment for their group, the clock is moved into the hosts' window, the page follows
//! live through the relay, one host is rolled back from its row; another group's operator sees nothing.

use super::kit::{agents, app, call, ctx, token};
use actix_web::test::TestRequest;
use diesel::prelude::*;
use linux_patch_manager::actors::poller::Refresh;
use linux_patch_manager::db::models::{Group, Role};
use linux_patch_manager::db::schema::deployments;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::browser::{try_run_script, SCRIPT_TIMEOUT};
use linux_patch_tests::live::LiveConsole;
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, PASSWORD};
use std::time::{Duration, Instant};

#[actix_web::test]
async fn an_operator_queues_for_the_window_watches_it_live_and_rolls_one_host_back() {
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let fleet = agents(&st, &db, &clock, 2);
    let ids: Vec<i64> = fleet.iter().map(|(_, h)| h.id).collect();
    st.actors
        .poller
        .refresh_wait(ids.clone(), Refresh::All)
        .await
        .unwrap();
    let app = app(st.clone()).await;
    let admin = token(&app, &db, &clock, "root", Role::Admin).await;
    let (olga, olga_totp) = ready_user(&mut db.conn(), "olga", Role::Operator);
    let (otto, otto_totp) = ready_user(&mut db.conn(), "otto", Role::Operator);
    let now = clock.now();
    let web = Group::insert(&mut db.conn(), "web", now).unwrap();
    Group::set_members(&mut db.conn(), web.id, &[olga], &ids).unwrap();
    let dbs = Group::insert(&mut db.conn(), "db", now).unwrap();
    Group::set_members(&mut db.conn(), dbs.id, &[otto], &[]).unwrap();
    // Both hosts: one window at 12:10 UTC today (the clock starts at 12:00).
    let r = call(
        &app,
        &admin,
        TestRequest::post()
            .uri("/api/v1/windows")
            .set_json(serde_json::json!({
            "host_ids": ids, "name": "patch hour",
            "spec": {"kind": {"type": "once", "date": "2026-06-01"}, "start": "12:10",
                     "duration_minutes": 60, "time_zone": "UTC", "cutoff_minutes": 15}})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let live = LiveConsole::start(&st, &clock);
    let out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/browser-artefacts/deploy_live");
    std::fs::create_dir_all(&out).unwrap();
    let later = clock.now() + chrono::Duration::minutes(11);
    let env: Vec<(String, String)> = vec![
        ("BASE_URL".into(), live.url.clone()),
        ("CA_PEM".into(), live.ca_pem.to_string_lossy().into_owned()),
        ("OUT_DIR".into(), out.to_string_lossy().into_owned()),
        ("CLOCK_MS".into(), clock.now().timestamp_millis().to_string()),
        ("LATER_MS".into(), later.timestamp_millis().to_string()),
        ("PASSWORD".into(), PASSWORD.into()),
        ("OPERATOR".into(), "olga".into()),
        ("OPERATOR_TOTP".into(), olga_totp),
        ("OTHER".into(), "otto".into()),
        ("OTHER_TOTP".into(), otto_totp),
        ("GROUP_ID".into(), web.id.to_string()),
    ];
    let script = std::thread::spawn(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        try_run_script("deploy_live.mjs", &env, SCRIPT_TIMEOUT)
    });

    // Wait for the queued deployment and its watcher, then open the window.
    let started = Instant::now();
    loop {
        let n: i64 = deployments::table.count().get_result(&mut db.conn()).unwrap();
        if n == 1 && st.actors.relay.status().await.unwrap().watchers >= 1 {
            break;
        }
        assert!(
            !script.is_finished() && started.elapsed() < Duration::from_secs(170),
            "no deployment watched in time"
        );
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    let report = st.actors.scheduler.run_due().await.unwrap();
    assert_eq!(
        report.dispatched, 0,
        "nothing starts before the window: {report:?}"
    );
    clock.advance(chrono::Duration::minutes(11));
    while !script.is_finished() {
        st.actors.scheduler.run_due().await.unwrap();
        actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    }
    let v = script.join().unwrap().unwrap_or_else(|report| panic!("{report}"));
    eprintln!("deploy_live.mjs: {v}");
    assert!(v["review"].as_str().unwrap().contains("2 hosts"), "{v}");
    assert_eq!(
        v["queued"],
        serde_json::json!(["waiting_window", "waiting_window"]),
        "{v}"
    );
    assert_eq!(
        v["stayed"], true,
        "the page changed in place, without a reload: {v}"
    );
    assert_eq!(v["liveRows"], 2, "both rows were updated by the relay: {v}");
    assert_eq!(v["status"], "finished", "{v}");
    assert_eq!(v["rollbackVisible"], true, "{v}");
    let rolled = v["rolledHost"].as_str().unwrap();
    let after = v["afterRollback"].as_array().unwrap();
    for row in after {
        let want = if row[0] == rolled {
            "rolled_back"
        } else {
            "succeeded"
        };
        assert_eq!(row[1], want, "{v}");
    }
    assert_eq!(v["pageStatus"], 404, "{v}");
    assert_eq!(v["apiStatus"], 404, "{v}");
    assert_eq!(v["ws"]["opened"], false, "{v}");
    live.stop().await;
}
