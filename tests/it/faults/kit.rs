//! What the fault tests share: a fleet on the manager's CA, bearer calls timed, the poller's status, the
//! outage ridden out request by request, and what the database and /proc say afterwards.

use diesel::prelude::*;
use linux_patch_tests::agent::free_port;
use linux_patch_tests::client::{client_config, connect, request, Response};
use linux_patch_tests::fleet::FleetProc;
use linux_patch_tests::manager::ManagerProc;
use std::path::Path;
use std::time::{Duration, Instant};

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
pub(crate) async fn poller_until(
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
pub(crate) async fn ride_out(m: &ManagerProc, token: &str, secs: u64) -> Vec<String> {
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

pub(crate) fn audited(url: &str, action: &str) -> i64 {
    use linux_patch_manager::db::schema::audit_log as a;
    let mut c = PgConnection::establish(url).unwrap();
    a::table
        .filter(a::action.eq(action))
        .count()
        .get_result(&mut c)
        .unwrap()
}

pub(crate) fn postmaster_pid(pgdata: &Path) -> Option<i32> {
    std::fs::read_to_string(pgdata.join("postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Processes whose command line names `dir`.
pub(crate) fn processes_of(dir: &Path) -> Vec<String> {
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
pub(crate) async fn sweep_completed(m: &ManagerProc, token: &str, hosts: u64) {
    poller_until(m, token, 90, "completed a full sweep", |d| {
        d["sweeping"] == false
            && d["last_health_sweep"]["ok"] == hosts
            && d["last_patch_sweep"]["ok"] == hosts
    })
    .await;
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
