//! Medium 5: an attacker who knows the old password keeps a login challenge alive across an admin's
//! password + MFA reset, then sets a new password (and would enrol their own TOTP).

use actix_web::test::TestRequest;
use linux_patch_manager::db::models::{Role, User};
use linux_patch_tests::console::{app, form, send, state, Jar};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in, PASSWORD};

#[actix_web::test]
async fn login_challenge_survives_password_and_mfa_reset() {
    let db = TestDb::new();
    let (alice, _) = ready_user(&mut db.conn(), "alice", Role::Operator);
    let (_, root) = ready_user(&mut db.conn(), "root1", Role::Admin);
    let (st, clock) = state(&db);
    let app = app(st).await;

    // The attacker has alice's old password: a challenge waiting for her second factor.
    let mut attacker = Jar::default();
    let page = send(&app, &mut attacker, TestRequest::get().uri("/login")).await;
    let csrf = page.input_value("csrf").unwrap();
    let r = send(
        &app,
        &mut attacker,
        form(
            "/login",
            &[("csrf", &csrf), ("username", "alice"), ("password", PASSWORD)],
        ),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/login/mfa"), "{}", r.body);
    let mfa = send(&app, &mut attacker, TestRequest::get().uri("/login/mfa")).await;
    let challenge_csrf = mfa.input_value("csrf").unwrap();

    // The admin, suspecting compromise, resets alice's password and MFA.
    let mut admin = sign_in(&app, &clock, "root1", &root).await;
    let users = send(&app, &mut admin, TestRequest::get().uri("/users")).await;
    let acsrf = users.input_value("csrf").unwrap();
    for action in ["reset-password", "reset-mfa"] {
        let r = send(
            &app,
            &mut admin,
            form(&format!("/users/{alice}/{action}"), &[("csrf", &acsrf)]),
        )
        .await;
        assert!(r.status < 400, "{action}: {} {}", r.status, r.body);
    }
    let after_reset = User::by_id(&mut db.conn(), alice).unwrap().unwrap().password_hash;

    // The attacker continues the old challenge to the forced password change.
    let p = send(&app, &mut attacker, TestRequest::get().uri("/login/password")).await;
    let csrf = p.input_value("csrf").unwrap_or(challenge_csrf);
    let new = "attacker chosen password";
    let r = send(
        &app,
        &mut attacker,
        form(
            "/login/password",
            &[("csrf", &csrf), ("new_password", new), ("confirm_password", new)],
        ),
    )
    .await;
    let now_hash = User::by_id(&mut db.conn(), alice).unwrap().unwrap().password_hash;
    assert_eq!(
        now_hash, after_reset,
        "the attacker's stale challenge set a new password ({} {:?})",
        r.status, r.location
    );
    assert_ne!(p.status, 200, "the stale challenge still opens the password page");
}
