//! SIGKILL of a real manager while a deployment runs on 40 fleet-sim hosts (jobs of a few seconds each):
//! after the restart every target ends exactly once and every simulated agent lists one job.

use diesel::prelude::*;
use linux_patch_manager::db::schema::{deployment_targets as dt, hosts};
use linux_patch_tests::fleet::call_host;
use linux_patch_tests::scale::ScaleRig;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn states(rig: &ScaleRig, id: i64) -> BTreeMap<String, i64> {
    dt::table
        .filter(dt::deployment_id.eq(id))
        .group_by(dt::state)
        .select((dt::state, diesel::dsl::count_star()))
        .load::<(String, i64)>(&mut rig.manager.db().conn())
        .unwrap()
        .into_iter()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_killed_mid_deployment_resumes_and_dispatches_nothing_twice() {
    let n = 40;
    let mut rig =
        tokio::task::block_in_place(|| ScaleRig::start(n, "127.0.41.1", "", &["--time-scale", "3"]));
    let ids: Vec<i64> = hosts::table
        .select(hosts::id)
        .load(&mut rig.manager.db().conn())
        .unwrap();
    let r = rig
        .post_json(
            "/api/v1/deployments",
            &serde_json::json!({"host_ids": ids, "operation": "apply_all", "mode": "now"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["data"]["id"].as_i64().unwrap();

    // Wait until jobs run, then kill the manager with SIGKILL.
    let deadline = Instant::now() + Duration::from_secs(60);
    while states(&rig, id).get("running").copied().unwrap_or(0) == 0 {
        assert!(
            Instant::now() < deadline,
            "nothing started: {:?}",
            states(&rig, id)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let at_kill = states(&rig, id);
    tokio::task::block_in_place(|| rig.manager.crash_and_restart());
    println!("states when killed: {at_kill:?}");

    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let s = states(&rig, id);
        let done: i64 = s
            .iter()
            .filter(|(k, _)| ["succeeded", "failed", "timed_out", "interrupted"].contains(&k.as_str()))
            .map(|(_, v)| v)
            .sum();
        if done == i64::try_from(n).unwrap() {
            assert_eq!(s.get("succeeded"), Some(&i64::try_from(n).unwrap()), "{s:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not done after restart: {s:?}\n{}",
            rig.manager.stderr()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let attempts: Vec<i32> = dt::table
        .filter(dt::deployment_id.eq(id))
        .select(dt::attempts)
        .load(&mut rig.manager.db().conn())
        .unwrap();
    assert!(attempts.iter().all(|a| *a == 1), "{attempts:?}");
    let mut per_agent: BTreeMap<usize, usize> = BTreeMap::new();
    for h in &rig.fleet.file.hosts {
        let a = call_host(h, &rig.fleet.ca_pem, &rig.fleet.manager, None, "/api/v1/jobs")
            .await
            .unwrap();
        let jobs = a.response.json()["data"].as_array().map_or(0, Vec::len);
        *per_agent.entry(jobs).or_default() += 1;
    }
    assert_eq!(per_agent, BTreeMap::from([(1, n)]), "agents by number of jobs");
}
