//! Signed-in users for manager tests: a user with a known password and TOTP factor, a console session
//! (cookies) or a bearer token from the in-process app, and a bearer token from the real manager binary.

use crate::client::{client_config, connect, request};
use crate::console::{form, send, Jar};
use crate::manager::ManagerProc;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use diesel::PgConnection;
use linux_patch_manager::auth::{password, totp};
use linux_patch_manager::db::models::mfa::TotpFactor;
use linux_patch_manager::db::models::user::{Role, User};
use linux_patch_manager::services::accounts::create_user;
use linux_patch_shared::clock::{Clock, ManualClock, SystemClock};

/// The password of every user made by [`ready_user`].
pub const PASSWORD: &str = "a long enough password";

/// Creates `name` with [`PASSWORD`] (no forced change) and a TOTP factor; returns (id, TOTP secret).
pub fn ready_user(conn: &mut PgConnection, name: &str, role: Role) -> (i64, String) {
    let u = create_user(conn, &SystemClock, "test", name, role).unwrap().user;
    User::set_password(conn, u.id, &password::hash(PASSWORD).unwrap(), false).unwrap();
    let secret = totp::new_secret();
    TotpFactor::insert(conn, u.id, &secret, SystemClock.now()).unwrap();
    (u.id, secret)
}

/// A console session of `user`: the password form, then a TOTP code at the clock's time; ends on `/`.
pub async fn sign_in<S, B>(app: &S, clock: &ManualClock, user: &str, secret: &str) -> Jar
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut jar = Jar::default();
    let page = send(app, &mut jar, TestRequest::get().uri("/login")).await;
    let csrf = page.input_value("csrf").unwrap();
    let r = send(
        app,
        &mut jar,
        form(
            "/login",
            &[("csrf", &csrf), ("username", user), ("password", PASSWORD)],
        ),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/login/mfa"), "{}", r.body);
    let page = send(app, &mut jar, TestRequest::get().uri("/login/mfa")).await;
    let csrf = page.input_value("csrf").unwrap();
    let code = totp::code_at(secret, clock.now()).unwrap();
    let r = send(
        app,
        &mut jar,
        form("/login/mfa/totp", &[("csrf", &csrf), ("code", &code)]),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/"), "{}", r.body);
    jar
}

/// `Bearer <access token>` of `user` from the in-process app's `POST /api/v1/auth/token`.
pub async fn bearer<S, B>(app: &S, clock: &ManualClock, user: &str, secret: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let code = totp::code_at(secret, clock.now()).unwrap();
    let r = send(
        app,
        &mut Jar::default(),
        TestRequest::post()
            .uri("/api/v1/auth/token")
            .set_json(serde_json::json!({"username": user, "password": PASSWORD, "totp": code})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    format!("Bearer {}", r.json()["data"]["access_token"].as_str().unwrap())
}

/// The access token of `user` from the real manager's `POST /api/v1/auth/token` (password + TOTP now).
pub fn api_token(m: &ManagerProc, user: &str, secret: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let code = totp::code_at(secret, SystemClock.now()).unwrap();
    let body = serde_json::json!({"username": user, "password": PASSWORD, "totp": code}).to_string();
    let r = rt.block_on(async {
        let cfg = client_config(&m.ca(), None, &[&rustls::version::TLS13]);
        let mut tls = connect(m.addr, cfg, None).await.unwrap();
        request(
            &mut tls,
            "POST",
            "/api/v1/auth/token",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .await
        .unwrap()
    });
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["data"]["access_token"].as_str().unwrap().to_owned()
}
