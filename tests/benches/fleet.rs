//! `make bench`: the fleet simulator at 2,500 and 10,000 hosts — time from start until every listener
//! serves (`hosts.json` written), resident memory when idle and after one mTLS `GET /health` sweep over
//! every host (64 at a time), per host. Figures, not assertions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::stream::{self, StreamExt};
use linux_patch_tests::agent::{free_port, wait_a_little};
use linux_patch_tests::fleet::{call_host, FleetProc};
use std::time::{Duration, Instant};

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[tokio::main]
async fn main() {
    println!("fleet simulator benchmark (release build; 2% unhealthy, 1% unreachable, instant jobs)");
    for hosts in [2_500usize, 10_000] {
        let port = free_port().to_string();
        let n = hosts.to_string();
        let args = [
            "--hosts",
            &n,
            "--port",
            &port,
            "--base",
            "127.0.1.1",
            "--unhealthy",
            "0.02",
            "--unreachable",
            "0.01",
            "--time-scale",
            "0",
        ];
        let fleet = FleetProc::start(&args, Duration::from_secs(900));
        for _ in 0..40 {
            wait_a_little(); // let start-up allocations settle
        }
        let idle = fleet.status_kib("VmRSS").unwrap_or(0);
        let listening: Vec<_> = fleet
            .file
            .hosts
            .iter()
            .filter(|h| h.state != "unreachable")
            .cloned()
            .collect();
        let started = Instant::now();
        let ok = stream::iter(listening.iter())
            .map(|h| {
                let (ca, manager) = (&fleet.ca_pem, &fleet.manager);
                async move { call_host(h, ca, manager, None, "/api/v1/health").await }
            })
            .buffer_unordered(64)
            .filter(|r| std::future::ready(r.as_ref().is_ok_and(|a| a.response.status == 200)))
            .count()
            .await;
        let sweep = started.elapsed();
        let after = fleet.status_kib("VmRSS").unwrap_or(0);
        let peak = fleet.status_kib("VmHWM").unwrap_or(0);
        let setup = fleet.stderr();
        println!("  {hosts} hosts ({} listening):", listening.len());
        println!(
            "    start until ready        {:>8.2} s",
            fleet.start_time.as_secs_f64()
        );
        for line in setup.lines().filter(|l| l.contains("certificates in")) {
            println!("      ({})", line.trim_start_matches("fleet-sim: "));
        }
        println!(
            "    RSS idle                 {:>10}  ({:.1} KiB per host)",
            mib(idle),
            idle as f64 / hosts as f64
        );
        println!(
            "    health sweep             {:>8.2} s  ({ok} of {} answered 200, 64 concurrent mTLS connections)",
            sweep.as_secs_f64(),
            listening.len()
        );
        println!(
            "    RSS after sweep          {:>10}  (peak {})",
            mib(after),
            mib(peak)
        );
        drop(fleet);
    }
}
