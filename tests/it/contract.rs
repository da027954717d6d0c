//! The agent as a client written from the seed documents meets it: health's seed fields and forms,
//! degraded for every documented reason, error details always an object, every error code documented,
//! the seed's `cache.json`, lenient query booleans, the `completed` alias and the per-patch reboot hint.

use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::api::Api;
use serde_json::{json, Value};
use std::time::Duration;

/// What Python 3.8's `datetime.fromisoformat` reads for an aware UTC time: `YYYY-MM-DDTHH:MM:SS`, then
/// nothing, `.fff` or `.ffffff`, then `+00:00`.
fn python38_reads(s: &str) -> bool {
    let Some(t) = s.strip_suffix("+00:00") else {
        return false;
    };
    let (main, frac) = t.split_once('.').map_or((t, ""), |(m, f)| (m, f));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    let b = main.as_bytes();
    main.len() == 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && main.split(['-', 'T', ':']).all(digits)
        && matches!(frac.len(), 0 | 3 | 6)
        && digits(frac)
}

fn cache_file(agent: &AgentProc) -> std::path::PathBuf {
    agent
        .prefix
        .path()
        .join("var/lib/linux_patch_api/state/cache.json")
}

#[test]
fn python38_form_check_is_strict() {
    assert!(python38_reads("2026-05-27T13:30:00+00:00"));
    assert!(python38_reads("2026-05-27T13:30:00.123456+00:00"));
    assert!(!python38_reads("2026-05-27T13:30:00.123456789+00:00"));
    assert!(!python38_reads("2026-05-27T13:30:00Z"));
    assert!(!python38_reads("2026-05-27T13:30:00.12+00:00"));
}

#[tokio::test]
async fn health_reads_a_seed_cache_file_and_answers_in_the_seed_form() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    // A cache.json in the seed's form (as an agent written from the seed leaves it): not corrupt, fresh.
    let now =
        chrono::DateTime::parse_from_rfc3339(api.get("/api/v1/health").await["timestamp"].as_str().unwrap())
            .unwrap()
            .to_utc();
    let seed_stamp = (now - chrono::Duration::minutes(30))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    std::fs::write(
        cache_file(&agent),
        format!(r#"{{"last_cache_update": "{seed_stamp}", "last_update_success": true}}"#),
    )
    .unwrap();
    let h = api.get("/api/v1/health").await;
    let d = &h["data"];
    assert_eq!(d["status"], "healthy", "{h}");
    assert_eq!(d["cache_status"], "fresh", "{h}");
    assert_eq!(d["last_cache_update"], seed_stamp.as_str());
    assert!(python38_reads(d["last_cache_update"].as_str().unwrap()), "{h}");
    assert!(d["uptime_seconds"].as_u64().is_some(), "{h}");
    assert!(d.get("uptime_secs").is_none(), "the old name is gone: {h}");
    assert_eq!(d["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(d["problems"], json!([]));
    assert_eq!(d["remote_syslog"], Value::Null);
    assert!(
        !agent.stderr().contains("corrupt cache state"),
        "{}",
        agent.logs()
    );

    // The seed's failed form: degraded with cache_status failed.
    std::fs::write(
        cache_file(&agent),
        format!(r#"{{"last_cache_update": "{seed_stamp}", "last_update_success": false}}"#),
    )
    .unwrap();
    let d = api.get("/api/v1/health").await["data"].clone();
    assert_eq!(
        (d["status"].as_str(), d["cache_status"].as_str()),
        (Some("degraded"), Some("failed")),
        "{d}"
    );
}

#[tokio::test]
async fn health_degrades_when_the_package_database_or_the_tls_material_breaks() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let fresh =
        chrono::DateTime::parse_from_rfc3339(api.get("/api/v1/health").await["timestamp"].as_str().unwrap())
            .unwrap()
            .to_utc();
    // A fresh index, so no background refresh interferes.
    std::fs::write(
        cache_file(&agent),
        format!(
            r#"{{"last_cache_update": "{}", "last_update_success": true}}"#,
            fresh.to_rfc3339()
        ),
    )
    .unwrap();
    let healthy = |d: &Value| d["status"] == "healthy" && d["problems"] == json!([]);
    let d = api.get("/api/v1/health").await["data"].clone();
    assert!(healthy(&d), "{d}");

    // dpkg's database unreadable: the backend is not usable.
    let status = agent.sandbox.as_ref().unwrap().admindir().join("status");
    let aside = status.with_extension("aside");
    std::fs::rename(&status, &aside).unwrap();
    let started = std::time::Instant::now();
    let d = api.get("/api/v1/health").await["data"].clone();
    assert!(started.elapsed() < Duration::from_secs(3), "health stays fast");
    assert_eq!(d["status"], "degraded", "{d}");
    assert_eq!(d["cache_status"], "fresh", "the index itself is fine: {d}");
    let problems = d["problems"].to_string();
    assert!(
        problems.contains("package backend is not usable") && problems.contains("status"),
        "{d}"
    );
    std::fs::rename(&aside, &status).unwrap();
    assert!(healthy(&api.get("/api/v1/health").await["data"]));

    // The server certificate on disk no longer loads (the running TLS config stays; a restart would fail).
    let pem = std::fs::read(agent.etc().join("certs/server.pem")).unwrap();
    agent.replace_etc_file(
        "certs/server.pem",
        b"-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n",
    );
    let d = api.get("/api/v1/health").await["data"].clone();
    assert_eq!(d["status"], "degraded", "{d}");
    assert!(
        d["problems"]
            .to_string()
            .contains("TLS material on disk no longer loads"),
        "{d}"
    );
    agent.replace_etc_file("certs/server.pem", &pem);
    assert!(healthy(&api.get("/api/v1/health").await["data"]));
}

#[tokio::test]
async fn error_details_are_always_objects() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    for (method, target, body, status, code) in [
        (
            "GET",
            "/api/v1/packages/pmtest-absent",
            None,
            404,
            "PACKAGE_NOT_FOUND",
        ),
        ("GET", "/api/v1/nowhere", None, 404, "ROUTE_NOT_FOUND"),
        ("PATCH", "/api/v1/health", None, 405, "METHOD_NOT_ALLOWED"),
        (
            "GET",
            "/api/v1/packages?upgradable=maybe",
            None,
            400,
            "INVALID_QUERY",
        ),
        ("GET", "/api/v1/ws/jobs", None, 400, "NOT_A_WEBSOCKET"),
        (
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["foo;id"]})),
            400,
            "INVALID_PACKAGE_NAME",
        ),
        ("GET", "/api/v1/jobs/NOTAJOB", None, 400, "INVALID_JOB_ID"),
    ] {
        let r = api.call(method, target, &[], body.as_ref()).await;
        let v = r.json();
        assert_eq!(
            (r.status, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{method} {target}: {v}"
        );
        assert!(v["error"]["details"].is_object(), "{method} {target}: {v}");
    }
    let v = api
        .call(
            "POST",
            "/api/v1/packages",
            &[],
            Some(&json!({"packages": ["foo;id"]})),
        )
        .await
        .json();
    assert_eq!(v["error"]["details"], json!({"name": "foo;id"}));
}

