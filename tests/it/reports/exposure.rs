//! Vulnerability exposure: CVEs of the seeded fleet sorted by severity and by age, one CVE's hosts, keyset
//! pages, the CSV parsed back equals the page, the PDF text holds the numbers; operators see only their
//! hosts' CVEs and another group's CVE is a 404.

use super::*;
use actix_web::test::TestRequest;
use linux_patch_manager::db::models::{Role, User};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{app, send, state};
use linux_patch_tests::signin::{ready_user, sign_in};

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

fn ids(j: &serde_json::Value) -> Vec<String> {
    j["data"]["cves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cve"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn cves_are_listed_sorted_paged_and_exported() {
    let db = TestDb::new();
    let (op_id, secret) = ready_user(&mut db.conn(), "admin", Role::Admin);
    let _ = op_id;
    let (op2, op_secret) = ready_user(&mut db.conn(), "op", Role::Operator);
    let (st, clock) = state(&db);
    let f = seed(&db, &st, clock.now()).await;
    User::set_groups(&mut db.conn(), op2, &[f.web]).unwrap();
    let app = app(st).await;
    let mut admin = sign_in(&app, &clock, "admin", &secret).await;

    let j = send(&app, &mut admin, get("/api/v1/reports/vulnerabilities"))
        .await
        .json();
    assert_eq!(
        ids(&j),
        ["CVE-2026-0001", "CVE-2026-0002", "CVE-2026-0003"],
        "severity, then oldest"
    );
    assert_eq!(j["data"]["total"].as_i64(), Some(3));
    assert_eq!(j["data"]["hosts_exposed"].as_i64(), Some(2));
    assert_eq!(
        j["data"]["by_severity"],
        serde_json::json!([["critical", 2], ["low", 1]])
    );
    let c1 = &j["data"]["cves"][0];
    assert_eq!(
        (c1["hosts"].as_i64(), c1["fix_available"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(c1["packages"], serde_json::json!(["openssl"]));
    let age = send(&app, &mut admin, get("/api/v1/reports/vulnerabilities?sort=age"))
        .await
        .json();
    assert_eq!(
        ids(&age),
        ["CVE-2026-0001", "CVE-2026-0003", "CVE-2026-0002"],
        "oldest, then severity"
    );
    // Keyset pages of one walk the same list.
    let mut seen = Vec::new();
    let mut uri = "/api/v1/reports/vulnerabilities?sort=age&limit=1".to_owned();
    loop {
        let p = send(&app, &mut admin, get(&uri)).await.json();
        seen.extend(ids(&p));
        match p["data"]["next"].as_str() {
            Some(n) => uri = format!("/api/v1/reports/vulnerabilities?sort=age&limit=1&after={n}"),
            None => break,
        }
    }
    assert_eq!(seen, ids(&age));
    assert_eq!(
        send(&app, &mut admin, get("/api/v1/reports/vulnerabilities?sort=name"))
            .await
            .status,
        400
    );

    let page = send(&app, &mut admin, get("/reports/vulnerabilities")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text_of("n-cves").as_deref(), Some("3"));
    let shown = table_rows(&page, "cve-table");
    let csv = send(
        &app,
        &mut admin,
        get("/reports/vulnerabilities.csv?sort=severity"),
    )
    .await;
    let rows = python_csv(&csv.body);
    let header = rows
        .iter()
        .position(|r| r.first().map(String::as_str) == Some("CVE"))
        .unwrap();
    let table = &rows[header + 1..];
    assert_eq!(table.len(), shown.len());
    for (c, p) in table.iter().zip(&shown) {
        assert_eq!(
            (&c[0], &c[1], &c[2], &c[3], &c[4], &c[5]),
            (&p[0], &p[1], &p[2], &p[3], &p[4], &p[6])
        );
    }

    let one = send(&app, &mut admin, get("/reports/vulnerabilities/CVE-2026-0001")).await;
    assert_eq!(one.status, 200);
    let hosts: Vec<String> = table_rows(&one, "cve-hosts")
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(hosts, ["web1.lan"]);
    assert_eq!(
        send(&app, &mut admin, get("/reports/vulnerabilities/CVE-2026-9999"))
            .await
            .status,
        404
    );
    assert_eq!(
        send(&app, &mut admin, get("/api/v1/reports/vulnerabilities/x%27or"))
            .await
            .status,
        400
    );

    // PDF: title page, severity bars, the table; numbers as on the page.
    let r = actix_web::test::call_service(
        &app,
        admin.apply(get("/reports/vulnerabilities.pdf")).to_request(),
    )
    .await;
    assert_eq!(r.status(), 200);
    let bytes = actix_web::test::read_body(r).await;
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("v.pdf");
    std::fs::write(&pdf, &bytes).unwrap();
    let text = String::from_utf8(
        std::process::Command::new("pdftotext")
            .args(["-layout", pdf.to_str().unwrap(), "-"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    for needle in [
        "Vulnerability exposure",
        "All hosts",
        "3 CVEs pending on 2 hosts.",
        "CVE-2026-0001",
        "CVE-2026-0003",
        "critical",
        "Audit chain",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
    if let Ok(out) = std::env::var("REPORT_PDF_DIR") {
        std::fs::copy(&pdf, std::path::Path::new(&out).join("vulnerabilities.pdf")).unwrap();
    }

    // The operator (group web): db1's low CVE is not theirs; its page and exports never show it.
    let mut op = sign_in(&app, &clock, "op", &op_secret).await;
    let j = send(&app, &mut op, get("/api/v1/reports/vulnerabilities"))
        .await
        .json();
    assert_eq!(ids(&j), ["CVE-2026-0001", "CVE-2026-0002"]);
    assert_eq!(j["data"]["hosts_exposed"].as_i64(), Some(1));
    for uri in [
        "/reports/vulnerabilities/CVE-2026-0003".to_owned(),
        "/api/v1/reports/vulnerabilities/CVE-2026-0003".to_owned(),
        format!("/reports/vulnerabilities.csv?group={}", f.db_group),
        format!("/api/v1/reports/vulnerabilities?group={}", f.db_group),
    ] {
        assert_eq!(send(&app, &mut op, get(&uri)).await.status, 404, "{uri}");
    }
    let csv = send(&app, &mut op, get("/reports/vulnerabilities.csv")).await;
    assert!(
        csv.body.contains("CVE-2026-0001") && !csv.body.contains("CVE-2026-0003"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("Only the hosts operator op may see"));
}
