//! The console's sign-in through its real handlers and a real database, time driven by a manual clock:
//! password + forced change, TOTP enrolment, replayed codes, silent refresh, refresh-token reuse, the
//! 1-hour idle logout, lockout, CSRF, and RBAC for operators through pages and the API.

use actix_web::test::TestRequest;
use chrono::Duration;
use diesel::RunQueryDsl;
use linux_patch_manager::auth::{password, totp};
use linux_patch_manager::db::models::mfa::TotpFactor;
use linux_patch_manager::db::models::{Group, Host, Role, User};
use linux_patch_manager::http::cookies::{ACCESS, REFRESH};
use linux_patch_manager::services::accounts::create_user;
use linux_patch_shared::clock::{Clock, ManualClock, SystemClock};
use linux_patch_tests::console::{app, form, send, state, Jar, Resp};
use linux_patch_tests::pg::TestDb;

const PW: &str = "a long enough password";

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

/// Password step from a fresh jar; returns the response of `POST /login`.
async fn password_step<S, B>(app: &S, jar: &mut Jar, user: &str, pw: &str) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let page = send(app, jar, get("/login")).await;
    assert_eq!(page.status, 200);
    let csrf = page.input_value("csrf").unwrap();
    send(
        app,
        jar,
        form("/login", &[("csrf", &csrf), ("username", user), ("password", pw)]),
    )
    .await
}

/// Creates `name` with a chosen password and a TOTP factor; returns the secret.
fn ready_user(db: &TestDb, name: &str, role: Role) -> (i64, String) {
    let mut c = db.conn();
    let u = create_user(&mut c, &SystemClock, "test", name, role)
        .unwrap()
        .user;
    User::set_password(&mut c, u.id, &password::hash(PW).unwrap(), false).unwrap();
    let secret = totp::new_secret();
    TotpFactor::insert(&mut c, u.id, &secret, SystemClock.now()).unwrap();
    (u.id, secret)
}

async fn sign_in<S, B>(app: &S, clock: &ManualClock, user: &str, secret: &str) -> Jar
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut jar = Jar::default();
    let r = password_step(app, &mut jar, user, PW).await;
    assert_eq!(r.location.as_deref(), Some("/login/mfa"), "{}", r.body);
    let page = send(app, &mut jar, get("/login/mfa")).await;
    let csrf = page.input_value("csrf").unwrap();
    let code = totp::code_at(secret, clock.now()).unwrap();
    let r = send(
        app,
        &mut jar,
        form("/login/mfa/totp", &[("csrf", &csrf), ("code", &code)]),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/"), "{}", r.body);
    assert!(jar.get(ACCESS).is_some() && jar.get(REFRESH).is_some());
    jar
}

