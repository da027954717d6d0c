//! The pacman backend against the real pacman in isolated roots with local repositories built at test time:
//! listing, upgrades, security data (fake arch-audit), reboot-required, every changing operation, the index,
//! and the time limit; the machine's own pacman state is checked unchanged. Shared helpers here; the tests
//! in `read`, `vercmp`, `operations`, `index` and `interrupted`.

mod index;
mod interrupted;
mod operations;
mod read;
mod vercmp;

use linux_patch_api::backend::pacman::PacmanBackend;
use linux_patch_api::backend::{Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits};
use linux_patch_tests::pacman::{host_pacman_fingerprint, PacmanSandbox, BASE};
use std::time::{Duration, Instant};

pub fn backend(sb: &PacmanSandbox) -> PacmanBackend {
    PacmanBackend::new(sb.command_env()).unwrap_or_else(|e| panic!("pacman backend on the sandbox: {e}"))
}

pub const LIMITS: RunLimits = RunLimits {
    timeout: Duration::from_secs(120),
    lock_timeout: Duration::from_secs(60),
};

/// Everything an operation reported, with the time each line arrived.
#[derive(Default)]
pub struct Recorder {
    pub lines: Vec<(Instant, String)>,
    pub percents: Vec<(u8, String)>,
}

impl Progress for Recorder {
    fn line(&mut self, line: &str) {
        self.lines.push((Instant::now(), line.to_string()));
    }
    fn percent(&mut self, percent: u8, phase: &str) {
        self.percents.push((percent, phase.to_string()));
    }
}

impl Recorder {
    pub fn has(&self, prefix: &str) -> bool {
        self.lines.iter().any(|(_, l)| l.starts_with(prefix))
    }

    /// The percentages never go down, start at 0 and end at 100 "done".
    pub fn assert_monotonic_to_done(&self) {
        let pcts: Vec<u8> = self.percents.iter().map(|p| p.0).collect();
        assert!(pcts.windows(2).all(|w| w[0] <= w[1]), "monotonic: {pcts:?}");
        assert_eq!(pcts.first(), Some(&0), "{pcts:?}");
        assert_eq!(self.percents.last(), Some(&(100, "done".to_string())));
    }
}

pub fn spec(name: &str, version: Option<&str>) -> PackageSpec {
    PackageSpec {
        name: name.into(),
        version: version.map(str::to_string),
    }
}

pub fn exec(b: &PacmanBackend, op: Operation) -> Recorder {
    let mut rec = Recorder::default();
    b.execute(&op, &LIMITS, &mut rec)
        .unwrap_or_else(|e| panic!("{op:?}: {e}\n{:#?}", rec.lines));
    rec
}

/// The refusal message of an operation the backend turns down before running pacman.
pub fn refused(b: &PacmanBackend, op: Operation) -> String {
    match b.execute(&op, &LIMITS, &mut Recorder::default()) {
        Err(RunError::Failed {
            exit_code: None,
            message,
            fetch_error: false,
        }) => message,
        other => panic!("{op:?}: want a refusal, got {other:?}"),
    }
}

/// `name=version` of every installed package from `pacman -Q`; the backend's cached listing must agree.
pub fn state(sb: &PacmanSandbox, b: &PacmanBackend) -> Vec<String> {
    let real = sb.state();
    let mut ours: Vec<String> = b
        .installed()
        .unwrap()
        .iter()
        .map(|p| format!("{}={}", p.name, p.version))
        .collect();
    ours.sort();
    assert_eq!(ours, real, "the backend's cached listing follows every change");
    real
}

pub fn base() -> Vec<String> {
    BASE.iter().map(|(n, v)| format!("{n}={v}")).collect()
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// Runs `f` and asserts the machine's own pacman state is the same afterwards.
pub fn host_unchanged<T>(f: impl FnOnce() -> T) -> T {
    let before = host_pacman_fingerprint();
    let r = f();
    assert_eq!(
        host_pacman_fingerprint(),
        before,
        "the host's pacman state must not change"
    );
    r
}
