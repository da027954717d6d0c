//! Second factors against real PostgreSQL: TOTP replay protection, one-time recovery codes, factor counts.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::{PgConnection, RunQueryDsl};
use linux_patch_manager::auth::{recovery, totp, totp::TotpRejection};
use linux_patch_manager::db::models::mfa::{factor_count, RecoveryCode, TotpFactor, WebauthnCredential};
use linux_patch_manager::db::models::Role;
use linux_patch_manager::services::accounts::create_user;
use linux_patch_shared::clock::SystemClock;
use linux_patch_tests::pg::TestDb;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 15).unwrap()
}

fn user(conn: &mut PgConnection, name: &str) -> i64 {
    create_user(conn, &SystemClock, "test", name, Role::Operator)
        .unwrap()
        .user
        .id
}

/// The login handler's sequence: verify against the stored step, then claim the step atomically.
fn login(conn: &mut PgConnection, user_id: i64, code: &str, at: DateTime<Utc>) -> Result<i64, TotpRejection> {
    let factor = TotpFactor::for_user(conn, user_id).unwrap().remove(0);
    let step = totp::verify(&factor.secret, code, at, factor.last_used_step)?;
    if TotpFactor::mark_used(conn, factor.id, step).unwrap() {
        Ok(step)
    } else {
        Err(TotpRejection::Replayed)
    }
}

#[test]
fn totp_code_verifies_once_and_old_or_malformed_codes_are_refused() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let alice = user(&mut conn, "alice");
    // A fixed secret keeps the test deterministic (no chance collision of the codes of nearby steps).
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let factor = TotpFactor::insert(&mut conn, alice, secret, now()).unwrap();
    assert_eq!(factor.last_used_step, 0);
    assert_eq!(factor.secret, secret);

    let code = totp::code_at(secret, now()).unwrap();
    assert_eq!(login(&mut conn, alice, &code, now()), Ok(totp::step_of(now())));
    assert_eq!(
        TotpFactor::for_user(&mut conn, alice).unwrap()[0].last_used_step,
        totp::step_of(now())
    );
    assert_eq!(
        login(&mut conn, alice, &code, now()),
        Err(TotpRejection::Replayed)
    );
    // Still refused ten seconds later (same step) and one step later (within the window).
    for later in [10, 30] {
        assert_eq!(
            login(&mut conn, alice, &code, now() + Duration::seconds(later)),
            Err(TotpRejection::Replayed)
        );
    }

    let old = totp::code_at(secret, now() - Duration::seconds(60)).unwrap();
    assert_eq!(login(&mut conn, alice, &old, now()), Err(TotpRejection::Wrong));
    for bad in ["12345", "abcdef", "1234567"] {
        assert_eq!(
            login(&mut conn, alice, bad, now()),
            Err(TotpRejection::Malformed),
            "{bad}"
        );
    }

    // The next step's code is accepted once its step comes.
    let later = now() + Duration::seconds(30);
    let next = totp::code_at(secret, later).unwrap();
    assert_eq!(login(&mut conn, alice, &next, later), Ok(totp::step_of(later)));
}

#[test]
fn mark_used_only_moves_forward() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let alice = user(&mut conn, "alice");
    let f = TotpFactor::insert(&mut conn, alice, &totp::new_secret(), now()).unwrap();
    assert!(TotpFactor::mark_used(&mut conn, f.id, 100).unwrap());
    assert!(
        !TotpFactor::mark_used(&mut conn, f.id, 100).unwrap(),
        "equal step"
    );
    assert!(!TotpFactor::mark_used(&mut conn, f.id, 99).unwrap(), "lower step");
    assert!(TotpFactor::mark_used(&mut conn, f.id, 101).unwrap());
    assert!(
        !TotpFactor::mark_used(&mut conn, f.id + 1000, 500).unwrap(),
        "unknown factor"
    );
    assert_eq!(
        TotpFactor::for_user(&mut conn, alice).unwrap()[0].last_used_step,
        101
    );
    assert_eq!(TotpFactor::delete_for_user(&mut conn, alice).unwrap(), 1);
    assert!(TotpFactor::for_user(&mut conn, alice).unwrap().is_empty());
}