#[actix_web::test]
async fn first_login_changes_password_enrols_totp_and_refuses_replays() {
    let db = TestDb::new();
    let otp = create_user(&mut db.conn(), &SystemClock, "cli", "root1", Role::Admin)
        .unwrap()
        .one_time_password;
    let (st, clock) = state(&db);
    let app = app(st).await;
    let mut jar = Jar::default();

    let wrong = password_step(&app, &mut jar, "root1", "not the password").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("role=\"alert\""), "{}", wrong.body);

    let r = password_step(&app, &mut jar, "root1", &otp).await;
    assert_eq!(r.location.as_deref(), Some("/login/password"));
    // The password alone is not a session: console pages still send us to the login.
    let hosts = send(&app, &mut jar, get("/hosts")).await;
    assert_eq!((hosts.status, hosts.location.as_deref()), (303, Some("/login")));

    let page = send(&app, &mut jar, get("/login/password")).await;
    let csrf = page.input_value("csrf").unwrap();
    let short = send(
        &app,
        &mut jar,
        form(
            "/login/password",
            &[
                ("csrf", &csrf),
                ("current_password", &otp),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        ),
    )
    .await;
    assert_eq!(short.status, 400);
    let r = send(
        &app,
        &mut jar,
        form(
            "/login/password",
            &[
                ("csrf", &csrf),
                ("current_password", &otp),
                ("new_password", PW),
                ("confirm_password", PW),
            ],
        ),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/login/enroll"));

    let enroll = send(&app, &mut jar, get("/login/enroll")).await;
    assert!(enroll.body.contains("<svg"), "server-side QR code");
    let secret = enroll.text_of("totp-secret").unwrap();
    let bad = send(
        &app,
        &mut jar,
        form("/login/enroll/totp", &[("csrf", &csrf), ("code", "000000")]),
    )
    .await;
    assert_eq!(bad.status, 400);
    let code = totp::code_at(&secret, clock.now()).unwrap();
    let r = send(
        &app,
        &mut jar,
        form("/login/enroll/totp", &[("csrf", &csrf), ("code", &code)]),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/login/recovery"));
    let rec = send(&app, &mut jar, get("/login/recovery")).await;
    assert_eq!(rec.body.matches("<li><code>").count(), 10, "{}", rec.body);
    let done = send(&app, &mut jar, form("/login/complete", &[("csrf", &csrf)])).await;
    assert_eq!(done.location.as_deref(), Some("/"));
    let hosts = send(&app, &mut jar, get("/hosts")).await;
    assert_eq!(hosts.status, 200);
    assert!(hosts.body.contains("id=\"main-nav\"") && hosts.body.contains("href=\"/users\""));

    // Next login: the enrolment's code is spent; the same code again is refused as a replay.
    let mut jar2 = Jar::default();
    let r = password_step(&app, &mut jar2, "root1", PW).await;
    assert_eq!(r.location.as_deref(), Some("/login/mfa"));
    let page = send(&app, &mut jar2, get("/login/mfa")).await;
    let csrf2 = page.input_value("csrf").unwrap();
    let replay = send(
        &app,
        &mut jar2,
        form("/login/mfa/totp", &[("csrf", &csrf2), ("code", &code)]),
    )
    .await;
    assert_eq!(replay.status, 401);
    assert!(replay.body.contains("already used"), "{}", replay.body);
    clock.advance(Duration::seconds(30));
    let fresh = totp::code_at(&secret, clock.now()).unwrap();
    let ok = send(
        &app,
        &mut jar2,
        form("/login/mfa/totp", &[("csrf", &csrf2), ("code", &fresh)]),
    )
    .await;
    assert_eq!(ok.location.as_deref(), Some("/"), "{}", ok.body);

    let actions: Vec<String> = linux_patch_manager::audit::recent(&mut db.conn(), None, 100)
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    for a in [
        "auth.login_failed",
        "user.password_change",
        "mfa.enroll",
        "auth.login",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} not audited: {actions:?}");
    }
}

#[actix_web::test]
async fn expired_access_token_refreshes_silently_reuse_revokes_and_idle_logs_out() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&db, "ops", Role::Admin);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "ops", &secret).await;
    let first = jar.clone();

    clock.advance(Duration::minutes(16));
    let r = send(&app, &mut jar, get("/hosts")).await;
    assert_eq!(r.status, 200, "silent refresh: {}", r.body);
    assert_ne!(jar.get(ACCESS), first.get(ACCESS), "a new access token was set");
    assert_ne!(jar.get(REFRESH), first.get(REFRESH), "the refresh token rotated");

    // An attacker replays the first (rotated) refresh token: refused, and the whole family is revoked.
    let mut stolen = first.clone();
    let r = send(&app, &mut stolen, get("/hosts")).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/login")));
    let r = send(&app, &mut jar, get("/hosts")).await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (303, Some("/login")),
        "the legitimate session ends too"
    );

    // A fresh session left alone for over an hour is logged out.
    let mut idle = sign_in(&app, &clock, "ops", &secret).await;
    assert_eq!(send(&app, &mut idle, get("/hosts")).await.status, 200);
    clock.advance(Duration::minutes(61));
    let r = send(&app, &mut idle, get("/hosts")).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/login")));
}

#[actix_web::test]
async fn forms_without_the_csrf_token_change_nothing() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&db, "boss", Role::Admin);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "boss", &secret).await;
    let none = send(&app, &mut jar, form("/groups", &[("name", "web")])).await;
    assert_eq!(none.status, 403, "{}", none.body);
    let wrong = send(
        &app,
        &mut jar,
        form("/groups", &[("csrf", "forged"), ("name", "web")]),
    )
    .await;
    assert_eq!(wrong.status, 403);
    assert!(Group::all(&mut db.conn()).unwrap().is_empty());
    let page = send(&app, &mut jar, get("/groups")).await;
    let csrf = page.input_value("csrf").unwrap();
    let ok = send(
        &app,
        &mut jar,
        form("/groups", &[("csrf", &csrf), ("name", "web")]),
    )
    .await;
    assert_eq!(ok.status, 303);
    assert_eq!(Group::all(&mut db.conn()).unwrap().len(), 1);
    // The login form has its own token too.
    let mut fresh = Jar::default();
    let r = send(
        &app,
        &mut fresh,
        form("/login", &[("username", "boss"), ("password", PW)]),
    )
    .await;
    assert_eq!(r.status, 403);
}

