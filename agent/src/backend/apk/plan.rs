//! The apk command vectors of each [`Operation`]: which `apk add`, `apk del` or `apk upgrade` runs, in
//! which order. Names and versions are validated here and always follow `--`.
//!
//! `apk add name=version` also pins the version in the world file, and a pinned package is left alone
//! by `apk upgrade` (SAMPLES.md blocks 7-10). Every pinned add is therefore followed by `apk add name`
//! (no version, no `-u`), which unpins without changing the installed version (block 10).

use super::names::validate_name;
use super::version::{compare_versions, validate_version};
use crate::backend::{BackendError, Operation, PackageSpec, RunError};
use linux_patch_shared::api::agent::Package;
use std::cmp::Ordering;

/// One apk run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Arguments after the global ones: applet, its flags, `--`, operands.
    pub args: Vec<String>,
    /// For `apk del`: the packages that must be gone afterwards (apk exits 0 when it keeps one that
    /// another package still needs).
    pub removes: Vec<String>,
}

/// What an operation comes down to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// Run these apk commands in order, stopping at the first failure.
    Run(Vec<Step>),
    /// Nothing to do; the line says why.
    Nothing(String),
}

/// A refusal before anything runs: [`RunError::Failed`] without an exit code.
pub fn refused(message: String) -> RunError {
    RunError::Failed {
        exit_code: None,
        message,
        fetch_error: false,
    }
}

/// `name` or `name=version`, validated.
pub fn spec_arg(spec: &PackageSpec) -> Result<String, String> {
    validate_name(&spec.name).map_err(|e| format!("{:?}: {e}", spec.name))?;
    match &spec.version {
        Some(v) => {
            validate_version(v).map_err(|e| format!("{}: {e}", spec.name))?;
            Ok(format!("{}={v}", spec.name))
        }
        None => Ok(spec.name.clone()),
    }
}

fn step(head: &[&str], operands: Vec<String>) -> Step {
    let mut args: Vec<String> = head.iter().map(|s| s.to_string()).collect();
    args.push("--".to_string());
    args.extend(operands);
    Step {
        args,
        removes: Vec::new(),
    }
}

/// `apk add NAME=VERSION...` then, when any was pinned, `apk add NAME...` to unpin them.
fn add_then_unpin(head: &[&str], specs: &[PackageSpec]) -> Result<Vec<Step>, RunError> {
    let args: Vec<String> = specs
        .iter()
        .map(spec_arg)
        .collect::<Result<_, _>>()
        .map_err(refused)?;
    let mut steps = vec![step(head, args)];
    let pinned: Vec<String> = specs
        .iter()
        .filter(|s| s.version.is_some())
        .map(|s| s.name.clone())
        .collect();
    if !pinned.is_empty() {
        steps.push(step(&["add"], pinned));
    }
    Ok(steps)
}

fn installed_version<'a>(installed: &'a [Package], name: &str) -> Option<&'a str> {
    installed
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.version.as_str())
}

/// Validated names that must all be installed (`what` says for which operation).
fn installed_names(names: &[String], installed: &[Package], what: &str) -> Result<Vec<String>, RunError> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        validate_name(n).map_err(|e| refused(format!("{n:?}: {e}")))?;
        if installed_version(installed, n).is_none() {
            return Err(refused(format!("{n} is not installed; {what}")));
        }
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    Ok(out)
}

/// The apk commands of `op`. `installed` is the package list; `security` (asked only for a
/// security-only upgrade) names the packages with a pending security update. A refusal (bad name or
/// version, downgrade without `allow_downgrade`, changing what is not installed) is
/// [`RunError::Failed`] with no exit code.
pub fn plan(
    op: &Operation,
    installed: &[Package],
    security: &dyn Fn() -> Result<Vec<String>, BackendError>,
) -> Result<Prepared, RunError> {
    Ok(match op {
        Operation::Install { packages } if packages.is_empty() => {
            Prepared::Nothing("nothing to install".into())
        }
        Operation::Install { packages } => Prepared::Run(add_then_unpin(&["add"], packages)?),
        Operation::Update {
            package,
            allow_downgrade,
        } => {
            spec_arg(package).map_err(refused)?;
            let Some(have) = installed_version(installed, &package.name) else {
                return Err(refused(format!(
                    "{} is not installed; install it instead",
                    package.name
                )));
            };
            if let (Some(want), false) = (&package.version, allow_downgrade) {
                if compare_versions(want, have) == Ordering::Less {
                    return Err(refused(format!(
                        "{} {want} would downgrade the installed {have}; set allow_downgrade to do that",
                        package.name
                    )));
                }
            }
            Prepared::Run(add_then_unpin(&["add", "-u"], std::slice::from_ref(package))?)
        }
        Operation::Remove { name, purge } => {
            let names = installed_names(std::slice::from_ref(name), installed, "nothing to remove")?;
            let head: &[&str] = if *purge { &["del", "--purge"] } else { &["del"] };
            Prepared::Run(vec![Step {
                removes: names.clone(),
                ..step(head, names)
            }])
        }
        Operation::Upgrade {
            packages,
            security_only: false,
        } if packages.is_empty() => Prepared::Run(vec![Step {
            args: vec!["upgrade".to_string()],
            removes: Vec::new(),
        }]),
        Operation::Upgrade {
            packages,
            security_only: false,
        } => {
            let names = installed_names(packages, installed, "install it instead")?;
            Prepared::Run(vec![step(&["add", "-u"], names)])
        }
        Operation::Upgrade {
            packages,
            security_only: true,
        } => {
            for n in packages {
                validate_name(n).map_err(|e| refused(format!("{n:?}: {e}")))?;
            }
            let mut names = security().map_err(RunError::Backend)?;
            names.retain(|n| packages.is_empty() || packages.contains(n));
            names.dedup();
            if names.is_empty() {
                Prepared::Nothing("no security updates pending".into())
            } else {
                Prepared::Run(vec![step(&["add", "-u"], names)])
            }
        }
        Operation::Restore { install, remove, .. } => {
            let mut steps = if install.is_empty() {
                Vec::new()
            } else {
                add_then_unpin(&["add"], install)?
            };
            let mut gone: Vec<String> = Vec::new();
            for n in remove {
                validate_name(n).map_err(|e| refused(format!("{n:?}: {e}")))?;
                if installed_version(installed, n).is_some() && !gone.contains(n) {
                    gone.push(n.clone());
                }
            }
            if !gone.is_empty() {
                steps.push(Step {
                    removes: gone.clone(),
                    ..step(&["del"], gone)
                });
            }
            if steps.is_empty() {
                Prepared::Nothing("nothing to restore (the packages to remove are already gone)".into())
            } else {
                Prepared::Run(steps)
            }
        }
    })
}

#[cfg(test)]
mod tests;
