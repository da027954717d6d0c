//! Unit tests of the state decisions.

use super::*;
use crate::config::file::PollerSection;
use linux_patch_shared::api::agent::{OsInfo, RebootRequired};

fn now() -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse().unwrap()
}

fn policy() -> Policy {
    Policy::of(&PollerSection::default())
}

fn health(status: HealthStatus, cache: CacheStatus) -> Health {
    Health {
        status,
        version: "0.1.0".into(),
        uptime_seconds: 5,
        backend: "apt".into(),
        last_cache_update: None,
        cache_status: cache,
        problems: vec![],
        remote_syslog: None,
    }
}

#[test]
fn success_is_healthy_and_resets_failures() {
    let h = health(HealthStatus::Healthy, CacheStatus::Fresh);
    let u = health_update(&policy(), now(), 7, 2, Ok(&h), 12);
    assert_eq!((u.state, u.failures, u.retry_at), (HostState::Healthy, 0, None));
    assert_eq!(
        (u.reason.as_str(), u.answered, u.latency_ms),
        ("", true, Some(12))
    );
    assert_eq!(u.agent_version.as_deref(), Some("0.1.0"));
}

#[test]
fn agent_degraded_keeps_its_reason() {
    let h = health(HealthStatus::Degraded, CacheStatus::Failed);
    let u = health_update(&policy(), now(), 7, 0, Ok(&h), 3);
    assert_eq!(u.state, HostState::Degraded);
    assert_eq!(
        u.reason,
        "agent reports degraded: the last package-index refresh failed"
    );
    assert_eq!(u.failures, 0);
    let h = Health {
        problems: vec!["the package backend is not usable: `apt-get` is not installed".into()],
        ..health(HealthStatus::Degraded, CacheStatus::Fresh)
    };
    let u = health_update(&policy(), now(), 7, 0, Ok(&h), 3);
    assert_eq!(
        u.reason,
        "agent reports degraded: the package backend is not usable: `apt-get` is not installed"
    );
}

#[test]
fn failures_go_yellow_then_red_with_backoff() {
    let p = policy();
    let e = AgentError("connection refused".into());
    let u1 = health_update(&p, now(), 1, 0, Err(&e), 0);
    assert_eq!((u1.state, u1.failures), (HostState::Degraded, 1));
    assert_eq!(u1.reason, "retry 1/3: connection refused");
    assert_eq!(u1.retry_at, Some(now() + chrono::Duration::seconds(60)));
    assert!(!u1.answered && u1.latency_ms.is_none());
    let u2 = health_update(&p, now(), 1, 1, Err(&e), 0);
    assert_eq!(
        (u2.state, u2.reason.as_str()),
        (HostState::Degraded, "retry 2/3: connection refused")
    );
    assert_eq!(u2.retry_at, Some(now() + chrono::Duration::seconds(120)));
    let u3 = health_update(&p, now(), 1, 2, Err(&e), 0);
    assert_eq!((u3.state, u3.failures), (HostState::Unreachable, 3));
    assert_eq!(u3.reason, "connection refused (3 attempts)");
    let u9 = health_update(&p, now(), 1, 8, Err(&e), 0);
    assert_eq!(u9.reason, "connection refused (9 attempts)");
    assert_eq!(u9.retry_at, Some(now() + chrono::Duration::seconds(1800)));
}

fn info() -> SystemInfo {
    SystemInfo {
        hostname: "h".into(),
        fqdn: "h.lan".into(),
        os: OsInfo {
            id: Some("debian".into()),
            name: Some("Debian GNU/Linux".into()),
            version_id: Some("12".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            ..OsInfo::default()
        },
        kernel: "6.1.0-18-amd64".into(),
        arch: "x86_64".into(),
        machine_id: None,
        uptime_secs: 1,
        last_update: None,
        reboot_required: RebootRequired {
            state: TriState::Yes,
            reason: "/var/run/reboot-required exists".into(),
            packages: vec![],
        },
        backend: "apt".into(),
    }
}

fn patch(name: &str, security: bool) -> Patch {
    Patch {
        name: name.into(),
        architecture: "amd64".into(),
        installed_version: Some("1.0".into()),
        candidate_version: "1.1".into(),
        repository: "r".into(),
        origins: vec![],
        security,
        severity: security.then(|| "important".into()),
        cves: if security {
            vec!["CVE-2026-0001".into()]
        } else {
            vec![]
        },
        security_source: "origin".into(),
        requires_reboot: false,
    }
}

#[test]
fn patch_data_is_counted_cleaned_and_deduplicated() {
    let mut bad = patch("evil\0name", false);
    bad.repository = "x".repeat(5000);
    let list = vec![patch("a", true), patch("b", false), patch("a", true), bad];
    let u = patch_update(now(), 3, &info(), &list);
    assert_eq!((u.total(), u.security()), (3, 1));
    assert_eq!(u.os, "Debian GNU/Linux 12 (bookworm)");
    assert_eq!((u.reboot_required, u.machine_id.as_str()), ("yes", ""));
    assert_eq!(u.patches[2].name, "evilname");
    assert_eq!(u.patches[2].repository.len(), MAX_TEXT);
    let mut i = info();
    i.os.pretty_name = None;
    assert_eq!(os_name(&i), "Debian GNU/Linux 12");
}

#[test]
fn patch_failures_are_yellow_and_wait() {
    let f = patch_failure(&policy(), now(), 4, &AgentError("timed out after 10 s".into()));
    assert_eq!(f.reason, "patch data: timed out after 10 s");
    assert_eq!(f.retry_at, now() + chrono::Duration::seconds(60));
}
