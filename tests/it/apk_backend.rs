//! The apk backend against a FAKE apk (no apk-tools exists for this machine): the fake answers in the
//! exact format recorded from apk-tools 2.14.10 and 3.0.6 (tests/fixtures/apk/SAMPLES.md; `fidelity`
//! proves it by replaying the recordings), keeps its state in the root, and logs every argument vector,
//! so these tests check parsing, the exact command lines and the state changes. Shared helpers here.

mod failures;
mod fidelity;
mod index;
mod operations;
mod read;

use linux_patch_api::backend::apk::ApkBackend;
use linux_patch_api::backend::{
    CommandEnv, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits,
};
use linux_patch_tests::apk::FakeApk;
use std::time::Duration;

/// The host's apk files: they must never appear or change (the fake refuses to work without a root).
const HOST_APK: [&str; 3] = ["/lib/apk/db/installed", "/etc/apk/world", "/etc/apk/repositories"];

/// What the host has at [`HOST_APK`] (missing files included).
pub fn host_apk() -> Vec<Option<Vec<u8>>> {
    HOST_APK.iter().map(|p| std::fs::read(p).ok()).collect()
}

pub fn backend(f: &FakeApk) -> ApkBackend {
    backend_with(f, &[])
}

/// A backend on `f` with extra `backend.env` entries.
pub fn backend_with(f: &FakeApk, env: &[(&str, &str)]) -> ApkBackend {
    let mut cmd_env: CommandEnv = f.cmd_env();
    for (k, v) in env {
        cmd_env.env.insert(k.to_string(), v.to_string());
    }
    ApkBackend::new(cmd_env).unwrap_or_else(|e| panic!("apk backend on the fake: {e}"))
}

pub const LIMITS: RunLimits = RunLimits {
    timeout: Duration::from_secs(60),
    lock_timeout: Duration::from_secs(30),
};

/// Everything an operation reported.
#[derive(Default, Debug)]
pub struct Recorder {
    pub lines: Vec<String>,
    pub percents: Vec<(u8, String)>,
}

impl Progress for Recorder {
    fn line(&mut self, line: &str) {
        self.lines.push(line.to_string());
    }
    fn percent(&mut self, percent: u8, phase: &str) {
        self.percents.push((percent, phase.to_string()));
    }
}

impl Recorder {
    pub fn has(&self, line: &str) -> bool {
        self.lines.iter().any(|l| l == line)
    }
    /// Percentages are monotonic, start at 0 and end at 100 "done".
    pub fn assert_progress(&self) {
        let p: Vec<u8> = self.percents.iter().map(|p| p.0).collect();
        assert!(
            p.windows(2).all(|w| w[0] <= w[1]),
            "monotonic: {:?}",
            self.percents
        );
        assert_eq!(p.first(), Some(&0), "{:?}", self.percents);
        assert_eq!(self.percents.last(), Some(&(100, "done".to_string())));
    }
}

pub fn spec(name: &str, version: Option<&str>) -> PackageSpec {
    PackageSpec {
        name: name.into(),
        version: version.map(str::to_string),
    }
}

pub fn exec(b: &ApkBackend, op: Operation) -> Recorder {
    let mut rec = Recorder::default();
    b.execute(&op, &LIMITS, &mut rec)
        .unwrap_or_else(|e| panic!("{op:?}: {e}\n{:#?}", rec.lines));
    rec
}

pub fn exec_err(b: &ApkBackend, op: Operation) -> (RunError, Recorder) {
    let mut rec = Recorder::default();
    match b.execute(&op, &LIMITS, &mut rec) {
        Err(e) => (e, rec),
        Ok(()) => panic!("{op:?} must fail\n{:#?}", rec.lines),
    }
}

/// `--root $ROOT --allow-untrusted` + `args`: a read-only command line as the fake logs it.
pub fn read_argv(args: &[&str]) -> Vec<String> {
    let mut v = s(&["--root", "$ROOT", "--allow-untrusted"]);
    v.extend(s(args));
    v
}

/// A changing command line as the fake logs it (global options, then `args`), with the lock wait of
/// [`LIMITS`].
pub fn change_argv(args: &[&str]) -> Vec<String> {
    let mut v = read_argv(&["--no-interactive", "--wait", "30"]);
    v.extend(s(args));
    v
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}
