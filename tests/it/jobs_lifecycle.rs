//! Jobs across time: patch apply with the mandatory index refresh, WebSocket events, exclusive mode during
//! a rollback, the job timeout, SIGKILL during a job and a restart, rollback after a restart.

use linux_patch_tests::agent::{wait_a_little, AgentProc, AgentSetup};
use linux_patch_tests::api::Api;
use serde_json::json;
use std::time::{Duration, Instant, SystemTime};

const JOB: Duration = Duration::from_secs(120);

fn lists_mtime(agent: &AgentProc) -> SystemTime {
    let lists = agent.sandbox.as_ref().unwrap().root().join("var/lib/apt/lists");
    std::fs::read_dir(&lists)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok()?.modified().ok())
        .max()
        .unwrap()
}

/// Removes one version from the sandbox's copy of the repository index, as if the archive dropped it.
fn forget_version(root: &std::path::Path, name: &str, version: &str) {
    let lists = root.join("var/lib/apt/lists");
    let mut hit = false;
    for entry in std::fs::read_dir(&lists).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with("_Packages") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> = text
            .split("\n\n")
            .filter(|stanza| {
                let drop = stanza.lines().any(|l| l == format!("Package: {name}"))
                    && stanza.lines().any(|l| l == format!("Version: {version}"));
                hit |= drop;
                !drop
            })
            .collect();
        std::fs::write(&path, kept.join("\n\n")).unwrap();
    }
    assert!(hit, "{name} {version} was not in the sandbox's index");
}

#[tokio::test]
async fn security_only_then_all_with_the_index_refreshed_first() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let lists_before = lists_mtime(&agent);
    let sec = api
        .run(
            "POST",
            "/api/v1/patches/apply",
            Some(json!({"security_only": true})),
        )
        .await;
    assert_eq!(sec["status"], "succeeded", "{sec}");
    assert_eq!(
        agent.version_of("pmtest-lib").as_deref(),
        Some("1.0.1"),
        "the security update applied"
    );
    assert_eq!(
        agent.version_of("pmtest-hello").as_deref(),
        Some("1.0"),
        "the other update did not"
    );
    assert!(
        lists_mtime(&agent) > lists_before,
        "apt's lists were refreshed before applying"
    );
    let health = api.get("/api/v1/health").await["data"].clone();
    assert_eq!(health["cache_status"], "fresh", "{health}");
    agent.wait_audit(Duration::from_secs(5), |r| {
        r["event"] == "cache.refresh" && r["ok"] == true
    });

    let all = api.run("POST", "/api/v1/patches/apply", None).await;
    assert_eq!(all["status"], "succeeded", "{all}");
    assert_eq!(agent.version_of("pmtest-hello").as_deref(), Some("1.1"));
    assert_eq!(
        api.get("/api/v1/patches").await["data"],
        json!([]),
        "nothing pending afterwards"
    );
    let rb = api.rollback(&all).await;
    assert_eq!(rb["status"], "succeeded", "{rb}");
    assert_eq!(agent.version_of("pmtest-hello").as_deref(), Some("1.0"));
    assert_eq!(
        agent.version_of("pmtest-lib").as_deref(),
        Some("1.0.1"),
        "only the last job's change is undone"
    );
}

#[tokio::test]
async fn a_failed_index_refresh_fails_the_apply_and_degrades_health() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let root = agent.sandbox.as_ref().unwrap().root().to_path_buf();
    let sources = root.join("etc/apt/sources.list");
    let text = std::fs::read_to_string(&sources).unwrap();
    std::fs::write(
        &sources,
        format!(
            "{text}deb [trusted=yes] file:{}/no-such-repo ./\n",
            root.display()
        ),
    )
    .unwrap();
    let job = api.run("POST", "/api/v1/patches/apply", None).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["message"].as_str().unwrap().contains("refresh"), "{job}");
    assert_eq!(
        agent.version_of("pmtest-hello").as_deref(),
        Some("1.0"),
        "nothing was applied"
    );
    let health = api.get("/api/v1/health").await["data"].clone();
    assert_eq!(health["cache_status"], "failed", "{health}");
    assert_eq!(health["status"], "degraded");
}

#[tokio::test]
async fn websocket_streams_a_jobs_events_in_order() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let id = api
        .submit(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-new"]})),
        )
        .await;
    let events = api.job_events(&id, JOB).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    println!("WebSocket transcript of job {id}:");
    for e in &events {
        println!("{e}");
    }
    assert_eq!(kinds.first(), Some(&"queued"), "{kinds:?}");
    assert_eq!(kinds.get(1), Some(&"started"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"finished"), "{kinds:?}");
    assert!(
        kinds.contains(&"output") && kinds.contains(&"progress"),
        "{kinds:?}"
    );
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "sequence without gaps"
    );
    assert!(events.iter().all(|e| e["job_id"] == id.as_str()));
    let last = events.last().unwrap();
    assert_eq!(last["status"], "succeeded");
    assert_eq!(last["change_set"]["installed"].as_array().unwrap().len(), 2);
    let percents: Vec<u64> = events.iter().filter_map(|e| e["percent"].as_u64()).collect();
    assert!(
        percents.windows(2).all(|w| w[0] <= w[1]),
        "progress never goes back: {percents:?}"
    );
}

