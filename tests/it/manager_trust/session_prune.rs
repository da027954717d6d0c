//! Low (known since the foundation): ended sessions and used refresh tokens were never deleted.

use diesel::prelude::*;
use linux_patch_manager::db::models::Role;
use linux_patch_manager::db::schema::{refresh_tokens, sessions};
use linux_patch_tests::console::{app, state};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in};

#[actix_web::test]
async fn ended_sessions_and_refresh_tokens_pile_up_forever() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "alice", Role::Operator);
    let (st, clock) = state(&db);
    let app = app(st.clone()).await;
    for _ in 0..3 {
        sign_in(&app, &clock, "alice", &secret).await;
        clock.advance(chrono::Duration::seconds(31));
    }
    let count = |db: &TestDb| -> (i64, i64) {
        (
            sessions::table.count().get_result(&mut db.conn()).unwrap(),
            refresh_tokens::table.count().get_result(&mut db.conn()).unwrap(),
        )
    };
    assert_eq!(count(&db).0, 3);
    // Two days later every one of them is long over (12-hour lifetime); housekeeping runs its chores.
    clock.advance(chrono::Duration::days(2));
    st.actors.housekeeping.run_due().await.unwrap();
    assert_eq!(
        count(&db),
        (0, 0),
        "ended sessions and their refresh tokens are deleted"
    );
}