#[test]
fn every_error_code_the_agent_sends_is_documented() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let docs = std::fs::read_to_string(root.join("docs/agent.md")).unwrap();
    let mut files = vec![root.join("agent/src/error.rs")];
    for dir in [
        "agent/src/http",
        "agent/src/actors",
        "agent/src/actors/job_manager",
    ] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut codes = std::collections::BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for piece in text.split('"').skip(1).step_by(2) {
            let is_code = piece.len() >= 4
                && piece.starts_with(|c: char| c.is_ascii_uppercase())
                && piece.chars().all(|c| c.is_ascii_uppercase() || c == '_');
            if is_code && piece != "CARGO_PKG_VERSION" {
                codes.insert(piece.to_owned());
            }
        }
    }
    assert!(codes.len() > 20 && codes.contains("NOT_A_WEBSOCKET"), "{codes:?}");
    let missing: Vec<_> = codes
        .iter()
        .filter(|c| !docs.contains(&format!("`{c}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "error codes missing from docs/agent.md: {missing:?}"
    );
}

#[tokio::test]
async fn query_booleans_take_any_case_and_digits_and_completed_means_succeeded() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let names = |v: Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let upgradable = names(api.get("/api/v1/packages?upgradable=true").await);
    assert_eq!(upgradable, ["pmtest-hello", "pmtest-lib"]);
    for spelling in ["True", "TRUE", "1"] {
        assert_eq!(
            names(api.get(&format!("/api/v1/packages?upgradable={spelling}")).await),
            upgradable,
            "{spelling}"
        );
    }
    let not = names(api.get("/api/v1/packages?upgradable=false").await);
    assert_eq!(not, ["pmtest-app"]);
    for spelling in ["False", "0"] {
        assert_eq!(
            names(api.get(&format!("/api/v1/packages?upgradable={spelling}")).await),
            not,
            "{spelling}"
        );
    }
    assert_eq!(
        names(api.get("/api/v1/patches?security=True").await),
        ["pmtest-lib"]
    );
    let r = api.call("GET", "/api/v1/patches?security=yes", &[], None).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (400, Some("INVALID_QUERY"))
    );

    // Each patch carries the reboot hint (none of the test packages is a kernel, libc or init).
    let patches = api.get("/api/v1/patches").await;
    for p in patches["data"].as_array().unwrap() {
        assert_eq!(p["requires_reboot"], false, "{p}");
    }

    let job = api
        .run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-new"]})),
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let removed = api
        .run("DELETE", "/api/v1/packages/pmtest-new?purge=True", None)
        .await;
    assert_eq!(removed["status"], "succeeded", "{removed}");
    let ids = |v: Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let completed = ids(api.get("/api/v1/jobs?status=completed").await);
    assert_eq!(completed, ids(api.get("/api/v1/jobs?status=succeeded").await));
    assert_eq!(completed.len(), 2);
}
