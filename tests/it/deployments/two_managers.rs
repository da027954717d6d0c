//! Two real manager processes on one database, one deployment of 200 fleet-sim hosts queued for a window
//! that opens a few seconds later: both wake at the opening, claim with `SKIP LOCKED`, and every target is
//! dispatched exactly once (each simulated agent lists exactly one job).

use chrono::{Duration as Span, Timelike, Utc};
use diesel::prelude::*;
use linux_patch_manager::db::schema::{deployment_targets as dt, hosts};
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::fleet::call_host;
use linux_patch_tests::manager::ManagerProc;
use linux_patch_tests::scale::ScaleRig;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_managers_dispatch_each_of_200_targets_once() {
    let n = 200;
    let rig = tokio::task::block_in_place(|| ScaleRig::start(n, "127.0.40.1", "", &[]));
    let mut second = ManagerProc::second_on(&rig.manager);
    tokio::task::block_in_place(|| second.launch());
    let ids: Vec<i64> = hosts::table
        .select(hosts::id)
        .load(&mut rig.manager.db().conn())
        .unwrap();
    assert_eq!(ids.len(), n);

    // A window on every host opening at the next minute with at least 15 s to go (both managers sleep until it).
    let now = SystemClock.now();
    let mut open = (now + Span::seconds(60 - i64::from(now.second())))
        .with_nanosecond(0)
        .unwrap();
    if open - now < Span::seconds(15) {
        open += Span::seconds(60);
    }
    let spec = serde_json::json!({"kind": {"type": "once", "date": open.date_naive().to_string()},
        "start": open.format("%H:%M").to_string(), "duration_minutes": 30, "time_zone": "UTC"});
    let r = rig
        .post_json(
            "/api/v1/windows",
            &serde_json::json!({"host_ids": ids, "spec": spec}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let r = rig
        .post_json(
            "/api/v1/deployments",
            &serde_json::json!({"host_ids": ids, "operation": "security_only"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["data"]["id"].as_i64().unwrap();

    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let open_targets: i64 = dt::table
            .filter(dt::deployment_id.eq(id))
            .filter(dt::state.ne("succeeded"))
            .count()
            .get_result(&mut rig.manager.db().conn())
            .unwrap();
        if open_targets == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open_targets} targets not done; manager 1: {}\nmanager 2: {}",
            rig.manager.stderr(),
            second.stderr()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let rows: Vec<(i32, Option<String>)> = dt::table
        .filter(dt::deployment_id.eq(id))
        .select((dt::attempts, dt::agent_job_id))
        .load(&mut rig.manager.db().conn())
        .unwrap();
    assert!(rows.iter().all(|(a, j)| *a == 1 && j.is_some()), "{rows:?}");
    let started: Vec<chrono::DateTime<Utc>> = dt::table
        .filter(dt::deployment_id.eq(id))
        .select(dt::started_at.assume_not_null())
        .load(&mut rig.manager.db().conn())
        .unwrap();
    assert!(
        started.iter().all(|s| *s >= open),
        "nothing started before the window opened"
    );

    // Every simulated agent lists exactly one job (asked over mTLS with the manager's client certificate).
    let mut per_agent: BTreeMap<usize, usize> = BTreeMap::new();
    for h in &rig.fleet.file.hosts {
        let a = call_host(h, &rig.fleet.ca_pem, &rig.fleet.manager, None, "/api/v1/jobs")
            .await
            .unwrap();
        assert_eq!(a.response.status, 200);
        let jobs = a.response.json()["data"].as_array().map_or(0, Vec::len);
        *per_agent.entry(jobs).or_default() += 1;
    }
    assert_eq!(per_agent, BTreeMap::from([(1, n)]), "agents by number of jobs");
    // Who dispatched what (from each process's log); the sum is every target once.
    let dispatched = |log: String| -> usize {
        log.lines()
            .filter_map(|l| l.split("dispatched ").nth(1))
            .filter_map(|rest| rest.split(',').next()?.trim().parse::<usize>().ok())
            .sum()
    };
    let (one, two) = (dispatched(rig.manager.stderr()), dispatched(second.stderr()));
    println!("dispatched by manager 1: {one}, by manager 2: {two}");
    assert_eq!(one + two, n, "every target dispatched once across both processes");
}
