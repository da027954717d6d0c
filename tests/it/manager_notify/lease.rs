//! Two managers on one database (two app contexts with their own pools and notifier actors, one data
//! directory so both open the SMTP password) against one real SMTP server: every queued e-mail is delivered
//! exactly once; an e-mail claimed by a manager that crashed is left alone until its lease ends, then sent.

use super::{smtp, subjects};
use crate::manager_poller::bearer;
use crate::manager_settings::{call, put};
use chrono::Duration;
use diesel::prelude::*;
use linux_patch_manager::app::{ActorMode, AppBuilder, AppContext};
use linux_patch_manager::ca::InternalCa;
use linux_patch_manager::db::models::{notification, Role};
use linux_patch_shared::clock::{Clock, ManualClock};
use linux_patch_tests::console;
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::smtp::SmtpServer;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A second manager on `db` sharing `first`'s data directory (its secrets key) and `clock`.
pub(super) fn second_manager(db: &TestDb, first: &AppContext, clock: &ManualClock) -> AppContext {
    let dir = (*first.data_dir).clone();
    let ca = InternalCa::load_or_create(&dir, clock).unwrap();
    AppBuilder::new(
        linux_patch_manager::db::pool(db.url()),
        Arc::new(clock.clone()),
        dir,
        ca,
        "https://localhost:8443".parse().unwrap(),
    )
    .mode(ActorMode::Manual)
    .build()
    .unwrap()
}

fn queue(db: &TestDb, clock: &ManualClock, n: usize) {
    for i in 0..n {
        notification::enqueue(
            &mut db.conn(),
            "host_red",
            &["admin@example.org".to_owned()],
            &format!("message {i:03}"),
            "body",
            clock.now(),
        )
        .unwrap();
    }
}

#[actix_web::test]
async fn two_managers_deliver_every_queued_email_exactly_once() {
    let db = TestDb::new();
    let (one, clock) = console::state(&db);
    let app = console::app(one.clone()).await;
    let (_, admin) = bearer(&app, &db, &clock, "root", Role::Admin).await;
    let server = SmtpServer::start("pm", "s3cret-pass");
    let r = call(&app, &admin, put(smtp(&server, "s3cret-pass"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let two = second_manager(&db, &one, &clock);

    let n = 30;
    queue(&db, &clock, n);
    // Both notifiers run a pass at the same moment over the same due rows.
    let (a, b) = tokio::join!(one.actors.notifier.run_due(), two.actors.notifier.run_due());
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut per_subject: BTreeMap<String, usize> = BTreeMap::new();
    for (_, s) in subjects(&server) {
        *per_subject.entry(s).or_default() += 1;
    }
    let twice: Vec<_> = per_subject.iter().filter(|(_, c)| **c > 1).collect();
    assert!(
        twice.is_empty(),
        "sent more than once: {twice:?} (passes: {a:?} {b:?})"
    );
    assert_eq!(per_subject.len(), n, "every e-mail arrived");
    assert_eq!((a.sent + b.sent, a.failed + b.failed), (n, 0), "{a:?} {b:?}");
    // Nothing is left to send, by either.
    clock.advance(Duration::hours(1));
    assert_eq!(one.actors.notifier.run_due().await.unwrap().sent, 0);
    assert_eq!(two.actors.notifier.run_due().await.unwrap().sent, 0);
    assert_eq!(server.messages().len(), n);
}

#[actix_web::test]
async fn an_email_claimed_by_a_crashed_manager_is_sent_once_its_lease_ends() {
    let db = TestDb::new();
    let (one, clock) = console::state(&db);
    let app = console::app(one.clone()).await;
    let (_, admin) = bearer(&app, &db, &clock, "root", Role::Admin).await;
    let server = SmtpServer::start("pm", "s3cret-pass");
    let r = call(&app, &admin, put(smtp(&server, "s3cret-pass"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    queue(&db, &clock, 1);
    // Another manager claimed it for five minutes and died before sending.
    diesel::sql_query("UPDATE notification_outbox SET leased_by = 'dead-host:1:x', leased_until = $1")
        .bind::<diesel::sql_types::Timestamptz, _>(clock.now() + Duration::minutes(5))
        .execute(&mut db.conn())
        .unwrap();
    let d = one.actors.notifier.run_due().await.unwrap();
    assert_eq!((d.sent, d.failed), (0, 0), "still leased: {d:?}");
    assert!(server.messages().is_empty());
    clock.advance(Duration::minutes(5) + Duration::seconds(1));
    let d = one.actors.notifier.run_due().await.unwrap();
    assert_eq!((d.sent, d.failed), (1, 0), "taken over: {d:?}");
    assert_eq!(
        subjects(&server),
        vec![(vec!["admin@example.org".to_owned()], "message 000".to_owned())]
    );
    // The dead manager's claim cannot mark it any more; it stays sent once.
    let lease = notification::Lease {
        owner: "dead-host:1:x".into(),
        until: clock.now() - Duration::seconds(1),
    };
    let id: i64 = diesel::sql_query("SELECT id FROM notification_outbox")
        .get_result::<IdRow>(&mut db.conn())
        .unwrap()
        .id;
    let fail_at = clock.now() + Duration::minutes(1);
    assert_eq!(
        notification::failed(&mut db.conn(), id, &lease, fail_at, "x").unwrap(),
        0
    );
    clock.advance(Duration::hours(1));
    assert_eq!(one.actors.notifier.run_due().await.unwrap().sent, 0);
    assert_eq!(server.messages().len(), 1);
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}
