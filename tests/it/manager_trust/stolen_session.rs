//! Low: with only a session cookie (stolen, or a browser left open) one could make new recovery codes, and
//! users could not change their password or factors at all; now the password change needs the current
//! password, and recovery codes / adding or removing a factor need a fresh TOTP or recovery code.

use super::*;
use linux_patch_manager::auth::{password, totp};
use linux_patch_manager::db::models::mfa::{RecoveryCode, TotpFactor};
use linux_patch_manager::db::models::User;
use linux_patch_tests::console::{form, Jar, Resp};
use linux_patch_tests::signin::PASSWORD;

async fn post<S, B>(app: &S, jar: &mut Jar, uri: &str, fields: &[(&str, &str)]) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let page = send(app, jar, TestRequest::get().uri("/account")).await;
    let csrf = page.input_value("csrf").unwrap();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    send(app, jar, form(uri, &all)).await
}

#[actix_web::test]
async fn stolen_session_regenerates_recovery_codes_and_replaces_the_factor() {
    let db = TestDb::new();
    let (uid, secret) = ready_user(&mut db.conn(), "alice", Role::Operator);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "alice", &secret).await;
    clock.advance(chrono::Duration::seconds(31));
    let mut other = sign_in(&app, &clock, "alice", &secret).await;
    let codes_before = RecoveryCode::remaining(&mut db.conn(), uid).unwrap();
    let factors_before = TotpFactor::for_user(&mut db.conn(), uid).unwrap();

    // The thief has the cookies only: no code, or a guessed one.
    let mut got = Vec::new();
    for (uri, fields) in [
        ("/account/recovery-codes", vec![]),
        ("/account/recovery-codes", vec![("code", "000000")]),
        ("/account/totp/start", vec![("code", "")]),
        (
            "/account/factors/remove",
            vec![("factor", "totp:1"), ("code", "123456")],
        ),
    ] {
        let r = post(&app, &mut jar, uri, &fields).await;
        if r.status == 200 || r.notice().is_some() {
            got.push(format!("{uri} {fields:?}: {} {:?}", r.status, r.notice()));
        }
    }
    assert!(
        got.is_empty(),
        "a stolen session changed the account's factors: {got:#?}"
    );
    // A made-up enrolment grant (no factor proven) does not add the thief's app.
    let thief = totp::new_secret();
    let code = totp::code_at(&thief, clock.now()).unwrap();
    let r = post(
        &app,
        &mut jar,
        "/account/totp/add",
        &[("grant", "v1.e30.AAAA"), ("code", &code)],
    )
    .await;
    assert!(r.flash_error().is_some(), "{r:?}");
    assert_eq!(
        RecoveryCode::remaining(&mut db.conn(), uid).unwrap(),
        codes_before
    );
    assert_eq!(TotpFactor::for_user(&mut db.conn(), uid).unwrap(), factors_before);
    // A password change without the current password changes nothing.
    let r = post(
        &app,
        &mut jar,
        "/account/password",
        &[
            ("current_password", "guess guess guess"),
            ("new_password", "the thief's new password"),
            ("confirm_password", "the thief's new password"),
        ],
    )
    .await;
    assert!(r.flash_error().is_some(), "{r:?}");
    let hash = User::by_id(&mut db.conn(), uid).unwrap().unwrap().password_hash;
    assert!(password::verify(PASSWORD, &hash));

    // The owner, with a current code: new recovery codes, a second app, then the first one removed.
    clock.advance(chrono::Duration::seconds(31));
    let code = totp::code_at(&secret, clock.now()).unwrap();
    let r = post(&app, &mut jar, "/account/recovery-codes", &[("code", &code)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"recovery-codes\""), "{}", r.body);
    clock.advance(chrono::Duration::seconds(31));
    let code = totp::code_at(&secret, clock.now()).unwrap();
    let r = post(&app, &mut jar, "/account/totp/start", &[("code", &code)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let grant = r.input_value("grant").unwrap();
    let new_secret = r.text_of("totp-secret").unwrap();
    let new_code = totp::code_at(&new_secret, clock.now()).unwrap();
    // The grant belongs to this session: another session of the same user cannot use it.
    let r = post(
        &app,
        &mut other,
        "/account/totp/add",
        &[("grant", &grant), ("code", &new_code)],
    )
    .await;
    assert!(r.flash_error().is_some(), "{r:?}");
    let r = post(
        &app,
        &mut jar,
        "/account/totp/add",
        &[("grant", &grant), ("code", &new_code)],
    )
    .await;
    assert_eq!(r.notice().as_deref(), Some("authenticator app added"), "{r:?}");
    let factors = TotpFactor::for_user(&mut db.conn(), uid).unwrap();
    assert_eq!(factors.len(), 2);
    clock.advance(chrono::Duration::seconds(31));
    let code = totp::code_at(&new_secret, clock.now()).unwrap();
    let first = format!("totp:{}", factors[0].id);
    let r = post(
        &app,
        &mut jar,
        "/account/factors/remove",
        &[("factor", &first), ("code", &code)],
    )
    .await;
    assert_eq!(r.notice().as_deref(), Some("factor removed"), "{r:?}");
    let left = TotpFactor::for_user(&mut db.conn(), uid).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].secret, new_secret);
    // The last factor stays.
    clock.advance(chrono::Duration::seconds(31));
    let code = totp::code_at(&new_secret, clock.now()).unwrap();
    let last = format!("totp:{}", left[0].id);
    let r = post(
        &app,
        &mut jar,
        "/account/factors/remove",
        &[("factor", &last), ("code", &code)],
    )
    .await;
    assert!(r.flash_error().is_some(), "{r:?}");

    // The owner changes the password with the current one; the other session ends, this one stays.
    let r = post(
        &app,
        &mut jar,
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a brand new long password"),
            ("confirm_password", "a brand new long password"),
        ],
    )
    .await;
    assert!(
        r.notice().unwrap().starts_with("password changed; 1 other"),
        "{r:?}"
    );
    let hash = User::by_id(&mut db.conn(), uid).unwrap().unwrap().password_hash;
    assert!(password::verify("a brand new long password", &hash));
    let r = send(&app, &mut jar, TestRequest::get().uri("/account")).await;
    assert_eq!(r.status, 200);
    let r = send(&app, &mut other, TestRequest::get().uri("/account")).await;
    assert_eq!(r.status, 303, "the other session survived the password change");
}
