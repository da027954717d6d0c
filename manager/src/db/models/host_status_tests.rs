//! Unit tests of the batch building (columns aligned, one entry per host, placeholders match binds).

use super::*;
use crate::db::models::poll_rows::{HostState, PatchRow};

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap()
}

fn hu(id: i64, at: i64, state: HostState) -> HealthUpdate {
    HealthUpdate {
        host_id: id,
        checked_at: t(at),
        state,
        reason: format!("r{id}-{at}"),
        failures: i32::from(state != HostState::Healthy),
        retry_at: (state != HostState::Healthy).then(|| t(at + 60)),
        answered: state == HostState::Healthy,
        agent_version: (state == HostState::Healthy).then(|| "1.0".into()),
        backend: None,
        latency_ms: Some(1),
    }
}

/// Highest `$n` in a statement.
fn placeholders(sql: &str) -> usize {
    (1..=20)
        .filter(|n| sql.contains(&format!("${n}:")))
        .max()
        .unwrap_or(0)
}

#[test]
fn health_columns_are_aligned_and_last_wins() {
    let c = HealthColumns::of(&[
        hu(1, 0, HostState::Degraded),
        hu(2, 0, HostState::Healthy),
        hu(1, 5, HostState::Healthy),
    ]);
    assert_eq!(c.ids, [1, 2]);
    assert_eq!(c.states, ["healthy", "healthy"]);
    assert_eq!(c.reasons, ["r1-5", "r2-0"]);
    assert_eq!(c.checked_at, [t(5), t(0)]);
    let n = c.ids.len();
    for len in [
        c.states.len(),
        c.reasons.len(),
        c.failures.len(),
        c.retry_at.len(),
        c.checked_at.len(),
        c.answered.len(),
        c.versions.len(),
        c.backends.len(),
    ] {
        assert_eq!(len, n);
    }
    assert_eq!(placeholders(HEALTH_SQL), 9, "nine arrays bound");
}

#[test]
fn patch_columns_count_pending_updates() {
    let row = |name: &str, security: bool| PatchRow {
        name: name.into(),
        architecture: "amd64".into(),
        installed_version: None,
        candidate_version: "2".into(),
        repository: String::new(),
        security,
        severity: None,
        cves: vec![],
        security_source: "origin".into(),
    };
    let u = PatchUpdate {
        host_id: 9,
        checked_at: t(0),
        kernel: "k".into(),
        os: "Debian".into(),
        machine_id: String::new(),
        backend: "apt".into(),
        reboot_required: "no",
        reboot_reason: "no flag file".into(),
        patches: vec![row("a", true), row("b", false), row("c", true)],
    };
    let c = PatchColumns::of(&[u.clone(), u]);
    assert_eq!(
        (c.ids.as_slice(), c.totals.as_slice(), c.security.as_slice()),
        (&[9][..], &[3][..], &[2][..])
    );
    assert_eq!(c.reboot, ["no"]);
    assert_eq!(placeholders(PATCH_SQL), 10);
    assert_eq!(placeholders(PATCH_FAILED_SQL), 3);
}
