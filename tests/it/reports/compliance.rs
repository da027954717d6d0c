//! The compliance report's numbers (page and JSON) equal the seeded fleet; ageing keeps the first-seen time
//! across polls; the trend comes from the housekeeping snapshots; operators see only their hosts and
//! another group's id is a 404.

use super::*;
use actix_web::test::TestRequest;
use linux_patch_manager::db::models::{Role, User};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{app, send, state};
use linux_patch_tests::signin::{ready_user, sign_in};

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

fn text(r: &Resp, id: &str) -> String {
    r.text_of(id).unwrap_or_else(|| panic!("no #{id} in {}", r.body))
}

#[actix_web::test]
async fn the_compliance_report_equals_the_fleet() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "admin", Role::Admin);
    let (st, clock) = state(&db);
    let f = seed(&db, &st, clock.now()).await;
    let app = app(st).await;
    let mut admin = sign_in(&app, &clock, "admin", &secret).await;

    let page = send(&app, &mut admin, get("/reports/compliance?limit=2")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .body
        .contains("href=\"/reports/compliance\" aria-current=\"page\">Reports"));
    assert_eq!(text(&page, "report-scope"), "All hosts");
    assert_eq!(text(&page, "compliance-percent"), "50.0 %");
    assert_eq!(
        (
            text(&page, "n-compliant"),
            text(&page, "n-noncompliant"),
            text(&page, "n-nodata")
        ),
        ("2".into(), "2".into(), "1".into())
    );
    assert_eq!(
        (text(&page, "n-aged"), text(&page, "n-aged-hosts")),
        ("1".into(), "1".into())
    );
    assert!(page.body.contains("openssl (amd64)") && page.body.contains("CVE-2026-0001"));
    assert!(!page.body.contains("curl (amd64)"), "curl was first seen today");
    assert!(page.body.contains(">40</td>"), "40 days pending");
    // Two hosts per page, keyset by name: db1, free | new, web1 | web2.
    let names = |r: &Resp| {
        table_rows(r, "report-hosts")
            .iter()
            .map(|c| c[0].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&page), ["db1.lan", "free.lan"]);
    let mut next = page
        .body
        .split("id=\"hosts-next\" rel=\"next\" href=\"")
        .nth(1)
        .map(|s| s.split('"').next().unwrap().replace("&amp;", "&"));
    let mut all = names(&page);
    while let Some(uri) = next {
        let p = send(&app, &mut admin, get(&uri)).await;
        assert_eq!(p.status, 200);
        all.extend(names(&p));
        next = p
            .body
            .split("id=\"hosts-next\" rel=\"next\" href=\"")
            .nth(1)
            .map(|s| s.split('"').next().unwrap().replace("&amp;", "&"));
    }
    assert_eq!(all, ["db1.lan", "free.lan", "new.lan", "web1.lan", "web2.lan"]);

    let j = send(&app, &mut admin, get("/api/v1/reports/compliance"))
        .await
        .json();
    let d = &j["data"];
    assert_eq!(
        (
            d["counts"]["compliant"].as_i64(),
            d["counts"]["noncompliant"].as_i64(),
            d["counts"]["nodata"].as_i64()
        ),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(d["percent"].as_f64(), Some(50.0));
    assert_eq!(d["aged"][0]["host_id"].as_i64(), Some(f.web1));
    assert_eq!(d["aged"][0]["package"], "openssl");
    let groups: Vec<(String, Option<f64>)> = d["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["name"].as_str().unwrap().to_owned(), g["compliant"].as_f64()))
        .collect();
    assert_eq!(
        groups,
        [
            ("=HYPERLINK(\"http://x\")".to_owned(), Some(1.0)),
            ("web".into(), Some(0.0)),
            ("(ungrouped)".into(), Some(1.0))
        ]
    );
    let trend = d["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 30);
    let last = &trend[29];
    let prev = &trend[28];
    assert_eq!(
        (
            last["percent"].as_f64(),
            last["compliant"].as_i64(),
            last["nodata"].as_i64()
        ),
        (Some(50.0), Some(2), Some(1))
    );
    assert_eq!(
        (
            prev["percent"].as_f64(),
            prev["noncompliant"].as_i64(),
            prev["nodata"].as_i64()
        ),
        (Some(50.0), Some(1), Some(3))
    );
    assert!(trend[27]["percent"].is_null(), "no snapshot that day");

    // One group; bad inputs are refused and change nothing.
    let web = send(
        &app,
        &mut admin,
        get(&format!("/api/v1/reports/compliance?group={}", f.web)),
    )
    .await
    .json();
    assert_eq!(web["data"]["counts"]["noncompliant"].as_i64(), Some(2));
    assert_eq!(web["data"]["hosts"].as_array().unwrap().len(), 2);
    assert_eq!(
        send(&app, &mut admin, get("/api/v1/reports/compliance?group=x"))
            .await
            .status,
        400
    );
    assert_eq!(
        send(&app, &mut admin, get("/api/v1/reports/compliance?group=999999"))
            .await
            .status,
        404
    );
    assert_eq!(
        send(&app, &mut admin, get("/api/v1/reports/compliance?state=bad"))
            .await
            .status,
        400
    );
    assert_eq!(
        send(&app, &mut admin, get("/api/v1/reports/compliance?after=%27%3B"))
            .await
            .status,
        400
    );
    let _ = (f.web2, f.db1, f.free, f.new, f.db_group);
}

#[actix_web::test]
async fn an_operator_report_covers_only_their_hosts_and_says_so() {
    let db = TestDb::new();
    let (op_id, secret) = ready_user(&mut db.conn(), "op", Role::Operator);
    let (st, clock) = state(&db);
    let f = seed(&db, &st, clock.now()).await;
    User::set_groups(&mut db.conn(), op_id, &[f.web]).unwrap();
    let app = app(st).await;
    let mut op = sign_in(&app, &clock, "op", &secret).await;

    let page = send(&app, &mut op, get("/reports/compliance")).await;
    assert_eq!(page.status, 200);
    assert!(text(&page, "report-scope")
        .contains("Only the hosts operator op may see (groups web, and ungrouped hosts)"));
    assert_eq!(text(&page, "compliance-percent"), "33.3 %");
    assert!(
        !page.body.contains("db1.lan") && !page.body.contains("HYPERLINK"),
        "another group's host or group"
    );
    let j = send(&app, &mut op, get("/api/v1/reports/compliance"))
        .await
        .json();
    assert_eq!(j["data"]["scope"]["restricted"], true);
    assert_eq!(
        j["data"]["trend"][29]["compliant"].as_i64(),
        Some(1),
        "the trend too: free.lan only"
    );
    // Attacks: another group's id (and its exports), a guessed id, all 404 like any object out of scope.
    for uri in [
        format!("/reports/compliance?group={}", f.db_group),
        format!("/reports/compliance.csv?group={}", f.db_group),
        format!("/api/v1/reports/compliance?group={}", f.db_group),
        format!("/api/v1/reports/compliance.csv?group={}", f.db_group),
        format!("/api/v1/reports/compliance?group={}", f.db_group + 100),
    ] {
        let r = send(&app, &mut op, get(&uri)).await;
        assert_eq!(r.status, 404, "{uri}");
        assert!(!r.body.contains("db1.lan"));
    }
    let csv = send(&app, &mut op, get("/reports/compliance.csv")).await;
    assert_eq!(csv.status, 200);
    assert!(
        !csv.body.contains("db1.lan") && !csv.body.contains("10.0.1.1"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("web1.lan") && csv.body.contains("free.lan"));
}
