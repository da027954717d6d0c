//! API tokens and service accounts through the real handlers on real PostgreSQL with a manual clock: created
//! after a fresh factor proof, shown once, stored hashed, listed with last use, revocable, every use audited;
//! and the attacks (guessing, replay after revoke, expiry, read-only writes, another group's host, the console).

mod attacks;
mod browser;
mod guessing;
mod pages;
mod security_key;
mod service_accounts;

use actix_web::test::TestRequest;
use chrono::Duration;
use diesel::prelude::*;
use linux_patch_manager::auth::totp;
use linux_patch_manager::db::schema::{api_tokens, audit_log};
use linux_patch_shared::clock::{Clock, ManualClock};
use linux_patch_tests::console::{send, Jar, Resp};
use serde_json::{json, Value};

/// Sends `method uri` with `Authorization: <auth>` (a full header value) and an optional JSON body.
pub(crate) async fn call<S, B>(app: &S, method: &str, uri: &str, auth: &str, body: Option<Value>) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let m = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = TestRequest::default().method(m).uri(uri);
    if !auth.is_empty() {
        req = req.insert_header(("authorization", auth));
    }
    if let Some(b) = body {
        req = req.set_json(b);
    }
    send(app, &mut Jar::default(), req).await
}

/// Creates a token with a session's bearer and a fresh TOTP code (the clock moves on a step first, so the
/// sign-in's code is not replayed); returns the whole answer.
pub(crate) async fn create<S, B>(
    app: &S,
    clock: &ManualClock,
    session: &str,
    secret: &str,
    mut body: Value,
) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    clock.advance(Duration::seconds(31));
    body["code"] = json!(totp::code_at(secret, clock.now()).unwrap());
    call(app, "POST", "/api/v1/tokens", session, Some(body)).await
}

/// The `Bearer` header of a created token.
pub(crate) fn bearer_of(r: &Resp) -> String {
    assert_eq!(r.status, 201, "{}", r.body);
    format!("Bearer {}", r.json()["data"]["token"].as_str().unwrap())
}

/// `token.use` audit rows: (actor, target, details).
pub(crate) fn uses(c: &mut PgConnection) -> Vec<(String, String, Value)> {
    audit_log::table
        .filter(audit_log::action.eq("token.use"))
        .order(audit_log::id)
        .select((audit_log::actor, audit_log::target, audit_log::details))
        .load(c)
        .unwrap()
}

#[actix_web::test]
async fn a_token_is_shown_once_stored_hashed_listed_with_last_use_and_every_use_audited() {
    use linux_patch_manager::db::models::Role;
    use linux_patch_tests::console::{app, state};
    use linux_patch_tests::pg::TestDb;
    use linux_patch_tests::signin::{bearer, ready_user};
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "alice", Role::Admin);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let session = bearer(&app, &clock, "alice", &secret).await;

    // A wrong code creates nothing.
    let r = call(
        &app,
        "POST",
        "/api/v1/tokens",
        &session,
        Some(json!({"name": "ci", "code": "000000"})),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = create(
        &app,
        &clock,
        &session,
        &secret,
        json!({"name": "ci", "days": 366}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("1 to 365 days"), "{}", r.body);
    let n: i64 = api_tokens::table.count().get_result(&mut db.conn()).unwrap();
    assert_eq!(n, 0, "refusals change nothing");

    let r = create(&app, &clock, &session, &secret, json!({"name": "ci"})).await;
    let token = bearer_of(&r);
    let d = &r.json()["data"]["details"];
    let secret_part = token.trim_start_matches("Bearer ");
    assert!(
        secret_part.starts_with("lpmt_") && secret_part.len() == 48,
        "{secret_part}"
    );
    assert_eq!(d["state"], "active");
    assert_eq!(d["read_only"], false);
    let expires: chrono::DateTime<chrono::Utc> = d["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        expires,
        clock.now() + Duration::days(90),
        "default lifetime 90 days"
    );
    // Stored hashed: the secret appears nowhere in the table.
    let (hash, prefix): (String, String) = api_tokens::table
        .select((api_tokens::token_hash, api_tokens::prefix))
        .first(&mut db.conn())
        .unwrap();
    assert_ne!(hash, secret_part);
    assert!(!hash.contains(&secret_part[5..]) && secret_part.starts_with(&prefix) && prefix.len() == 13);
    // Another live token of the same name is refused.
    let again = create(&app, &clock, &session, &secret, json!({"name": "ci"})).await;
    assert_eq!(again.status, 409, "{}", again.body);

    clock.advance(Duration::minutes(5));
    let me = call(&app, "GET", "/api/v1/me", &token, None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["data"]["username"], "alice");
    assert_eq!(me.json()["data"]["api_token"]["name"], "ci");
    let hosts = call(&app, "GET", "/api/v1/hosts", &token, None).await;
    assert_eq!(hosts.status, 200, "{}", hosts.body);

    let list = call(&app, "GET", "/api/v1/tokens", &session, None).await.json();
    let row = &list["data"]["tokens"][0];
    assert_eq!(row["name"], "ci");
    assert!(
        row.get("token").is_none() && !list.to_string().contains(&secret_part[5..]),
        "never shown again"
    );
    let last: chrono::DateTime<chrono::Utc> = row["last_used_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(last, clock.now());
    assert_eq!(row["last_used_ip"], "127.0.0.1");

    let audited = uses(&mut db.conn());
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert_eq!(audited[0].0, "alice");
    assert_eq!(audited[0].1, "token:ci");
    assert_eq!(audited[0].2["path"], "/api/v1/me");
    assert_eq!(audited[1].2["path"], "/api/v1/hosts");

    // Pages: a limit of 1 over two tokens gives a cursor to the second.
    let _ = bearer_of(
        &create(
            &app,
            &clock,
            &session,
            &secret,
            json!({"name": "ci2", "read_only": true, "days": 365}),
        )
        .await,
    );
    let p1 = call(&app, "GET", "/api/v1/tokens?limit=1", &session, None)
        .await
        .json();
    assert_eq!(p1["data"]["tokens"][0]["name"], "ci2");
    let next = p1["data"]["next_before"].as_i64().unwrap();
    let p2 = call(
        &app,
        "GET",
        &format!("/api/v1/tokens?limit=1&before={next}"),
        &session,
        None,
    )
    .await
    .json();
    assert_eq!(p2["data"]["tokens"][0]["name"], "ci");
    let bad = call(&app, "GET", "/api/v1/tokens?limit=0", &session, None).await;
    assert_eq!(bad.status, 400);
}
