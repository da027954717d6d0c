//! The deployer's batched writes on real PostgreSQL: one round's outcomes of every kind written by
//! `record_all` land on their own rows, a row whose lease another process took over is left alone, and a
//! follow round claims each running target once (`after`), not the first batch again.

use chrono::Duration;
use diesel::prelude::*;
use linux_patch_manager::db::models::deployment_claims::{claim_due, claim_running, record_all, Outcome};
use linux_patch_manager::db::models::Host;
use linux_patch_manager::db::schema::deployment_targets as dt;
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::pg::TestDb;

type Row = (
    String,
    Option<String>,
    String,
    String,
    Option<serde_json::Value>,
    Option<String>,
);

fn row(c: &mut PgConnection, id: i64) -> Row {
    dt::table
        .find(id)
        .select((
            dt::state,
            dt::agent_job_id,
            dt::agent_status,
            dt::error,
            dt::change_set,
            dt::lease_owner,
        ))
        .first(c)
        .unwrap()
}

#[test]
fn record_all_writes_each_outcome_on_its_row_and_only_under_its_lease() {
    let db = TestDb::new();
    let mut c = db.conn();
    let now = SystemClock.now();
    let hosts: Vec<i64> = (0..6)
        .map(|i| {
            Host::insert(
                &mut c,
                &format!("claims-{i}.test"),
                &format!("10.8.0.{}", i + 1),
                12443,
                now,
            )
            .unwrap()
            .id
        })
        .collect();
    diesel::sql_query(
        "INSERT INTO deployments (created_by, created_at, operation, mode, status) \
         VALUES ('t', now(), 'security_only', 'now', 'active')",
    )
    .execute(&mut c)
    .unwrap();
    for (i, h) in hosts.iter().enumerate() {
        diesel::sql_query(format!(
            "INSERT INTO deployment_targets (deployment_id, host_id, hostname, state, due_at, updated_at) \
             SELECT max(id), {h}, 'claims-{i}.test', 'queued', now() - interval '1 minute', now() FROM deployments"
        ))
        .execute(&mut c)
        .unwrap();
    }
    let claimed = claim_due(&mut c, "me", now, now + Duration::seconds(60), 100).unwrap();
    assert_eq!(claimed.len(), 6);
    let ids: Vec<i64> = claimed.iter().map(|t| t.id).collect();
    // Another process took the last one over (its lease ran out meanwhile).
    diesel::update(dt::table.find(ids[5]))
        .set(dt::lease_owner.eq("other"))
        .execute(&mut c)
        .unwrap();
    let cs = serde_json::json!({"installed": [], "removed": [], "upgraded": [{"name": "openssl",
        "architecture": "amd64", "from": "1", "to": "2"}], "downgraded": []});
    let outcomes = [
        Outcome::Dispatched {
            job_id: "J0".into(),
            status: "queued".into(),
        },
        Outcome::Dispatched {
            job_id: "J1".into(),
            status: "running".into(),
        },
        Outcome::Again {
            state: "queued",
            due_at: now + Duration::seconds(15),
            error: "the agent did not take the job (try 1): refused".into(),
            dispatch_failures: 1,
        },
        Outcome::Ended {
            state: "succeeded",
            error: String::new(),
            agent_status: "succeeded".into(),
            change_set: Some(cs.clone()),
            output_tail: serde_json::json!(["done"]),
        },
        Outcome::Ended {
            state: "failed",
            error: "the job failed".into(),
            agent_status: "failed".into(),
            change_set: None,
            output_tail: serde_json::json!([]),
        },
        Outcome::Dispatched {
            job_id: "J5".into(),
            status: "queued".into(),
        },
    ];
    let pairs: Vec<(i64, &Outcome)> = ids.iter().copied().zip(outcomes.iter()).collect();
    let written = record_all(&mut c, "me", &pairs, now).unwrap();
    assert_eq!(written, 5, "all but the row another process holds");

    assert_eq!(
        row(&mut c, ids[0]),
        (
            "running".into(),
            Some("J0".into()),
            "queued".into(),
            String::new(),
            None,
            Some("me".into())
        )
    );
    assert_eq!(row(&mut c, ids[1]).1.as_deref(), Some("J1"));
    let again = row(&mut c, ids[2]);
    assert_eq!(
        (again.0.as_str(), again.5.as_deref()),
        ("queued", None),
        "{again:?}"
    );
    assert!(again.3.contains("refused"));
    assert_eq!(
        row(&mut c, ids[3]),
        (
            "succeeded".into(),
            None,
            "succeeded".into(),
            String::new(),
            Some(cs),
            None
        )
    );
    let failed = row(&mut c, ids[4]);
    assert_eq!(
        (failed.0.as_str(), failed.3.as_str(), failed.4.as_ref()),
        ("failed", "the job failed", None)
    );
    assert_eq!(
        row(&mut c, ids[5]).0,
        "dispatching",
        "another process's row is not written"
    );

    // Following: two running targets of this process, claimed one per batch with `after`; the running one
    // still claimable stays out of the rest of the round.
    let first = claim_running(&mut c, "me", now, now + Duration::seconds(60), 0, 1).unwrap();
    assert_eq!(first.iter().map(|t| t.id).collect::<Vec<_>>(), vec![ids[0]]);
    let progress = Outcome::Progress {
        status: "running".into(),
        output_tail: serde_json::json!(["50%"]),
    };
    record_all(&mut c, "me", &[(ids[0], &progress)], now).unwrap();
    let next = claim_running(&mut c, "me", now, now + Duration::seconds(60), ids[0], 1).unwrap();
    assert_eq!(next.iter().map(|t| t.id).collect::<Vec<_>>(), vec![ids[1]]);
    let rest = claim_running(&mut c, "me", now, now + Duration::seconds(60), ids[1], 10).unwrap();
    assert!(rest.is_empty(), "{rest:?}");
    let again = claim_running(&mut c, "me", now, now + Duration::seconds(60), 0, 10).unwrap();
    assert_eq!(again.len(), 2, "the next round starts over");
}
