//! Unit tests of the relay's bookkeeping: wanted targets, `seq` judgement, output tails, changed rows, wire form.

use super::*;
use chrono::TimeZone;
use linux_patch_shared::api::jobs::JobEventKind;

fn view(id: i64, state: &str) -> TargetView {
    TargetView {
        target_id: id,
        host_id: Some(id * 10),
        hostname: format!("h{id}"),
        state: state.into(),
        agent_status: String::new(),
        attempts: 0,
        error: String::new(),
        agent_job_id: None,
    }
}

#[test]
fn wanted_targets_parse_and_filter() {
    assert_eq!(Wanted::parse(None).unwrap(), Wanted::all());
    assert_eq!(Wanted::parse(Some(" ")).unwrap(), Wanted::all());
    let w = Wanted::parse(Some("3, 1,3")).unwrap();
    assert_eq!(w.ids().unwrap().iter().copied().collect::<Vec<_>>(), vec![1, 3]);
    assert!(w.wants(1) && w.wants(3) && !w.wants(2));
    assert!(Wanted::all().wants(42));
    for bad in ["1,x", "0", "-4", "1;DROP TABLE hosts", "1,,2"] {
        let e = Wanted::parse(Some(bad)).unwrap_err();
        assert!(e.contains("target ids"), "{bad}: {e}");
    }
    let many: Vec<String> = (1..=MAX_WATCHED_TARGETS as i64 + 1)
        .map(|i| i.to_string())
        .collect();
    assert!(Wanted::parse(Some(&many.join(",")))
        .unwrap_err()
        .contains("at most"));
    let enough: Vec<String> = (1..=MAX_WATCHED_TARGETS as i64).map(|i| i.to_string()).collect();
    assert!(Wanted::parse(Some(&enough.join(","))).is_ok());
}

#[test]
fn seq_passes_the_next_drops_replays_and_names_gaps() {
    let mut s = SeqTracker::default();
    assert_eq!(s.accept(1), Seq::Next);
    assert_eq!(s.accept(2), Seq::Next);
    // A reconnect replays from 1: everything up to 2 is dropped, 3 passes.
    assert_eq!(s.accept(1), Seq::Seen);
    assert_eq!(s.accept(2), Seq::Seen);
    assert_eq!(s.accept(3), Seq::Next);
    // The agent lost 4..=6 (it restarted): a gap, then on from 7.
    assert_eq!(s.accept(7), Seq::Gap { from: 4, to: 6 });
    assert_eq!(s.accept(8), Seq::Next);
    assert_eq!(s.last(), 8);
    // A fresh tracker that first sees 5 missed 1..=4.
    assert_eq!(SeqTracker::default().accept(5), Seq::Gap { from: 1, to: 4 });
}

#[test]
fn tails_keep_the_last_lines() {
    let mut t = Tail::default();
    for i in 0..(TAIL_LINES + 5) {
        t.push(&format!("line {i}"));
    }
    let lines = t.lines();
    assert_eq!(lines.len(), TAIL_LINES);
    assert_eq!(lines[0], "line 5");
    assert_eq!(lines.last().unwrap(), &format!("line {}", TAIL_LINES + 4));
    let agent: Vec<String> = (0..30).map(|i| format!("a{i}")).collect();
    t.replace(&agent);
    assert_eq!(t.lines().first().unwrap(), "a10");
    assert_eq!(t.lines().len(), TAIL_LINES);
}

#[test]
fn only_changed_rows_are_sent() {
    let mut known = HashMap::new();
    let first = changed(&mut known, vec![view(2, "queued"), view(1, "queued")]);
    assert_eq!(first.iter().map(|t| t.target_id).collect::<Vec<_>>(), vec![1, 2]);
    let again = changed(&mut known, vec![view(1, "queued"), view(2, "running")]);
    assert_eq!(again, vec![view(2, "running")]);
    assert!(changed(&mut known, vec![view(2, "running")]).is_empty());
    let mut failed = view(1, "failed");
    failed.error = "apt-get failed".into();
    assert_eq!(changed(&mut known, vec![failed.clone()]), vec![failed]);
}

#[test]
fn reconnects_back_off_to_thirty_seconds() {
    let secs: Vec<u64> = (0..8).map(|i| reconnect_delay(i).as_secs()).collect();
    assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30, 30]);
}

#[test]
fn messages_carry_their_type_and_the_agents_event_fields() {
    let at = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
    let m = Message::Job {
        target_id: 7,
        event: JobEvent {
            job_id: "01J".into(),
            seq: 3,
            at,
            event: JobEventKind::Output {
                line: "Setting up pmtest-lib".into(),
            },
        },
    };
    let v: serde_json::Value = serde_json::from_str(&m.text()).unwrap();
    assert_eq!(v["type"], "job");
    assert_eq!(v["target_id"], 7);
    assert_eq!(v["job_id"], "01J");
    assert_eq!(v["seq"], 3);
    assert_eq!(v["event"], "output");
    assert_eq!(v["line"], "Setting up pmtest-lib");
    let t: serde_json::Value = serde_json::from_str(&Message::Target(view(1, "running")).text()).unwrap();
    assert_eq!(
        (t["type"].as_str(), t["state"].as_str()),
        (Some("target"), Some("running"))
    );
    let s = Message::Snapshot {
        deployment: SummaryView {
            id: 1,
            status: "active".into(),
            total: 2,
            failed: 0,
            counts: BTreeMap::from([("queued".into(), 2)]),
        },
        targets: vec![view(1, "queued")],
        truncated: false,
        tails: BTreeMap::new(),
    };
    let s: serde_json::Value = serde_json::from_str(&s.text()).unwrap();
    assert_eq!(s["type"], "snapshot");
    assert_eq!(s["deployment"]["counts"]["queued"], 2);
}
