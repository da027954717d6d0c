//! The "API tokens" pages through the real handlers: create with a fresh code (secret shown once), list with
//! last use, revoke; the administrators' page with every token and service accounts; CSRF and roles enforced.

use super::call;
use actix_web::test::TestRequest;
use chrono::Duration;
use linux_patch_manager::auth::totp;
use linux_patch_manager::db::models::Role;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{app, form, send, state};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in};

#[actix_web::test]
async fn the_pages_create_show_once_list_and_revoke() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "alice", Role::Admin);
    let (_, op_secret) = ready_user(&mut db.conn(), "op", Role::Operator);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "alice", &secret).await;
    let page = send(&app, &mut jar, TestRequest::get().uri("/account/tokens")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("No tokens yet."));
    let csrf = page.input_value("csrf").unwrap();

    // A wrong code: back to the page with the reason, nothing created.
    let r = send(
        &app,
        &mut jar,
        form(
            "/account/tokens",
            &[
                ("csrf", &csrf),
                ("name", "ci"),
                ("scope", "read"),
                ("days", "30"),
                ("code", "000000"),
            ],
        ),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/account/tokens"));
    assert!(
        r.flash_error().unwrap().contains("not correct"),
        "{:?}",
        r.flash()
    );
    // No CSRF token: refused.
    let r = send(
        &app,
        &mut jar,
        form(
            "/account/tokens",
            &[("name", "ci"), ("scope", "read"), ("code", "1")],
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);

    clock.advance(Duration::seconds(31));
    let code = totp::code_at(&secret, clock.now()).unwrap();
    let r = send(
        &app,
        &mut jar,
        form(
            "/account/tokens",
            &[
                ("csrf", &csrf),
                ("name", "ci"),
                ("scope", "read"),
                ("days", "30"),
                ("code", &code),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.text_of("new-token-secret").unwrap();
    assert!(token.starts_with("lpmt_"), "{token}");
    let auth = format!("Bearer {token}");
    assert_eq!(call(&app, "GET", "/api/v1/hosts", &auth, None).await.status, 200);
    assert_eq!(
        call(
            &app,
            "POST",
            "/api/v1/hosts/refresh",
            &auth,
            Some(serde_json::json!({}))
        )
        .await
        .status,
        403
    );

    let list = send(&app, &mut jar, TestRequest::get().uri("/account/tokens")).await;
    assert!(!list.body.contains(&token), "shown once");
    assert!(
        list.body.contains("data-token=\"ci\"")
            && list.body.contains("read-only")
            && list.body.contains("from 127.0.0.1"),
        "{}",
        list.body
    );

    // The admin page: a service account and a token for it.
    let admin = send(&app, &mut jar, TestRequest::get().uri("/tokens")).await;
    assert_eq!(admin.status, 200);
    let r = send(
        &app,
        &mut jar,
        form(
            "/tokens/service-accounts",
            &[
                ("csrf", &csrf),
                ("username", "ci-bot"),
                ("role", "operator"),
                ("description", "nightly"),
            ],
        ),
    )
    .await;
    assert!(r.notice().unwrap().contains("ci-bot"), "{:?}", r.flash());
    let admin = send(&app, &mut jar, TestRequest::get().uri("/tokens")).await;
    let sa_id = {
        let owner = &admin.body[admin.body.find("id=\"token-owner\"").unwrap()..];
        let i = owner.find("<option value=\"").unwrap() + "<option value=\"".len();
        owner[i..].split('"').next().unwrap().to_owned()
    };
    clock.advance(Duration::seconds(31));
    let code = totp::code_at(&secret, clock.now()).unwrap();
    let r = send(
        &app,
        &mut jar,
        form(
            "/tokens",
            &[
                ("csrf", &csrf),
                ("name", "bot"),
                ("scope", "role"),
                ("days", ""),
                ("service_account", &sa_id),
                ("code", &code),
            ],
        ),
    )
    .await;
    let bot = format!(
        "Bearer {}",
        r.text_of("new-token-secret")
            .unwrap_or_else(|| panic!("{:?} {}", r.flash(), r.status))
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/me", &bot, None).await.json()["data"]["username"],
        "ci-bot"
    );
    let admin = send(&app, &mut jar, TestRequest::get().uri("/tokens")).await;
    assert!(admin.body.contains("data-token=\"bot\"") && admin.body.contains("data-token=\"ci\""));

    // Revoke from the own page.
    let id = {
        let i = list.body.find("/account/tokens/").unwrap() + "/account/tokens/".len();
        list.body[i..].split('/').next().unwrap().to_owned()
    };
    let r = send(
        &app,
        &mut jar,
        form(&format!("/account/tokens/{id}/revoke"), &[("csrf", &csrf)]),
    )
    .await;
    assert!(r.notice().unwrap().contains("revoked"), "{:?}", r.flash());
    assert_eq!(call(&app, "GET", "/api/v1/hosts", &auth, None).await.status, 401);

    // Operators: their own page, not the administrators' one.
    let mut op = sign_in(&app, &clock, "op", &op_secret).await;
    assert_eq!(
        send(&app, &mut op, TestRequest::get().uri("/account/tokens"))
            .await
            .status,
        200
    );
    assert_eq!(
        send(&app, &mut op, TestRequest::get().uri("/tokens"))
            .await
            .status,
        403
    );
    let op_page = send(&app, &mut op, TestRequest::get().uri("/account/tokens")).await;
    assert!(
        !op_page.body.contains("data-token=\"bot\""),
        "only their own tokens"
    );
}
