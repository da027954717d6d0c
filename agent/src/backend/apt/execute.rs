//! The changing operations: the apt-get argument vector of each [`Operation`], and running it with
//! streamed output, progress, the time limit and the repair of the dpkg database after an interruption.

use super::names::validate_name;
use super::progress::{failure_message, is_fetch_error, Tracker};
use super::repair::{needs_repair, DpkgCommand};
use super::runner::{self, Ended};
use super::version::{compare_versions, validate_version};
use super::AptBackend;
use crate::backend::{BackendError, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits};
use linux_patch_shared::api::agent::{Package, Patch};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Bounds of the time `dpkg --configure -a` gets after an interrupted run (the operation's own limit,
/// within these): enough for a real repair, short when the script that hung hangs again.
const REPAIR_MIN: Duration = Duration::from_secs(10);
const REPAIR_MAX: Duration = Duration::from_secs(300);

/// Prefix of the lines the agent itself adds to an operation's output.
const OWN: &str = "linux-patch-api:";

/// What an operation comes down to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// Run apt-get with the common options and these arguments (subcommand, flags, `--`, operands).
    Run(Vec<String>),
    /// Nothing to do; the line says why.
    Nothing(String),
}

/// Options of every changing apt-get run, after the configured extra arguments (so ours win): assume
/// yes, quiet, no pty (a pty would put dpkg in its own session, out of reach of the group kill), wait
/// `lock_timeout` for the dpkg lock, keep existing configuration files.
pub fn common_args(extra: &[String], lock_timeout: Duration) -> Vec<String> {
    let mut a = extra.to_vec();
    a.extend(
        [
            "-y",
            "-q",
            "-o",
            "Dpkg::Use-Pty=false",
            "-o",
            &format!("DPkg::Lock::Timeout={}", lock_timeout.as_secs()),
            "-o",
            "Dpkg::Options::=--force-confdef",
            "-o",
            "Dpkg::Options::=--force-confold",
        ]
        .map(String::from),
    );
    a
}

/// The environment added to `cmd_env` for changing runs: no questions, keep configuration files
/// managed by ucf too, no apt-listchanges pager.
pub fn run_env(base: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut e = base.clone();
    for (k, v) in [
        ("DEBIAN_FRONTEND", "noninteractive"),
        ("APT_LISTCHANGES_FRONTEND", "none"),
        ("UCF_FORCE_CONFFOLD", "1"),
    ] {
        e.insert(k.to_string(), v.to_string());
    }
    e
}

fn refused(message: String) -> RunError {
    RunError::Failed {
        exit_code: None,
        message,
        fetch_error: false,
    }
}

/// `name` or `name=version`, validated. An unpinned name ending in `-` is refused: apt reads the
/// trailing `-` as "remove".
pub fn install_arg(spec: &PackageSpec) -> Result<String, String> {
    validate_name(&spec.name).map_err(|e| format!("{:?}: {e}", spec.name))?;
    match &spec.version {
        Some(v) => {
            validate_version(v).map_err(|e| format!("{}: {e}", spec.name))?;
            Ok(format!("{}={v}", spec.name))
        }
        None if spec.name.ends_with('-') => Err(format!(
            "{}: apt reads a trailing '-' as 'remove'; give a version to install it",
            spec.name
        )),
        None => Ok(spec.name.clone()),
    }
}

/// `name` to remove, validated. A name ending in `+` or `-` must be installed: apt then takes it as the
/// package's name, otherwise it would read the suffix as an action on another package.
fn remove_arg(name: &str, installed: &[Package]) -> Result<String, String> {
    validate_name(name).map_err(|e| format!("{name:?}: {e}"))?;
    if name.ends_with(['+', '-']) && installed_versions(installed, name).is_empty() {
        return Err(format!(
            "{name}: not installed, and apt would read the trailing '{}' as an action",
            &name[name.len() - 1..]
        ));
    }
    Ok(name.to_string())
}

/// Versions of `name[:arch]` in the database (several for a multi-arch package), configuration-only
/// remains excluded.
fn installed_versions<'a>(installed: &'a [Package], name: &str) -> Vec<&'a str> {
    let (n, arch) = match name.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (name, None),
    };
    installed
        .iter()
        .filter(|p| p.name == n && arch.is_none_or(|a| p.architecture == a) && p.status != "config-files")
        .map(|p| p.version.as_str())
        .collect()
}

