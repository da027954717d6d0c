//! The manager under faults, with real processes: its embedded PostgreSQL killed (SIGKILL of the
//! postmaster) during a sweep of fleet-sim hosts and then the manager stopped by SIGTERM during another
//! sweep; an external cluster stopped for 20 s and started again. Requests answer 503 within 2 s while
//! the database is away, no host is marked for the manager's own outage, the sweep completes after.

use diesel::prelude::*;
use linux_patch_manager::db::models::user::Role;
use linux_patch_manager::postgres::EmbeddedPostgres;
use linux_patch_tests::agent::free_port;
use linux_patch_tests::client::{client_config, connect, request, Response};
use linux_patch_tests::fleet::FleetProc;
use linux_patch_tests::manager::ManagerProc;
use linux_patch_tests::scale::register_on;
use linux_patch_tests::signin::{api_token, ready_user};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::task::block_in_place;

pub(crate) const POLLER: &str = "poller: { retry_base_secs: 1, concurrency: 8, timeout_secs: 10 }\n";

/// fleet-sim hosts with certificates from `m`'s CA, a fifth of them answering 2-5 s late (so a sweep
/// lasts a few seconds).
pub(crate) fn fleet_for(m: &ManagerProc, hosts: usize, base: &str) -> FleetProc {
    fleet_with(m, hosts, base, &["--time-scale", "0", "--slow", "0.2"])
}

/// fleet-sim hosts with certificates from `m`'s CA and `extra` arguments.
pub(crate) fn fleet_with(m: &ManagerProc, hosts: usize, base: &str, extra: &[&str]) -> FleetProc {
    let ca = m.data_dir().join("ca").to_string_lossy().into_owned();
    let (port, n) = (free_port().to_string(), hosts.to_string());
    let mut args = vec!["--hosts", &n, "--port", &port, "--base", base, "--ca", &ca];
    args.extend_from_slice(extra);
    FleetProc::start(&args, Duration::from_secs(120))
}

/// `method path` with the bearer token on a fresh connection; the answer and how long it took.
pub(crate) async fn call(
    m: &ManagerProc,
    token: &str,
    method: &str,
    path: &str,
    body: &str,
) -> (Response, Duration) {
    let started = Instant::now();
    let cfg = client_config(&m.ca(), None, &[&rustls::version::TLS13]);
    let mut tls = connect(m.addr, cfg, None).await.unwrap();
    let auth = format!("Bearer {token}");
    let mut h = vec![("Authorization", auth.as_str())];
    if !body.is_empty() {
        h.push(("Content-Type", "application/json"));
    }
    let r = request(&mut tls, method, path, &h, body.as_bytes())
        .await
        .unwrap();
    (r, started.elapsed())
}

/// Waits (up to `secs`) until the poller reports `pred` of its status.
async fn poller_until(
    m: &ManagerProc,
    token: &str,
    secs: u64,
    what: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (r, _) = call(m, token, "GET", "/api/v1/poller", "").await;
        if r.status == 200 && pred(&r.json()["data"]) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "poller never {what}: {} {}\n{}",
            r.status,
            String::from_utf8_lossy(&r.body),
            tail(&m.stderr())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Requests during the outage: every one answers within 2 s, a 503 is the envelope with `Retry-After`;
/// returns the `database` states health reported, once the API answers 200 again after a 503.
async fn ride_out(m: &ManagerProc, token: &str, secs: u64) -> Vec<String> {
    let (mut saw_503, mut states) = (false, Vec::new());
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (r, took) = call(m, token, "GET", "/api/v1/hosts?limit=5", "").await;
        assert!(took < Duration::from_secs(2), "GET /api/v1/hosts took {took:?}");
        let (h, took) = call(m, token, "GET", "/api/v1/health", "").await;
        assert!(took < Duration::from_secs(2), "GET /api/v1/health took {took:?}");
        assert_eq!(h.status, 200, "health answers without the database");
        let state = h.json()["data"]["database"].as_str().unwrap().to_owned();
        if states.last() != Some(&state) {
            states.push(state);
        }
        match r.status {
            503 => {
                saw_503 = true;
                assert!(r.header("retry-after").is_some(), "503 without Retry-After");
                let e = r.json();
                assert_eq!(e["error"]["code"], "database_unavailable", "{e}");
                assert_eq!(e["error"]["retryable"], true, "{e}");
            }
            200 if saw_503 => return states,
            200 => {}
            s => panic!(
                "GET /api/v1/hosts answered {s}: {}",
                String::from_utf8_lossy(&r.body)
            ),
        }
        assert!(
            Instant::now() < deadline,
            "the API never came back (states {states:?})\n{}",
            tail(&m.stderr())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The hosts per state (`healthy`, `degraded`, `unreachable`).
pub(crate) fn states(url: &str) -> Vec<(String, i64)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        state: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c = PgConnection::establish(url).unwrap();
    diesel::sql_query("SELECT state, count(*) AS n FROM hosts GROUP BY state ORDER BY state")
        .load::<Row>(&mut c)
        .unwrap()
        .into_iter()
        .map(|r| (r.state, r.n))
        .collect()
}

fn audited(url: &str, action: &str) -> i64 {
    use linux_patch_manager::db::schema::audit_log as a;
    let mut c = PgConnection::establish(url).unwrap();
    a::table
        .filter(a::action.eq(action))
        .count()
        .get_result(&mut c)
        .unwrap()
}

fn postmaster_pid(pgdata: &Path) -> Option<i32> {
    std::fs::read_to_string(pgdata.join("postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Processes whose command line names `dir`.
fn processes_of(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&needle))
        .collect()
}

/// Waits until every host of the last sweep was written (health and patch data of all `hosts`).
async fn sweep_completed(m: &ManagerProc, token: &str, hosts: u64) {
    poller_until(m, token, 90, "completed a full sweep", |d| {
        d["sweeping"] == false
            && d["last_health_sweep"]["ok"] == hosts
            && d["last_patch_sweep"]["ok"] == hosts
    })
    .await;
}

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

/// How long until the API answers 200 again.
pub(crate) async fn ride_out_after_restart(m: &ManagerProc, token: &str) -> Duration {
    let started = Instant::now();
    loop {
        let (r, took) = call(m, token, "GET", "/api/v1/hosts?limit=5", "").await;
        assert!(took < Duration::from_secs(2), "took {took:?}");
        if r.status == 200 {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never back\n{}",
            tail(&m.stderr())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
