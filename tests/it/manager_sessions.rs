//! Access tokens and sessions against real PostgreSQL: JWT checks, key rotation, refresh rotation, reuse, idle, revocation.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use linux_patch_manager::auth::jwt::{self, KeyRing, TokenRejection};
use linux_patch_manager::auth::refresh_tokens::{self as tokens, Issued, RefreshRejection};
use linux_patch_manager::db::models::Role;
use linux_patch_manager::db::schema::{refresh_tokens, signing_keys, users};
use linux_patch_manager::services::accounts::create_user;
use linux_patch_shared::clock::{Clock, ManualClock, SystemClock};
use linux_patch_tests::pg::TestDb;
use openssl::base64::{decode_block, encode_block};
use std::sync::Barrier;

/// The secrets key every ring of these tests shares (like managers sharing `secrets.key`).
fn secrets() -> std::sync::Arc<linux_patch_manager::secrets::SecretsKey> {
    std::sync::Arc::new(linux_patch_manager::secrets::SecretsKey::from_bytes([3; 32]))
}

fn t0() -> DateTime<Utc> {
    "2026-03-01T08:00:00Z".parse().unwrap()
}

fn user(conn: &mut PgConnection, name: &str) -> i64 {
    create_user(conn, &SystemClock, "test", name, Role::Admin)
        .unwrap()
        .user
        .id
}

fn b64url(bytes: &[u8]) -> String {
    encode_block(bytes)
        .replace('+', "-")
        .replace('/', "_")
        .trim_end_matches('=')
        .to_owned()
}

fn unb64url(s: &str) -> Vec<u8> {
    let mut s = s.replace('-', "+").replace('_', "/");
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    decode_block(&s).unwrap()
}

fn kid_of(token: &str) -> String {
    let header: serde_json::Value =
        serde_json::from_slice(&unb64url(token.split('.').next().unwrap())).unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "JWT");
    header["kid"].as_str().unwrap().to_owned()
}

fn kids(conn: &mut PgConnection) -> Vec<String> {
    signing_keys::table
        .select(signing_keys::kid)
        .order(signing_keys::created_at)
        .load(conn)
        .unwrap()
}

/// `header.payload.` re-signed with HMAC-SHA256 under `secret` (an HS256 token, or `alg` as given).
fn forge(header: &serde_json::Value, payload_b64: &str, hmac_secret: Option<&[u8]>) -> String {
    let msg = format!("{}.{payload_b64}", b64url(header.to_string().as_bytes()));
    let sig = match hmac_secret {
        Some(secret) => {
            let key = openssl::pkey::PKey::hmac(secret).unwrap();
            let mut signer =
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
            signer.update(msg.as_bytes()).unwrap();
            b64url(&signer.sign_to_vec().unwrap())
        }
        None => String::new(),
    };
    format!("{msg}.{sig}")
}

#[test]
fn access_token_round_trip_and_refusals() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let uid = user(&mut conn, "alice");
    let keys = KeyRing::new(secrets());
    let (token, expires_at) = keys.issue(&mut conn, t0(), uid, "sid-1").unwrap();
    assert_eq!(expires_at, t0() + Duration::minutes(15));
    let kid = kid_of(&token);
    assert_eq!(kids(&mut conn), vec![kid.clone()]);

    let claims = keys
        .verify(&mut conn, &token, t0() + Duration::minutes(1))
        .unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.sid.as_str()),
        (uid.to_string().as_str(), "sid-1")
    );
    assert_eq!(
        (claims.iss.as_str(), claims.iat, claims.exp),
        (jwt::ISSUER, t0().timestamp(), expires_at.timestamp())
    );
    // Another ring (another worker, a restart) loads the key from the database.
    assert_eq!(
        KeyRing::new(secrets())
            .verify(&mut conn, &token, t0() + Duration::minutes(14))
            .unwrap(),
        claims
    );
    let late = t0() + Duration::minutes(16);
    assert_eq!(keys.verify(&mut conn, &token, late), Err(TokenRejection::Expired));

    let parts: Vec<&str> = token.split('.').collect();
    let payload = String::from_utf8(unb64url(parts[1])).unwrap();
    let other = payload.replace(&format!("\"sub\":\"{uid}\""), "\"sub\":\"999\"");
    assert_ne!(payload, other);
    let tampered = format!("{}.{}.{}", parts[0], b64url(other.as_bytes()), parts[2]);
    assert_eq!(
        keys.verify(&mut conn, &tampered, t0()),
        Err(TokenRejection::BadSignature)
    );

    // Algorithm confusion: HS256 keyed with the (public) verification key, and `none`.
    let public_pem: String = signing_keys::table
        .find(&kid)
        .select(signing_keys::public_pem)
        .first(&mut conn)
        .unwrap();
    let hs = forge(
        &serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": kid}),
        parts[1],
        Some(public_pem.as_bytes()),
    );
    let none = forge(
        &serde_json::json!({"alg": "none", "typ": "JWT", "kid": kid}),
        parts[1],
        None,
    );
    for forged in [hs, none] {
        let r = KeyRing::new(secrets()).verify(&mut conn, &forged, t0());
        assert!(
            matches!(r, Err(TokenRejection::Malformed | TokenRejection::BadSignature)),
            "{r:?}"
        );
    }
    let unknown = forge(
        &serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": "01NOSUCHKEY"}),
        parts[1],
        None,
    );
    let unknown = format!("{unknown}{}", parts[2]);
    assert_eq!(
        keys.verify(&mut conn, &unknown, t0()),
        Err(TokenRejection::UnknownKey)
    );
    assert_eq!(
        keys.verify(&mut conn, "not-a-jwt", t0()),
        Err(TokenRejection::Malformed)
    );
}

