//! The Dashboard's numbers (model, page, JSON) equal the seeded fleet, for an admin and an operator.

use super::*;

#[actix_web::test]
async fn dashboard_numbers_equal_the_seeded_fleet_for_admins_and_operators() {
    let db = TestDb::new();
    let (_, admin_secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let (op_id, op_secret) = ready_user(&mut db.conn(), "op", Role::Operator);
    let (st, clock) = state(&db);
    let fleet = seed(&db, clock.now());
    User::set_groups(&mut db.conn(), op_id, &[fleet.web]).unwrap();
    let fingerprint = st.ca_fingerprint.as_ref().clone();
    let app = app(st).await;

    // The model directly.
    let d = Dashboard::load(&mut db.conn(), Scope::All).unwrap();
    assert_eq!((d.hosts, d.compliant, d.compliance_percent), (6, 2, 33.3));
    assert_eq!(
        (d.never_polled, d.without_patch_data, d.with_security_updates),
        (1, 1, 3)
    );
    assert_eq!(
        (
            d.states.healthy,
            d.states.degraded,
            d.states.unreachable,
            d.states.unknown
        ),
        (3, 1, 1, 1)
    );
    let s = d.severities;
    assert_eq!(
        (s.critical, s.important, s.moderate, s.low, s.unrated),
        (1, 1, 1, 1, 2)
    );
    assert_eq!(
        (d.pending_total, d.pending_security, d.reboot_required),
        (6, 4, 2)
    );
    let alerts: Vec<(&str, &str)> = d
        .alerts
        .iter()
        .map(|a| (a.hostname.as_str(), a.state.as_str()))
        .collect();
    assert_eq!(alerts, [("b-db1.lan", "unreachable"), ("a-web2.lan", "degraded")]);
    assert_eq!(d.alerts[0].since, Some(clock.now() - Duration::minutes(120)));
    assert_eq!(d.alerts[1].since, Some(clock.now() - Duration::minutes(30)));
    assert_eq!(d.alerts[0].reason, "connection refused");

    // The page shows the same, with the charts and the root CA.
    let mut jar = sign_in(&app, &clock, "root", &admin_secret).await;
    let page = send(&app, &mut jar, get("/")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for (id, want) in [
        ("compliance-percent", "33.3"),
        ("compliant-count", "2"),
        ("host-count", "6"),
        ("never-polled-count", "1"),
        ("count-healthy", "3"),
        ("count-degraded", "1"),
        ("count-unreachable", "1"),
        ("count-unknown", "1"),
        ("sev-critical", "1"),
        ("sev-important", "1"),
        ("sev-moderate", "1"),
        ("sev-low", "1"),
        ("sev-unrated", "2"),
        ("pending-total", "6"),
        ("pending-security", "4"),
        ("reboot-count", "2"),
        ("alert-count", "2"),
        ("ca-fingerprint", fingerprint.as_str()),
    ] {
        assert_eq!(text(&page, id), want, "#{id}");
    }
    assert!(page.body.contains("<svg class=\"chart donut\""), "state chart");
    assert!(page.body.contains("<svg class=\"chart bars\""), "severity chart");
    assert!(page
        .body
        .contains("healthy 3, degraded 1, unreachable 1, never polled 1"));
    assert!(page.body.contains("href=\"/ca.pem\""));
    assert!(page
        .body
        .contains(&format!("href=\"/hosts/{}\">b-db1.lan", fleet.id("b-db1.lan"))));
    let red = page.body.find("b-db1.lan").unwrap();
    let yellow = page.body.find("a-web2.lan").unwrap();
    assert!(red < yellow, "red alerts first");
    assert!(page.body.contains("2026-06-01 10:00"), "red since 2 h ago");

    // The JSON twin.
    let j = send(&app, &mut jar, get("/api/v1/dashboard")).await.json();
    let data = &j["data"];
    assert_eq!(data["hosts"], 6);
    assert_eq!(data["compliant"], 2);
    assert_eq!(data["compliance_percent"], 33.3);
    assert_eq!(
        data["states"],
        serde_json::json!({"healthy": 3, "degraded": 1, "unreachable": 1, "unknown": 1})
    );
    assert_eq!(
        data["severities"],
        serde_json::json!({"critical": 1, "important": 1, "moderate": 1, "low": 1, "unrated": 2})
    );
    assert_eq!(data["reboot_required"], 2);
    assert_eq!(data["alerts"][0]["hostname"], "b-db1.lan");

    // An operator in `web`: web hosts plus ungrouped ones (c-free, d-new); the db hosts count nowhere,
    // not even a critical update on b-db2.
    exec(
        &mut db.conn(),
        &format!(
            "INSERT INTO host_patches (host_id, name, architecture, candidate_version, security, severity) \
             VALUES ({}, 'kernel', 'x86_64', '5.14.1', true, 'critical')",
            fleet.id("b-db2.lan")
        ),
    );
    let j = send(&app, &mut jar, get("/api/v1/dashboard")).await.json();
    assert_eq!(j["data"]["severities"]["critical"], 2, "admins count it");
    let mut op = sign_in(&app, &clock, "op", &op_secret).await;
    let page = send(&app, &mut op, get("/")).await;
    for (id, want) in [
        ("compliance-percent", "0"),
        ("host-count", "4"),
        ("count-healthy", "2"),
        ("count-degraded", "1"),
        ("count-unreachable", "0"),
        ("count-unknown", "1"),
        ("sev-critical", "1"),
        ("sev-unrated", "2"),
        ("reboot-count", "2"),
        ("alert-count", "1"),
    ] {
        assert_eq!(text(&page, id), want, "operator #{id}");
    }
    assert!(!page.body.contains("b-db1.lan"));
    let j = send(&app, &mut op, get("/api/v1/dashboard")).await.json();
    assert_eq!(j["data"]["hosts"], 4);
    assert_eq!(j["data"]["states"]["unreachable"], 0);
    assert_eq!(j["data"]["alerts"].as_array().unwrap().len(), 1);
}
