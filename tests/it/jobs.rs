//! Jobs on a real apt sandbox through the HTTP API: install/update/remove and their rollbacks, batches,
//! idempotency, bad input, the concurrency limit, rollback rules and exclusive mode, reboot.

use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::api::Api;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const JOB: Duration = Duration::from_secs(120);

fn installed(agent: &AgentProc) -> Vec<(String, String, String)> {
    agent.sandbox.as_ref().unwrap().dpkg_query_w()
}

fn names(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

fn host_dpkg_status() -> Vec<u8> {
    std::fs::read("/var/lib/dpkg/status").unwrap()
}

#[tokio::test]
async fn install_update_remove_each_rolled_back_to_the_exact_before_state() {
    let host = host_dpkg_status();
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let start = installed(&agent);

    // install with a dependency
    let job = api
        .run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-new"]})),
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(
        names(&job["change_set"]["installed"]),
        ["pmtest-dep", "pmtest-new"].map(String::from).into()
    );
    assert_eq!(job["items"][0]["outcome"], "done");
    assert_eq!(agent.version_of("pmtest-dep").as_deref(), Some("1.0"));
    let rb = api.rollback(&job).await;
    assert_eq!(rb["status"], "succeeded", "{rb}");
    assert_eq!(rb["rollback_of"], job["id"]);
    assert_eq!(
        installed(&agent),
        start,
        "rollback of the install restores the exact before-state"
    );
    let undone = api
        .get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()))
        .await["data"]
        .clone();
    assert_eq!(undone["status"], "rolled_back");
    assert_eq!(undone["rolled_back_by"], rb["id"]);
    let again = api
        .call(
            "POST",
            &format!("/api/v1/jobs/{}/rollback", job["id"].as_str().unwrap()),
            &[],
            None,
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.json()["error"]["code"], "ALREADY_ROLLED_BACK");

    // update one, then roll it back (a downgrade)
    let up = api.run("PUT", "/api/v1/packages/pmtest-hello", None).await;
    assert_eq!(up["status"], "succeeded", "{up}");
    assert_eq!(up["change_set"]["upgraded"][0]["from"], "1.0");
    assert_eq!(up["change_set"]["upgraded"][0]["to"], "1.1");
    assert_eq!(agent.version_of("pmtest-hello").as_deref(), Some("1.1"));
    let rb = api.rollback(&up).await;
    assert_eq!(rb["status"], "succeeded", "{rb}");
    assert_eq!(installed(&agent), start);

    // remove, then roll it back (a reinstall)
    let rm = api.run("DELETE", "/api/v1/packages/pmtest-app", None).await;
    assert_eq!(rm["status"], "succeeded", "{rm}");
    assert_eq!(
        names(&rm["change_set"]["removed"]),
        ["pmtest-app"].map(String::from).into()
    );
    assert_eq!(agent.version_of("pmtest-app"), None);
    let rb = api.rollback(&rm).await;
    assert_eq!(rb["status"], "succeeded", "{rb}");
    assert_eq!(installed(&agent), start);

    // installing what is installed at that version: success, no change, nothing to roll back
    let same = api
        .run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-hello=1.0"]})),
        )
        .await;
    assert_eq!(same["status"], "succeeded");
    assert_eq!(same["message"], "no change");
    assert_eq!(same["items"][0]["outcome"], "no_change");
    let r = api
        .call(
            "POST",
            &format!("/api/v1/jobs/{}/rollback", same["id"].as_str().unwrap()),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["error"]["code"], "NOTHING_TO_ROLL_BACK");
    assert_eq!(
        host_dpkg_status(),
        host,
        "the host's own dpkg database is untouched"
    );
}

