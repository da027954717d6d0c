//! `make bench`: the reports on the real release manager (own PostgreSQL cluster) after polling a simulated
//! fleet (fleet-sim on loopback, 2,500 and 10,000 hosts): the compliance page (`Server-Timing`, median and
//! p95 of 20), the compliance CSV streamed to the end (wall time, 3 runs, bytes and records), the compliance
//! and vulnerability PDFs at 2,500 hosts (wall time, 3 runs). Targets (issue 15; figures, not assertions):
//! page <= 200 ms, CSV <= 2 s, PDF <= 5 s at 2,500 hosts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use linux_patch_tests::client::{client_config, connect};
use linux_patch_tests::scale::{median_p95, ScaleRig};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `GET path` to the end of the body (`Connection: close`, any transfer encoding): wall ms and bytes.
async fn fetch_all(rig: &ScaleRig, path: &str) -> (f64, Vec<u8>) {
    let cfg = client_config(&rig.manager.ca(), None, &[&rustls::version::TLS13]);
    let start = Instant::now();
    let mut tls = connect(rig.manager.addr, cfg, None).await.unwrap();
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        rig.token
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    (start.elapsed().as_secs_f64() * 1000.0, out)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("reports benchmark (release build; fleet-sim on loopback; poller concurrency 64)");
    let cfg = "poller: { concurrency: 64, timeout_secs: 10 }\n";
    for (hosts, base) in [(2_500usize, "127.0.72.1"), (10_000, "127.0.104.1")] {
        let rig =
            tokio::task::block_in_place(|| ScaleRig::start(hosts, base, cfg, &["--unreachable", "0.01"]));
        let listening = rig.listening() as i64;
        rig.wait_for("patches_checked_at", listening, Duration::from_secs(1800));
        println!("  {hosts} hosts ({listening} with patch data):");
        let (r, times) = rig.timed_get("/reports/compliance", 20).await;
        let (med, p95) = median_p95(&times);
        println!(
            "    compliance page       status {}  {:>6} KiB   server median {med:>7.1} ms  p95 {p95:>7.1} ms",
            r.status,
            r.body.len() / 1024
        );
        let (r, times) = rig.timed_get("/api/v1/reports/compliance", 20).await;
        let (med, p95) = median_p95(&times);
        println!(
            "    compliance JSON       status {}  {:>6} KiB   server median {med:>7.1} ms  p95 {p95:>7.1} ms",
            r.status,
            r.body.len() / 1024
        );
        let mut runs = Vec::new();
        let mut last = Vec::new();
        for _ in 0..3 {
            let (ms, body) = fetch_all(&rig, "/reports/compliance.csv").await;
            runs.push(ms);
            last = body;
        }
        let (med, _) = median_p95(&runs);
        let records = last.windows(2).filter(|w| w == b"\r\n").count();
        println!(
            "    compliance CSV        {:>6} KiB, ~{records} records   wall median {med:>7.1} ms (runs {:?})",
            last.len() / 1024,
            runs.iter().map(|r| r.round() as i64).collect::<Vec<_>>()
        );
        if hosts == 2_500 {
            for (name, path) in [
                ("compliance PDF", "/reports/compliance.pdf"),
                ("vulnerability PDF", "/reports/vulnerabilities.pdf"),
            ] {
                let mut runs = Vec::new();
                let mut size = 0;
                for _ in 0..3 {
                    let (ms, body) = fetch_all(&rig, path).await;
                    runs.push(ms);
                    size = body.len();
                }
                let (med, _) = median_p95(&runs);
                println!(
                    "    {name:<21} {:>6} KiB   wall median {med:>7.1} ms (runs {:?})",
                    size / 1024,
                    runs.iter().map(|r| r.round() as i64).collect::<Vec<_>>()
                );
            }
        }
        drop(rig);
    }
}
