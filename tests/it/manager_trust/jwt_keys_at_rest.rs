//! Known since the foundation: the access-token signing keys' private parts were stored as plaintext PEM in
//! `signing_keys`, so a database dump or backup let anyone mint sessions; they are now encrypted with the
//! manager's `secrets.key` (AES-256-GCM), rows from before are encrypted on upgrade, and signing keeps working
//! across a restart.

use actix_web::test::TestRequest;
use diesel::prelude::*;
use linux_patch_manager::app::{ActorMode, AppBuilder, AppContext};
use linux_patch_manager::ca::InternalCa;
use linux_patch_manager::db::models::Role;
use linux_patch_manager::db::schema::signing_keys;
use linux_patch_shared::clock::{Clock, ManualClock};
use linux_patch_tests::console::{app, send};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in};
use std::path::Path;
use std::sync::Arc;

/// The manager's app on `db` with its files in `data_dir` (the same directory = the same manager restarted).
fn manager(db: &TestDb, data_dir: &Path, clock: &ManualClock) -> actix_web::web::Data<AppContext> {
    let ca = InternalCa::load_or_create(data_dir, clock).unwrap();
    let b = AppBuilder::new(
        linux_patch_manager::db::pool(db.url()),
        Arc::new(clock.clone()),
        data_dir.to_path_buf(),
        ca,
        webauthn_rs::prelude::Url::parse("https://localhost:8443").unwrap(),
    )
    .mode(ActorMode::Manual);
    actix_web::web::Data::new(b.build().unwrap())
}

fn rows(db: &TestDb) -> Vec<(String, String)> {
    signing_keys::table
        .select((signing_keys::kid, signing_keys::private_pem))
        .order(signing_keys::created_at)
        .load(&mut db.conn())
        .unwrap()
}

#[actix_web::test]
async fn signing_key_private_part_readable_in_the_database() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "alice", Role::Admin);
    let clock = ManualClock::new("2026-06-01T12:00:00Z".parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let first = app(manager(&db, dir.path(), &clock)).await;
    let mut jar = sign_in(&first, &clock, "alice", &secret).await;

    let stored = rows(&db);
    assert_eq!(stored.len(), 1);
    let (kid, private) = &stored[0];
    assert!(
        !private.contains("PRIVATE KEY") && !private.contains("BEGIN"),
        "the signing key {kid} is stored in plaintext: {}...",
        &private[..private.len().min(40)]
    );
    assert!(private.starts_with("enc:v1:"), "{private}");
    let key_file = dir.path().join("secrets.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read(&key_file).unwrap().len(), 32);

    // A restart (same data directory): the session goes on, and new sign-ins are signed with the stored key.
    drop(first);
    clock.advance(chrono::Duration::minutes(1));
    let again = app(manager(&db, dir.path(), &clock)).await;
    let r = send(&again, &mut jar, TestRequest::get().uri("/hosts")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    clock.advance(chrono::Duration::seconds(31));
    let _fresh = sign_in(&again, &clock, "alice", &secret).await;
    assert_eq!(rows(&db), stored, "no new key, nothing stored in plaintext");

    // A plaintext key from before the upgrade is encrypted when the manager first loads it, and still signs.
    let legacy = openssl::pkey::PKey::generate_ed25519().unwrap();
    let pem = String::from_utf8(legacy.private_key_to_pem_pkcs8().unwrap()).unwrap();
    let public = String::from_utf8(legacy.public_key_to_pem().unwrap()).unwrap();
    clock.advance(chrono::Duration::minutes(1));
    diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::kid.eq("LEGACYKEY"),
            signing_keys::private_pem.eq(&pem),
            signing_keys::public_pem.eq(&public),
            signing_keys::created_at.eq(clock.now()),
            signing_keys::sign_until.eq(clock.now() + chrono::Duration::days(90)),
            signing_keys::verify_until.eq(clock.now() + chrono::Duration::days(91)),
        ))
        .execute(&mut db.conn())
        .unwrap();
    let upgraded = app(manager(&db, dir.path(), &clock)).await;
    clock.advance(chrono::Duration::seconds(31));
    let mut j = sign_in(&upgraded, &clock, "alice", &secret).await;
    assert_eq!(
        send(&upgraded, &mut j, TestRequest::get().uri("/hosts"))
            .await
            .status,
        200
    );
    let after = rows(&db);
    assert_eq!(after.len(), 2);
    assert!(
        after
            .iter()
            .all(|(_, p)| p.starts_with("enc:v1:") && !p.contains("BEGIN")),
        "a plaintext row survived the upgrade: {after:?}"
    );
}
