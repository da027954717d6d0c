//! `make bench`: the real manager (release build, its own PostgreSQL cluster) polling a simulated fleet on
//! loopback whose certificates come from the manager's CA, at 2,500 and 10,000 hosts: one full health sweep
//! and one full patch-data sweep (from the poller's own figures), Dashboard and Hosts page server time
//! (`Server-Timing`, median and p95 of 30 requests; Hosts and its JSON: the first page at the default size
//! and at the largest, 1,000), manager RSS. Figures, not assertions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use linux_patch_tests::scale::{median_p95, ScaleRig};
use std::time::Duration;

fn rss_mib(pid: u32, field: &str) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn sweep_secs(report: &serde_json::Value, kind: &str) -> String {
    let s = &report["data"][kind];
    match s["duration_ms"].as_f64() {
        Some(ms) => format!(
            "{:>8.2} s  ({} hosts: {} ok, {} failed)",
            ms / 1000.0,
            s["hosts"],
            s["ok"],
            s["failed"]
        ),
        None => format!("n/a ({s})"),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "manager fleet benchmark (release build; fleet-sim on loopback, 2% unhealthy, 1% unreachable; \
         poller concurrency 64)"
    );
    let cfg = "poller: { concurrency: 64, timeout_secs: 10 }\n";
    for (hosts, base) in [(2_500usize, "127.0.64.1"), (10_000, "127.0.96.1")] {
        let rig = tokio::task::block_in_place(|| {
            ScaleRig::start(
                hosts,
                base,
                cfg,
                &["--unhealthy", "0.02", "--unreachable", "0.01"],
            )
        });
        let listening = rig.listening() as i64;
        let all = hosts as i64;
        let first_health = rig.wait_for("health_checked_at", all, Duration::from_secs(900));
        let first_patch = rig.wait_for("patches_checked_at", listening, Duration::from_secs(1800));
        // One full sweep of each kind, forced now (every host, ignoring the schedule), timed by the poller.
        let health = rig
            .post_json("/api/v1/poller/sweep", &serde_json::json!({"what": "health"}))
            .await
            .json();
        let all = rig
            .post_json("/api/v1/poller/sweep", &serde_json::json!({"what": "all"}))
            .await
            .json();
        let pid = rig.manager.pid().unwrap_or(0);
        println!("  {hosts} hosts ({listening} listening):");
        println!(
            "    first contact, all hosts health-checked      {:>8.2} s after start",
            first_health.as_secs_f64()
        );
        println!(
            "    first contact, all patch data fetched        {:>8.2} s after start",
            first_patch.as_secs_f64()
        );
        println!("    full health sweep      {}", sweep_secs(&health, "health"));
        println!("    full patch-data sweep  {}", sweep_secs(&all, "patches"));
        for (name, path) in [
            ("Dashboard", "/"),
            ("Hosts", "/hosts"),
            ("Hosts JSON", "/api/v1/hosts"),
            ("Hosts 1000", "/hosts?limit=1000"),
            ("JSON 1000", "/api/v1/hosts?limit=1000"),
        ] {
            let (r, times) = rig.timed_get(path, 30).await;
            let (med, p95) = median_p95(&times);
            println!(
                "    {name:<11} {path:<14} status {}  {:>7} KiB   server median {med:>7.1} ms  p95 {p95:>7.1} ms",
                r.status,
                r.body.len() / 1024
            );
        }
        println!(
            "    manager RSS {:>7.1} MiB (peak {:.1} MiB)",
            rss_mib(pid, "VmRSS"),
            rss_mib(pid, "VmHWM")
        );
        drop(rig);
    }
}
