//! `make bench`: a deployment of security-only patches, mode `now`, to every host of a simulated fleet
//! (2,500 and 10,000 fleet-sim hosts on loopback, certificates from the manager's CA, simulated job durations
//! at `--time-scale 1`), created through `POST /api/v1/deployments` with the host ids, on the real release
//! manager with its own PostgreSQL cluster: time to dispatch every target (none left queued or dispatching),
//! time until every target ended, the console's Dashboard, Jobs (`/deployments`) and Deployment detail
//! (`/deployments/{id}`) server time (`Server-Timing`) during the run vs idle (after it and a `VACUUM`: the same
//! pages in the same round-robin, as many rounds as during the run), and manager RSS.
//! Targets (issue 12; figures, not assertions): 10,000 dispatched within 60 s, page p95 during the run within
//! 2x idle, RSS under 300 MiB.
//!
//! Each page time is split into time in queries and time waiting for a connection (`Server-Timing` `db` and
//! `dbwait`). fleet-sim runs at nice 19: it stands in for the fleet's own machines, whose CPU is not the
//! manager's. `DEPLOY_BENCH_SIZES=2500` runs one size. Relay fan-out has its own bench (`--bench relay`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use linux_patch_manager::db::schema::{deployment_targets as dt, deployments as d, hosts};
use linux_patch_tests::agent::wait_a_little;
use linux_patch_tests::scale::{median_p95, ScaleRig};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Target states that still wait to be sent to an agent.
const UNSENT: [&str; 3] = ["queued", "waiting_window", "dispatching"];

fn rss_mib(pid: u32, field: &str) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn states(c: &mut PgConnection, id: i64) -> BTreeMap<String, i64> {
    dt::table
        .filter(dt::deployment_id.eq(id))
        .group_by(dt::state)
        .select((dt::state, diesel::dsl::count_star()))
        .load::<(String, i64)>(c)
        .unwrap()
        .into_iter()
        .collect()
}

const PAGES: [(&str, &str); 3] = [
    ("Dashboard", "/"),
    ("Jobs", "/deployments"),
    ("Deployment", "/deployments/{id}"),
];

/// Column `k` (`0` app, `1` db, `2` dbwait) of per-request timings.
fn part(v: &[[f64; 3]], k: usize) -> Vec<f64> {
    v.iter().map(|t| t[k]).collect()
}

fn page_path(path: &str, id: i64) -> String {
    path.replace("{id}", &id.to_string())
}

/// What one run measured.
struct Run {
    post: Duration,
    dispatched: Duration,
    finished: Duration,
    counts: BTreeMap<String, i64>,
    /// Per page, each request's `[app, db, dbwait]` ms.
    during: Vec<Vec<[f64; 3]>>,
    idle: Vec<Vec<[f64; 3]>>,
    rss_peak_sampled: f64,
}

/// Rounds of every page of [`PAGES`] in turn (Dashboard, Jobs, Deployment, Dashboard, ...) until `done(rounds
/// so far)`: per page, each request's `[app, db, dbwait]` ms.
fn page_rounds(rig: &ScaleRig, id: i64, done: impl Fn(usize) -> bool) -> Vec<Vec<[f64; 3]>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut times: Vec<Vec<[f64; 3]>> = vec![Vec::new(); PAGES.len()];
    rt.block_on(async {
        let mut n = 0;
        while !done(n) {
            for (i, (_, path)) in PAGES.iter().enumerate() {
                let (r, t) = rig.timed_get_parts(&page_path(path, id), 1).await;
                assert_eq!(r.status, 200, "{path}");
                times[i].extend(t);
            }
            n += 1;
        }
    });
    times
}

