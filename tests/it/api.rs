//! The read API on a real apt sandbox: envelope, request ids, filters, 404/400/405/413/414/429,
//! equality with dpkg-query, security classification, health, system info, openapi.json.

use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::apt::AptSandbox;
use linux_patch_tests::client::{self, connect, request, tls13, Response};
use serde_json::Value;
use std::collections::BTreeSet;

struct Fixture {
    agent: AgentProc,
}

fn fixture(setup: AgentSetup) -> Fixture {
    Fixture {
        agent: AgentProc::start(&setup),
    }
}

impl Fixture {
    fn sandbox(&self) -> &AptSandbox {
        self.agent.sandbox.as_ref().unwrap()
    }

    async fn get(&self, target: &str) -> Response {
        client::get(
            self.agent.addr,
            &self.agent.pki.ca.cert_pem(),
            &self.agent.pki.client,
            target,
        )
        .await
    }

    async fn send(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Response {
        let cfg = tls13(&self.agent.pki.ca.cert_pem(), Some(&self.agent.pki.client));
        let mut s = connect(self.agent.addr, cfg, None).await.unwrap();
        request(&mut s, method, target, headers, b"").await.unwrap()
    }
}

fn names(data: &Value) -> BTreeSet<String> {
    data.as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn assert_error(r: &Response, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["success"], false);
    assert_eq!(v["data"], Value::Null);
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(
        v["request_id"].as_str(),
        r.header("x-request-id"),
        "envelope and header carry the same id"
    );
}

#[tokio::test]
async fn packages_equal_dpkg_query_and_filters_select_correctly() {
    let f = fixture(AgentSetup::default());
    let r = f.get("/api/v1/packages").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["success"], true);
    assert_eq!(v["error"], Value::Null);
    let listed: Vec<(String, String, String)> = {
        let mut l: Vec<_> = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_owned(),
                    p["version"].as_str().unwrap().to_owned(),
                    p["architecture"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        l.sort();
        l
    };
    assert_eq!(listed, f.sandbox().dpkg_query_w());

    let cases: &[(&str, &[&str])] = &[
        ("?name=hello", &["pmtest-hello"]),
        ("?name=pmtest-*", &["pmtest-hello", "pmtest-lib", "pmtest-app"]),
        ("?name=*-l?b", &["pmtest-lib"]),
        ("?version=1.0", &["pmtest-hello", "pmtest-lib", "pmtest-app"]),
        ("?version=1.1", &[]),
        ("?status=installed", &["pmtest-hello", "pmtest-lib", "pmtest-app"]),
        ("?status=config-files", &[]),
        ("?upgradable=true", &["pmtest-hello", "pmtest-lib"]),
        ("?upgradable=false", &["pmtest-app"]),
        (
            "?name=pmtest&upgradable=true&version=1.0",
            &["pmtest-hello", "pmtest-lib"],
        ),
    ];
    for (query, want) in cases {
        let r = f.get(&format!("/api/v1/packages{query}")).await;
        assert_eq!(r.status, 200, "{query}");
        assert_eq!(names(&r.json()["data"]), set(want), "{query}");
    }

    let hello = f.get("/api/v1/packages/pmtest-hello").await.json();
    assert_eq!(hello["data"]["version"], "1.0");
    assert_eq!(hello["data"]["upgradable"], true);
    assert_eq!(hello["data"]["candidate_version"], "1.1");
    assert_eq!(hello["data"]["status"], "installed");
    let app = f.get("/api/v1/packages/pmtest-app:all").await.json();
    assert_eq!(app["data"]["upgradable"], false);
}

#[tokio::test]
async fn patches_are_classified_by_origin() {
    let f = fixture(AgentSetup::default());
    let v = f.get("/api/v1/patches").await.json();
    let patches = v["data"].as_array().unwrap();
    assert_eq!(patches.len(), 2, "{v}");
    let by = |n: &str| {
        patches
            .iter()
            .find(|p| p["name"] == n)
            .unwrap_or_else(|| panic!("{n} missing: {v}"))
    };
    let hello = by("pmtest-hello");
    assert_eq!(
        (
            hello["installed_version"].as_str(),
            hello["candidate_version"].as_str()
        ),
        (Some("1.0"), Some("1.1"))
    );
    assert_eq!(hello["security"], false);
    let lib = by("pmtest-lib");
    assert_eq!(lib["candidate_version"], "1.0.1");
    assert_eq!(lib["security"], true);
    assert_eq!(lib["security_source"], "origin");
    assert!(
        lib["repository"].as_str().unwrap().contains("pmtest-security"),
        "{lib}"
    );
    assert_eq!(
        lib["cves"],
        serde_json::json!([]),
        "apt has no CVE data; none is invented"
    );
    assert_eq!(lib["severity"], Value::Null);

    let sec = f.get("/api/v1/patches?security=true").await.json();
    assert_eq!(names(&sec["data"]), set(&["pmtest-lib"]));
    let other = f.get("/api/v1/patches?security=false").await.json();
    assert_eq!(names(&other["data"]), set(&["pmtest-hello"]));
}

#[tokio::test]
async fn request_ids_errors_and_hostile_input() {
    let f = fixture(AgentSetup::default());
    let r = f
        .send("GET", "/api/v1/health", &[("X-Request-ID", "abc-123")])
        .await;
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
    assert_eq!(r.json()["request_id"], "abc-123");
    let r = f
        .send("GET", "/api/v1/health", &[("X-Request-ID", "bad id;drop")])
        .await;
    let id = r.header("x-request-id").unwrap().to_owned();
    assert_eq!(id.len(), 26, "a malformed id is replaced by a ULID");
    assert_eq!(r.json()["request_id"], id);

    assert_error(
        &f.get("/api/v1/packages/not-installed-pkg").await,
        404,
        "PACKAGE_NOT_FOUND",
    );
    for bad in [
        "-oAPT::Get::Foo",
        "foo%3Bid",
        "..%2Fx",
        "Foo",
        "a%20b",
        "%24%28id%29",
    ] {
        assert_error(
            &f.get(&format!("/api/v1/packages/{bad}")).await,
            400,
            "INVALID_PACKAGE_NAME",
        );
    }
    assert_error(
        &f.get("/api/v1/packages?name=foo%3Bid").await,
        400,
        "INVALID_FILTER",
    );
    assert_error(
        &f.get("/api/v1/packages?status=gone").await,
        400,
        "INVALID_FILTER",
    );
    assert_error(
        &f.get("/api/v1/packages?upgradable=maybe").await,
        400,
        "INVALID_QUERY",
    );
    assert_error(&f.get("/api/v1/packages?unknown=1").await, 400, "INVALID_QUERY");
    assert_error(&f.get("/api/v1/nothing-here").await, 404, "ROUTE_NOT_FOUND");
    assert_error(
        &f.send("DELETE", "/api/v1/health", &[]).await,
        405,
        "METHOD_NOT_ALLOWED",
    );

    let huge_query = format!("/api/v1/packages?name={}", "a".repeat(20_000));
    assert_error(&f.get(&huge_query).await, 414, "URI_TOO_LONG");
    let r = f
        .send("GET", "/api/v1/packages", &[("Content-Length", "50000000")])
        .await;
    assert_error(&r, 413, "PAYLOAD_TOO_LARGE");

    // Nothing of the above changed the package database.
    assert_eq!(f.sandbox().dpkg_query_w().len(), 3);
    let audited = f
        .agent
        .audit_records()
        .iter()
        .filter(|r| r["event"] == "http.request")
        .count();
    assert!(
        audited >= 15,
        "every request is audited, refused ones too ({audited})"
    );
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let f = fixture(AgentSetup {
        rate_limit_per_minute: 3,
        ..AgentSetup::default()
    });
    for _ in 0..3 {
        assert_eq!(f.get("/api/v1/health").await.status, 200);
    }
    let r = f.get("/api/v1/health").await;
    assert_error(&r, 429, "RATE_LIMITED");
    assert_eq!(r.json()["error"]["retryable"], true);
    let secs: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
}

#[tokio::test]
async fn health_reports_cache_state_and_system_info_reports_the_host() {
    let f = fixture(AgentSetup::default());
    let h = f.get("/api/v1/health").await.json();
    assert_eq!(h["data"]["status"], "healthy");
    assert!(h["data"]["uptime_seconds"].is_u64(), "{h}");
    assert_eq!(h["data"]["backend"], "apt");
    assert_eq!(h["data"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(h["data"]["cache_status"], "unknown");
    assert_eq!(h["data"]["last_cache_update"], Value::Null);

    // That answer asked for a refresh in the background (never refreshed = stale): it happens for real.
    let refreshes = |n: usize| {
        let agent = &f.agent;
        move || {
            agent
                .audit_records()
                .iter()
                .filter(|r| r["event"] == "cache.refresh" && r["ok"] == true)
                .count()
                >= n
        }
    };
    f.agent
        .wait_audit(std::time::Duration::from_secs(30), |_| refreshes(1)());
    let h = f.get("/api/v1/health").await.json();
    assert_eq!(h["data"]["cache_status"], "fresh", "{h}");
    // The seed's form: RFC 3339 with +00:00 and at most 6 fractional digits.
    let stamp = h["data"]["last_cache_update"].as_str().unwrap();
    let time = stamp.strip_suffix("+00:00").unwrap_or_else(|| panic!("{stamp}"));
    assert!(time.split_once('.').is_none_or(|(_, f)| f.len() <= 6), "{stamp}");

    // An index older than 4 hours is stale, and health refreshes it again.
    let state = f
        .agent
        .prefix
        .path()
        .join("var/lib/linux_patch_api/state/cache.json");
    let now = chrono::DateTime::parse_from_rfc3339(h["timestamp"].as_str().unwrap()).unwrap();
    let old = (now - chrono::Duration::hours(5)).to_rfc3339();
    std::fs::write(
        &state,
        format!(r#"{{"last_success":"{old}","last_attempt":"{old}","last_ok":true}}"#),
    )
    .unwrap();
    assert_eq!(
        f.get("/api/v1/health").await.json()["data"]["cache_status"],
        "stale"
    );
    f.agent
        .wait_audit(std::time::Duration::from_secs(30), |_| refreshes(2)());
    assert_eq!(
        f.get("/api/v1/health").await.json()["data"]["cache_status"],
        "fresh"
    );

    // A failed last refresh: degraded (and no refresh storm: failed is not stale).
    let recent = (now - chrono::Duration::minutes(5)).to_rfc3339();
    std::fs::write(
        &state,
        format!(r#"{{"last_success":"{old}","last_attempt":"{recent}","last_ok":false,"last_error":"404"}}"#),
    )
    .unwrap();
    let h = f.get("/api/v1/health").await.json();
    assert_eq!(h["data"]["cache_status"], "failed");
    assert_eq!(h["data"]["status"], "degraded");

    let s = f.get("/api/v1/system/info").await.json()["data"].clone();
    let read = |p: &str| std::fs::read_to_string(p).unwrap().trim().to_owned();
    assert_eq!(s["hostname"], read("/proc/sys/kernel/hostname"));
    assert_eq!(s["kernel"], read("/proc/sys/kernel/osrelease"));
    assert_eq!(s["machine_id"], read("/etc/machine-id"));
    let os_id = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    assert_eq!(s["os"]["id"], os_id);
    assert!(["yes", "no", "unknown"].contains(&s["reboot_required"]["state"].as_str().unwrap()));
    assert!(!s["reboot_required"]["reason"].as_str().unwrap().is_empty());
    assert!(
        s["last_update"].is_string(),
        "the sandbox's dpkg status has an mtime: {s}"
    );
}

#[tokio::test]
async fn openapi_documents_every_route_and_every_documented_route_answers() {
    let f = fixture(AgentSetup::default());
    let doc = f.get("/api/v1/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<String> = paths
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {p}", m.to_uppercase()))
        })
        .collect();
    let served: BTreeSet<String> = linux_patch_api::http::routes()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(documented, served);
    for (path, ops) in paths {
        // Read routes answer here; job routes need a job (tests/it/jobs.rs), the WebSocket an upgrade.
        if ops.get("get").is_none() || path.contains("{id}") || path == "/ws/jobs" {
            continue;
        }
        let target = format!("/api/v1{}", path.replace("{name}", "pmtest-hello"));
        let r = f.get(&target).await;
        assert_eq!(r.status, 200, "{target}: {}", String::from_utf8_lossy(&r.body));
        let v = r.json();
        if path != "/openapi.json" {
            assert_eq!(v["success"], true, "{target}");
            let schema_ref = ops["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .unwrap();
            let schema = &doc["components"]["schemas"][schema_ref.rsplit('/').next().unwrap()];
            let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            let props: BTreeSet<&str> = schema["properties"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, props, "{target}: envelope keys match the documented schema");
        }
    }
}
