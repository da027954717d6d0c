//! The simulated backend: determinism, plausible sizes, configuration; jobs in `tests/jobs.rs`.

mod jobs;

use super::*;
use chrono::TimeZone;
use linux_patch_shared::clock::ManualClock;
use std::collections::BTreeSet;

fn clock() -> SharedClock {
    Arc::new(ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
    ))
}

fn fast(host: &str) -> SimulatedBackend {
    SimulatedBackend::new(host, clock()).with_time_scale(0.0)
}

#[derive(Default)]
struct Recorder {
    lines: Vec<String>,
    percents: Vec<(u8, String)>,
}

impl Progress for Recorder {
    fn line(&mut self, line: &str) {
        self.lines.push(line.to_owned());
    }
    fn percent(&mut self, percent: u8, phase: &str) {
        self.percents.push((percent, phase.to_owned()));
    }
}

const LIMITS: RunLimits = RunLimits {
    timeout: Duration::from_secs(60),
    lock_timeout: Duration::from_secs(5),
};

fn run(b: &SimulatedBackend, op: Operation) -> (Result<(), RunError>, Recorder) {
    let mut rec = Recorder::default();
    let res = b.execute(&op, &LIMITS, &mut rec);
    (res, rec)
}

#[test]
fn the_same_name_gives_the_same_host_and_names_differ() {
    let a = fast("web-01");
    let b = SimulatedBackend::new("web-01", clock());
    assert_eq!(a.installed().unwrap(), b.installed().unwrap());
    assert_eq!(a.upgrades().unwrap(), b.upgrades().unwrap());
    assert_eq!(a.reboot_required(), b.reboot_required());
    assert_eq!(a.name(), "simulated");
    assert_eq!(a.host(), "web-01");
    let c = fast("web-02");
    assert_ne!(a.installed().unwrap(), c.installed().unwrap());
}

#[test]
fn hosts_have_about_1500_packages_and_3_to_40_updates_some_for_security_and_reboot() {
    let (mut total, mut with_security, mut reboot_pending, mut severities) = (0, 0, 0, BTreeSet::new());
    for n in 0..60 {
        let b = fast(&format!("host-{n:03}"));
        let pkgs = b.installed().unwrap();
        let installed = pkgs.iter().filter(|p| p.status == "installed").count();
        assert!(
            (1200..=1800).contains(&installed),
            "host-{n}: {installed} packages"
        );
        total += installed;
        let patches = b.upgrades().unwrap();
        assert!(
            (3..=48).contains(&patches.len()),
            "host-{n}: {} patches",
            patches.len()
        );
        let upgradable = pkgs.iter().filter(|p| p.upgradable == Some(true)).count();
        assert_eq!(upgradable, patches.len());
        for p in patches.iter() {
            assert_eq!(p.security_source, "origin");
            let pkg = pkgs.iter().find(|x| x.name == p.name).unwrap();
            assert_eq!(pkg.candidate_version.as_ref(), Some(&p.candidate_version));
            assert_eq!(Some(&pkg.version), p.installed_version.as_ref());
            if p.security {
                assert!(p.severity.is_some() && !p.cves.is_empty(), "{p:?}");
                assert!(p.repository.contains("-security"), "{}", p.repository);
                severities.insert(p.severity.clone().unwrap());
            } else {
                assert!(p.severity.is_none() && p.cves.is_empty(), "{p:?}");
            }
        }
        with_security += usize::from(patches.iter().any(|p| p.security));
        let named = |p: &&Patch| ["linux-image-amd64", "libc6", "systemd", "dbus"].contains(&p.name.as_str());
        reboot_pending += usize::from(patches.iter().any(|p| named(&p)));
        // The reboot hint comes from the catalogue and agrees with the apt family's rules.
        for p in patches.iter() {
            let apt_rules = crate::backend::reboot_hint::expects_reboot(
                crate::backend::reboot_hint::Family::Apt,
                &p.name,
            );
            assert_eq!(p.requires_reboot, apt_rules, "{}", p.name);
            if named(&p) {
                assert!(p.requires_reboot, "{}", p.name);
            }
        }
    }
    let mean = total / 60;
    assert!((1400..=1600).contains(&mean), "mean {mean} packages");
    assert!(
        with_security > 40,
        "{with_security} of 60 hosts have security updates"
    );
    assert!(
        reboot_pending > 10,
        "{reboot_pending} of 60 hosts have a reboot-needing update"
    );
    assert_eq!(severities.len(), 4, "{severities:?}");
}

#[test]
fn refresh_fails_only_on_an_unhealthy_host() {
    assert_eq!(fast("ok-1").refresh_index(Duration::from_secs(5)), Ok(()));
    let err = fast("bad-1")
        .with_unhealthy(true)
        .refresh_index(Duration::from_secs(5))
        .unwrap_err();
    assert!(err.to_string().contains("unhealthy"), "{err}");
    let slow = SimulatedBackend::new("t", clock());
    assert!(slow.refresh_index(Duration::ZERO).is_err());
}

#[test]
fn from_env_reads_host_scale_and_health() {
    let mut env = CommandEnv::default();
    env.env.insert(ENV_HOST.into(), "named-host".into());
    env.env.insert(ENV_TIME_SCALE.into(), "0".into());
    env.env.insert(ENV_UNHEALTHY.into(), "true".into());
    let b = SimulatedBackend::from_env(&env, clock()).unwrap();
    assert_eq!(b.host(), "named-host");
    assert_eq!(b.time_scale_per_mille, 0);
    assert!(b.unhealthy);
    assert_eq!(b.installed().unwrap(), fast("named-host").installed().unwrap());
    env.env.insert(ENV_TIME_SCALE.into(), "fast".into());
    assert!(SimulatedBackend::from_env(&env, clock())
        .unwrap_err()
        .contains(ENV_TIME_SCALE));
    let b = SimulatedBackend::from_env(&CommandEnv::default(), clock()).unwrap();
    assert!(!b.host().is_empty());
}

#[test]
fn a_host_costs_a_few_kib() {
    let b = fast("tiny");
    let per_host = std::mem::size_of::<SimulatedBackend>() + b.state().states.len() + b.host().len();
    assert!(per_host < 4096, "{per_host} bytes");
}
