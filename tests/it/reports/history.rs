//! Patch history: deployment targets with operation, packages, versions from -> to, outcome and who
//! triggered them, by host, group and date range, newest first in keyset pages; the CSV parsed back equals
//! the page; an operator never sees another group's host (host id guessed: 404; group of another: 404).

use super::*;
use actix_web::test::TestRequest;
use diesel::RunQueryDsl;
use linux_patch_manager::db::models::{Role, User};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{app, send, state};
use linux_patch_tests::signin::{ready_user, sign_in};

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

fn exec(db: &TestDb, q: &str) {
    diesel::sql_query(q)
        .execute(&mut db.conn())
        .unwrap_or_else(|e| panic!("{q}: {e}"));
}

fn hosts_of(j: &serde_json::Value) -> Vec<String> {
    j["data"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["hostname"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn the_history_lists_every_target_with_its_changes() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "admin", Role::Admin);
    let (op_id, op_secret) = ready_user(&mut db.conn(), "op", Role::Operator);
    let (st, clock) = state(&db);
    let now = clock.now();
    let f = seed(&db, &st, now).await;
    User::set_groups(&mut db.conn(), op_id, &[f.web]).unwrap();
    let ts = |days: i64| (now - Duration::days(days)).to_rfc3339();
    exec(&db, &format!(
        "INSERT INTO deployments (id, created_by, created_at, operation, packages, mode, reboot, status, group_ids) VALUES \
         (1, 'alice', '{}', 'security_only', '[]', 'now', 'never', 'finished', '[]'), \
         (2, 'bob', '{}', 'packages', '[\"openssl\"]', 'now', 'never', 'finished', '[]')", ts(5), ts(1)));
    let cs = r#"{"installed":[],"removed":[],"upgraded":[{"name":"openssl","architecture":"amd64","from":"1.0","to":"3.0.9"}],"downgraded":[]}"#;
    exec(&db, &format!(
        "INSERT INTO deployment_targets (id, deployment_id, host_id, hostname, state, attempts, error, change_set, \
         agent_job_id, finished_at, updated_at) VALUES \
         (10, 1, {w1}, 'web1.lan', 'succeeded', 1, '', '{cs}', 'J1', '{t5}', '{t5}'), \
         (11, 1, {d1}, 'db1.lan', 'failed', 2, 'apt: lock held', NULL, 'J2', '{t5}', '{t5}'), \
         (12, 2, {w1}, 'web1.lan', 'succeeded', 1, '', '{cs}', 'J3', '{t1}', '{t1}'), \
         (13, 2, {w2}, '=cmd|calc', 'succeeded', 1, '', NULL, 'J4', '{t1}', '{t1}')",
        w1 = f.web1, d1 = f.db1, w2 = f.web2, t5 = ts(5), t1 = ts(1)));
    let app = app(st).await;
    let mut admin = sign_in(&app, &clock, "admin", &secret).await;

    let j = send(&app, &mut admin, get("/api/v1/reports/history"))
        .await
        .json();
    assert_eq!(
        hosts_of(&j),
        ["=cmd|calc", "web1.lan", "db1.lan", "web1.lan"],
        "newest first"
    );
    let r = &j["data"]["rows"][1];
    assert_eq!(
        (
            r["operation"].as_str(),
            r["created_by"].as_str(),
            r["state"].as_str()
        ),
        (Some("packages"), Some("bob"), Some("succeeded"))
    );
    let j = send(
        &app,
        &mut admin,
        get(&format!("/api/v1/reports/history?host={}", f.web1)),
    )
    .await
    .json();
    assert_eq!(hosts_of(&j), ["web1.lan", "web1.lan"]);
    // The page's form sends empty fields; they mean "any".
    let p = send(&app, &mut admin, get("/reports/history?group=&host=&from=&to=")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(
        send(&app, &mut admin, get("/api/v1/reports/history?host=x"))
            .await
            .status,
        400
    );
    let day = (now - Duration::days(2)).format("%Y-%m-%d").to_string();
    let j = send(
        &app,
        &mut admin,
        get(&format!("/api/v1/reports/history?to={day}")),
    )
    .await
    .json();
    assert_eq!(hosts_of(&j), ["db1.lan", "web1.lan"], "deployment 1 only");
    let j = send(
        &app,
        &mut admin,
        get(&format!("/api/v1/reports/history?group={}", f.db_group)),
    )
    .await
    .json();
    assert_eq!(hosts_of(&j), ["db1.lan"]);
    // Keyset pages walk everything once.
    let mut seen = Vec::new();
    let mut uri = "/reports/history?limit=1".to_owned();
    for _ in 0..10 {
        let p = send(&app, &mut admin, get(&uri)).await;
        assert_eq!(p.status, 200);
        seen.extend(table_rows(&p, "history-table"));
        match p.body.split("id=\"history-next\" rel=\"next\" href=\"").nth(1) {
            Some(s) => uri = s.split('"').next().unwrap().replace("&amp;", "&"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[1][5], "openssl 1.0 -> 3.0.9");
    assert_eq!(seen[2][6], "failed: apt: lock held");
    let csv = send(&app, &mut admin, get("/reports/history.csv")).await;
    let rows = python_csv(&csv.body);
    let header = rows
        .iter()
        .position(|r| r.first().map(String::as_str) == Some("When (UTC)"))
        .unwrap();
    let table = &rows[header + 1..];
    assert_eq!(table.len(), 4);
    for (c, p) in table.iter().zip(&seen) {
        assert_eq!(c[1].trim_start_matches('\''), p[1]);
        assert_eq!(
            (&c[3], &c[4], &c[5], &c[6], &c[8]),
            (&p[3], &p[4], &p[5], &p[6], &p[8])
        );
    }
    assert_eq!(table[0][1], "'=cmd|calc", "formula neutralised");

    let text = pdf_text(&app, &admin, "/reports/history.pdf", "history.pdf").await;
    for needle in [
        "Patch history",
        "All hosts",
        "Audit chain",
        "4 deployment targets",
        "openssl 1.0 -> 3.0.9",
        "failed: apt",
        "security_only",
        "2026-",
        "bob",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }

    // The operator: web hosts only; db1 by id or by group is a 404.
    let mut op = sign_in(&app, &clock, "op", &op_secret).await;
    let j = send(&app, &mut op, get("/api/v1/reports/history")).await.json();
    assert_eq!(hosts_of(&j), ["=cmd|calc", "web1.lan", "web1.lan"]);
    for uri in [
        format!("/api/v1/reports/history?host={}", f.db1),
        format!("/reports/history.csv?host={}", f.db1),
        format!("/reports/history.csv?group={}", f.db_group),
    ] {
        assert_eq!(send(&app, &mut op, get(&uri)).await.status, 404, "{uri}");
    }
    let text = pdf_text(&app, &op, "/reports/history.pdf", "history-op.pdf").await;
    assert!(
        text.contains("3 deployment targets") && !text.contains("db1.lan"),
        "{text}"
    );
    let csv = send(&app, &mut op, get("/reports/history.csv")).await;
    assert!(
        !csv.body.contains("db1.lan") && !csv.body.contains("apt: lock held"),
        "{}",
        csv.body
    );
}