#[tokio::test]
async fn pinned_versions_downgrades_and_purge() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let up = api
        .run(
            "PUT",
            "/api/v1/packages/pmtest-hello",
            Some(json!({"version": "1.1"})),
        )
        .await;
    assert_eq!(up["status"], "succeeded", "{up}");
    let refused = api
        .run(
            "PUT",
            "/api/v1/packages/pmtest-hello",
            Some(json!({"version": "1.0"})),
        )
        .await;
    assert_eq!(
        refused["status"], "failed",
        "a downgrade needs allow_downgrade: {refused}"
    );
    assert!(
        refused["message"].as_str().unwrap().contains("allow_downgrade"),
        "{refused}"
    );
    assert_eq!(agent.version_of("pmtest-hello").as_deref(), Some("1.1"));
    let down = api
        .run(
            "PUT",
            "/api/v1/packages/pmtest-hello",
            Some(json!({"version": "1.0", "allow_downgrade": true})),
        )
        .await;
    assert_eq!(down["status"], "succeeded", "{down}");
    assert_eq!(down["change_set"]["downgraded"][0]["to"], "1.0");
    let purge = api
        .run("DELETE", "/api/v1/packages/pmtest-app?purge=true", None)
        .await;
    assert_eq!(purge["status"], "succeeded", "{purge}");
    let all = agent.sandbox.as_ref().unwrap().dpkg_query_w();
    assert!(
        !all.iter().any(|(n, _, _)| n == "pmtest-app"),
        "purged leaves no config-files entry"
    );
}

#[tokio::test]
async fn a_batch_is_best_effort_and_says_which_item_failed() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let body =
        json!({"packages": ["pmtest-new", "pmtest-nonexistent", {"name": "pmtest-hello", "version": "9.9"}]});
    let job = api.run("POST", "/api/v1/packages", Some(body)).await;
    assert_eq!(job["status"], "failed", "{job}");
    let items = job["items"].as_array().unwrap();
    let outcome = |n: &str| items.iter().find(|i| i["name"] == n).unwrap().clone();
    assert_eq!(outcome("pmtest-new")["outcome"], "done");
    assert_eq!(outcome("pmtest-nonexistent")["outcome"], "failed");
    assert!(
        outcome("pmtest-nonexistent")["message"]
            .as_str()
            .unwrap()
            .contains("pmtest-nonexistent"),
        "{job}"
    );
    assert_eq!(outcome("pmtest-hello")["outcome"], "failed");
    assert!(job["message"].as_str().unwrap().contains("2 of 3"), "{job}");
    assert_eq!(
        agent.version_of("pmtest-new").as_deref(),
        Some("1.0"),
        "the good item was installed"
    );
    assert_eq!(
        agent.version_of("pmtest-hello").as_deref(),
        Some("1.0"),
        "the bad pin changed nothing"
    );
}

