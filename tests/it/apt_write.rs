//! The apt backend's changing side against real apt-get and dpkg in sandboxes: every operation, progress,
//! refusals, index refresh, fetch failures, the time limit with its repair, and the host left untouched.
//! Shared helpers here; the tests in `operations`, `index` and `interrupted`.

mod index;
mod interrupted;
mod operations;

use linux_patch_api::backend::apt::AptBackend;
use linux_patch_api::backend::{
    CommandEnv, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits,
};
use linux_patch_tests::apt::{dpkg_query, AptSandbox};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const HOST_STATUS: &str = "/var/lib/dpkg/status";

pub fn host_status() -> Vec<u8> {
    std::fs::read(HOST_STATUS).unwrap_or_else(|e| panic!("read {HOST_STATUS}: {e}"))
}

pub fn backend(sb: &AptSandbox) -> AptBackend {
    AptBackend::new(CommandEnv {
        env: sb.env(),
        extra_args: Vec::new(),
    })
    .unwrap_or_else(|e| panic!("apt backend on the sandbox: {e}"))
}

pub const LIMITS: RunLimits = RunLimits {
    timeout: Duration::from_secs(120),
    lock_timeout: Duration::from_secs(60),
};

/// Everything an operation reported, with the time each line arrived; optionally signals one line.
#[derive(Default)]
pub struct Recorder {
    pub lines: Vec<(Instant, String)>,
    pub percents: Vec<(u8, String)>,
    pub signal: Option<(String, mpsc::Sender<()>)>,
}

impl Progress for Recorder {
    fn line(&mut self, line: &str) {
        if let Some((want, tx)) = &self.signal {
            if line.starts_with(want.as_str()) {
                let _ = tx.send(());
            }
        }
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
    pub fn at(&self, prefix: &str) -> Instant {
        self.lines
            .iter()
            .find(|(_, l)| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in {:#?}", self.lines))
            .0
    }
}

pub fn spec(name: &str, version: Option<&str>) -> PackageSpec {
    PackageSpec {
        name: name.into(),
        version: version.map(str::to_string),
    }
}

pub fn exec(b: &AptBackend, op: Operation) -> Recorder {
    let mut rec = Recorder::default();
    b.execute(&op, &LIMITS, &mut rec)
        .unwrap_or_else(|e| panic!("{op:?}: {e}\n{:#?}", rec.lines));
    rec
}

pub fn refused(b: &AptBackend, op: Operation) -> String {
    match b.execute(&op, &LIMITS, &mut Recorder::default()) {
        Err(RunError::Failed {
            exit_code: None,
            message,
            fetch_error: false,
        }) => message,
        other => panic!("{op:?}: want a refusal, got {other:?}"),
    }
}

/// `name=version` of every installed package in the sandbox (configuration-only remains left out), sorted,
/// from dpkg-query; the backend's cached listing must say the same.
pub fn state(sb: &AptSandbox, b: &AptBackend) -> Vec<String> {
    let mut dpkg: Vec<String> = dpkg_query(
        Some(&sb.admindir()),
        "${db:Status-Status} ${Package}=${Version}\n",
    )
    .into_iter()
    .filter_map(|l| l.split_once(' ').map(|(st, nv)| (st.to_string(), nv.to_string())))
    .filter(|(st, _)| st != "config-files" && st != "not-installed")
    .map(|(_, nv)| nv)
    .collect();
    dpkg.sort();
    let mut ours: Vec<String> = b
        .installed()
        .unwrap()
        .iter()
        .filter(|p| p.status != "config-files")
        .map(|p| format!("{}={}", p.name, p.version))
        .collect();
    ours.sort();
    assert_eq!(ours, dpkg, "the backend's cached listing follows every change");
    dpkg
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

pub const BASE: [&str; 3] = ["pmtest-app=1.0", "pmtest-hello=1.0", "pmtest-lib=1.0"];