/// `name=version` of a pending security update (`name:arch=version` unless the package is `all`).
fn patch_arg(p: &Patch) -> Result<String, String> {
    let name = if p.architecture.is_empty() || p.architecture == "all" {
        p.name.clone()
    } else {
        format!("{}:{}", p.name, p.architecture)
    };
    install_arg(&PackageSpec {
        name,
        version: Some(p.candidate_version.clone()),
    })
}

/// The apt-get arguments of `op` (after [`common_args`]). `installed` is the dpkg database; `upgrades`
/// is asked only for a security-only upgrade. Names and versions are validated here again; a refusal
/// (bad name, downgrade without `allow_downgrade`, updating what is not installed) is
/// [`RunError::Failed`] with no exit code.
pub fn plan(
    op: &Operation,
    installed: &[Package],
    upgrades: &dyn Fn() -> Result<Arc<Vec<Patch>>, BackendError>,
) -> Result<Prepared, RunError> {
    let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let with = |mut head: Vec<String>, tail: Vec<String>| {
        head.push("--".to_string());
        head.extend(tail);
        Prepared::Run(head)
    };
    Ok(match op {
        Operation::Install { packages } if packages.is_empty() => {
            Prepared::Nothing("nothing to install".into())
        }
        Operation::Install { packages } => {
            let args = packages
                .iter()
                .map(install_arg)
                .collect::<Result<_, _>>()
                .map_err(refused)?;
            with(strs(&["install"]), args)
        }
        Operation::Update {
            package,
            allow_downgrade,
        } => {
            let arg = install_arg(package).map_err(refused)?;
            let have = installed_versions(installed, &package.name);
            if have.is_empty() {
                return Err(refused(format!(
                    "{} is not installed; install it instead",
                    package.name
                )));
            }
            if let (Some(want), false) = (&package.version, allow_downgrade) {
                if let Some(v) = have.iter().find(|v| compare_versions(want, v) == Ordering::Less) {
                    return Err(refused(format!(
                        "{} {want} would downgrade the installed {v}; set allow_downgrade to do that",
                        package.name
                    )));
                }
            }
            let mut head = strs(&["install", "--only-upgrade"]);
            if *allow_downgrade {
                head.push("--allow-downgrades".into());
            }
            with(head, vec![arg])
        }
        Operation::Remove { name, purge } => {
            let arg = remove_arg(name, installed).map_err(refused)?;
            with(strs(&[if *purge { "purge" } else { "remove" }]), vec![arg])
        }
        Operation::Upgrade {
            packages,
            security_only: false,
        } if packages.is_empty() => Prepared::Run(strs(&["dist-upgrade"])),
        Operation::Upgrade {
            packages,
            security_only: false,
        } => {
            let args = packages
                .iter()
                .map(|n| {
                    install_arg(&PackageSpec {
                        name: n.clone(),
                        version: None,
                    })
                })
                .collect::<Result<_, _>>()
                .map_err(refused)?;
            with(strs(&["install", "--only-upgrade"]), args)
        }
        Operation::Upgrade {
            packages,
            security_only: true,
        } => {
            let pending = upgrades().map_err(RunError::Backend)?;
            let wanted = |p: &Patch| {
                packages.is_empty()
                    || packages
                        .iter()
                        .any(|n| *n == p.name || *n == format!("{}:{}", p.name, p.architecture))
            };
            let args: Vec<String> = pending
                .iter()
                .filter(|p| p.security && wanted(p))
                .map(patch_arg)
                .collect::<Result<_, _>>()
                .map_err(refused)?;
            if args.is_empty() {
                Prepared::Nothing("no security updates pending".into())
            } else {
                with(strs(&["install", "--only-upgrade"]), args)
            }
        }
        Operation::Restore { install, remove, .. } if install.is_empty() && remove.is_empty() => {
            Prepared::Nothing("nothing to restore".into())
        }
        Operation::Restore {
            install,
            remove,
            purge,
        } => {
            let mut args: Vec<String> = install
                .iter()
                .map(install_arg)
                .collect::<Result<_, _>>()
                .map_err(refused)?;
            for name in remove {
                // `name-` on an install command line removes it in the same transaction.
                args.push(format!("{}-", remove_arg(name, installed).map_err(refused)?));
            }
            let head: &[&str] = if *purge && !remove.is_empty() {
                &["install", "--allow-downgrades", "--purge"]
            } else {
                &["install", "--allow-downgrades"]
            };
            with(strs(head), args)
        }
    })
}

