//! The manager under faults, with real processes: its embedded PostgreSQL killed (SIGKILL of the
//! postmaster) during a sweep of fleet-sim hosts and then the manager stopped by SIGTERM during another
//! sweep; an external cluster stopped for 20 s and started again. Requests answer 503 within 2 s while
//! the database is away, no host is marked for the manager's own outage, the sweep completes after.

mod kit;

pub(crate) use kit::{call, fleet_with, ride_out_after_restart, states, tail, POLLER};

use diesel::prelude::*;
use kit::{audited, fleet_for, poller_until, postmaster_pid, processes_of, ride_out, sweep_completed};
use linux_patch_manager::db::models::user::Role;
use linux_patch_manager::postgres::EmbeddedPostgres;
use linux_patch_tests::client::{client_config, connect, request};
use linux_patch_tests::manager::ManagerProc;
use linux_patch_tests::scale::register_on;
use linux_patch_tests::signin::{api_token, ready_user};
use std::time::{Duration, Instant};
use tokio::task::block_in_place;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_embedded_postmaster_is_restarted_mid_sweep_and_sigterm_stops_everything() {
    let hosts = 40;
    let (mut m, fleet) = block_in_place(|| {
        let mut m = ManagerProc::prepare_embedded(POLLER);
        let fleet = fleet_for(&m, hosts, "127.0.43.1");
        m.launch();
        (m, fleet)
    });
    let url = m.embedded_url();
    let secret = block_in_place(|| {
        let mut c = PgConnection::establish(&url).unwrap();
        register_on(&mut c, &fleet.file.hosts);
        ready_user(&mut c, "ops", Role::Admin).1
    });
    let token = block_in_place(|| api_token(&m, "ops", &secret));
    // The first sweep of the new hosts runs: kill the postmaster under it, as the OOM killer would.
    poller_until(&m, &token, 30, "started a sweep", |d| {
        d["running"].as_array().is_some_and(|r| !r.is_empty())
    })
    .await;
    let pgdata = m.embedded_pgdata();
    let old = postmaster_pid(&pgdata).unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(old), nix::sys::signal::Signal::SIGKILL).unwrap();

    let killed = Instant::now();
    let mut seen = ride_out(&m, &token, 60).await;
    // Health follows within a second or two (the watch's next probe).
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.last().map(String::as_str) != Some("ok") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (h, _) = call(&m, &token, "GET", "/api/v1/health", "").await;
        let state = h.json()["data"]["database"].as_str().unwrap().to_owned();
        if seen.last() != Some(&state) {
            seen.push(state);
        }
    }
    eprintln!(
        "embedded: health said {seen:?}; API back {:?} after the SIGKILL",
        killed.elapsed()
    );
    assert!(seen.iter().any(|s| s == "restarting"), "health said {seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("ok"), "{seen:?}");
    let new = postmaster_pid(&pgdata).unwrap();
    assert_ne!(new, old, "a new postmaster runs");

    sweep_completed(&m, &token, hosts as u64).await;
    assert_eq!(
        states(&url),
        [("healthy".to_owned(), hosts as i64)],
        "no host blamed for the outage"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while audited(&url, "database.restarted") == 0 {
        assert!(
            Instant::now() < deadline,
            "the restart was not audited\n{}",
            tail(&m.stderr())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = m.stderr();
    for l in log
        .lines()
        .filter(|l| l.contains("database") || l.contains("PostgreSQL") || l.contains("paused"))
    {
        eprintln!("manager: {l}");
    }
    assert_eq!(
        log.matches("is not running (killed?)").count(),
        1,
        "logged once per change:\n{log}"
    );
    assert_eq!(log.matches("runs again").count(), 1, "{log}");

    // SIGTERM during a sweep (a forced one, held open by its request): everything stops within 10 s.
    let sweep = {
        let (addr, ca, t2) = (m.addr, m.ca(), token.clone());
        tokio::spawn(async move {
            let cfg = client_config(&ca, None, &[&rustls::version::TLS13]);
            let mut tls = connect(addr, cfg, None).await.unwrap();
            let auth = format!("Bearer {t2}");
            let h = [
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/json"),
            ];
            let _ = request(&mut tls, "POST", "/api/v1/poller/sweep", &h, br#"{"what":"all"}"#).await;
        })
    };
    poller_until(&m, &token, 30, "started the forced sweep", |d| {
        d["running"].as_array().is_some_and(|r| !r.is_empty())
    })
    .await;
    let started = Instant::now();
    block_in_place(|| m.stop());
    let took = started.elapsed();
    eprintln!("SIGTERM during a sweep: stopped in {took:?}");
    assert!(
        took < Duration::from_secs(10),
        "SIGTERM took {took:?}\n{}",
        tail(&m.stderr())
    );
    assert!(!pgdata.join("postmaster.pid").exists(), "the cluster stopped");
    assert_eq!(
        processes_of(&pgdata),
        Vec::<String>::new(),
        "no orphaned postgres"
    );
    sweep.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_cluster_stopped_for_20_s_is_ridden_out() {
    let hosts = 20;
    let dir = tempfile::tempdir().unwrap();
    let pg = block_in_place(|| EmbeddedPostgres::start(dir.path()).unwrap());
    {
        let mut c = PgConnection::establish(&pg.url("postgres")).unwrap();
        diesel::sql_query("CREATE DATABASE lpm_external")
            .execute(&mut c)
            .unwrap();
    }
    let url = pg.url("lpm_external");
    let (m, fleet) = block_in_place(|| {
        let mut m = ManagerProc::prepare_on_url(&url, POLLER);
        let fleet = fleet_for(&m, hosts, "127.0.44.1");
        let mut c = PgConnection::establish(&url).unwrap();
        register_on(&mut c, &fleet.file.hosts);
        m.launch();
        (m, fleet)
    });
    let secret =
        block_in_place(|| ready_user(&mut PgConnection::establish(&url).unwrap(), "ops", Role::Admin).1);
    let token = block_in_place(|| api_token(&m, "ops", &secret));
    poller_until(&m, &token, 30, "started a sweep", |d| {
        d["running"].as_array().is_some_and(|r| !r.is_empty())
    })
    .await;
    drop(pg); // pg_ctl stop -m fast
    let stopped = Instant::now();
    // 20 s away: every request answers 503 within 2 s, health says unavailable.
    let mut seen = Vec::new();
    while stopped.elapsed() < Duration::from_secs(20) {
        let (r, took) = call(&m, &token, "GET", "/api/v1/hosts?limit=5", "").await;
        assert!(took < Duration::from_secs(2), "took {took:?}");
        assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["error"]["code"], "database_unavailable");
        let (h, took) = call(&m, &token, "GET", "/api/v1/health", "").await;
        assert!(took < Duration::from_secs(2), "took {took:?}");
        seen.push(h.json()["data"]["database"].as_str().unwrap().to_owned());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(seen.iter().any(|s| s == "unavailable"), "{seen:?}");
    // Under load too: a burst of 40 requests at once all answer 503 within 2 s (the circuit, not the pool).
    let burst =
        futures_util::future::join_all((0..40).map(|_| call(&m, &token, "GET", "/api/v1/hosts?limit=5", "")))
            .await;
    let slowest = burst.iter().map(|(_, t)| *t).max().unwrap();
    assert!(burst.iter().all(|(r, _)| r.status == 503), "all 503");
    assert!(
        slowest < Duration::from_secs(2),
        "slowest of the burst {slowest:?}"
    );
    eprintln!("external: a burst of 40 requests answered 503, the slowest in {slowest:?}");
    // The console says so in a page of its own, as fast.
    let (p, took) = call(&m, &token, "GET", "/hosts", "").await;
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let page = String::from_utf8_lossy(&p.body).into_owned();
    assert_eq!(p.status, 503, "{page}");
    assert!(p.header("retry-after").is_some());
    assert!(
        page.contains("Database unavailable") && page.contains("retry in a few seconds"),
        "{page}"
    );
    eprintln!("external: {} requests in 20 s, all 503 within 2 s", seen.len());
    let pg = block_in_place(|| EmbeddedPostgres::start(dir.path()).unwrap());
    let back = ride_out_after_restart(&m, &token).await;
    eprintln!("external: API back {back:?} after the cluster started");
    assert!(
        back < Duration::from_secs(10),
        "API back {back:?} after the start"
    );
    sweep_completed(&m, &token, hosts as u64).await;
    assert_eq!(
        states(&url),
        [("healthy".to_owned(), hosts as i64)],
        "no host blamed for the outage"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while audited(&url, "database.recovered") == 0 {
        assert!(
            Instant::now() < deadline,
            "the outage was not audited\n{}",
            tail(&m.stderr())
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(m);
    drop(fleet);
    drop(pg);
}
