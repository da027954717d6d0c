//! The audit chain against real PostgreSQL: concurrent appends, tampering, pruning with a checkpoint.

use chrono::{DateTime, Duration, Utc};
use diesel::RunQueryDsl;
use linux_patch_manager::audit::{self, Entry};
use linux_patch_tests::pg::TestDb;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn entry(i: usize) -> Entry<'static> {
    Entry {
        actor: "tester",
        action: "test.event",
        target: "thing",
        details: serde_json::json!({ "i": i, "nested": { "b": 1.5, "a": [true, null] } }),
    }
}

#[test]
fn concurrent_appends_form_one_chain() {
    let db = TestDb::new();
    std::thread::scope(|s| {
        for t in 0..4 {
            let db = &db;
            s.spawn(move || {
                let mut conn = db.conn();
                for i in 0..10 {
                    audit::append(
                        &mut conn,
                        t0() + Duration::seconds(i),
                        &entry(t * 100 + i as usize),
                    )
                    .unwrap();
                }
            });
        }
    });
    let v = audit::verify(&mut db.conn()).unwrap();
    assert_eq!(v.broken, None);
    assert_eq!(v.rows, 40);
}

#[test]
fn deleting_a_row_breaks_the_next_one() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let ids: Vec<i64> = (0..4)
        .map(|i| audit::append(&mut conn, t0(), &entry(i)).unwrap().id)
        .collect();
    diesel::sql_query(format!("DELETE FROM audit_log WHERE id = {}", ids[1]))
        .execute(&mut conn)
        .unwrap();
    let v = audit::verify(&mut conn).unwrap();
    let b = v.broken.unwrap();
    assert_eq!(b.id, ids[2]);
    assert!(b.reason.contains("prev_hash"), "{}", b.reason);
}

#[test]
fn pruning_keeps_the_rest_verifiable() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let now = t0() + Duration::days(400);
    for i in 0..6 {
        // three rows a year old, three recent
        let at = if i < 3 {
            t0() + Duration::days(i)
        } else {
            now - Duration::days(6 - i)
        };
        audit::append(&mut conn, at, &entry(i as usize)).unwrap();
    }
    let p = audit::prune(&mut conn, now, 183).unwrap();
    assert_eq!(p.rows, 3);
    let v = audit::verify(&mut conn).unwrap();
    assert_eq!(v.broken, None, "{v:?}");
    assert_eq!(v.rows, 4, "three kept rows plus the audit.prune row");
    assert_eq!(v.checkpoint, p.last_pruned_id);
    audit::append(&mut conn, now, &entry(9)).unwrap();
    assert_eq!(audit::verify(&mut conn).unwrap().broken, None);
    assert_eq!(
        audit::prune(&mut conn, now, 183).unwrap().rows,
        0,
        "nothing more to prune"
    );

    // Everything old: the chain continues from the checkpoint alone.
    let p2 = audit::prune(&mut conn, now + Duration::days(400), 183).unwrap();
    assert_eq!(p2.rows, 5, "three kept, the first audit.prune row, and entry 9");
    let v = audit::verify(&mut conn).unwrap();
    assert_eq!((v.broken, v.rows), (None, 1));

    // Editing the row right after the checkpoint is caught.
    diesel::sql_query("UPDATE audit_log SET target = 'x'")
        .execute(&mut conn)
        .unwrap();
    assert!(audit::verify(&mut conn).unwrap().broken.is_some());
}