#[test]
fn signing_keys_rotate_after_90_days_with_a_24_hour_overlap() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let uid = user(&mut conn, "alice");
    let clock = ManualClock::new(t0());
    let keys = KeyRing::new(secrets());
    let first = kid_of(&keys.issue(&mut conn, clock.now(), uid, "s").unwrap().0);
    clock.advance(Duration::days(90) - Duration::minutes(1));
    let (old_token, _) = keys.issue(&mut conn, clock.now(), uid, "s").unwrap();
    assert_eq!(
        kid_of(&old_token),
        first,
        "the first key still signs until day 90"
    );
    clock.advance(Duration::minutes(6)); // T+90d+5min
    let (new_token, _) = keys.issue(&mut conn, clock.now(), uid, "s").unwrap();
    let second = kid_of(&new_token);
    assert_ne!(second, first, "a new key signs after day 90");
    clock.advance(Duration::minutes(1));
    assert_eq!(
        kid_of(&keys.issue(&mut conn, clock.now(), uid, "s").unwrap().0),
        second
    );
    assert_eq!(kids(&mut conn), vec![first.clone(), second.clone()]);

    clock.advance(Duration::minutes(4)); // T+90d+10min: the old key no longer signs but still verifies
    for ring in [keys.clone(), KeyRing::new(secrets())] {
        assert!(ring.verify(&mut conn, &old_token, clock.now()).is_ok());
        assert!(ring.verify(&mut conn, &new_token, clock.now()).is_ok());
    }
    // A key past its verify_until is refused even for a token whose exp has not passed yet.
    let cutoff = clock.now() - Duration::minutes(1);
    diesel::update(signing_keys::table.find(&first))
        .set(signing_keys::verify_until.eq(cutoff))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        KeyRing::new(secrets()).verify(&mut conn, &old_token, clock.now()),
        Err(TokenRejection::UnknownKey)
    );
    assert!(KeyRing::new(secrets())
        .verify(&mut conn, &new_token, clock.now())
        .is_ok());

    let after_overlap = t0() + Duration::days(91) + Duration::minutes(1);
    assert_eq!(jwt::prune_keys(&mut conn, after_overlap).unwrap(), 1);
    assert_eq!(kids(&mut conn), vec![second]);
    assert_eq!(
        KeyRing::new(secrets()).verify(&mut conn, &old_token, clock.now()),
        Err(TokenRejection::UnknownKey)
    );
}

