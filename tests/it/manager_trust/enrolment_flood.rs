//! Low: enrolment requests piled up without limit per source, and status polls were never rate-limited.

use actix_web::test::TestRequest;
use linux_patch_tests::console::{app, send, state, Jar};
use linux_patch_tests::pg::TestDb;

#[actix_web::test]
async fn one_source_piles_up_pending_enrolments_and_polls_without_limit() {
    let db = TestDb::new();
    let (st, clock) = state(&db);
    let app = app(st).await;
    let mut refused = None;
    for i in 0..30 {
        if i % 10 == 9 {
            clock.advance(chrono::Duration::seconds(61)); // stay under the per-minute request limit
        }
        let body = serde_json::json!({"machine_id": format!("{i:032x}"), "fqdn": format!("h{i}.example.test"),
            "ip": "10.0.0.1", "os": "Debian", "port": 12443, "csr": linux_patch_tests::certs::test_csr()});
        let r = send(
            &app,
            &mut Jar::default(),
            TestRequest::post().uri("/api/v1/enroll").set_json(&body),
        )
        .await;
        if r.status != 201 {
            refused = Some((i, r.status, r.body));
            break;
        }
    }
    let (n, status, body) = refused.expect("30 pending requests from one address were all accepted");
    assert_eq!((n, status), (20, 429), "{body}");

    let mut limited = 0;
    for _ in 0..150 {
        let r = send(
            &app,
            &mut Jar::default(),
            TestRequest::get().uri("/api/v1/enroll/status/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        )
        .await;
        if r.status == 429 {
            limited += 1;
        }
    }
    assert!(
        limited > 0,
        "150 status polls in a minute from one address were all answered"
    );
}