impl AptBackend {
    /// [`crate::backend::PackageBackend::execute`] for apt: one changing run at a time in this process,
    /// preceded by a repair when an earlier run was interrupted.
    pub(super) fn run_operation(
        &self,
        op: &Operation,
        limits: &RunLimits,
        progress: &mut dyn Progress,
    ) -> Result<(), RunError> {
        let Some(_entered) = self.gate.enter(limits.lock_timeout) else {
            return Err(refused(format!(
                "another package operation of this agent was still running after {} s (lock timeout)",
                limits.lock_timeout.as_secs()
            )));
        };
        progress.percent(0, "starting");
        let (_, packages) = self.raw_packages().map_err(RunError::Backend)?;
        let packages = match needs_repair(self.dpkg.journal_pending(), &packages) {
            Some(why) => {
                progress.line(&format!(
                    "{OWN} the dpkg database was left unfinished ({why}); running dpkg --configure -a first"
                ));
                self.repair(limits, progress);
                self.raw_packages().map_err(RunError::Backend)?.1
            }
            None => packages,
        };
        let args = match plan(op, &packages, &|| self.upgrades()) {
            Ok(Prepared::Run(args)) => args,
            Ok(Prepared::Nothing(why)) => {
                progress.line(&format!("{OWN} {why}"));
                progress.percent(100, "done");
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let mut full = common_args(&self.env.extra_args, limits.lock_timeout);
        full.extend(args);
        let mut tracker = Tracker::default();
        let mut lines: Vec<String> = Vec::new();
        let ended = runner::run(
            "apt-get",
            &full,
            &run_env(&self.env.env),
            limits.timeout,
            &mut |_, line| {
                progress.line(line);
                if let Some((pct, phase)) = tracker.observe(line) {
                    progress.percent(pct, &phase);
                }
                lines.push(line.to_string());
            },
        )
        .map_err(RunError::Backend)?;
        match ended {
            Ended::Exited(status) if status.success() => {
                let (pct, phase) = tracker.finish();
                progress.percent(pct, phase);
                Ok(())
            }
            Ended::Exited(status) => Err(RunError::Failed {
                exit_code: status.code(),
                message: failure_message(&lines),
                fetch_error: is_fetch_error(&lines),
            }),
            Ended::TimedOut { output_closed } => {
                let secs = limits.timeout.as_secs();
                log::warn!(
                    "apt-get {} killed after {secs} s; repairing the dpkg database",
                    op_kind(op)
                );
                progress.line(&format!(
                    "{OWN} apt-get was killed after {secs} s (time limit); running dpkg --configure -a"
                ));
                if !output_closed {
                    log::warn!("processes started by apt-get left its process group and survived the kill");
                    progress.line(&format!(
                        "{OWN} some processes apt-get started left its process group and are still running"
                    ));
                }
                self.repair(limits, progress);
                Err(RunError::TimedOut)
            }
        }
    }

    /// Runs `dpkg --configure -a` (the dpkg binary and options apt uses) in its own process group,
    /// killed after the operation's limit clamped to 10 s..5 min; reports the outcome as an output line.
    fn repair(&self, limits: &RunLimits, progress: &mut dyn Progress) {
        let outcome = DpkgCommand::discover(&self.env).and_then(|cmd| {
            runner::run(
                &cmd.program,
                &cmd.configure_pending_args(),
                &run_env(&self.env.env),
                limits.timeout.clamp(REPAIR_MIN, REPAIR_MAX),
                &mut |_, line| progress.line(line),
            )
        });
        let line = match outcome {
            Ok(Ended::Exited(s)) if s.success() => {
                "dpkg --configure -a finished; the dpkg database is consistent".into()
            }
            Ok(Ended::Exited(s)) => format!("dpkg --configure -a failed ({s}); the database needs attention"),
            Ok(Ended::TimedOut { .. }) => "dpkg --configure -a did not finish in time and was killed; \
                                    the database needs attention"
                .into(),
            Err(e) => format!("cannot run dpkg --configure -a: {e}"),
        };
        if !line.starts_with("dpkg --configure -a finished") {
            log::warn!("{line}");
        }
        progress.line(&format!("{OWN} {line}"));
    }
}

fn op_kind(op: &Operation) -> &'static str {
    match op {
        Operation::Install { .. } => "install",
        Operation::Update { .. } => "update",
        Operation::Remove { .. } => "remove",
        Operation::Upgrade { .. } => "upgrade",
        Operation::Restore { .. } => "restore",
    }
}

#[cfg(test)]
mod tests;
