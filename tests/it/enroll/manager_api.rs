//! The manager's enrolment in-process (real handlers, real PostgreSQL, real CA, manual clock): replaced
//! tokens, approval through the API and the console, linking existing hosts, RBAC, rate limit and purge.

use super::*;
use actix_web::test::TestRequest;
use chrono::Duration as Span;
use linux_patch_manager::db::models::Host;
use linux_patch_tests::console::{app, form, send, state, Jar, Resp};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{bearer, sign_in};
use serde_json::{json, Value};

fn body(fqdn: &str, ip: &str) -> Value {
    json!({"machine_id": MACHINE_ID, "fqdn": fqdn, "ip": ip, "os": "Debian GNU/Linux 12 (bookworm)", "port": 12443,
        "csr": linux_patch_tests::certs::test_csr()})
}

fn post(uri: &str) -> TestRequest {
    TestRequest::post().uri(uri)
}

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

macro_rules! call {
    ($app:expr, $req:expr) => {
        send(&$app, &mut Jar::default(), $req).await
    };
}

fn token_of(r: &Resp) -> String {
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["data"]["polling_token"].as_str().unwrap().to_owned()
}

fn status_uri(token: &str) -> String {
    format!("/api/v1/enroll/status/{token}")
}

fn pending_id(db: &TestDb, fqdn: &str) -> i64 {
    use diesel::prelude::*;
    use linux_patch_manager::db::schema::enrollments as e;
    e::table
        .filter(e::fqdn.eq(fqdn))
        .filter(e::status.eq("pending"))
        .select(e::id)
        .first(&mut db.conn())
        .unwrap()
}

