//! The dnf backend against real dnf and rpm in sandboxes (isolated installroots with local repositories):
//! listing and security data, every changing operation, restores, the index, the time limit, reboot
//! detection, the same through `yum`, and the host's own rpm/dnf state left untouched.
//! Shared helpers here; the tests in the submodules.

mod index;
mod read;
mod restore;
mod write;
mod yum;

use linux_patch_api::backend::dnf::{DnfBackend, DnfFlavor};
use linux_patch_api::backend::{
    CommandEnv, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits,
};
use linux_patch_tests::dnf::DnfSandbox;
use std::time::Duration;

pub const LIMITS: RunLimits = RunLimits {
    timeout: Duration::from_secs(120),
    lock_timeout: Duration::from_secs(60),
};

pub fn backend(sb: &DnfSandbox) -> DnfBackend {
    DnfBackend::new(
        CommandEnv {
            env: sb.env(),
            extra_args: sb.extra_args(),
        },
        DnfFlavor::Dnf,
    )
    .unwrap_or_else(|e| panic!("dnf backend on the sandbox: {e}"))
}

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
    pub fn has(&self, needle: &str) -> bool {
        self.lines.iter().any(|l| l.contains(needle))
    }

    /// Percentages went 0 → … → 100 without ever going down, with something in between.
    pub fn assert_progress(&self) {
        let pcts: Vec<u8> = self.percents.iter().map(|p| p.0).collect();
        assert!(
            pcts.windows(2).all(|w| w[0] <= w[1]),
            "monotonic: {:?}",
            self.percents
        );
        assert_eq!(pcts.first(), Some(&0), "{:?}", self.percents);
        assert_eq!(self.percents.last(), Some(&(100, "done".to_string())));
        assert!(pcts.iter().any(|p| (1..100).contains(p)), "{:?}", self.percents);
    }
}

pub fn spec(name: &str, version: Option<&str>) -> PackageSpec {
    PackageSpec {
        name: name.into(),
        version: version.map(str::to_string),
    }
}

pub fn exec(b: &DnfBackend, op: Operation) -> Recorder {
    let mut rec = Recorder::default();
    b.execute(&op, &LIMITS, &mut rec)
        .unwrap_or_else(|e| panic!("{op:?}: {e}\n{:#?}", rec.lines));
    rec
}

pub fn refused(b: &DnfBackend, op: Operation) -> String {
    match b.execute(&op, &LIMITS, &mut Recorder::default()) {
        Err(RunError::Failed {
            exit_code: None,
            message,
            fetch_error: false,
        }) => message,
        other => panic!("{op:?}: want a refusal, got {other:?}"),
    }
}

/// `name=version` of every package as the backend lists it, sorted; must equal `rpm -qa` in the sandbox.
pub fn state(sb: &DnfSandbox, b: &DnfBackend) -> Vec<String> {
    let mut ours: Vec<String> = b
        .installed()
        .unwrap()
        .iter()
        .map(|p| format!("{}={}", p.name, p.version))
        .collect();
    ours.sort();
    assert_eq!(ours, sb.rpm_qa(), "the backend's listing follows every change");
    ours
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// `BASE` with `changes` (`name=version` replacing the same name, `-name` removing it, new names added).
pub fn base_with(changes: &[&str]) -> Vec<String> {
    let mut v = s(&linux_patch_tests::dnf::BASE);
    for c in changes {
        let name = c.trim_start_matches('-').split('=').next().unwrap();
        v.retain(|x| x.split('=').next() != Some(name));
        if !c.starts_with('-') {
            v.push(c.to_string());
        }
    }
    v.sort();
    v
}
