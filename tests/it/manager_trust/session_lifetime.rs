//! Low: a session refreshed often enough never ended; now it ends 12 hours after sign-in.

use actix_web::test::TestRequest;
use linux_patch_manager::db::models::Role;
use linux_patch_tests::console::{app, send, state};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in};

#[actix_web::test]
async fn a_session_kept_busy_lives_forever() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "alice", Role::Operator);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "alice", &secret).await;
    let mut signed_in_for = chrono::Duration::zero();
    let mut ended = None;
    // A page every 50 minutes (within the 1-hour idle limit, past the 15-minute access token) for 14 hours.
    for _ in 0..17 {
        clock.advance(chrono::Duration::minutes(50));
        signed_in_for += chrono::Duration::minutes(50);
        let r = send(&app, &mut jar, TestRequest::get().uri("/hosts")).await;
        if r.status == 303 && r.location.as_deref().is_some_and(|l| l.starts_with("/login")) {
            ended = Some(signed_in_for);
            break;
        }
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let ended = ended.expect("the session was still alive after 14 hours of use");
    assert!(
        ended <= chrono::Duration::hours(12) + chrono::Duration::minutes(50),
        "ended only after {ended}"
    );
}
