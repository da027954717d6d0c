//! Low: the pending enrolment list came whole in one answer and one page (a flood of requests made the page
//! and `GET /api/v1/enrollments` unbounded); it is now paged like the other lists (`?after=ID&limit=N`).

use super::*;
use linux_patch_manager::db::models::enrollment::{Enrollment, NewEnrollment};
use std::collections::BTreeSet;

fn pending(db: &TestDb, n: usize, now: chrono::DateTime<chrono::Utc>) -> Vec<i64> {
    let mut conn = db.conn();
    (0..n)
        .map(|i| {
            let token = format!("{i:064x}");
            let machine = format!("{i:032x}");
            let fqdn = format!("agent-{i:03}.example.lan");
            let ip = format!("10.77.{}.{}", i / 250, i % 250 + 1);
            Enrollment::insert(
                &mut conn,
                &NewEnrollment {
                    token_hash: &token,
                    machine_id: &machine,
                    fqdn: &fqdn,
                    ip: &ip,
                    os: "Debian 12",
                    port: 12443,
                    source_ip: &ip,
                    csr_pem: "",
                    key_fingerprint: "AA:BB",
                },
                now,
            )
            .unwrap()
            .id
        })
        .collect()
}

#[actix_web::test]
async fn pending_enrolments_listed_all_at_once() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let (st, clock) = state(&db);
    let ids = pending(&db, 120, clock.now());
    let app = app(st).await;
    let token = linux_patch_tests::signin::bearer(&app, &clock, "root", &secret).await;
    let get = |uri: String| {
        TestRequest::get()
            .uri(&uri)
            .insert_header(("authorization", token.clone()))
    };
    let mut jar = linux_patch_tests::console::Jar::default();

    let first = send(&app, &mut jar, get("/api/v1/enrollments".into())).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let n = first.json()["data"]["pending"].as_array().unwrap().len();
    assert!(n <= 50, "one answer listed {n} pending requests");

    // Every pending request exactly once, in order, page after page.
    let mut seen = Vec::new();
    let mut uri = "/api/v1/enrollments?limit=50".to_owned();
    loop {
        let r = send(&app, &mut jar, get(uri.clone())).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let d = r.json()["data"].clone();
        let page: Vec<i64> = d["pending"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        assert!(page.len() <= 50);
        seen.extend(page);
        match d["next_after"].as_i64() {
            Some(a) => uri = format!("/api/v1/enrollments?limit=50&after={a}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 120);
    // Bad paging is refused clearly.
    for bad in ["limit=0", "limit=1000", "limit=x", "after=-3", "page=2"] {
        let r = send(&app, &mut jar, get(format!("/api/v1/enrollments?{bad}"))).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }

    // The console page shows 50 and links to the next ones.
    clock.advance(chrono::Duration::seconds(31));
    let mut console = sign_in(&app, &clock, "root", &secret).await;
    let page = send(&app, &mut console, TestRequest::get().uri("/enrollment")).await;
    assert_eq!(
        page.body.matches("data-fqdn=").count(),
        50,
        "the console listed every pending request"
    );
    let next = format!("/enrollment?after={}", ids[49]);
    assert!(
        page.body.contains(&format!("href=\"{next}\"")),
        "no next-page link"
    );
    let page = send(&app, &mut console, TestRequest::get().uri(&next)).await;
    assert!(page.body.contains("agent-050.example.lan") && !page.body.contains("agent-049.example.lan"));
}
