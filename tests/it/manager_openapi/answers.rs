//! Real answers of a real manager (real PostgreSQL, real TLS, the binary) validated against the schemas its own
//! `openapi.json` gives them, by `tests/openapi/manager_answers.py` (OpenAPI 3.0 validator, objects closed).

use linux_patch_manager::db::models::{Host, Role};
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::manager::ManagerProc;
use linux_patch_tests::signin::{api_token, ready_user};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn call(method: &str, template: &str, url: &str) -> Value {
    json!({ "method": method, "template": template, "url": url })
}

fn post(template: &str, url: &str, body: Value, save: &str) -> Value {
    json!({ "method": "POST", "template": template, "url": url, "body": body, "save": save })
}

/// The calls: a few writes that make rows (their answers checked too), then the reads.
fn calls(hosts: &[i64]) -> Vec<Value> {
    let (h1, h2) = (hosts[0], hosts[1]);
    let mut v = vec![
        post("/groups", "/groups", json!({"name": "web"}), "group"),
        post(
            "/windows",
            "/windows",
            json!({"host_ids": [h1], "name": "nightly",
                   "spec": {"kind": {"type": "weekly", "weekdays": ["Mon", "Thu"]}, "start": "02:00",
                            "duration_minutes": 120, "time_zone": "Europe/Berlin"}}),
            "",
        ),
        post(
            "/deployments",
            "/deployments",
            json!({"host_ids": [h2], "operation": "apply_all", "mode": "now"}),
            "deployment",
        ),
        post(
            "/discovery/ranges",
            "/discovery/ranges",
            json!({"range": "192.0.2.0/28"}),
            "",
        ),
    ];
    let host = format!("/hosts/{h1}");
    for (template, url) in [
        ("/health", "/health".to_owned()),
        ("/me", "/me".to_owned()),
        ("/dashboard", "/dashboard".to_owned()),
        ("/hosts", "/hosts?limit=2".to_owned()),
        ("/hosts/{id}", host.clone()),
        ("/hosts/{id}/windows", format!("{host}/windows")),
        ("/hosts/{id}/packages", format!("{host}/packages")),
        ("/groups", "/groups".to_owned()),
        ("/users", "/users".to_owned()),
        ("/deployments", "/deployments".to_owned()),
        ("/deployments/{id}", "/deployments/{deployment}".to_owned()),
        ("/windows", "/windows".to_owned()),
        ("/audit", "/audit?limit=20".to_owned()),
        ("/audit/verify", "/audit/verify".to_owned()),
        ("/certificates", "/certificates".to_owned()),
        ("/discovery", "/discovery".to_owned()),
        ("/discovery/ranges", "/discovery/ranges".to_owned()),
        ("/enrollments", "/enrollments".to_owned()),
        ("/poller", "/poller".to_owned()),
        ("/tokens", "/tokens".to_owned()),
        ("/service-accounts", "/service-accounts".to_owned()),
        ("/settings", "/settings".to_owned()),
        ("/settings/sso", "/settings/sso".to_owned()),
        ("/account/notifications", "/account/notifications".to_owned()),
        ("/reports/compliance", "/reports/compliance".to_owned()),
        ("/reports/vulnerabilities", "/reports/vulnerabilities".to_owned()),
        ("/reports/audit", "/reports/audit".to_owned()),
        ("/reports/history", "/reports/history".to_owned()),
    ] {
        v.push(call("GET", template, &url));
    }
    v.push(call(
        "POST",
        "/deployments/{id}/cancel",
        "/deployments/{deployment}/cancel",
    ));
    v
}

#[test]
fn real_answers_of_a_real_manager_match_their_documented_schemas() {
    let openapi = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi");
    let python = openapi.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} missing: run scripts/install-prereqs.sh (make test does)",
        python.display()
    );
    let m = ManagerProc::start();
    let (_, secret) = ready_user(&mut m.db().conn(), "checker", Role::Admin);
    let mut hosts = Vec::new();
    for (i, name) in ["alpha.lan", "bravo.lan", "charlie.lan"].into_iter().enumerate() {
        // Closed local ports: the deployment's dispatch and the packages call fail fast and harmlessly.
        let port = u16::try_from(i + 1).unwrap();
        let h = Host::insert(&mut m.db().conn(), name, "127.0.0.1", port, SystemClock.now()).unwrap();
        hosts.push(h.id);
    }
    let token = api_token(&m, "checker", &secret);
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("calls.json");
    let calls = calls(&hosts);
    std::fs::write(&file, serde_json::to_string(&calls).unwrap()).unwrap();
    let out = Command::new(&python)
        .arg(openapi.join("manager_answers.py"))
        .arg(format!("https://localhost:{}/api/v1", m.addr.port()))
        .arg(&m.ca_pem)
        .arg(&token)
        .arg(&file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "answers that do not match openapi.json:\n{text}"
    );
    let ok = text.lines().filter(|l| l.starts_with("ok: ")).count();
    assert_eq!(ok, calls.len(), "{text}");
    for expected in [
        "ok: POST /groups 201",
        "ok: POST /deployments 201",
        "ok: GET /hosts/{id} 200",
        "ok: GET /deployments/{id} 200",
        "ok: GET /reports/compliance 200",
        "ok: GET /settings 200",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
}
