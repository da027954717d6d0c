//! The housekeeping actor on real PostgreSQL with a manual clock: nothing is due twice, and a day later it
//! prunes old audit rows (chain still verified), purges nothing it should keep, renews and loads the trust.

use chrono::Duration;
use linux_patch_manager::audit::{self, Entry};
use linux_patch_manager::housekeeping::Chore;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console;
use linux_patch_tests::pg::TestDb;

#[actix_web::test]
async fn chores_run_when_the_clock_says_and_do_their_work() {
    let db = TestDb::new();
    let (b, clock) = console::builder(&db);
    let st = b.audit_retention_days(30).build().unwrap();
    for i in 0..3 {
        let e = Entry {
            actor: "root",
            action: "test.old",
            target: "t",
            details: serde_json::json!({ "i": i }),
        };
        audit::append(&mut db.conn(), clock.now(), &e).unwrap();
    }

    // At start: audit and enrolment purge run; nothing old enough to prune; renewal waits a day.
    let first = st.actors.housekeeping.run_due().await.unwrap();
    let ran: Vec<Chore> = first.iter().map(|o| o.chore).collect();
    assert_eq!(
        ran,
        vec![
            Chore::Audit,
            Chore::EnrolmentPurge,
            Chore::SessionPrune,
            Chore::OperationalPrune,
            Chore::ComplianceSnapshot
        ],
        "{first:?}"
    );
    assert_eq!(
        first[4].result.as_deref().map(|s| s.split(" for ").next()),
        Ok(Some("compliance snapshot of 0 hosts")),
        "{first:?}"
    );
    assert_eq!(
        first[0].result.as_deref(),
        Ok("pruned 0; chain verified: 3 rows"),
        "{first:?}"
    );
    assert!(!st.agents.trust_loaded(), "no trust before the renewal pass");
    assert!(st.actors.housekeeping.run_due().await.unwrap().is_empty());

    // 40 days later every chore is due: the three rows are past the 30-day retention.
    clock.advance(Duration::days(40));
    let later = st.actors.housekeeping.run_due().await.unwrap();
    let ran: Vec<Chore> = later.iter().map(|o| o.chore).collect();
    assert_eq!(
        ran,
        vec![
            Chore::Audit,
            Chore::EnrolmentPurge,
            Chore::CertificateRenewal,
            Chore::SessionPrune,
            Chore::OperationalPrune,
            Chore::ComplianceSnapshot
        ]
    );
    assert!(later.iter().all(|o| o.result.is_ok()), "{later:?}");
    let audit_result = later[0].result.as_deref().unwrap();
    assert!(
        audit_result.starts_with("pruned 3; chain verified"),
        "{audit_result}"
    );
    let v = audit::verify(&mut db.conn()).unwrap();
    assert!(v.broken.is_none(), "{v:?}");
    assert!(audit::recent(&mut db.conn(), None, 100)
        .unwrap()
        .iter()
        .all(|r| r.action != "test.old"));
    assert!(
        st.agents.trust_loaded(),
        "the renewal pass loads the agents' trust"
    );
}
