//! The brute-force attack on bearer tokens, performed: guesses from one address are audited (one coalesced row
//! per address and minute, with the count and the guesses' public prefixes, never a secret) and, past 20 a
//! minute, refused with 429 and `Retry-After` (manual clock) — while a good token from elsewhere keeps working.

use super::{bearer_of, call, create};
use actix_web::test::{call_service, TestRequest};
use chrono::Duration;
use diesel::prelude::*;
use linux_patch_manager::auth::api_tokens::mint;
use linux_patch_manager::db::models::Role;
use linux_patch_manager::db::schema::audit_log;
use linux_patch_tests::console::{app, resp, state, Resp};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{bearer, ready_user};
use serde_json::{json, Value};

/// `GET uri` with `Authorization: <auth>` from address `ip`; the answer and its `Retry-After`.
async fn get_from<S, B>(app: &S, ip: &str, uri: &str, auth: &str) -> (Resp, Option<u64>)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let req = TestRequest::get()
        .uri(uri)
        .insert_header(("authorization", auth))
        .peer_addr(format!("{ip}:40000").parse().unwrap())
        .to_request();
    let r = call_service(app, req).await;
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (resp(r).await, retry)
}

/// `token.auth_failed` rows: (actor, target, details).
fn failures(c: &mut PgConnection) -> Vec<(String, String, Value)> {
    audit_log::table
        .filter(audit_log::action.eq("token.auth_failed"))
        .order(audit_log::id)
        .select((audit_log::actor, audit_log::target, audit_log::details))
        .load(c)
        .unwrap()
}

#[actix_web::test]
async fn bearer_token_guesses_are_audited_coalesced_and_rate_limited_per_address() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "alice", Role::Admin);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let session = bearer(&app, &clock, "alice", &secret).await;
    let token = bearer_of(&create(&app, &clock, &session, &secret, json!({"name": "ci"})).await);

    // The attack: 25 random guesses from one address within a minute.
    let attacker = "203.0.113.7";
    let guesses: Vec<String> = (0..25).map(|_| mint().secret).collect();
    let mut answers = Vec::new();
    for g in &guesses {
        clock.advance(Duration::seconds(1));
        let (r, retry) = get_from(&app, attacker, "/api/v1/hosts", &format!("Bearer {g}")).await;
        answers.push((r.status, retry));
    }
    assert!(answers[..20].iter().all(|a| a.0 == 401), "{answers:?}");
    for (status, retry) in &answers[20..] {
        assert_eq!(*status, 429, "past 20 failures a minute: {answers:?}");
        let wait = retry.expect("Retry-After on a 429");
        assert!((1..=60).contains(&wait), "{answers:?}");
    }
    // The first guess was at +1 s, the 25th at +25 s: the window ends 60 s after the first.
    assert_eq!(answers[24].1, Some(36), "{answers:?}");
    // Even the good token is refused from the blocked address (a guess that happens to be right gets no answer)...
    let (r, _) = get_from(&app, attacker, "/api/v1/me", &token).await;
    assert_eq!(r.status, 429, "{}", r.body);
    // ...but works from anywhere else, unaffected.
    let (r, _) = get_from(&app, "198.51.100.20", "/api/v1/me", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(call(&app, "GET", "/api/v1/me", &token, None).await.status, 200);

    // Coalesced: nothing per guess; one row for the address when its minute is over.
    assert!(failures(&mut db.conn()).is_empty(), "no row per guess");
    clock.advance(Duration::seconds(40));
    let (r, _) = get_from(&app, attacker, "/api/v1/hosts", "Bearer lpmt_short").await;
    assert_eq!(r.status, 401, "a new minute, a new allowance: {}", r.body);
    let rows = failures(&mut db.conn());
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (actor, target, d) = &rows[0];
    assert_eq!(
        (actor.as_str(), target.as_str()),
        ("anonymous", "source:203.0.113.7")
    );
    assert_eq!(d["source_ip"], attacker, "{d}");
    assert_eq!(d["failures"], 20, "{d}");
    assert_eq!(d["refused_429"], 6, "{d}");
    let prefixes = d["prefixes"].as_array().unwrap();
    assert!(!prefixes.is_empty() && prefixes.len() <= 5, "{d}");
    assert_eq!(prefixes[0], guesses[0][..13], "the public prefix only: {d}");
    let text = d.to_string();
    assert!(
        guesses.iter().all(|g| !text.contains(&g[13..])),
        "no secret part in the audit: {d}"
    );
    let all: Vec<String> = audit_log::table
        .select(audit_log::details)
        .load::<Value>(&mut db.conn())
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect();
    assert!(
        guesses
            .iter()
            .all(|g| all.iter().all(|row| !row.contains(&g[13..]))),
        "no guess's secret part anywhere in the audit log"
    );
}
