//! Low: any operator could scan any range (up to a /22 a time), and one user's scans could take every running
//! slot; now operators scan only inside ranges an administrator allowed, and each user has one running scan.

use crate::manager_poller::{bearer, state_with};
use actix_web::test::TestRequest;
use linux_patch_manager::config::file::PollerSection;
use linux_patch_manager::db::models::Role;
use linux_patch_tests::agent::free_port;
use linux_patch_tests::console::{self, send, Jar, Resp};
use linux_patch_tests::pg::TestDb;
use serde_json::json;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

async fn call<S, B>(app: &S, auth: &str, req: TestRequest) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    send(
        app,
        &mut Jar::default(),
        req.insert_header(("authorization", auth.to_owned())),
    )
    .await
}

fn scan(range: &str, port: u16, wait: bool) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/discovery")
        .set_json(json!({"range": range, "port": port, "wait": wait}))
}

/// A listener that accepts and holds every connection without a byte in reply (a probe waits its 2 s);
/// counts the connections.
fn tarpit(ip: &str, port: u16) -> Arc<Mutex<Vec<std::net::TcpStream>>> {
    let l = TcpListener::bind((ip, port)).unwrap();
    let held = Arc::new(Mutex::new(Vec::new()));
    let h = held.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            h.lock().unwrap().push(s);
        }
    });
    held
}

#[actix_web::test]
async fn operator_scans_a_range_nobody_allowed() {
    let db = TestDb::new();
    let (state, clock) = state_with(&db, PollerSection::default(), true);
    let app = console::app(state.clone()).await;
    let (_, admin) = bearer(&app, &db, &clock, "admin1", Role::Admin).await;
    let (_, op) = bearer(&app, &db, &clock, "op1", Role::Operator).await;
    let port = free_port();
    let watched = tarpit("127.0.7.9", port);

    let r = call(&app, &op, scan("127.0.7.0/28", port, true)).await;
    let touched = watched.lock().unwrap().len();
    assert_eq!(
        (r.status, touched),
        (403, 0),
        "an operator scanned a range no administrator allowed: {}",
        r.body
    );
    assert!(r.body.contains("none is allowed yet"), "{}", r.body);
    let list = call(&app, &op, TestRequest::get().uri("/api/v1/discovery")).await;
    assert_eq!(list.json()["data"], json!([]), "a refused scan left a record");

    // Only administrators manage the list; bad ranges are refused clearly.
    let allow = |range: &str| {
        TestRequest::post()
            .uri("/api/v1/discovery/ranges")
            .set_json(json!({ "range": range }))
    };
    assert_eq!(call(&app, &op, allow("127.0.7.0/24")).await.status, 403);
    for bad in ["10.0.0.0/4", "fd00::/64", "127.0.8.0/24; rm -rf /", ""] {
        let r = call(&app, &admin, allow(bad)).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
    let r = call(&app, &admin, allow("127.0.8.0/24")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["data"]["id"].as_i64().unwrap();
    assert_eq!(
        call(&app, &admin, allow("127.0.8.7/24")).await.status,
        409,
        "a duplicate"
    );
    let ranges = call(&app, &op, TestRequest::get().uri("/api/v1/discovery/ranges")).await;
    assert_eq!(ranges.json()["data"][0]["cidr"], "127.0.8.0/24");

    // Outside the allowed range (or straddling it): still refused, still nothing probed.
    for range in ["127.0.7.0/28", "127.0.8.0/22"] {
        let r = call(&app, &op, scan(range, port, true)).await;
        assert_eq!(r.status, 403, "{range}: {}", r.body);
        assert!(r.body.contains("allowed: 127.0.8.0/24"), "{}", r.body);
    }
    assert_eq!(watched.lock().unwrap().len(), 0);
    // Inside: scanned.
    let r = call(&app, &op, scan("127.0.8.16/28", port, true)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Administrators are not bounded by the list.
    let r = call(&app, &admin, scan("127.0.7.8/29", port, true)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        watched.lock().unwrap().len(),
        1,
        "the admin's scan reached the listener"
    );
    // Removing the range closes it again.
    let r = call(
        &app,
        &admin,
        TestRequest::delete().uri(&format!("/api/v1/discovery/ranges/{id}")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        call(&app, &op, scan("127.0.8.16/28", port, true)).await.status,
        403
    );
}

#[actix_web::test]
async fn one_user_with_many_scans_blocks_everyone_else() {
    let db = TestDb::new();
    let (state, clock) = state_with(&db, PollerSection::default(), true);
    let app = console::app(state.clone()).await;
    let (_, busy) = bearer(&app, &db, &clock, "busy", Role::Admin).await;
    let (_, other) = bearer(&app, &db, &clock, "other", Role::Admin).await;
    let port = free_port();
    let _held = tarpit("127.0.9.1", port);

    // The busy user starts scan after scan of a slow address (each runs ~2 s).
    let mut accepted = 0;
    for _ in 0..6 {
        let r = call(&app, &busy, scan("127.0.9.1/32", port, false)).await;
        match r.status {
            202 => accepted += 1,
            429 => {}
            s => panic!("unexpected {s}: {}", r.body),
        }
    }
    // Another user's scan is not blocked by them.
    let r = call(&app, &other, scan("127.0.9.1/32", port, false)).await;
    assert_eq!(
        r.status, 202,
        "{accepted} scans of one user block everyone else's: {}",
        r.body
    );
    assert_eq!(accepted, 1, "one running scan per user");
}