#[tokio::test]
async fn bad_requests_change_nothing_and_idempotency_keys_return_the_first_job() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let before = installed(&agent);
    let cases: Vec<(&str, &str, Option<Value>, u16, &str)> = vec![
        (
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["-oAPT::Get::Foo=1"]})),
            400,
            "INVALID_PACKAGE_NAME",
        ),
        (
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["ok", "foo;id"]})),
            400,
            "INVALID_PACKAGE_NAME",
        ),
        (
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-hello=1.0;id"]})),
            400,
            "INVALID_VERSION",
        ),
        (
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": []})),
            400,
            "INVALID_REQUEST",
        ),
        (
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["a"], "force": true})),
            400,
            "INVALID_JSON",
        ),
        (
            "POST",
            "/api/v1/patches/apply",
            Some(json!({"packages": ["a"], "security_only": true})),
            400,
            "INVALID_REQUEST",
        ),
        (
            "POST",
            "/api/v1/system/reboot",
            Some(json!({"delay_secs": 999999})),
            400,
            "INVALID_REQUEST",
        ),
        (
            "PUT",
            "/api/v1/packages/pmtest-new",
            None,
            404,
            "PACKAGE_NOT_FOUND",
        ),
        (
            "GET",
            "/api/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV",
            None,
            404,
            "JOB_NOT_FOUND",
        ),
        ("GET", "/api/v1/jobs/..%2F..%2Fetc", None, 400, "INVALID_JOB_ID"),
        (
            "POST",
            "/api/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/rollback",
            None,
            404,
            "JOB_NOT_FOUND",
        ),
    ];
    for (method, target, body, status, code) in cases {
        let r = api.call(method, target, &[], body.as_ref()).await;
        assert_eq!(
            r.status,
            status,
            "{method} {target}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.json()["error"]["code"], code, "{method} {target}");
    }
    let malformed = {
        let mut s = linux_patch_tests::client::connect(
            agent.addr,
            linux_patch_tests::client::tls13(&agent.pki.ca.cert_pem(), Some(&agent.pki.client)),
            None,
        )
        .await
        .unwrap();
        linux_patch_tests::client::request(&mut s, "POST", "/api/v1/packages", &[], b"{\"packages\": [")
            .await
            .unwrap()
    };
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.json()["error"]["code"], "INVALID_JSON");
    let big = json!({"packages": vec!["x".repeat(1000); 2000]});
    let r = api.call("POST", "/api/v1/packages", &[], Some(&big)).await;
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        api.get("/api/v1/jobs").await["data"],
        json!([]),
        "no job was created by bad input"
    );
    assert_eq!(installed(&agent), before);

    let key = [("Idempotency-Key", "deploy-42")];
    let body = json!({"packages": ["pmtest-hello=1.0"]});
    let first = api
        .call("POST", "/api/v1/packages", &key, Some(&body))
        .await
        .json()["data"]["id"]
        .clone();
    let second = api
        .call("POST", "/api/v1/packages", &key, Some(&body))
        .await
        .json()["data"]["id"]
        .clone();
    assert_eq!(first, second, "a repeated Idempotency-Key returns the first job");
    assert_eq!(api.get("/api/v1/jobs").await["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn ten_jobs_with_a_limit_of_five_never_run_more_than_five_and_all_finish() {
    let agent = AgentProc::start(&AgentSetup {
        max_concurrent_jobs: 5,
        ..AgentSetup::default()
    });
    let api = Api::of(&agent);
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.push(
            api.submit("POST", "/api/v1/system/reboot", Some(json!({"delay_secs": 1})))
                .await,
        );
    }
    let mut spans = Vec::new();
    for id in &ids {
        let job = api.wait_job(id, JOB).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let t = |k: &str| chrono::DateTime::parse_from_rfc3339(job[k].as_str().unwrap()).unwrap();
        spans.push((t("started_at"), t("finished_at")));
    }
    let max_running = spans
        .iter()
        .map(|(start, _)| spans.iter().filter(|(s, f)| s <= start && start < f).count())
        .max()
        .unwrap();
    assert!(max_running <= 5, "{max_running} jobs ran at once");
    assert!(max_running >= 2, "jobs did run concurrently ({max_running})");
    let list = api.get("/api/v1/jobs?kind=reboot&status=succeeded").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn reboot_runs_the_configured_command_after_the_delay() {
    let marker = tempfile::tempdir().unwrap();
    let file = marker.path().join("rebooted");
    let agent = AgentProc::start(&AgentSetup {
        reboot_command: vec!["touch".into(), file.to_str().unwrap().into()],
        ..AgentSetup::default()
    });
    let api = Api::of(&agent);
    let job = api
        .run("POST", "/api/v1/system/reboot", Some(json!({"delay_secs": 1})))
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(file.exists(), "the reboot command ran");
    let started = chrono::DateTime::parse_from_rfc3339(job["started_at"].as_str().unwrap()).unwrap();
    let finished = chrono::DateTime::parse_from_rfc3339(job["finished_at"].as_str().unwrap()).unwrap();
    assert!(
        finished - started >= chrono::Duration::seconds(1),
        "the delay was honoured"
    );
    agent.wait_audit(Duration::from_secs(5), |r| {
        r["event"] == "job.finished" && r["kind"] == "reboot"
    });
}

#[tokio::test]
async fn rolling_back_an_install_purges_what_it_added_but_keeps_configuration_that_was_there_before() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let sandbox = agent.sandbox.as_ref().unwrap();
    let start = sandbox.dpkg_query_w();
    // pmtest-conf ships a conffile: undoing its installation leaves no `rc` entry behind.
    let job = api
        .run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-conf"]})),
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let rb = api.rollback(&job).await;
    assert_eq!(rb["status"], "succeeded", "{rb}");
    assert_eq!(
        sandbox.dpkg_query_w(),
        start,
        "no configuration files left: the exact before-state"
    );

    // With configuration files left from an earlier removal, the rollback keeps them (state `rc` again).
    assert_eq!(
        api.run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-conf"]}))
        )
        .await["status"],
        "succeeded"
    );
    assert_eq!(
        api.run("DELETE", "/api/v1/packages/pmtest-conf", None).await["status"],
        "succeeded"
    );
    let residual = sandbox.status_abbrev();
    assert!(residual.iter().any(|l| l == "pmtest-conf=rc"), "{residual:?}");
    let again = api
        .run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["pmtest-conf"]})),
        )
        .await;
    assert_eq!(again["status"], "succeeded", "{again}");
    assert_eq!(api.rollback(&again).await["status"], "succeeded");
    assert_eq!(
        sandbox.status_abbrev(),
        residual,
        "the old configuration files are still there"
    );
}