#[actix_web::test]
async fn repeated_failures_back_off_and_are_audited() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&db, "carol", Role::Operator);
    let (st, clock) = state(&db);
    let app = app(st).await;
    for _ in 0..5 {
        let r = password_step(&app, &mut Jar::default(), "carol", "wrong password!").await;
        assert_eq!(r.status, 401);
    }
    let locked = password_step(&app, &mut Jar::default(), "carol", PW).await;
    assert_eq!(
        locked.status, 429,
        "right password during the back-off: {}",
        locked.body
    );
    clock.advance(Duration::minutes(2));
    sign_in(&app, &clock, "carol", &secret).await;
    let mut c = db.conn();
    let n: i64 = diesel::sql_query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'auth.login_failed'")
        .get_result::<Count>(&mut c)
        .unwrap()
        .n;
    assert_eq!(n, 5);
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[actix_web::test]
async fn operators_reach_only_their_groups_and_ungrouped_hosts() {
    let db = TestDb::new();
    let (op_id, secret) = ready_user(&db, "op", Role::Operator);
    let mut c = db.conn();
    let now = SystemClock.now();
    let g1 = Group::insert(&mut c, "mine", now).unwrap();
    let g2 = Group::insert(&mut c, "theirs", now).unwrap();
    User::set_groups(&mut c, op_id, &[g1.id]).unwrap();
    let h_mine = Host::insert(&mut c, "mine.example.lan", "10.0.0.1", 12443, now).unwrap();
    let h_theirs = Host::insert(&mut c, "theirs.example.lan", "10.0.0.2", 12443, now).unwrap();
    let h_free = Host::insert(&mut c, "free.example.lan", "10.0.0.3", 12443, now).unwrap();
    Host::set_groups(&mut c, h_mine.id, &[g1.id]).unwrap();
    Host::set_groups(&mut c, h_theirs.id, &[g2.id]).unwrap();
    let (st, clock) = state(&db);
    let app = app(st).await;

    // API with a bearer token from auth/token (password + TOTP).
    let code = totp::code_at(&secret, clock.now()).unwrap();
    let tok = send(
        &app,
        &mut Jar::default(),
        TestRequest::post()
            .uri("/api/v1/auth/token")
            .set_json(serde_json::json!({"username": "op", "password": PW, "totp": code})),
    )
    .await;
    assert_eq!(tok.status, 200, "{}", tok.body);
    let bearer = format!("Bearer {}", tok.json()["data"]["access_token"].as_str().unwrap());
    let auth = |r: TestRequest| r.insert_header(("authorization", bearer.clone()));
    let list = send(&app, &mut Jar::default(), auth(get("/api/v1/hosts")))
        .await
        .json();
    let names: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hostname"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["free.example.lan", "mine.example.lan"]);
    let other = send(
        &app,
        &mut Jar::default(),
        auth(get(&format!("/api/v1/hosts/{}", h_theirs.id))),
    )
    .await;
    assert_eq!(other.status, 404);
    assert_eq!(other.json()["error"]["code"], "not_found");
    let del = send(
        &app,
        &mut Jar::default(),
        auth(TestRequest::delete().uri(&format!("/api/v1/hosts/{}", h_theirs.id))),
    )
    .await;
    assert_eq!(del.status, 404);
    assert!(Host::find(
        &mut c,
        linux_patch_manager::db::models::scope::Scope::All,
        h_theirs.id
    )
    .unwrap()
    .is_some());
    assert_eq!(
        send(&app, &mut Jar::default(), auth(get("/api/v1/users")))
            .await
            .status,
        403
    );
    assert_eq!(
        send(
            &app,
            &mut Jar::default(),
            auth(get(&format!("/api/v1/hosts/{}", h_free.id)))
        )
        .await
        .status,
        200
    );

    // The same through the pages with the browser session (next TOTP step: the API used this one).
    clock.advance(Duration::seconds(30));
    let mut jar = sign_in(&app, &clock, "op", &secret).await;
    let page = send(&app, &mut jar, get("/hosts")).await;
    assert!(page.body.contains("mine.example.lan") && page.body.contains("free.example.lan"));
    assert!(!page.body.contains("theirs.example.lan"));
    assert!(
        !page.body.contains("href=\"/users\""),
        "admin pages are not in an operator's navigation"
    );
    assert_eq!(
        send(&app, &mut jar, get(&format!("/hosts/{}", h_theirs.id)))
            .await
            .status,
        404
    );
    let csrf = page.input_value("csrf").unwrap();
    let r = send(
        &app,
        &mut jar,
        form(&format!("/hosts/{}/delete", h_theirs.id), &[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(r.status, 404);
    assert!(Host::find(
        &mut c,
        linux_patch_manager::db::models::scope::Scope::All,
        h_theirs.id
    )
    .unwrap()
    .is_some());
    assert_eq!(send(&app, &mut jar, get("/users")).await.status, 403);

    // A tampered token is refused with the envelope.
    let bad = send(
        &app,
        &mut Jar::default(),
        get("/api/v1/me").insert_header(("authorization", format!("{bearer}x"))),
    )
    .await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.json()["success"], false);
}

#[actix_web::test]
async fn audit_page_names_the_first_row_edited_behind_its_back() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&db, "auditor", Role::Admin);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "auditor", &secret).await;
    let ok = send(&app, &mut jar, get("/audit")).await;
    assert_eq!(ok.status, 200);
    assert!(ok.text_of("audit-status").is_some());
    assert!(ok.body.contains("verified"), "{}", ok.body);
    assert!(ok.body.contains("auth.login"));
    let rows = linux_patch_manager::audit::recent(&mut db.conn(), None, 100).unwrap();
    let victim = rows.iter().find(|r| r.action == "auth.password_ok").unwrap().id;
    diesel::sql_query(format!(
        "UPDATE audit_log SET actor = 'mallory' WHERE id = {victim}"
    ))
    .execute(&mut db.conn())
    .unwrap();
    let broken = send(&app, &mut jar, get("/audit")).await;
    assert!(
        broken.body.contains(&format!("BROKEN at row {victim}")),
        "{}",
        broken.body
    );
    let csrf = broken.input_value("csrf").unwrap();
    let api = send(
        &app,
        &mut jar,
        get("/api/v1/audit/verify").insert_header(("x-csrf-token", csrf)),
    )
    .await
    .json();
    assert_eq!(api["data"]["ok"], false);
    assert_eq!(api["data"]["broken"]["id"], victim);
}

