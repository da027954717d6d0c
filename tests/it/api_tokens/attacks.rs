//! The attacks on API tokens, each performed: guessing, replay after revoke, expiry (manual clock), writes with a
//! read-only token on every mutating route, an operator's token on another group's host, the console and the
//! live views, a disabled owner, and a token creating tokens.

use super::{bearer_of, call, create, uses};
use chrono::Duration;
use linux_patch_manager::auth::api_tokens::mint;
use linux_patch_manager::db::models::{Group, Host, Role, User};
use linux_patch_manager::http::api::table;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{app, state};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{bearer, ready_user};
use serde_json::json;

#[actix_web::test]
async fn guessed_forged_revoked_and_expired_tokens_are_refused() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "alice", Role::Admin);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let session = bearer(&app, &clock, "alice", &secret).await;
    let token = bearer_of(&create(&app, &clock, &session, &secret, json!({"name": "ci", "days": 1})).await);
    assert_eq!(call(&app, "GET", "/api/v1/me", &token, None).await.status, 200);

    // Guessing: a fresh random token, the real one with one character changed, too short, the stored hash.
    let mut flipped = token.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let hash: String = {
        use diesel::prelude::*;
        use linux_patch_manager::db::schema::api_tokens;
        api_tokens::table
            .select(api_tokens::token_hash)
            .first(&mut db.conn())
            .unwrap()
    };
    for guess in [
        format!("Bearer {}", mint().secret),
        String::from_utf8(flipped).unwrap(),
        token[..token.len() - 1].to_owned(),
        format!("Bearer lpmt_{hash}"),
        format!("Bearer {hash}"),
    ] {
        let r = call(&app, "GET", "/api/v1/hosts", &guess, None).await;
        assert_eq!(r.status, 401, "{guess}: {}", r.body);
    }

    // Expiry through the manual clock: good just before, refused from the instant it expires.
    clock.advance(Duration::hours(23));
    assert_eq!(call(&app, "GET", "/api/v1/me", &token, None).await.status, 200);
    clock.advance(Duration::hours(1));
    let r = call(&app, "GET", "/api/v1/me", &token, None).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.body.contains("expired"), "{}", r.body);

    // Replay after revoke.
    let session = bearer(&app, &clock, "alice", &secret).await;
    let token2 = bearer_of(&create(&app, &clock, &session, &secret, json!({"name": "ci2"})).await);
    assert_eq!(call(&app, "GET", "/api/v1/me", &token2, None).await.status, 200);
    let list = call(&app, "GET", "/api/v1/tokens", &session, None).await.json();
    let id = list["data"]["tokens"][0]["id"].as_i64().unwrap();
    let r = call(&app, "DELETE", &format!("/api/v1/tokens/{id}"), &session, None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["data"]["state"], "revoked");
    let r = call(&app, "GET", "/api/v1/me", &token2, None).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.body.contains("revoked"), "{}", r.body);
    let again = call(&app, "DELETE", &format!("/api/v1/tokens/{id}"), &session, None).await;
    assert_eq!(again.status, 409, "{}", again.body);
    // Only the uses that were accepted are audited (3 for the first token, 1 for the second).
    assert_eq!(uses(&mut db.conn()).len(), 3, "{:?}", uses(&mut db.conn()));
}

#[actix_web::test]
async fn a_read_only_token_is_refused_on_every_mutating_route_and_reads() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "alice", Role::Admin);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let session = bearer(&app, &clock, "alice", &secret).await;
    let ro = bearer_of(
        &create(
            &app,
            &clock,
            &session,
            &secret,
            json!({"name": "ro", "read_only": true}),
        )
        .await,
    );
    let mut mutating = 0;
    for spec in table::routes() {
        if spec.method == actix_web::http::Method::GET {
            continue;
        }
        let uri = format!(
            "/api/v1{}",
            spec.path
                .replace("{id}", "1")
                .replace("{target}", "1")
                .replace("{token}", "x")
        );
        let r = call(&app, spec.method.as_str(), &uri, &ro, Some(json!({}))).await;
        assert_eq!(r.status, 403, "{} {uri}: {}", spec.method, r.body);
        assert!(r.body.contains("read-only"), "{}", r.body);
        mutating += 1;
    }
    assert!(mutating >= 30, "only {mutating} mutating routes");
    assert_eq!(call(&app, "GET", "/api/v1/hosts", &ro, None).await.status, 200);
    assert_eq!(
        call(&app, "GET", "/api/v1/users", &ro, None).await.status,
        200,
        "reads keep the role"
    );
    let n: i64 = {
        use diesel::prelude::*;
        linux_patch_manager::db::schema::api_tokens::table
            .count()
            .get_result(&mut db.conn())
            .unwrap()
    };
    assert_eq!(n, 1, "the refused POST /tokens created nothing");
}

#[actix_web::test]
async fn an_operators_token_sees_only_what_the_operator_sees_and_stops_when_disabled() {
    let db = TestDb::new();
    let (op_id, secret) = ready_user(&mut db.conn(), "op", Role::Operator);
    let (st, clock) = state(&db);
    let (mine, theirs) = {
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
        User::set_groups(&mut c, op_id, &[web]).unwrap();
        (a, b)
    };
    let app = app(st).await;
    let session = bearer(&app, &clock, "op", &secret).await;
    let token = bearer_of(&create(&app, &clock, &session, &secret, json!({"name": "op-script"})).await);
    assert_eq!(
        call(&app, "GET", &format!("/api/v1/hosts/{mine}"), &token, None)
            .await
            .status,
        200
    );
    let r = call(&app, "GET", &format!("/api/v1/hosts/{theirs}"), &token, None).await;
    assert_eq!(
        r.status, 404,
        "another group's host does not exist for the operator's token: {}",
        r.body
    );
    let r = call(&app, "DELETE", &format!("/api/v1/hosts/{theirs}"), &token, None).await;
    assert!(r.status == 403 || r.status == 404, "{}", r.body);
    let r = call(&app, "GET", "/api/v1/users", &token, None).await;
    assert_eq!(r.status, 403, "an operator's token is no admin: {}", r.body);
    let r = call(&app, "GET", "/api/v1/tokens?all=true", &token, None).await;
    assert_eq!(r.status, 403, "{}", r.body);

    // A token cannot mint tokens (a session and a fresh factor are required).
    clock.advance(Duration::seconds(31));
    let code = linux_patch_manager::auth::totp::code_at(&secret, clock.now()).unwrap();
    let r = call(
        &app,
        "POST",
        "/api/v1/tokens",
        &token,
        Some(json!({"name": "x", "code": code})),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // The console and the live views refuse API tokens.
    for uri in ["/", "/hosts", "/account"] {
        let r = call(&app, "GET", uri, &token, None).await;
        assert_eq!(
            (r.status, r.location.as_deref()),
            (303, Some("/login")),
            "{uri}: {}",
            r.body
        );
    }
    let r = call(&app, "GET", "/ws/deployments/1", &token, None).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.body.contains("/api/v1 only"), "{}", r.body);

    // The owner disabled: the token stops working.
    User::set_disabled(&mut db.conn(), op_id, true).unwrap();
    let r = call(&app, "GET", &format!("/api/v1/hosts/{mine}"), &token, None).await;
    assert_eq!(r.status, 401, "{}", r.body);
}
