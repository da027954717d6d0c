//! Medium 4: one stranger's wrong guesses lock a known user (every admin) out, unknown and locked users get
//! different answers, parallel guesses count once; throttling per (user, address) closes all three.

use actix_web::test::TestRequest;
use linux_patch_manager::auth::totp;
use linux_patch_manager::db::models::{Role, User};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{app, resp, send, state, Jar, Resp};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{bearer, ready_user, PASSWORD};

async fn token_from<S, B>(app: &S, ip: &str, user: &str, password: &str, code: &str) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let req = TestRequest::post()
        .uri("/api/v1/auth/token")
        .set_json(serde_json::json!({"username": user, "password": password, "totp": code}))
        .peer_addr(format!("{ip}:40000").parse().unwrap())
        .to_request();
    resp(actix_web::test::call_service(app, req).await).await
}

fn audit_rows(db: &TestDb) -> Vec<(String, String, String)> {
    linux_patch_manager::audit::recent(&mut db.conn(), None, 1000)
        .unwrap()
        .into_iter()
        .map(|r| (r.action, r.target, r.details.to_string()))
        .collect()
}

#[actix_web::test]
async fn a_strangers_guesses_lock_out_the_admin() {
    let db = TestDb::new();
    let (boss_id, boss) = ready_user(&mut db.conn(), "boss", Role::Admin);
    let (_, root2) = ready_user(&mut db.conn(), "root2", Role::Admin);
    let (op_id, _) = ready_user(&mut db.conn(), "op1", Role::Operator);
    let (st, clock) = state(&db);
    let app = app(st).await;

    // The stranger at 10.6.6.6 guesses for a real admin and for a name that does not exist.
    let mut last = (None, None);
    for _ in 0..7 {
        let b = token_from(&app, "10.6.6.6", "boss", "wrong password!", "000000").await;
        let g = token_from(&app, "10.6.6.6", "ghost", "wrong password!", "000000").await;
        last = (Some(b), Some(g));
    }
    let (b, g) = (last.0.unwrap(), last.1.unwrap());
    let mut found = Vec::new();
    if (b.status, b.json()["error"].clone()) != (g.status, g.json()["error"].clone()) {
        found.push(format!(
            "a locked user and an unknown one are told apart: {} {} vs {} {}",
            b.status,
            b.json()["error"],
            g.status,
            g.json()["error"]
        ));
    }
    // The admin, from their own address, with the right password and code.
    clock.advance(chrono::Duration::seconds(31));
    let code = totp::code_at(&boss, clock.now()).unwrap();
    let r = token_from(&app, "127.0.0.1", "boss", PASSWORD, &code).await;
    if r.status != 200 {
        found.push(format!(
            "the admin is locked out by a stranger: {} {}",
            r.status, r.body
        ));
    }
    // Parallel guesses from many addresses each count.
    let guesses = (0..8).map(|i| {
        let ip = format!("10.7.0.{}", i + 1);
        let app = &app;
        async move { token_from(app, &ip, "op1", "wrong password!", "000000").await }
    });
    futures_util::future::join_all(guesses).await;
    let counted = User::by_id(&mut db.conn(), op_id).unwrap().unwrap().failed_logins;
    if counted != 8 {
        found.push(format!("8 parallel failures counted as {counted}"));
    }
    let rows = audit_rows(&db);
    if !rows
        .iter()
        .any(|(a, t, _)| a == "auth.lockout" && t == "user:boss")
    {
        found.push("no audit event for the lock".into());
    }
    if rows
        .iter()
        .any(|(_, t, d)| t.contains("ghost") || d.contains("ghost"))
    {
        found.push("an unknown name typed at the login is audited verbatim".into());
    }
    assert!(found.is_empty(), "{found:#?}");
    assert_eq!(b.status, 429);

    // An administrator unlocks: the stranger's address is back to "wrong password" (401), not 429.
    clock.advance(chrono::Duration::seconds(31));
    let auth = bearer(&app, &clock, "root2", &root2).await;
    let r = send(
        &app,
        &mut Jar::default(),
        TestRequest::post()
            .uri(&format!("/api/v1/users/{boss_id}/unlock"))
            .insert_header(("authorization", auth)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = token_from(&app, "10.6.6.6", "boss", "wrong password!", "000000").await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(audit_rows(&db).iter().any(|(a, _, _)| a == "user.unlock"));
}
