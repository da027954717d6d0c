//! Retention on real PostgreSQL with a manual clock: the housekeeping actor prunes operational data (health
//! history, finished deployments with their targets, sent e-mails) past its period and audit rows past
//! theirs in batches, the chain still verifying through the checkpoint; periods changed in the settings
//! apply to the next run.

use crate::manager_settings::{call, put};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use linux_patch_manager::audit::{self, Entry};
use linux_patch_manager::db::models::{Host, Role};
use linux_patch_manager::db::schema::{
    audit_checkpoints, audit_log, deployment_targets, deployments, host_health, notification_outbox,
};
use linux_patch_manager::housekeeping::Chore;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console;
use linux_patch_tests::pg::TestDb;
use serde_json::json;

fn deployment(conn: &mut PgConnection, host: i64, at: DateTime<Utc>, finished: bool) -> i64 {
    let id: i64 = diesel::insert_into(deployments::table)
        .values((
            deployments::created_by.eq("root"),
            deployments::created_at.eq(at),
            deployments::operation.eq("security_only"),
            deployments::mode.eq("now"),
            deployments::status.eq(if finished { "finished" } else { "active" }),
            deployments::finished_at.eq(finished.then_some(at)),
        ))
        .returning(deployments::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(deployment_targets::table)
        .values((
            deployment_targets::deployment_id.eq(id),
            deployment_targets::host_id.eq(host),
            deployment_targets::hostname.eq("h.test"),
            deployment_targets::state.eq(if finished { "succeeded" } else { "queued" }),
            deployment_targets::updated_at.eq(at),
        ))
        .execute(conn)
        .unwrap();
    id
}

fn health(conn: &mut PgConnection, host: i64, at: DateTime<Utc>, n: usize) {
    let rows: Vec<_> = (0..n)
        .map(|i| {
            (
                host_health::host_id.eq(host),
                host_health::checked_at.eq(at + chrono::Duration::seconds(i as i64)),
                host_health::state.eq("healthy"),
            )
        })
        .collect();
    diesel::insert_into(host_health::table)
        .values(&rows)
        .execute(conn)
        .unwrap();
}

#[actix_web::test]
async fn housekeeping_prunes_past_retention_in_batches_and_the_chain_still_verifies() {
    let db = TestDb::new();
    let (state, clock) = console::state(&db);
    let app = console::app(state.clone()).await;
    let c = &mut db.conn();
    let t0 = clock.now();
    let h = Host::insert(c, "h.test", "127.0.0.1", 12443, t0).unwrap();
    // Day 0: 2,500 health rows, a finished deployment, an unfinished one, a sent e-mail, 1,500 audit rows.
    health(c, h.id, t0, 2500);
    let old = deployment(c, h.id, t0, true);
    let running = deployment(c, h.id, t0, false);
    diesel::insert_into(notification_outbox::table)
        .values((
            notification_outbox::event.eq("test"),
            notification_outbox::recipients.eq(json!(["a@example.org"])),
            notification_outbox::subject.eq("s"),
            notification_outbox::body.eq("b"),
            notification_outbox::created_at.eq(t0),
            notification_outbox::next_attempt_at.eq(t0),
            notification_outbox::sent_at.eq(Some(t0)),
        ))
        .execute(c)
        .unwrap();
    for i in 0..1500 {
        let e = Entry {
            actor: "root",
            action: "test.old",
            target: "t",
            details: json!({ "i": i }),
        };
        audit::append(c, t0, &e).unwrap();
    }

    // Day 40: new data besides the old.
    clock.advance(chrono::Duration::days(40));
    let t40 = clock.now();
    health(c, h.id, t40, 3);
    let recent = deployment(c, h.id, t40, true);
    audit::append(
        c,
        t40,
        &Entry {
            actor: "root",
            action: "test.new",
            target: "t",
            details: json!({}),
        },
    )
    .unwrap();

    let hk = state.actors.housekeeping.clone();
    let out = hk.run_now(Chore::OperationalPrune).await.unwrap();
    assert_eq!(
        out.result.as_deref(),
        Ok("pruned 2500 health rows, 1 deployment targets, 1 deployments, 1 sent e-mails older than 30 days")
    );
    assert_eq!(host_health::table.count().get_result::<i64>(c).unwrap(), 3);
    let left: Vec<i64> = deployments::table
        .select(deployments::id)
        .order(deployments::id)
        .load(c)
        .unwrap();
    assert_eq!(
        left,
        vec![running, recent],
        "the finished old one went, with its target ({old})"
    );
    assert_eq!(deployment_targets::table.count().get_result::<i64>(c).unwrap(), 2);
    assert_eq!(
        notification_outbox::table.count().get_result::<i64>(c).unwrap(),
        0
    );

    // Audit: 40 days is within the default 183; an admin sets 30 days, applied to the next run.
    let out = hk.run_now(Chore::Audit).await.unwrap();
    assert!(out.result.as_deref().unwrap().starts_with("pruned 0;"), "{out:?}");
    let (_, admin) = crate::manager_poller::bearer(&app, &db, &clock, "root", Role::Admin).await;
    let r = call(
        &app,
        &admin,
        put(json!({"retention": {"operational_days": 30, "audit_days": 30}})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let out = hk.run_now(Chore::Audit).await.unwrap();
    let text = out.result.unwrap();
    assert!(text.starts_with("pruned 1500; chain verified"), "{text}");
    let v = audit::verify(c).unwrap();
    assert!(v.broken.is_none(), "{v:?}");
    assert!(v.checkpoint.is_some());
    let kept: Vec<String> = audit_log::table
        .select(audit_log::action)
        .order(audit_log::id)
        .load(c)
        .unwrap();
    assert!(!kept.iter().any(|a| a == "test.old"), "{kept:?}");
    assert!(kept.iter().any(|a| a == "test.new") && kept.iter().any(|a| a == "settings.changed"));
    // Small batches: 1,500 rows went in two transactions, each leaving a checkpoint and an audit.prune row.
    assert_eq!(audit_checkpoints::table.count().get_result::<i64>(c).unwrap(), 2);
    assert_eq!(kept.iter().filter(|a| *a == "audit.prune").count(), 2);
}
