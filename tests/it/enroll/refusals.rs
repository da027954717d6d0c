//! What stops an enrolment, with the real binaries: a wrong fingerprint or a different pinned CA (before
//! any request is sent), denial, a purged request; the real manager's 400s, 404s and 429.

use super::*;

fn certs_written(sb: &EnrollSandbox) -> bool {
    sb.etc().join("certs").exists()
}

#[test]
fn a_wrong_fingerprint_is_refused_before_anything_is_sent() {
    let m = ManagerProc::start_configured("");
    let sb = EnrollSandbox::new();
    let wrong = "00".repeat(32);
    let mut agent = sb.enroll(&m.url, &["--ca-fingerprint", &wrong]);
    assert_eq!(agent.wait_exit(), 1);
    let err = agent.stderr();
    assert!(
        err.contains("refusing to enrol") && err.contains(&fingerprint(&m)),
        "{err}"
    );
    assert_eq!(enrollment_rows(m.db()), 0, "nothing was sent");
    assert!(!sb.pin().exists() && !certs_written(&sb));

    let mut bad = sb.enroll(&m.url, &["--ca-fingerprint", "not-a-fingerprint"]);
    assert_eq!(bad.wait_exit(), 2, "a malformed fingerprint is a usage error");
    assert!(bad.stderr().contains("--ca-fingerprint"), "{}", bad.stderr());
}

#[test]
fn a_different_pinned_ca_is_refused() {
    let m = ManagerProc::start_configured("");
    let sb = EnrollSandbox::new();
    let other = linux_patch_tests::certs::Ca::new("someone else").cert_pem();
    std::fs::create_dir_all(sb.pin().parent().unwrap()).unwrap();
    std::fs::write(sb.pin(), &other).unwrap();
    let mut agent = sb.enroll(&m.url, &[]);
    assert_eq!(agent.wait_exit(), 1);
    assert!(agent.stderr().contains("pinned"), "{}", agent.stderr());
    assert!(!agent.stdout().contains("trusting"), "{}", agent.stdout());
    assert_eq!(
        std::fs::read_to_string(sb.pin()).unwrap(),
        other,
        "the pin is kept"
    );
    assert_eq!(enrollment_rows(m.db()), 0);
}

#[test]
fn denial_and_purge_stop_the_agent_with_clear_messages() {
    use diesel::prelude::*;
    use linux_patch_manager::db::schema::enrollments;
    let m = ManagerProc::start_configured("");
    let sb = EnrollSandbox::new();
    let mut agent = sb.enroll(&m.url, &["--ca-fingerprint", &fingerprint(&m)]);
    agent.wait_for("pending approval");
    let id: i64 = enrollments::table
        .select(enrollments::id)
        .first(&mut m.db().conn())
        .unwrap();
    let out = linux_patch_tests::manager::cli(m.prefix(), &["enrollment", "deny", &id.to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(agent.wait_exit(), 1);
    assert!(
        agent.stderr().contains("enrolment denied by the manager"),
        "{}",
        agent.stderr()
    );
    assert!(!certs_written(&sb));
    assert!(audit_actions(m.db()).iter().any(|a| a == "enroll.deny"));

    // A request that disappears (purged) while the agent polls.
    let mut again = sb.enroll(&m.url, &[]);
    again.wait_for("pending approval");
    diesel::delete(enrollments::table.filter(enrollments::status.eq("pending")))
        .execute(&mut m.db().conn())
        .unwrap();
    assert_eq!(again.wait_exit(), 1);
    assert!(
        again
            .stderr()
            .contains("enrolment request unknown or purged on the manager; run --enroll again"),
        "{}",
        again.stderr()
    );
}

#[test]
fn the_real_manager_answers_bad_bodies_400_unknown_tokens_404_and_floods_429() {
    let m = ManagerProc::start_configured("enrollment: { rate_limit_per_minute: 6 }\n");
    let good = serde_json::json!({"machine_id": MACHINE_ID, "fqdn": "a.example.test", "ip": "10.0.0.9",
        "os": "Debian", "port": 12443, "csr": linux_patch_tests::certs::test_csr()});
    let mut huge = good.clone();
    huge["os"] = serde_json::Value::String("x".repeat(8192));
    let bodies = [
        "{not json".to_owned(),
        r#"{"machine_id":"4c4c4544004b3510804ab4c04f4e3132","fqdn":"a","ip":"10.0.0.9","os":"","admin":true}"#.to_owned(),
        serde_json::json!({"machine_id": MACHINE_ID, "fqdn": "a.test;rm -rf /", "ip": "10.0.0.9", "os": ""}).to_string(),
        serde_json::json!({"machine_id": "' OR 1=1 --", "fqdn": "a.test", "ip": "10.0.0.9", "os": ""}).to_string(),
        huge.to_string(),
    ];
    for b in &bodies {
        let r = call(&m, "POST", "/api/v1/enroll", None, Some(b));
        assert_eq!(r.status, 400, "{b:.80}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["success"], false);
    }
    assert_eq!(enrollment_rows(m.db()), 0, "bad bodies store nothing");
    let ok = call(&m, "POST", "/api/v1/enroll", None, Some(&good.to_string()));
    assert_eq!(ok.status, 201, "{}", String::from_utf8_lossy(&ok.body));
    let token = ok.json()["data"]["polling_token"].as_str().unwrap().to_owned();
    assert_eq!(ok.json()["data"]["poll_interval_secs"], 60);
    let flood = call(&m, "POST", "/api/v1/enroll", None, Some(&good.to_string()));
    assert_eq!(flood.status, 429);
    let wait: u64 = flood.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(enrollment_rows(m.db()), 1);

    let pending = call(&m, "GET", &format!("/api/v1/enroll/status/{token}"), None, None);
    assert_eq!(pending.status, 202);
    assert_eq!(pending.json()["data"]["status"], "pending");
    let unknown = format!("/api/v1/enroll/status/{}", "A".repeat(43));
    for path in [
        unknown.as_str(),
        "/api/v1/enroll/status/short",
        "/api/v1/enroll/status/..%2F..%2Fetc",
    ] {
        assert_eq!(call(&m, "GET", path, None, None).status, 404, "{path}");
    }
}
