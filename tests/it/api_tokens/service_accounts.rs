//! Service accounts: created by administrators with a role and groups, no password sign-in, acting only through
//! tokens an administrator creates; administrators list and revoke every token, others only their own.

use super::{bearer_of, call, create};
use linux_patch_manager::db::models::{Group, Host, Role};
use linux_patch_manager::services::api_tokens::NO_PASSWORD;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{app, state};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{bearer, ready_user};
use serde_json::json;

#[actix_web::test]
async fn a_service_account_acts_only_through_tokens_with_its_role_and_groups() {
    let db = TestDb::new();
    let (_, admin_secret) = ready_user(&mut db.conn(), "admin", Role::Admin);
    let (_, op_secret) = ready_user(&mut db.conn(), "op", Role::Operator);
    let (st, clock) = state(&db);
    let (web, mine, theirs) = {
        let mut c = db.conn();
        let now = clock.now();
        let (web, dbg) = (
            Group::insert(&mut c, "web", now).unwrap().id,
            Group::insert(&mut c, "db", now).unwrap().id,
        );
        let a = Host::insert(&mut c, "web1.lan", "10.0.0.1", 12443, now)
            .unwrap()
            .id;
        let b = Host::insert(&mut c, "db1.lan", "10.0.0.2", 12443, now)
            .unwrap()
            .id;
        Host::set_groups(&mut c, a, &[web]).unwrap();
        Host::set_groups(&mut c, b, &[dbg]).unwrap();
        (web, a, b)
    };
    let app = app(st).await;
    let admin = bearer(&app, &clock, "admin", &admin_secret).await;
    let op = bearer(&app, &clock, "op", &op_secret).await;

    let body =
        json!({"username": "ci-bot", "role": "operator", "groups": [web], "description": "nightly checks"});
    let r = call(&app, "POST", "/api/v1/service-accounts", &op, Some(body.clone())).await;
    assert_eq!(
        r.status, 403,
        "operators cannot create service accounts: {}",
        r.body
    );
    let r = call(&app, "POST", "/api/v1/service-accounts", &admin, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let sa = r.json()["data"]["id"].as_i64().unwrap();
    let bad = call(
        &app,
        "POST",
        "/api/v1/service-accounts",
        &admin,
        Some(json!({"username": "x y", "role": "operator"})),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);

    // No password sign-in, not even with the stored marker; an admin cannot give it a password.
    for pw in [NO_PASSWORD, "", "a long enough password"] {
        let r = call(
            &app,
            "POST",
            "/api/v1/auth/token",
            "",
            Some(json!({"username": "ci-bot", "password": pw, "totp": "123456"})),
        )
        .await;
        assert_eq!(r.status, 401, "{pw}: {}", r.body);
    }
    {
        use linux_patch_manager::services::users::reset_password;
        let actor = linux_patch_manager::services::Actor {
            name: "admin".into(),
            id: 1,
            scope: linux_patch_manager::db::models::scope::Scope::All,
        };
        let e = reset_password(&mut db.conn(), clock.now(), &actor, sa).unwrap_err();
        assert!(e.to_string().contains("service account"), "{e}");
    }

    // Only administrators make tokens for it; an operator naming it is refused.
    let r = create(
        &app,
        &clock,
        &op,
        &op_secret,
        json!({"name": "steal", "service_account": sa}),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = create(
        &app,
        &clock,
        &admin,
        &admin_secret,
        json!({"name": "bad", "service_account": 999_999}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = create(
        &app,
        &clock,
        &admin,
        &admin_secret,
        json!({"name": "nightly", "service_account": sa}),
    )
    .await;
    assert_eq!(r.json()["data"]["details"]["owner"], "ci-bot");
    let bot = bearer_of(&r);
    let me = call(&app, "GET", "/api/v1/me", &bot, None).await.json();
    assert_eq!(
        (me["data"]["username"].as_str(), me["data"]["role"].as_str()),
        (Some("ci-bot"), Some("operator"))
    );
    assert_eq!(
        call(&app, "GET", &format!("/api/v1/hosts/{mine}"), &bot, None)
            .await
            .status,
        200
    );
    assert_eq!(
        call(&app, "GET", &format!("/api/v1/hosts/{theirs}"), &bot, None)
            .await
            .status,
        404
    );

    // Lists: admins see every token and the service accounts; an operator sees only their own.
    let op_token = bearer_of(&create(&app, &clock, &op, &op_secret, json!({"name": "mine"})).await);
    let all = call(&app, "GET", "/api/v1/tokens?all=true", &admin, None)
        .await
        .json();
    let owners: Vec<&str> = all["data"]["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["owner"].as_str().unwrap())
        .collect();
    assert_eq!(owners, ["op", "ci-bot"]);
    let own = call(&app, "GET", "/api/v1/tokens", &op, None).await.json();
    assert_eq!(own["data"]["tokens"].as_array().unwrap().len(), 1);
    let sas = call(&app, "GET", "/api/v1/service-accounts", &admin, None)
        .await
        .json();
    assert_eq!(sas["data"]["service_accounts"][0]["username"], "ci-bot");
    assert_eq!(
        call(&app, "GET", "/api/v1/service-accounts", &op, None)
            .await
            .status,
        403
    );

    // An operator cannot revoke someone else's token (404); an admin can revoke anyone's.
    let bot_id = all["data"]["tokens"][1]["id"].as_i64().unwrap();
    let r = call(&app, "DELETE", &format!("/api/v1/tokens/{bot_id}"), &op, None).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(call(&app, "GET", "/api/v1/me", &bot, None).await.status, 200);
    let r = call(&app, "DELETE", &format!("/api/v1/tokens/{bot_id}"), &admin, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(call(&app, "GET", "/api/v1/me", &bot, None).await.status, 401);
    assert_eq!(call(&app, "GET", "/api/v1/me", &op_token, None).await.status, 200);
}
