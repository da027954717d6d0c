//! Mode `now` on real agents: four hosts patched, one whose index refresh fails is retried exactly once and
//! then named; each agent's own job list shows one job per attempt; and a manager that dies between its
//! POST and storing the job id does not create a second job when another takes over.

use super::kit::{agent_jobs, agents, app, break_index, call, ctx, detail, settle, token};
use actix_web::test::TestRequest;
use diesel::RunQueryDsl;
use linux_patch_manager::agents::JobCall;
use linux_patch_manager::db::models::deployment_claims::claim_due;
use linux_patch_manager::db::models::Role;
use linux_patch_manager::deploy::target::LEASE;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::pg::TestDb;

#[actix_web::test]
async fn one_failing_host_of_five_is_retried_once_then_named_and_the_rest_succeed() {
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let fleet = agents(&st, &db, &clock, 5);
    break_index(&fleet[2].0);
    let app = app(st.clone()).await;
    let admin = token(&app, &db, &clock, "root", Role::Admin).await;
    let ids: Vec<i64> = fleet.iter().map(|(_, h)| h.id).collect();

    let r = call(
        &app,
        &admin,
        TestRequest::post()
            .uri("/api/v1/deployments")
            .set_json(serde_json::json!({"host_ids": ids, "operation": "security_only", "mode": "now"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json()["data"].clone();
    assert_eq!(created["total"], 5);
    assert_eq!(created["counts"]["queued"], 5, "{created}");
    let id = created["id"].as_i64().unwrap();

    settle(&st, &db, id).await;
    let d = detail(&app, &admin, id).await;
    assert_eq!(d["deployment"]["counts"]["succeeded"], 4, "{d}");
    assert_eq!(d["deployment"]["counts"]["failed"], 1, "{d}");
    assert_eq!(d["deployment"]["failed"], 1);
    assert_eq!(d["deployment"]["status"], "finished");
    let targets = d["targets"].as_array().unwrap();
    let failed: Vec<_> = targets.iter().filter(|t| t["state"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0]["hostname"], "deploy-2.test",
        "the failing host is named"
    );
    assert_eq!(failed[0]["attempts"], 2, "retried exactly once");
    assert!(!failed[0]["error"].as_str().unwrap().is_empty(), "{}", failed[0]);

    for (i, (agent, _)) in fleet.iter().enumerate() {
        let jobs = agent_jobs(agent).await;
        let expected = if i == 2 { 2 } else { 1 };
        assert_eq!(
            jobs.len(),
            expected,
            "host {i}: one agent job per attempt: {jobs:?}"
        );
        if i != 2 {
            let t = targets
                .iter()
                .find(|t| t["hostname"] == format!("deploy-{i}.test"))
                .unwrap();
            assert_eq!(t["state"], "succeeded", "{t}");
            assert_eq!(t["agent_job_id"], jobs[0]["id"]);
            let upgraded = t["change_set"]["upgraded"].as_array().unwrap();
            assert!(
                upgraded
                    .iter()
                    .any(|u| u["name"] == "pmtest-lib" && u["to"] == "1.0.1"),
                "{t}"
            );
        }
    }
    let audit = linux_patch_manager::audit::recent(&mut db.conn(), None, 50).unwrap();
    let row = audit.iter().find(|a| a.action == "deployment.create").unwrap();
    assert_eq!(row.actor, "root");
    assert_eq!(row.details["queued"], false);
    assert_eq!(row.details["host_ids"].as_array().unwrap().len(), 5);
}

#[actix_web::test]
async fn a_manager_dying_between_post_and_record_does_not_dispatch_twice() {
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let fleet = agents(&st, &db, &clock, 1);
    let app = app(st.clone()).await;
    let admin = token(&app, &db, &clock, "root", Role::Admin).await;
    let r = call(
        &app,
        &admin,
        TestRequest::post().uri("/api/v1/deployments").set_json(
            serde_json::json!({"host_ids": [fleet[0].1.id], "operation": "security_only", "mode": "now"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["data"]["id"].as_i64().unwrap();

    // Another manager process claims the target and sends the job, then dies before writing anything.
    let now = clock.now();
    let claimed = claim_due(&mut db.conn(), "dead-manager", now, now + LEASE, 10).unwrap();
    assert_eq!(claimed.len(), 1);
    let key = format!("{}.{}", claimed[0].id, claimed[0].attempts);
    let conn = st.agents.client().unwrap().connect();
    let first = conn
        .submit(fleet[0].0.addr, &JobCall::SecurityOnly, &key)
        .await
        .unwrap();

    // While its lease runs nobody else touches the target.
    let r = st.actors.scheduler.run_due().await.unwrap();
    assert_eq!(r.claimed, 0, "{r:?}");
    // After the lease, this manager takes over, re-sends the same attempt and gets the same job.
    clock.advance(LEASE + chrono::Duration::seconds(1));
    settle(&st, &db, id).await;
    let d = detail(&app, &admin, id).await;
    let t = &d["targets"][0];
    assert_eq!(t["state"], "succeeded", "{t}");
    assert_eq!(t["attempts"], 1);
    assert_eq!(t["agent_job_id"], first.id.as_str());
    assert_eq!(
        agent_jobs(&fleet[0].0).await.len(),
        1,
        "one agent job for one target"
    );
}

#[actix_web::test]
async fn a_host_answered_by_another_agent_gets_no_job() {
    // Host 1's address is served by an agent whose certificate the manager never recorded for host 1: the
    // manager recognises agents by the certificate issued to the host, so no job is sent there (High 2 of the
    // trust review).
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let fleet = agents(&st, &db, &clock, 2);
    diesel::sql_query("DELETE FROM certificates WHERE host_id = $1")
        .bind::<diesel::sql_types::BigInt, _>(fleet[1].1.id)
        .execute(&mut db.conn())
        .unwrap();
    let app = app(st.clone()).await;
    let admin = token(&app, &db, &clock, "root", Role::Admin).await;
    let r = call(
        &app,
        &admin,
        TestRequest::post().uri("/api/v1/deployments").set_json(
            serde_json::json!({"host_ids": [fleet[1].1.id], "operation": "security_only", "mode": "now"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["data"]["id"].as_i64().unwrap();
    for _ in 0..4 {
        st.actors.scheduler.run_due().await.unwrap();
        clock.advance(chrono::Duration::minutes(5));
    }
    let admin = token(&app, &db, &clock, "root2", Role::Admin).await;
    let d = detail(&app, &admin, id).await;
    let t = &d["targets"][0];
    assert_eq!(t["state"], "failed", "{t}");
    assert!(t["error"].as_str().unwrap().contains("certificate"), "{t}");
    assert!(
        agent_jobs(&fleet[1].0).await.is_empty(),
        "the impostor got no job"
    );
}
