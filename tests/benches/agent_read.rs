//! `make bench`: the read API on this machine's real dpkg database, over one established mTLS connection.
//! Prints median and p95 of `GET /api/v1/packages` and `GET /api/v1/patches`, the time of `dpkg-query -W`
//! in the same run (and the ratio), and the agent's idle RSS. Figures, not assertions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use linux_patch_tests::agent::{wait_a_little, AgentProc, AgentSetup};
use linux_patch_tests::client::{connect, request, tls13};
use std::process::Command;
use std::time::{Duration, Instant};

const ROUNDS: usize = 300;

fn stats(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let p = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    (p(0.5), p(0.95))
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let agent = AgentProc::start(&AgentSetup {
        rate_limit_per_minute: 0,
        host_database: true,
        ..AgentSetup::default()
    });
    for _ in 0..40 {
        wait_a_little(); // let start-up allocations settle before reading the idle RSS
    }
    let idle_rss = agent.status_kib("VmRSS").unwrap_or(0);

    let cfg = tls13(&agent.pki.ca.cert_pem(), Some(&agent.pki.client));
    let mut conn = connect(agent.addr, cfg, None).await.unwrap();
    let started = Instant::now();
    let first = request(&mut conn, "GET", "/api/v1/patches", &[], b"")
        .await
        .unwrap();
    let first_patches = started.elapsed();
    assert_eq!(first.status, 200, "{}", String::from_utf8_lossy(&first.body));
    let installed = request(&mut conn, "GET", "/api/v1/packages", &[], b"")
        .await
        .unwrap();
    let n_packages = installed.json()["data"].as_array().map_or(0, Vec::len);
    let n_patches = first.json()["data"].as_array().map_or(0, Vec::len);

    let mut timings = Vec::new();
    for target in ["/api/v1/packages", "/api/v1/patches"] {
        let mut v = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let r = request(&mut conn, "GET", target, &[], b"").await.unwrap();
            v.push(t.elapsed());
            assert_eq!(r.status, 200);
        }
        timings.push((target, stats(v)));
    }

    let mut dq = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let out = Command::new("dpkg-query").arg("-W").output().unwrap();
        dq.push(t.elapsed());
        assert!(out.status.success());
    }
    let (dq_median, dq_p95) = stats(dq);
    let after_rss = agent.status_kib("VmRSS").unwrap_or(0);
    let hwm = agent.status_kib("VmHWM").unwrap_or(0);

    println!("agent read benchmark (release build, real dpkg database: {n_packages} packages, {n_patches} pending updates)");
    println!(
        "  first GET /api/v1/patches (runs apt-get -s dist-upgrade): {}",
        ms(first_patches)
    );
    for (target, (median, p95)) in &timings {
        println!(
            "  GET {target:<18} median {:>10}  p95 {:>10}  ({ROUNDS} requests, one mTLS connection)",
            ms(*median),
            ms(*p95)
        );
    }
    println!(
        "  dpkg-query -W           median {:>10}  p95 {:>10}  (30 runs)",
        ms(dq_median),
        ms(dq_p95)
    );
    let ratio = timings[0].1 .0.as_secs_f64() / dq_median.as_secs_f64();
    println!("  GET packages / dpkg-query -W (medians): {ratio:.3}   (target <= 0.5)");
    println!(
        "  agent RSS: idle {:.1} MiB (target <= 12 MiB), after load {:.1} MiB, peak {:.1} MiB",
        idle_rss as f64 / 1024.0,
        after_rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
}
