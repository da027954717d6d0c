//! The fleet simulator: 1,000 agents on loopback, each answering a real mTLS health check with its own
//! certificate; unreachable ones refuse, unhealthy ones are degraded, slow ones late; each host has its
//! own allow-list and its own simulated packages and jobs.

use futures_util::stream::{self, StreamExt};
use linux_patch_tests::agent::{free_port, wait_a_little};
use linux_patch_tests::client::{client_config, request, tcp};
use linux_patch_tests::fleet::{call_host, fingerprint, names_of, FleetProc, HostRecord};
use rustls::pki_types::ServerName;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// One request to `host` as the manager, on a fresh connection.
async fn send(
    fleet: &FleetProc,
    host: &HostRecord,
    method: &str,
    target: &str,
    body: Option<Value>,
) -> Value {
    let config = client_config(&fleet.ca_pem, Some(&fleet.manager), &[&rustls::version::TLS13]);
    let stream = tcp(host.address, None).await.unwrap();
    let name = ServerName::IpAddress(host.address.ip().into());
    let mut tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
        .unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let headers: &[(&str, &str)] = if body.is_empty() {
        &[]
    } else {
        &[("Content-Type", "application/json")]
    };
    let r = request(&mut tls, method, target, headers, body.as_bytes())
        .await
        .unwrap();
    assert!(
        r.status < 300,
        "{method} {target} on {}: {}",
        host.hostname,
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_agents_answer_each_with_its_own_certificate_allow_list_and_packages() {
    let port = free_port().to_string();
    let args = [
        "--hosts",
        "1000",
        "--base",
        "127.0.1.1",
        "--port",
        &port,
        "--unhealthy",
        "0.03",
        "--slow",
        "0.005",
        "--unreachable",
        "0.02",
        "--time-scale",
        "0",
    ];
    let fleet = FleetProc::start(&args, Duration::from_secs(60));
    let hosts = &fleet.file.hosts;
    assert_eq!(hosts.len(), 1000);
    let count = |s: &str| hosts.iter().filter(|h| h.state == s).count();
    assert_eq!(
        (
            count("healthy"),
            count("unhealthy"),
            count("slow"),
            count("unreachable")
        ),
        (945, 30, 5, 20)
    );
    let names: BTreeSet<_> = hosts.iter().map(|h| h.hostname.clone()).collect();
    let addrs: BTreeSet<_> = hosts.iter().map(|h| h.address).collect();
    assert_eq!((names.len(), addrs.len()), (1000, 1000));
    assert!(hosts
        .iter()
        .all(|h| !matches!(h.address.ip(), IpAddr::V4(v) if matches!(v.octets()[3], 0 | 255))));

    // Every host, 64 at a time, as the manager would poll them.
    let started = Instant::now();
    let results: Vec<_> = stream::iter(hosts.iter())
        .map(|h| {
            let fleet = &fleet;
            async move {
                let t = Instant::now();
                let r = call_host(h, &fleet.ca_pem, &fleet.manager, None, "/api/v1/health").await;
                (h, r, t.elapsed())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let sweep = started.elapsed();
    for (h, result, took) in results {
        if h.state == "unreachable" {
            let err = result.expect_err(&h.hostname);
            assert_eq!(
                err.kind(),
                std::io::ErrorKind::ConnectionRefused,
                "{}: {err}",
                h.hostname
            );
            continue;
        }
        let answer =
            result.unwrap_or_else(|e| panic!("{} ({}): {e}\n{}", h.hostname, h.address, fleet.stderr()));
        assert_eq!(answer.response.status, 200, "{}", h.hostname);
        assert_eq!(Some(fingerprint(&answer.cert)), h.cert_sha256, "{}", h.hostname);
        let (cn, sans) = names_of(&answer.cert);
        assert_eq!(cn, h.hostname);
        assert!(sans.contains(&format!("DNS:{}", h.hostname)), "{sans:?}");
        assert!(sans.contains(&format!("IP:{}", h.address.ip())), "{sans:?}");
        let health = answer.response.json()["data"].clone();
        assert_eq!(health["backend"], "simulated", "{health}");
        let want = if h.state == "unhealthy" {
            "degraded"
        } else {
            "healthy"
        };
        assert_eq!(health["status"], want, "{}: {health}", h.hostname);
        if h.state == "slow" {
            assert!(
                took >= Duration::from_millis(h.delay_ms.unwrap()),
                "{}: {took:?}",
                h.hostname
            );
        }
    }
    eprintln!(
        "health of 1,000 hosts in {sweep:?} (start {:?})",
        fleet.start_time
    );

    // Allow-lists are per host: the first host admits 127.0.0.1 and its own address, not its neighbour's.
    let (a, b) = (&hosts[0], &hosts[1]);
    assert_eq!(
        (a.state.as_str(), b.state.as_str()),
        ("healthy", "healthy"),
        "pick two healthy hosts"
    );
    let from_neighbour = call_host(
        a,
        &fleet.ca_pem,
        &fleet.manager,
        Some(b.address.ip()),
        "/api/v1/health",
    )
    .await;
    assert!(
        from_neighbour.is_err(),
        "{} admitted {}",
        a.hostname,
        b.address.ip()
    );
    let from_itself = call_host(
        a,
        &fleet.ca_pem,
        &fleet.manager,
        Some(a.address.ip()),
        "/api/v1/health",
    )
    .await
    .unwrap();
    assert_eq!(from_itself.response.status, 200);
    let to_neighbour = call_host(
        b,
        &fleet.ca_pem,
        &fleet.manager,
        Some(b.address.ip()),
        "/api/v1/health",
    )
    .await
    .unwrap();
    assert_eq!(to_neighbour.response.status, 200);

    // Each host has its own packages and its own jobs.
    let pkgs = |v: Value| -> BTreeSet<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{}={}", p["name"], p["version"]))
            .collect()
    };
    let (pa, pb) = (
        pkgs(send(&fleet, a, "GET", "/api/v1/packages", None).await),
        pkgs(send(&fleet, b, "GET", "/api/v1/packages", None).await),
    );
    assert!(
        pa.len() > 1000 && pb.len() > 1000 && pa != pb,
        "{} / {}",
        pa.len(),
        pb.len()
    );
    let b_patches = send(&fleet, b, "GET", "/api/v1/patches", None).await;
    let job = send(
        &fleet,
        a,
        "POST",
        "/api/v1/patches/apply",
        Some(json!({"security_only": true})),
    )
    .await;
    let id = job["data"]["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = loop {
        let j = send(&fleet, a, "GET", &format!("/api/v1/jobs/{id}"), None).await["data"].clone();
        if !matches!(j["status"].as_str(), Some("queued" | "running")) {
            break j;
        }
        assert!(Instant::now() < deadline, "job did not finish: {j}");
        wait_a_little();
    };
    assert_eq!(done["status"], "succeeded", "{done}");
    let left = send(&fleet, a, "GET", "/api/v1/patches?security=true", None).await;
    assert_eq!(left["data"].as_array().unwrap().len(), 0, "{left}");
    assert_eq!(
        send(&fleet, b, "GET", "/api/v1/patches", None).await["data"],
        b_patches["data"]
    );
}