/// A client that subscribes after the job finished gets every recorded event and then the close — the
/// replay used to stop at the socket's mailbox bound (16 events), leaving the client waiting forever.
#[tokio::test]
async fn a_late_subscriber_gets_the_whole_replay_and_the_close() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let job = api
        .run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-new"]})),
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let id = job["id"].as_str().unwrap();
    let events = api.job_events(id, JOB).await;
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.len() > 16,
        "a job with more events than the old bound: {seqs:?}"
    );
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    assert_eq!(events.last().unwrap()["event"], "finished", "{events:?}");
}

#[tokio::test]
async fn exclusive_mode_refuses_other_requests_during_a_rollback() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    // pmtest-slow's postinst takes seconds: rolling back its removal reinstalls it, slowly.
    assert_eq!(
        api.run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-slow"]}))
        )
        .await["status"],
        "succeeded"
    );
    let rm = api.run("DELETE", "/api/v1/packages/pmtest-slow", None).await;
    assert_eq!(rm["status"], "succeeded", "{rm}");
    let rb = api
        .submit(
            "POST",
            &format!("/api/v1/jobs/{}/rollback", rm["id"].as_str().unwrap()),
            None,
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let refused = loop {
        let r = api.call("GET", "/api/v1/packages", &[], None).await;
        if r.status == 503 {
            break r;
        }
        assert!(Instant::now() < deadline, "never saw exclusive mode");
        wait_a_little();
    };
    assert_eq!(refused.json()["error"]["code"], "UNAVAILABLE");
    assert_eq!(refused.json()["error"]["retryable"], true);
    assert!(refused.header("retry-after").is_some());
    let post = api
        .call(
            "POST",
            "/api/v1/packages",
            &[],
            Some(&json!({"packages": ["pmtest-new"]})),
        )
        .await;
    assert_eq!(post.status, 503, "no new job is accepted either");
    assert_eq!(
        api.call("GET", "/api/v1/health", &[], None).await.status,
        200,
        "health stays answerable"
    );
    let done = api.wait_job(&rb, JOB).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(agent.version_of("pmtest-slow").as_deref(), Some("1.0"));
    assert_eq!(
        api.call("GET", "/api/v1/packages", &[], None).await.status,
        200,
        "exclusive mode ended"
    );
}

#[tokio::test]
async fn a_hung_job_times_out_and_the_next_job_works() {
    let agent = AgentProc::start(&AgentSetup {
        job_timeout_secs: 4,
        ..AgentSetup::default()
    });
    let api = Api::of(&agent);
    let hung = api
        .run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-hang"]})),
        )
        .await;
    assert_eq!(hung["status"], "timed_out", "{hung}");
    assert!(hung["message"].as_str().unwrap().contains("timed out"));
    let next = api
        .run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-new"]})),
        )
        .await;
    assert_eq!(next["status"], "succeeded", "{next}");
}

#[tokio::test]
async fn sigkill_during_a_job_leaves_it_interrupted_and_the_agent_recovers() {
    let mut agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let done = api
        .run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-hello=1.1"]})),
        )
        .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let id = api
        .submit(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-slow"]})),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = api.get(&format!("/api/v1/jobs/{id}")).await["data"].clone();
        if job["status"] == "running" && job["output_tail"].as_array().is_some_and(|t| !t.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "job never ran: {job}");
        wait_a_little();
    }
    agent.kill_hard();
    agent.restart();
    let api = Api::of(&agent);
    let job = api.get(&format!("/api/v1/jobs/{id}")).await["data"].clone();
    assert_eq!(job["status"], "interrupted", "{job}");
    let next = api
        .run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-new"]})),
        )
        .await;
    assert_eq!(
        next["status"], "succeeded",
        "the next job works after the crash: {next}"
    );
    let audit = std::process::Command::new("dpkg")
        .arg(format!(
            "--admindir={}",
            agent.sandbox.as_ref().unwrap().admindir().display()
        ))
        .arg("--audit")
        .output()
        .unwrap();
    assert!(
        audit.stdout.is_empty(),
        "dpkg database consistent: {}",
        String::from_utf8_lossy(&audit.stdout)
    );
    // A job finished before the crash can still be rolled back after the restart.
    let rb = api.rollback(&done).await;
    assert_eq!(rb["status"], "succeeded", "{rb}");
    assert_eq!(agent.version_of("pmtest-hello").as_deref(), Some("1.0"));
    agent.wait_audit(Duration::from_secs(5), |r| {
        r["event"] == "job.interrupted" && r["job_id"] == id.as_str()
    });
}

#[tokio::test]
async fn a_rollback_whose_old_version_is_gone_fails_naming_it_and_changes_nothing() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let up = api.run("PUT", "/api/v1/packages/pmtest-hello", None).await;
    assert_eq!(up["status"], "succeeded", "{up}");
    let removed = api.run("DELETE", "/api/v1/packages/pmtest-app", None).await;
    assert_eq!(removed["status"], "succeeded");
    // The archive drops 1.0 of pmtest-hello: rolling back the upgrade is no longer possible.
    let sandbox = agent.sandbox.as_ref().unwrap();
    forget_version(sandbox.root(), "pmtest-hello", "1.0");
    let before = sandbox.dpkg_query_w();
    let rb = api.rollback(&up).await;
    assert_eq!(rb["status"], "failed", "{rb}");
    assert!(
        rb["message"].as_str().unwrap().contains("pmtest-hello=1.0"),
        "{rb}"
    );
    assert_eq!(sandbox.dpkg_query_w(), before, "nothing else changed");
}