#[actix_web::test]
async fn admins_revoke_sessions_reset_mfa_and_disable_accounts() {
    let db = TestDb::new();
    let (_, admin_secret) = ready_user(&db, "chief", Role::Admin);
    let (op_id, op_secret) = ready_user(&db, "worker", Role::Operator);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let mut admin = sign_in(&app, &clock, "chief", &admin_secret).await;
    let mut op = sign_in(&app, &clock, "worker", &op_secret).await;
    assert_eq!(send(&app, &mut op, get("/hosts")).await.status, 200);

    let csrf = send(&app, &mut admin, get("/users"))
        .await
        .input_value("csrf")
        .unwrap();
    let revoke = format!("/api/v1/users/{op_id}/revoke-sessions");
    let no_token = send(&app, &mut admin, TestRequest::post().uri(&revoke)).await;
    assert_eq!(
        no_token.status, 403,
        "a cookie-authenticated API call needs X-CSRF-Token"
    );
    assert_eq!(send(&app, &mut op, get("/hosts")).await.status, 200);
    let r = send(
        &app,
        &mut admin,
        TestRequest::post()
            .uri(&revoke)
            .insert_header(("x-csrf-token", csrf.clone())),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(&app, &mut op, get("/hosts")).await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (303, Some("/login")),
        "revoked at once"
    );

    let r = send(
        &app,
        &mut admin,
        form(&format!("/users/{op_id}/reset-mfa"), &[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = password_step(&app, &mut Jar::default(), "worker", PW).await;
    assert_eq!(
        r.location.as_deref(),
        Some("/login/enroll"),
        "the next sign-in enrols again"
    );

    let r = send(
        &app,
        &mut admin,
        form(&format!("/users/{op_id}/disable"), &[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(r.status, 303);
    let r = password_step(&app, &mut Jar::default(), "worker", PW).await;
    assert_eq!(r.status, 403, "{}", r.body);
}
