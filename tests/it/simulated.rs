//! The simulated backend through the real agent binary and its HTTP API: labelled `simulated`, ~1,500
//! synthetic packages, patches with security data, a security-only apply and its rollback that really
//! change the state, and the same host again after a restart.

use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::api::Api;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

fn simulated(host: &str) -> AgentSetup {
    AgentSetup {
        backend_kind: "simulated".into(),
        backend_env: BTreeMap::from([
            ("SIMULATED_HOST".to_owned(), host.to_owned()),
            ("SIMULATED_TIME_SCALE".to_owned(), "0.05".to_owned()),
        ]),
        ..AgentSetup::default()
    }
}

fn names(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn simulated_host_lists_applies_rolls_back_and_comes_back_the_same() {
    let mut agent = AgentProc::start(&simulated("demo-web-01"));
    let api = Api::of(&agent);
    assert!(agent.sandbox.is_none(), "no apt sandbox for a simulated host");

    let health = api.get("/api/v1/health").await["data"].clone();
    assert_eq!(health["backend"], "simulated", "{health}");
    let info = api.get("/api/v1/system/info").await["data"].clone();
    assert_eq!(info["backend"], "simulated", "{info}");
    assert!(
        info["reboot_required"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("simulated host"),
        "{info}"
    );

    let packages = api.get("/api/v1/packages").await["data"].clone();
    let count = packages.as_array().unwrap().len();
    assert!((1200..=1800).contains(&count), "{count} packages");
    let bash = api.get("/api/v1/packages/bash").await["data"].clone();
    assert_eq!(bash["status"], "installed", "{bash}");

    let patches = api.get("/api/v1/patches").await["data"].clone();
    let all = patches.as_array().unwrap();
    assert!((3..=48).contains(&all.len()), "{} patches", all.len());
    let security: BTreeSet<String> = all
        .iter()
        .filter(|p| p["security"] == true)
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    let regular: BTreeSet<String> = names(&patches).difference(&security).cloned().collect();
    assert!(!security.is_empty() && !regular.is_empty(), "{patches}");
    for p in all.iter().filter(|p| p["security"] == true) {
        assert!(
            p["severity"].is_string() && !p["cves"].as_array().unwrap().is_empty(),
            "{p}"
        );
        assert!(p["cves"][0].as_str().unwrap().starts_with("CVE-"), "{p}");
    }
    let only_security = api.get("/api/v1/patches?security=true").await["data"].clone();
    assert_eq!(names(&only_security), security);

    // Security-only apply changes exactly the security packages.
    let job = api
        .run(
            "POST",
            "/api/v1/patches/apply",
            Some(json!({"security_only": true})),
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(names(&job["change_set"]["upgraded"]), security, "{job}");
    assert!(job["output_tail"].to_string().contains("[simulated]"), "{job}");
    assert_eq!(api.get("/api/v1/patches?security=true").await["data"], json!([]));
    let left = api.get("/api/v1/patches").await["data"].clone();
    assert_eq!(names(&left), regular);

    // Rollback puts every version back.
    let rb = api.rollback(&job).await;
    assert_eq!(rb["status"], "succeeded", "{rb}");
    assert_eq!(api.get("/api/v1/packages").await["data"], packages);
    assert_eq!(api.get("/api/v1/patches").await["data"], patches);

    // An unknown package fails its item like apt would.
    let bad = api
        .run(
            "POST",
            "/api/v1/packages",
            Some(json!({"packages": ["no-such-package"]})),
        )
        .await;
    assert_eq!(bad["status"], "failed", "{bad}");
    assert!(
        bad["items"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Unable to locate package"),
        "{bad}"
    );

    // The same host name is the same host after a restart.
    agent.kill_hard();
    agent.restart();
    assert_eq!(api.get("/api/v1/packages").await["data"], packages);
    assert_eq!(api.get("/api/v1/patches").await["data"], patches);
}