fn run(rt: &tokio::runtime::Runtime, rig: &ScaleRig, hosts_n: usize) -> Run {
    let mut conn = rig.manager.db().conn();
    let ids: Vec<i64> = hosts::table.select(hosts::id).load(&mut conn).unwrap();
    assert_eq!(ids.len(), hosts_n);
    let pid = rig.manager.pid().unwrap_or(0);

    let t0 = Instant::now();
    let r = rt.block_on(rig.post_json(
        "/api/v1/deployments",
        &serde_json::json!({"host_ids": ids, "operation": "security_only", "mode": "now"}),
    ));
    let post = t0.elapsed();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["data"]["id"].as_i64().unwrap();

    let stop = AtomicBool::new(false);
    let (dispatched, finished, rss_peak_sampled, during) = std::thread::scope(|s| {
        // The console's pages, one after the other, while the deployment runs.
        let pages = s.spawn(|| page_rounds(rig, id, |_| stop.load(Ordering::Relaxed)));
        let mut dispatched = None;
        let mut rss_peak: f64 = 0.0;
        let deadline = Instant::now() + Duration::from_secs(1800);
        let finished = loop {
            rss_peak = rss_peak.max(rss_mib(pid, "VmRSS"));
            let counts = states(&mut conn, id);
            let unsent: i64 = UNSENT.iter().filter_map(|s| counts.get(*s)).sum();
            if dispatched.is_none() && unsent == 0 {
                dispatched = Some(t0.elapsed());
            }
            let status: String = d::table.find(id).select(d::status).first(&mut conn).unwrap();
            if status == "finished" {
                break t0.elapsed();
            }
            assert!(
                Instant::now() < deadline,
                "deployment #{id} not finished: {counts:?}; manager log:\n{}",
                rig.manager.stderr()
            );
            for _ in 0..8 {
                wait_a_little(); // 200 ms between looks
            }
        };
        stop.store(true, Ordering::Relaxed);
        let during = pages.join().unwrap();
        (dispatched.unwrap_or(finished), finished, rss_peak, during)
    });
    // Idle: the dead row versions the run left vacuumed first (what autovacuum does within a minute; they
    // would slow the idle pages and flatter the ratio), then the same pages in the same round-robin, as many
    // rounds as during the run (at most 600).
    diesel::sql_query("VACUUM (ANALYZE) deployment_targets, deployments, hosts, host_health")
        .execute(&mut conn)
        .unwrap();
    let rounds = during[0].len().clamp(30, 600);
    let idle = page_rounds(rig, id, |n| n >= rounds);
    Run {
        post,
        dispatched,
        finished,
        counts: states(&mut conn, id),
        during,
        idle,
        rss_peak_sampled,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "deployment benchmark (release build; fleet-sim on loopback, every host healthy, simulated job \
         durations at --time-scale 1; deployer concurrency {}; poller intervals 1 h so no sweep runs during the \
         deployment)",
        linux_patch_manager::app::DEFAULT_DEPLOY_CONCURRENCY
    );
    // The first sweeps (health and patch data of every host) end before the deployment starts.
    let cfg = "poller: { concurrency: 64, timeout_secs: 10, health_interval_secs: 3600, patch_interval_secs: 3600 }\n";
    let mut rows = Vec::new();
    // `DEPLOY_BENCH_SIZES=2500` runs one size only (default: both).
    let only: Option<usize> = std::env::var("DEPLOY_BENCH_SIZES")
        .ok()
        .and_then(|v| v.parse().ok());
    for (hosts_n, base) in [(2_500usize, "127.0.64.1"), (10_000, "127.0.96.1")] {
        if only.is_some_and(|n| n != hosts_n) {
            continue;
        }
        let rig = ScaleRig::start(hosts_n, base, cfg, &["--time-scale", "1"]);
        // fleet-sim stands in for the fleet's own machines: at nice 19 its CPU (2,500-10,000 TLS servers) yields
        // to the manager and its database, which are what the page timings measure.
        let threads = rig.fleet.renice(19);
        assert!(threads > 0, "could not renice fleet-sim");
        let all = hosts_n as i64;
        rig.wait_for("health_checked_at", all, Duration::from_secs(900));
        rig.wait_for("patches_checked_at", all, Duration::from_secs(1800));
        let r = run(&rt, &rig, hosts_n);
        let pid = rig.manager.pid().unwrap_or(0);
        let (rss, hwm) = (rss_mib(pid, "VmRSS"), rss_mib(pid, "VmHWM"));
        println!("  {hosts_n} hosts:");
        println!(
            "    POST /api/v1/deployments ({hosts_n} host ids)  {:>8.2} s",
            r.post.as_secs_f64()
        );
        println!(
            "    all dispatched (none queued)            {:>8.2} s   ({:.0} targets/s)",
            r.dispatched.as_secs_f64(),
            hosts_n as f64 / r.dispatched.as_secs_f64()
        );
        println!(
            "    all finished                            {:>8.2} s   targets {:?}",
            r.finished.as_secs_f64(),
            r.counts
        );
        for (i, (name, path)) in PAGES.iter().enumerate() {
            let (dm, dp) = median_p95(&part(&r.during[i], 0));
            let (im, ip) = median_p95(&part(&r.idle[i], 0));
            println!(
                "    {name:<10} {path:<18} during run median {dm:>7.1} ms p95 {dp:>7.1} ms (n={:>3})   idle median \
                 {im:>7.1} ms p95 {ip:>7.1} ms (n={:>3})   p95 ratio {:>5.2}x",
                r.during[i].len(),
                r.idle[i].len(),
                dp / ip
            );
            let med = |v: &[[f64; 3]], k: usize| median_p95(&part(v, k)).0;
            println!(
                "    {:<29} of which median in queries {:>5.1} / {:>5.1} ms, waiting for a connection {:>5.1} / \
                 {:>5.1} ms (during / idle)",
                "",
                med(&r.during[i], 1),
                med(&r.idle[i], 1),
                med(&r.during[i], 2),
                med(&r.idle[i], 2)
            );
        }
        println!(
            "    manager RSS after {rss:>7.1} MiB, highest sampled during run {:.1} MiB, VmHWM {hwm:.1} MiB",
            r.rss_peak_sampled
        );
        rows.push((hosts_n, r, hwm));
        drop(rig);
    }
    println!();
    println!(
        "| hosts | POST | all dispatched | all finished | Dashboard p95 run / idle | Jobs p95 run / idle | \
         Deployment p95 run / idle | RSS peak (VmHWM) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (n, r, hwm) in &rows {
        let p = |i: usize| {
            format!(
                "{:.1} / {:.1} ms",
                median_p95(&part(&r.during[i], 0)).1,
                median_p95(&part(&r.idle[i], 0)).1
            )
        };
        println!(
            "| {n} | {:.2} s | {:.2} s | {:.2} s | {} | {} | {} | {hwm:.0} MiB |",
            r.post.as_secs_f64(),
            r.dispatched.as_secs_f64(),
            r.finished.as_secs_f64(),
            p(0),
            p(1),
            p(2)
        );
    }
    println!(
        "(targets: 10,000 dispatched within 60 s; page p95 during the run within 2x idle; RSS under 300 MiB)"
    );
}
