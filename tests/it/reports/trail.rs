//! The audit trail report: filters by user, action, host and date (bound parameters; wildcards literal),
//! keyset pages, the chain's status on the page and in the CSV; administrators only; a tampered row shows
//! as BROKEN in both.

use super::*;
use actix_web::test::TestRequest;
use diesel::RunQueryDsl;
use linux_patch_manager::audit::{self, Entry};
use linux_patch_manager::db::models::Role;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{app, send, state};
use linux_patch_tests::signin::{ready_user, sign_in};

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

fn actions(j: &serde_json::Value) -> Vec<String> {
    j["data"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn the_trail_filters_pages_and_carries_the_chain_status() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "admin", Role::Admin);
    let (_, op_secret) = ready_user(&mut db.conn(), "op", Role::Operator);
    let (st, clock) = state(&db);
    let now = clock.now();
    for (days, actor, action, target) in [
        (10, "alice", "host.add", "host:web1.lan"),
        (5, "bob", "deployment.create", "deployment:1"),
        (3, "alice", "host.remove", "host:db1.lan"),
        (1, "alice", "group.create", "group:100%_x"),
    ] {
        let e = Entry {
            actor,
            action,
            target,
            details: serde_json::json!({}),
        };
        audit::append(&mut db.conn(), now - Duration::days(days), &e).unwrap();
    }
    let app = app(st).await;
    let mut admin = sign_in(&app, &clock, "admin", &secret).await;
    let j = |r: &Resp| r.json();
    let q = |uri: &str| get(&format!("/api/v1/reports/audit?{uri}"));
    assert_eq!(
        actions(&j(&send(&app, &mut admin, q("user=alice&action=host.")).await)),
        ["host.remove", "host.add"]
    );
    assert_eq!(
        actions(&j(&send(&app, &mut admin, q("host=db1")).await)),
        ["host.remove"]
    );
    let day = |d: i64| (now - Duration::days(d)).format("%Y-%m-%d").to_string();
    assert_eq!(
        actions(&j(&send(
            &app,
            &mut admin,
            q(&format!("user=alice&from={}&to={}", day(4), day(1)))
        )
        .await)),
        ["group.create", "host.remove"]
    );
    assert_eq!(
        actions(&j(&send(&app, &mut admin, q("host=100%25_")).await)),
        ["group.create"]
    );
    assert!(
        actions(&j(&send(&app, &mut admin, q("host=b%25")).await)).is_empty(),
        "% is literal"
    );
    assert_eq!(send(&app, &mut admin, q("from=yesterday")).await.status, 400);
    assert_eq!(
        send(&app, &mut admin, q(&format!("from={}&to={}", day(1), day(4))))
            .await
            .status,
        400
    );

    // Keyset pages of one row walk every alice row once.
    let mut seen = Vec::new();
    let mut uri = "/reports/audit?user=alice&limit=1".to_owned();
    for _ in 0..10 {
        let p = send(&app, &mut admin, get(&uri)).await;
        assert_eq!(p.status, 200);
        assert!(
            p.text_of("chain-text").unwrap_or_default().contains("verified"),
            "{}",
            p.body
        );
        seen.extend(table_rows(&p, "trail-table").into_iter().map(|r| r[3].clone()));
        match p.body.split("id=\"trail-next\" rel=\"next\" href=\"").nth(1) {
            Some(s) => uri = s.split('"').next().unwrap().replace("&amp;", "&"),
            None => break,
        }
    }
    assert_eq!(seen, ["group.create", "host.remove", "host.add"]);

    let csv = send(&app, &mut admin, get("/reports/audit.csv?user=alice")).await;
    let rows = python_csv(&csv.body);
    let chain = rows
        .iter()
        .find(|r| r.first().map(String::as_str) == Some("Audit chain"))
        .unwrap();
    assert!(chain[1].starts_with("verified ("), "{chain:?}");
    let header = rows
        .iter()
        .position(|r| r.first().map(String::as_str) == Some("#"))
        .unwrap();
    assert_eq!(
        rows[header + 1..]
            .iter()
            .map(|r| r[3].clone())
            .collect::<Vec<_>>(),
        seen
    );

    let text = pdf_text(&app, &admin, "/reports/audit.pdf?user=alice", "audit.pdf").await;
    for needle in [
        "Audit trail",
        "verified (",
        "3 entries",
        "host.remove",
        "group:100%_x",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }

    // Operators have no audit report.
    let mut op = sign_in(&app, &clock, "op", &op_secret).await;
    for uri in [
        "/api/v1/reports/audit",
        "/reports/audit.csv",
        "/reports/audit.pdf",
    ] {
        assert_eq!(send(&app, &mut op, get(uri)).await.status, 403, "{uri}");
    }

    // A tampered row: the page and the export say BROKEN.
    diesel::sql_query("UPDATE audit_log SET actor = 'mallory' WHERE action = 'host.remove'")
        .execute(&mut db.conn())
        .unwrap();
    let p = send(&app, &mut admin, get("/reports/audit")).await;
    assert!(
        p.text_of("chain-text").unwrap_or_default().contains("BROKEN"),
        "{}",
        p.body
    );
    let csv = send(&app, &mut admin, get("/reports/audit.csv")).await;
    let rows = python_csv(&csv.body);
    let chain = rows
        .iter()
        .find(|r| r.first().map(String::as_str) == Some("Audit chain"))
        .unwrap();
    assert!(chain[1].starts_with("BROKEN at row"), "{chain:?}");
    let text = pdf_text(&app, &admin, "/reports/audit.pdf", "audit-broken.pdf").await;
    assert!(text.contains("BROKEN at row"), "{text}");
}