#[actix_web::test]
async fn approval_via_api_and_console_delivers_the_bundle_and_replaced_tokens_die() {
    let db = TestDb::new();
    let (_, admin) = ready_user(&mut db.conn(), "boss", Role::Admin);
    let (_, op) = ready_user(&mut db.conn(), "op", Role::Operator);
    let (st, clock) = state(&db);
    let ca_pem = st.ca_pem.to_string();
    let app = app(st).await;

    let t1 = token_of(&call!(
        app,
        post("/api/v1/enroll").set_json(body("a.example.test", "10.0.0.1"))
    ));
    // Issue 13: a repeat request no longer replaces the pending one (machine id + FQDN are not secret).
    let second = call!(
        app,
        post("/api/v1/enroll").set_json(body("a.example.test", "10.0.0.1"))
    );
    assert_eq!(second.status, 409, "{}", second.body);
    assert_eq!(enrollment_rows(&db), 1, "the pending request stays as it was");
    let t2 = t1;
    let p = call!(app, get(&status_uri(&t2)));
    assert_eq!(p.status, 202, "{}", p.body);
    assert_eq!(p.json()["data"]["poll_interval_secs"], 60);

    let op_auth = bearer(&app, &clock, "op", &op).await;
    let id = pending_id(&db, "a.example.test");
    let approve = format!("/api/v1/enrollments/{id}/approve");
    assert_eq!(
        call!(
            app,
            get("/api/v1/enrollments").insert_header(("authorization", op_auth.clone()))
        )
        .status,
        403
    );
    assert_eq!(
        call!(app, post(&approve).insert_header(("authorization", op_auth))).status,
        403
    );
    assert_eq!(
        call!(app, get(&status_uri(&t2))).status,
        202,
        "operators changed nothing"
    );

    let auth = bearer(&app, &clock, "boss", &admin).await;
    let r = call!(app, post(&approve).insert_header(("authorization", auth.clone())));
    assert_eq!(r.status, 200, "{}", r.body);
    let b = call!(app, get(&status_uri(&t2)));
    assert_eq!(b.status, 200, "{}", b.body);
    let bundle = &b.json()["data"];
    assert_eq!(bundle["status"], "approved");
    assert_eq!(bundle["hostname"], "a.example.test");
    assert_eq!(bundle["ca_pem"].as_str().unwrap(), ca_pem);
    assert!(
        bundle.get("server_key").is_none() && !b.body.contains("PRIVATE KEY"),
        "no key is handed out"
    );
    let again = call!(app, get(&status_uri(&t2)));
    assert_eq!(again.status, 409, "delivered once: {}", again.body);
    let actions = audit_actions(&db);
    assert_eq!(actions.iter().filter(|a| *a == "enroll.request").count(), 1);
    assert_eq!(
        actions.iter().filter(|a| *a == "enroll.deliver").count(),
        1,
        "{actions:?}"
    );

    // An existing host: linked when the address matches, refused when it does not.
    let now = clock.now();
    let same = Host::insert(&mut db.conn(), "b.example.test", "10.0.0.2", 12443, now).unwrap();
    Host::insert(&mut db.conn(), "c.example.test", "10.0.0.3", 12443, now).unwrap();
    call!(
        app,
        post("/api/v1/enroll").set_json(body("b.example.test", "10.0.0.2"))
    );
    call!(
        app,
        post("/api/v1/enroll").set_json(body("c.example.test", "10.9.9.9"))
    );
    let (b_id, c_id) = (
        pending_id(&db, "b.example.test"),
        pending_id(&db, "c.example.test"),
    );
    let linked = call!(
        app,
        post(&format!("/api/v1/enrollments/{b_id}/approve")).insert_header(("authorization", auth.clone()))
    );
    assert_eq!(linked.status, 200, "{}", linked.body);
    assert_eq!(linked.json()["data"]["host"]["id"], same.id);
    assert_eq!(linked.json()["data"]["host"]["machine_id"], MACHINE_ID);
    let clash = call!(
        app,
        post(&format!("/api/v1/enrollments/{c_id}/approve")).insert_header(("authorization", auth.clone()))
    );
    assert_eq!(clash.status, 409, "{}", clash.body);
    assert!(
        clash.body.contains("already registered at 10.0.0.3"),
        "{}",
        clash.body
    );

    // The console: operators get 403; the admin sees the request and denies it with a CSRF form.
    clock.advance(Span::seconds(31)); // fresh TOTP codes (the bearer sign-ins used this window's)
    let mut op_jar = sign_in(&app, &clock, "op", &op).await;
    assert_eq!(send(&app, &mut op_jar, get("/enrollment")).await.status, 403);
    let mut jar = sign_in(&app, &clock, "boss", &admin).await;
    let page = send(&app, &mut jar, get("/enrollment")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("c.example.test") && page.body.contains(MACHINE_ID),
        "{}",
        page.body
    );
    let csrf = page.input_value("csrf").unwrap();
    let no_csrf = send(
        &app,
        &mut jar,
        form(&format!("/enrollment/{c_id}/deny"), &[("csrf", "x")]),
    )
    .await;
    assert_ne!(no_csrf.status, 303, "a wrong CSRF token changes nothing");
    assert_eq!(pending_id(&db, "c.example.test"), c_id);
    let denied = send(
        &app,
        &mut jar,
        form(&format!("/enrollment/{c_id}/deny"), &[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(denied.status, 303);
    assert!(
        denied.location.as_deref() == Some("/enrollment") && denied.notice().is_some(),
        "{:?}",
        denied.location
    );
    let page = send(&app, &mut jar, get("/enrollment")).await;
    assert!(page.body.contains("denied"), "{}", page.body);
    assert!(audit_actions(&db).iter().any(|a| a == "enroll.deny"));
}

#[actix_web::test]
async fn rate_limit_and_purge_follow_the_clock() {
    let db = TestDb::new();
    let (st, clock) = state(&db);
    let app = app(st).await;
    let first = token_of(&call!(
        app,
        post("/api/v1/enroll").set_json(body("old.example.test", "10.0.0.1"))
    ));
    for i in 0..9 {
        let r = call!(
            app,
            post("/api/v1/enroll").set_json(body(&format!("h{i}.example.test"), "10.0.0.1"))
        );
        assert_eq!(r.status, 201, "{i}: {}", r.body);
    }
    let limited = call!(
        app,
        post("/api/v1/enroll").set_json(body("x.example.test", "10.0.0.1"))
    );
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(enrollment_rows(&db), 10);
    clock.advance(Span::seconds(61));
    let fresh = token_of(&call!(
        app,
        post("/api/v1/enroll").set_json(body("new.example.test", "10.0.0.1"))
    ));

    // 72 h later (the default) the unpolled requests are purged at the next request.
    clock.advance(Span::hours(71));
    assert_eq!(
        call!(app, get(&status_uri(&fresh))).status,
        202,
        "a poll keeps a request alive"
    );
    clock.advance(Span::hours(2));
    call!(
        app,
        post("/api/v1/enroll").set_json(body("later.example.test", "10.0.0.1"))
    );
    assert_eq!(call!(app, get(&status_uri(&first))).status, 404, "purged");
    assert_eq!(
        call!(app, get(&status_uri(&fresh))).status,
        202,
        "polled recently: kept"
    );
    assert_eq!(enrollment_rows(&db), 2);
    assert!(audit_actions(&db).iter().any(|a| a == "enroll.purge"));
}

#[actix_web::test]
async fn a_manager_with_enrolment_disabled_refuses_requests() {
    let db = TestDb::new();
    let (b, _clock) = linux_patch_tests::console::builder(&db);
    let cfg = linux_patch_manager::config::file::EnrollmentSection {
        enabled: false,
        ..Default::default()
    };
    let app = app(actix_web::web::Data::new(b.enrollment(cfg).build().unwrap())).await;
    let r = call!(
        app,
        post("/api/v1/enroll").set_json(body("a.example.test", "10.0.0.1"))
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("enrollment.enabled"), "{}", r.body);
    assert_eq!(enrollment_rows(&db), 0);
}
