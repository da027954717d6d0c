//! A deployment on fleet-sim hosts while the manager's (external) database is stopped for 20 s under
//! running targets: the deployer pauses, the jobs finish on the agents meanwhile, and after the database
//! is back every target ends `succeeded` once — none lost, none dispatched twice (one job per agent).

use crate::faults::{call, fleet_with, ride_out_after_restart, tail, POLLER};
use diesel::prelude::*;
use linux_patch_manager::db::models::user::Role;
use linux_patch_manager::db::schema::{deployment_targets as dt, hosts};
use linux_patch_manager::postgres::EmbeddedPostgres;
use linux_patch_tests::fleet::call_host;
use linux_patch_tests::manager::ManagerProc;
use linux_patch_tests::scale::register_on;
use linux_patch_tests::signin::{api_token, ready_user};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::task::block_in_place;

fn targets(url: &str, id: i64) -> BTreeMap<String, i64> {
    dt::table
        .filter(dt::deployment_id.eq(id))
        .group_by(dt::state)
        .select((dt::state, diesel::dsl::count_star()))
        .load::<(String, i64)>(&mut PgConnection::establish(url).unwrap())
        .unwrap()
        .into_iter()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_stopped_under_running_targets_loses_none_and_sends_none_twice() {
    let n = 20;
    let dir = tempfile::tempdir().unwrap();
    let pg = block_in_place(|| EmbeddedPostgres::start(dir.path()).unwrap());
    {
        let mut c = PgConnection::establish(&pg.url("postgres")).unwrap();
        diesel::sql_query("CREATE DATABASE lpm_deploy")
            .execute(&mut c)
            .unwrap();
    }
    let url = pg.url("lpm_deploy");
    let (m, fleet) = block_in_place(|| {
        let mut m = ManagerProc::prepare_on_url(&url, POLLER);
        // Jobs of a few seconds each (simulated apt at a third of real speed).
        let fleet = fleet_with(&m, n, "127.0.45.1", &["--time-scale", "3"]);
        register_on(&mut PgConnection::establish(&url).unwrap(), &fleet.file.hosts);
        m.launch();
        (m, fleet)
    });
    let secret =
        block_in_place(|| ready_user(&mut PgConnection::establish(&url).unwrap(), "ops", Role::Admin).1);
    let token = block_in_place(|| api_token(&m, "ops", &secret));
    let ids: Vec<i64> = hosts::table
        .select(hosts::id)
        .load(&mut PgConnection::establish(&url).unwrap())
        .unwrap();
    let body = serde_json::json!({"host_ids": ids, "operation": "apply_all", "mode": "now"}).to_string();
    let (r, _) = call(&m, &token, "POST", "/api/v1/deployments", &body).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["data"]["id"].as_i64().unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    while targets(&url, id).get("running").copied().unwrap_or(0) == 0 {
        assert!(
            Instant::now() < deadline,
            "nothing started: {:?}",
            targets(&url, id)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let at_stop = targets(&url, id);
    drop(pg); // pg_ctl stop -m fast
    tokio::time::sleep(Duration::from_secs(20)).await;
    let pg = block_in_place(|| EmbeddedPostgres::start(dir.path()).unwrap());
    ride_out_after_restart(&m, &token).await;

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let s = targets(&url, id);
        let ended: i64 = s
            .iter()
            .filter(|(k, _)| ["succeeded", "failed", "timed_out", "interrupted"].contains(&k.as_str()))
            .map(|(_, v)| v)
            .sum();
        if ended == i64::try_from(n).unwrap() {
            assert_eq!(
                s.get("succeeded"),
                Some(&i64::try_from(n).unwrap()),
                "{s:?} (at the stop {at_stop:?})"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not done: {s:?}\n{}",
            tail(&m.stderr())
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let attempts: Vec<i32> = dt::table
        .filter(dt::deployment_id.eq(id))
        .select(dt::attempts)
        .load(&mut PgConnection::establish(&url).unwrap())
        .unwrap();
    assert!(attempts.iter().all(|a| *a == 1), "{attempts:?}");
    let mut per_agent: BTreeMap<usize, usize> = BTreeMap::new();
    for h in &fleet.file.hosts {
        let a = call_host(h, &fleet.ca_pem, &fleet.manager, None, "/api/v1/jobs")
            .await
            .unwrap();
        let jobs = a.response.json()["data"].as_array().map_or(0, Vec::len);
        *per_agent.entry(jobs).or_default() += 1;
    }
    assert_eq!(per_agent, BTreeMap::from([(1, n)]), "agents by number of jobs");
    eprintln!(
        "deployment across a 20 s database stop: targets at the stop {at_stop:?}, all {n} succeeded once"
    );
    drop(m);
    drop(fleet);
    drop(pg);
}