#[test]
fn concurrent_first_issues_create_one_key() {
    let db = TestDb::new();
    let uid = user(&mut db.conn(), "alice");
    let barrier = Barrier::new(4);
    let kids_seen: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut conn = db.conn();
                    barrier.wait();
                    kid_of(
                        &KeyRing::new(secrets())
                            .issue(&mut conn, t0(), uid, "s")
                            .unwrap()
                            .0,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(kids(&mut db.conn()), vec![kids_seen[0].clone()]);
    assert!(kids_seen.iter().all(|k| *k == kids_seen[0]));
}

fn refresh_ok(conn: &mut PgConnection, keys: &KeyRing, now: DateTime<Utc>, token: &str) -> Issued {
    let (issued, _) = tokens::refresh(conn, keys, now, token).unwrap().unwrap();
    issued
}

#[test]
fn refresh_rotates_and_reuse_revokes_the_family() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let uid = user(&mut conn, "alice");
    let keys = KeyRing::new(secrets());
    let s = tokens::start(&mut conn, &keys, t0(), uid, "10.0.0.7", "test-agent").unwrap();
    assert!(s.session_id.len() >= 22 && s.csrf_token.len() >= 22);
    assert_eq!(
        keys.verify(&mut conn, &s.access_token, t0()).unwrap().sid,
        s.session_id
    );
    let (live, user) = tokens::active(&mut conn, &s.session_id, t0()).unwrap().unwrap();
    assert_eq!(
        (live.user_id, live.source_ip.as_str(), live.user_agent.as_str()),
        (uid, "10.0.0.7", "test-agent")
    );
    assert_eq!(user.id, uid, "the session's user comes with it");

    let now = t0() + Duration::minutes(14);
    let (r1, who) = tokens::refresh(&mut conn, &keys, now, &s.refresh_token)
        .unwrap()
        .unwrap();
    assert_eq!(
        (who, r1.session_id.as_str(), r1.csrf_token.as_str()),
        (uid, s.session_id.as_str(), s.csrf_token.as_str())
    );
    assert_ne!(r1.refresh_token, s.refresh_token);
    assert_eq!(r1.access_expires_at, now + Duration::minutes(15));
    assert_eq!(
        keys.verify(&mut conn, &r1.access_token, now).unwrap().sid,
        s.session_id
    );

    let again = tokens::refresh(&mut conn, &keys, now + Duration::minutes(1), &s.refresh_token).unwrap();
    assert_eq!(again, Err(RefreshRejection::Reused));
    assert_eq!(tokens::active(&mut conn, &s.session_id, now).unwrap(), None);
    let later = tokens::refresh(&mut conn, &keys, now + Duration::minutes(2), &r1.refresh_token).unwrap();
    assert_eq!(later, Err(RefreshRejection::Revoked));
    let row = tokens::for_user(&mut conn, uid).unwrap().remove(0);
    assert_eq!(row.revoked_reason.as_deref(), Some("refresh token reuse"));
    assert_eq!(row.revoked_at, Some(now + Duration::minutes(1)));
    assert_eq!(
        tokens::refresh(&mut conn, &keys, now, "no-such-token").unwrap(),
        Err(RefreshRejection::Unknown)
    );
}

#[test]
fn idle_sessions_end_and_refreshing_slides_the_window() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let uid = user(&mut conn, "alice");
    let keys = KeyRing::new(secrets());
    let idle = tokens::start(&mut conn, &keys, t0(), uid, "10.0.0.7", "ua").unwrap();
    assert!(
        tokens::active(&mut conn, &idle.session_id, t0() + Duration::minutes(59))
            .unwrap()
            .is_some()
    );
    assert!(
        tokens::active(&mut conn, &idle.session_id, t0() + Duration::minutes(61))
            .unwrap()
            .is_none()
    );
    let r = tokens::refresh(
        &mut conn,
        &keys,
        t0() + Duration::minutes(61),
        &idle.refresh_token,
    )
    .unwrap();
    assert_eq!(r, Err(RefreshRejection::Idle));
    let row = tokens::for_user(&mut conn, uid).unwrap().remove(0);
    assert_eq!(row.revoked_reason.as_deref(), Some("idle"));
    assert!(
        tokens::active(&mut conn, &idle.session_id, t0() + Duration::minutes(59))
            .unwrap()
            .is_none()
    );

    let clock = ManualClock::new(t0());
    let s = tokens::start(&mut conn, &keys, clock.now(), uid, "10.0.0.7", "ua").unwrap();
    clock.advance(Duration::minutes(59));
    let mut token = refresh_ok(&mut conn, &keys, clock.now(), &s.refresh_token).refresh_token;
    for _ in 0..5 {
        clock.advance(Duration::minutes(50)); // up to 5 h 09 min after login
        assert!(tokens::active(&mut conn, &s.session_id, clock.now())
            .unwrap()
            .is_some());
        token = refresh_ok(&mut conn, &keys, clock.now(), &token).refresh_token;
    }
    assert!(clock.now() - t0() > Duration::hours(4));
}

