//! The agent takes the manager's CRL by itself: a revocation on the manager reaches it without the admin
//! copying `crl.pem`, and its TLS refuses the revoked certificate without a restart.

use super::*;

/// With a one-hour schedule, only the unknown-certificate trigger can bring the new CRL in seconds.
#[test]
fn a_revoked_manager_certificate_is_refused_after_an_unknown_one_wakes_the_crl_fetch() {
    let m = ManagerProc::start_configured("");
    let (sb, agent, _, token) = enrolled(&m, 3600);
    let agents_ca = m.agents_ca();
    let (row, old) = manager_identity(&m);
    wait_until(
        30,
        "the agent serves the manager's client certificate",
        &agent,
        || health_as(&agents_ca, &old, sb.port).is_ok_and(|(s, _)| s == 200),
    );
    assert!(events(&sb, "crl.fetch_failed").is_empty(), "{}", agent_audit(&sb));

    let r = call(
        &m,
        "POST",
        &format!("/api/v1/certificates/{}/revoke", row.id),
        Some(&token),
        Some(r#"{"reason":"key leaked"}"#),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // A certificate the agent has not seen before: it is accepted (valid, not revoked) and wakes the fetch.
    let fresh = root_client(&m, "someone-new");
    assert_eq!(health_as(&agents_ca, &fresh, sb.port).unwrap().0, 200);
    wait_until(20, "the revoked certificate is refused", &agent, || {
        health_as(&agents_ca, &old, sb.port).is_err()
    });
    let updated = events(&sb, "crl.updated");
    assert!(
        updated.iter().any(|e| e["added"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == row.serial.as_str())),
        "{updated:?}"
    );
    // The manager's replacement client certificate is accepted without a restart.
    let (next, new) = manager_identity(&m);
    assert_ne!(next.serial, row.serial);
    assert_eq!(health_as(&agents_ca, &new, sb.port).unwrap().0, 200);
    let crl = std::fs::read_to_string(sb.etc().join("certs/crl.pem")).unwrap();
    assert!(crl.contains("BEGIN X509 CRL"), "{crl}");
}

/// On the schedule alone (1 s here), with no new certificate showing up.
#[test]
fn the_scheduled_fetch_brings_a_revocation_within_the_interval() {
    let m = ManagerProc::start_configured("");
    let (sb, agent, _, token) = enrolled(&m, 1);
    let agents_ca = m.agents_ca();
    let (row, old) = manager_identity(&m);
    wait_until(
        30,
        "the agent serves the manager's client certificate",
        &agent,
        || health_as(&agents_ca, &old, sb.port).is_ok_and(|(s, _)| s == 200),
    );
    let r = call(
        &m,
        "POST",
        &format!("/api/v1/certificates/{}/revoke", row.id),
        Some(&token),
        Some(r#"{"reason":"rotated"}"#),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    wait_until(20, "the revoked certificate is refused", &agent, || {
        health_as(&agents_ca, &old, sb.port).is_err()
    });
    let err = health_as(&agents_ca, &old, sb.port).unwrap_err();
    assert!(
        err.contains("revoked") || err.contains("handshake") || err.contains("request"),
        "{err}"
    );
    assert!(!events(&sb, "crl.updated").is_empty(), "{}", agent_audit(&sb));
}
