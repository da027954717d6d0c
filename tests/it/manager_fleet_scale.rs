//! The console with a large fleet: 2,500 simulated hosts (fleet-sim, certificates from the manager's CA)
//! registered and polled by the real manager; the Dashboard, Hosts (walked page by page) and Host detail
//! pages in headless Chromium and `GET /api/v1/hosts` (walked by cursor) show what the agents report.

use futures_util::stream::{self, StreamExt};
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::browser::try_run_script;
use linux_patch_tests::fleet::call_host;
use linux_patch_tests::scale::{median_p95, ScaleRig};
use linux_patch_tests::signin::PASSWORD;
use std::path::Path;
use std::time::Duration;

/// What the agents themselves report: (hosts answering, pending security updates summed, hosts with none).
async fn agents_report(rig: &ScaleRig) -> (usize, u64, usize) {
    let listening: Vec<_> = rig
        .fleet
        .file
        .hosts
        .iter()
        .filter(|h| h.state != "unreachable")
        .cloned()
        .collect();
    let counts: Vec<u64> = stream::iter(listening.iter())
        .map(|h| {
            let (ca, manager) = (&rig.fleet.ca_pem, &rig.fleet.manager);
            async move {
                let a = call_host(h, ca, manager, None, "/api/v1/patches").await.unwrap();
                assert_eq!(a.response.status, 200, "{}", h.hostname);
                let v = a.response.json();
                let list = v["data"]["patches"]
                    .as_array()
                    .or_else(|| v["data"].as_array())
                    .cloned()
                    .unwrap_or_default();
                list.iter().filter(|p| p["security"] == true).count() as u64
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let clean = counts.iter().filter(|c| **c == 0).count();
    (listening.len(), counts.iter().sum(), clean)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_and_hosts_pages_show_a_2500_host_fleet_as_the_agents_report_it() {
    let hosts = 2_500;
    let rig = tokio::task::block_in_place(|| {
        ScaleRig::start(
            hosts,
            "127.0.32.1",
            "poller: { retry_base_secs: 1, concurrency: 64 }\n",
            &["--unreachable", "0.01"],
        )
    });
    let used_step = SystemClock.now().timestamp() / 30;
    let listening = rig.listening();
    let unreachable = hosts - listening;
    tokio::task::block_in_place(|| {
        rig.wait_for("health_checked_at", hosts as i64, Duration::from_secs(600));
        rig.wait_for("patches_checked_at", listening as i64, Duration::from_secs(900));
    });
    // Unreachable hosts turn red after their retries (1 s, 2 s, 4 s apart here).
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        let (r, _) = rig.timed_get("/api/v1/dashboard", 1).await;
        let d = r.json();
        let red = serde_json::to_string(&d["data"]).unwrap_or_default();
        if d["data"]["states"]["unreachable"] == unreachable as u64
            || d["data"]["unreachable"] == unreachable as u64
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "unreachable hosts never all red: {red}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (answering, security, clean) = agents_report(&rig).await;
    assert_eq!(answering, listening);

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shots = linux_patch_tests::browser::screenshot_dir();
    let out = root.join("target/browser-artefacts/fleet");
    std::fs::create_dir_all(&out).unwrap();
    let search = rig.fleet.file.hosts[1234].hostname.clone();
    let (ca, shots, out) = (
        rig.manager.ca_pem.to_string_lossy().into_owned(),
        shots.to_string_lossy().into_owned(),
        out.to_string_lossy().into_owned(),
    );
    let step = used_step.to_string();
    let env = [
        ("BASE_URL", rig.manager.url.as_str()),
        ("CA_PEM", ca.as_str()),
        ("USERNAME", "bench"),
        ("PASSWORD", PASSWORD),
        ("TOTP_SECRET", rig.totp_secret.as_str()),
        ("AFTER_STEP", step.as_str()),
        ("SEARCH", search.as_str()),
        ("SCREENSHOT_DIR", shots.as_str()),
        ("OUT_DIR", out.as_str()),
    ];
    let v = tokio::task::block_in_place(|| {
        try_run_script("fleet.mjs", &env, Duration::from_secs(240))
            .unwrap_or_else(|report| panic!("{report}\n--- manager stderr ---\n{}", rig.manager.stderr()))
    });
    eprintln!("fleet.mjs: {v}");
    let d = &v["dashboard"];
    assert_eq!(d["hosts"], hosts as u64, "{v}");
    assert_eq!(d["unreachable"], unreachable as u64, "{v}");
    assert_eq!(
        d["healthy"].as_u64().unwrap() + d["degraded"].as_u64().unwrap(),
        listening as u64,
        "{v}"
    );
    assert_eq!(d["unknown"], 0, "{v}");
    assert_eq!(
        d["pending_security"], security,
        "dashboard vs the agents' own reports: {v}"
    );
    assert_eq!(
        d["compliant"], clean as u64,
        "hosts without pending security updates: {v}"
    );
    assert_eq!(
        d["alerts"].as_u64().unwrap(),
        unreachable as u64 + d["degraded"].as_u64().unwrap(),
        "{v}"
    );
    assert!(d["ca_link"].as_u64().unwrap() >= 1, "{v}");
    // The Hosts page: 100 rows a page, the total counted, every host reachable through Next, once.
    assert_eq!(v["hostCount"], hosts as u64, "{v}");
    assert_eq!(v["firstPageRows"], 100, "{v}");
    assert_eq!(v["pages"], hosts.div_ceil(100) as u64, "{v}");
    assert_eq!(v["rows"], hosts as u64, "{v}");
    assert_eq!(v["uniqueRows"], hosts as u64, "{v}");
    assert_eq!(v["hasFirst"], true, "{v}");
    assert_eq!(v["unreachableRows"], unreachable as u64, "{v}");
    assert_eq!(v["unreachableCount"], unreachable as u64, "{v}");
    assert_eq!(v["searchRows"], 1, "{v}");
    assert!(
        v["packageRows"].as_u64().unwrap() > 0,
        "installed packages fetched live: {v}"
    );

    // The API by cursor: the same hosts in the same order as the pages, security counts as the agents say.
    let (api, api_security) = walk_api(&rig, "/api/v1/hosts?limit=1000").await;
    let page_names: Vec<String> = serde_json::from_value(v["names"].clone()).unwrap();
    assert_eq!(api, page_names, "API cursor walk vs Hosts page walk");
    assert_eq!(
        api_security, security,
        "summed over the API pages vs the agents' own reports"
    );
    let (unreachable_names, _) = walk_api(&rig, "/api/v1/hosts?state=unreachable&limit=7").await;
    assert_eq!(unreachable_names.len(), unreachable);

    // Figures, not assertions: what one request sends now (the unpaged list sent every host).
    for path in [
        "/hosts",
        "/api/v1/hosts",
        "/hosts?limit=1000",
        "/api/v1/hosts?limit=1000",
    ] {
        let (r, times) = rig.timed_get(path, 5).await;
        let (med, p95) = median_p95(&times);
        eprintln!(
            "{hosts} hosts: {path:<26} status {} {:>9} bytes  server median {med:.1} ms  p95 {p95:.1} ms",
            r.status,
            r.body.len()
        );
    }
}

/// `GET path` and every following page (`X-Next-After`): the host names in order and the pending security
/// updates summed; every page carries the same `X-Total-Count`, equal to the names walked.
async fn walk_api(rig: &ScaleRig, path: &str) -> (Vec<String>, u64) {
    let (mut names, mut security, mut total) = (Vec::new(), 0, None);
    let mut next = Some(path.to_owned());
    while let Some(uri) = next {
        let (r, _) = rig.timed_get(&uri, 1).await;
        assert_eq!(r.status, 200, "{uri}");
        let count: usize = r.header("x-total-count").unwrap().parse().unwrap();
        assert_eq!(*total.get_or_insert(count), count, "{uri}");
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        for h in v["data"].as_array().unwrap() {
            names.push(h["hostname"].as_str().unwrap().to_owned());
            security += h["pending_security"].as_u64().unwrap();
        }
        next = r.header("x-next-after").map(|c| format!("{path}&after={c}"));
    }
    assert_eq!(Some(names.len()), total, "{path}");
    (names, security)
}