#[test]
fn recovery_codes_work_once_and_replacing_invalidates_the_old_set() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let alice = user(&mut conn, "alice");
    let bob = user(&mut conn, "bob");
    let codes = recovery::generate();
    let hashes: Vec<String> = codes.iter().map(|c| recovery::hash(c)).collect();
    RecoveryCode::replace_for_user(&mut conn, alice, &hashes).unwrap();
    assert_eq!(
        RecoveryCode::remaining(&mut conn, alice).unwrap(),
        recovery::COUNT as i64
    );

    // Typed in upper case with spaces instead of dashes: same code.
    let typed = codes[0].to_uppercase().replace('-', " ");
    assert!(RecoveryCode::consume(&mut conn, alice, &recovery::hash(&typed), now()).unwrap());
    assert!(!RecoveryCode::consume(&mut conn, alice, &recovery::hash(&codes[0]), now()).unwrap());
    assert_eq!(
        RecoveryCode::remaining(&mut conn, alice).unwrap(),
        recovery::COUNT as i64 - 1
    );
    // Another user's code is not alice's, and vice versa.
    assert!(!RecoveryCode::consume(&mut conn, bob, &hashes[1], now()).unwrap());

    let fresh: Vec<String> = recovery::generate().iter().map(|c| recovery::hash(c)).collect();
    RecoveryCode::replace_for_user(&mut conn, alice, &fresh).unwrap();
    assert_eq!(
        RecoveryCode::remaining(&mut conn, alice).unwrap(),
        recovery::COUNT as i64
    );
    assert!(
        !RecoveryCode::consume(&mut conn, alice, &hashes[1], now()).unwrap(),
        "old set is gone"
    );
    assert!(RecoveryCode::consume(&mut conn, alice, &fresh[1], now()).unwrap());

    assert_eq!(
        RecoveryCode::delete_for_user(&mut conn, alice).unwrap(),
        recovery::COUNT
    );
    assert_eq!(RecoveryCode::remaining(&mut conn, alice).unwrap(), 0);
}

#[test]
fn factor_count_counts_totp_and_webauthn_but_not_recovery_codes() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let alice = user(&mut conn, "alice");
    assert_eq!(factor_count(&mut conn, alice).unwrap(), 0);
    RecoveryCode::replace_for_user(&mut conn, alice, &[recovery::hash("aaaa-bbbb-cccc")]).unwrap();
    assert_eq!(factor_count(&mut conn, alice).unwrap(), 0);
    TotpFactor::insert(&mut conn, alice, &totp::new_secret(), now()).unwrap();
    assert_eq!(factor_count(&mut conn, alice).unwrap(), 1);

    // A WebAuthn row as the registration would store it (a real Passkey needs a browser ceremony).
    diesel::sql_query(
        "INSERT INTO webauthn_credentials (user_id, name, credential_id, passkey, created_at) \
         VALUES ($1, 'YubiKey', 'AAAA', '{\"not\": \"a passkey\"}', now())",
    )
    .bind::<diesel::sql_types::BigInt, _>(alice)
    .execute(&mut conn)
    .unwrap();
    assert_eq!(factor_count(&mut conn, alice).unwrap(), 2);
    let rows = WebauthnCredential::for_user(&mut conn, alice).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "YubiKey");
    // The unreadable row is skipped, not an error.
    assert!(WebauthnCredential::passkeys(&mut conn, alice).unwrap().is_empty());

    assert_eq!(WebauthnCredential::delete_for_user(&mut conn, alice).unwrap(), 1);
    assert_eq!(TotpFactor::delete_for_user(&mut conn, alice).unwrap(), 1);
    assert_eq!(factor_count(&mut conn, alice).unwrap(), 0);
}