#[test]
fn revoking_users_and_disabling_accounts_end_sessions() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let (alice, bob) = (user(&mut conn, "alice"), user(&mut conn, "bob"));
    let keys = KeyRing::new(secrets());
    let a1 = tokens::start(&mut conn, &keys, t0(), alice, "10.0.0.1", "ua").unwrap();
    let a2 = tokens::start(
        &mut conn,
        &keys,
        t0() + Duration::minutes(1),
        alice,
        "10.0.0.2",
        "ua",
    )
    .unwrap();
    let b1 = tokens::start(&mut conn, &keys, t0(), bob, "10.0.0.3", "ua").unwrap();
    let listed: Vec<String> = tokens::for_user(&mut conn, alice)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        listed,
        vec![a2.session_id.clone(), a1.session_id.clone()],
        "newest first"
    );

    let now = t0() + Duration::minutes(5);
    assert_eq!(
        tokens::revoke_user(&mut conn, alice, now, "admin action").unwrap(),
        2
    );
    assert_eq!(
        tokens::revoke_user(&mut conn, alice, now, "admin action").unwrap(),
        0
    );
    for s in [&a1, &a2] {
        assert!(tokens::active(&mut conn, &s.session_id, now).unwrap().is_none());
        let r = tokens::refresh(&mut conn, &keys, now, &s.refresh_token).unwrap();
        assert_eq!(r, Err(RefreshRejection::Revoked));
    }
    assert!(tokens::active(&mut conn, &b1.session_id, now).unwrap().is_some());

    diesel::update(users::table.find(bob))
        .set(users::disabled.eq(true))
        .execute(&mut conn)
        .unwrap();
    let r = tokens::refresh(&mut conn, &keys, now, &b1.refresh_token).unwrap();
    assert_eq!(r, Err(RefreshRejection::UserDisabled));
    assert!(tokens::active(&mut conn, &b1.session_id, now).unwrap().is_none());
    assert!(!tokens::revoke(&mut conn, &b1.session_id, now, "again").unwrap());
}

#[test]
fn concurrent_refreshes_of_one_token_let_exactly_one_succeed() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let uid = user(&mut conn, "alice");
    let keys = KeyRing::new(secrets());
    let s = tokens::start(&mut conn, &keys, t0(), uid, "10.0.0.7", "ua").unwrap();
    let now = t0() + Duration::minutes(10);
    let barrier = Barrier::new(2);
    let results: Vec<_> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                sc.spawn(|| {
                    let mut c = db.conn();
                    barrier.wait();
                    tokens::refresh(&mut c, &keys, now, &s.refresh_token).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.contains(&Err(RefreshRejection::Reused)), "{results:?}");
}

#[test]
fn the_database_stores_only_refresh_token_hashes() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let uid = user(&mut conn, "alice");
    let keys = KeyRing::new(secrets());
    let s = tokens::start(&mut conn, &keys, t0(), uid, "10.0.0.7", "ua").unwrap();
    let r = refresh_ok(&mut conn, &keys, t0() + Duration::minutes(5), &s.refresh_token);
    let mut stored: Vec<String> = refresh_tokens::table
        .select(refresh_tokens::token_hash)
        .load(&mut conn)
        .unwrap();
    stored.sort();
    let mut expected = vec![
        tokens::hash_token(&s.refresh_token),
        tokens::hash_token(&r.refresh_token),
    ];
    expected.sort();
    assert_eq!(stored, expected);
    for h in &stored {
        assert!(h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    let dump: Vec<String> = diesel::sql_query(
        "SELECT row_to_json(t)::text AS j FROM refresh_tokens t \
         UNION ALL SELECT row_to_json(s)::text FROM sessions s",
    )
    .load::<Json>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|r| r.j)
    .collect();
    assert_eq!(dump.len(), 3);
    for plain in [&s.refresh_token, &r.refresh_token] {
        assert!(dump.iter().all(|row| !row.contains(plain.as_str())), "{dump:?}");
    }
}

#[derive(QueryableByName)]
struct Json {
    #[diesel(sql_type = diesel::sql_types::Text)]
    j: String,
}
