//! Mode `next_window`: a queued deployment waits for its host's window and starts when the clock reaches
//! it (no sleeping until then), a host whose window reached its cut-off is marked `missed_window`, and a
//! host without a window is refused by name.

use super::kit::{agent_jobs, agents, app, call, ctx, detail, settle, token};
use actix_web::test::TestRequest;
use linux_patch_manager::db::models::Role;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::pg::TestDb;

fn once_at(start: &str) -> serde_json::Value {
    // The test clock starts 2026-06-01 12:00 UTC.
    serde_json::json!({"kind": {"type": "once", "date": "2026-06-01"}, "start": start,
                       "duration_minutes": 60, "time_zone": "UTC", "cutoff_minutes": 15})
}

#[actix_web::test]
async fn a_queued_deployment_starts_when_the_window_opens_and_a_passed_cut_off_is_missed() {
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let fleet = agents(&st, &db, &clock, 3);
    let app = app(st.clone()).await;
    let admin = token(&app, &db, &clock, "root", Role::Admin).await;
    let (a, b, c) = (fleet[0].1.id, fleet[1].1.id, fleet[2].1.id);
    for (host, start) in [(a, "14:00"), (b, "14:00")] {
        let r = call(
            &app,
            &admin,
            TestRequest::post().uri("/api/v1/windows").set_json(
                serde_json::json!({"host_ids": [host], "name": "patch night", "spec": once_at(start)}),
            ),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = call(
        &app,
        &admin,
        TestRequest::get().uri(&format!("/api/v1/hosts/{a}/windows")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let next = &r.json()["data"][0]["next_openings"];
    assert_eq!(next[0]["start"], "2026-06-01T14:00:00Z", "{next}");

    // A host without a window cannot be queued: refused by name, nothing created.
    let new = |hosts: Vec<i64>| {
        TestRequest::post()
            .uri("/api/v1/deployments")
            .set_json(serde_json::json!({"host_ids": hosts, "operation": "security_only"}))
    };
    let r = call(&app, &admin, new(vec![a, c])).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("deploy-2.test"), "{}", r.body);

    let r = call(&app, &admin, new(vec![a, b])).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["data"]["id"].as_i64().unwrap();
    assert_eq!(r.json()["data"]["counts"]["waiting_window"], 2);
    let report = st.actors.scheduler.run_due().await.unwrap();
    assert_eq!(report.claimed, 0, "nothing before the window: {report:?}");
    assert_eq!(st.actors.scheduler.run_due().await.unwrap().dispatched, 0);

    // 14:00: host a starts. Host b's agent is stopped first, so its dispatch backs off inside the window.
    clock.advance(chrono::Duration::hours(2));
    let mut fleet = fleet;
    let (agent_b, _) = fleet.remove(1);
    drop(agent_b);
    let r = st.actors.scheduler.run_due().await.unwrap();
    assert_eq!((r.claimed, r.dispatched, r.again), (2, 1, 1), "{r:?}");
    // Past the cut-off (14:45) host b may not start any more.
    clock.advance(chrono::Duration::minutes(50));
    settle(&st, &db, id).await;
    // Access tokens live 15 minutes of the (advanced) clock: sign in again.
    let admin = token(&app, &db, &clock, "root2", Role::Admin).await;
    let d = detail(&app, &admin, id).await;
    let state = |name: &str| {
        d["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["hostname"] == name)
            .map(|t| t["state"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(state("deploy-0.test"), "succeeded", "{d}");
    assert!(
        ["missed_window", "failed"].contains(&state("deploy-1.test").as_str()),
        "{d}"
    );
    assert_eq!(agent_jobs(&fleet[0].0).await.len(), 1);
    assert_eq!(d["deployment"]["status"], "finished");
    assert!(
        clock.now()
            > "2026-06-01T14:45:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
    );
}
