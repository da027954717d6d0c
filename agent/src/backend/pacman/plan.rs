//! What each [`Operation`] comes down to in pacman commands: which packages go through `-S` (from the
//! repositories), which through `-U` (an exact version's file from the package cache) and which through
//! `-R`, after the refusals (bad names, unwanted downgrades, updating what is not installed).

use super::names::{validate_name, validate_version};
use super::query::{same_version, Target};
use super::version::compare_versions;
use crate::backend::{BackendError, Operation, PackageSpec, RunError};
use linux_patch_shared::api::agent::{Package, Patch};
use std::cmp::Ordering;
use std::path::PathBuf;
use std::sync::Arc;

/// What the plan needs to know about the host; the backend answers from pacman, tests from tables.
pub trait Facts {
    /// The installed packages (local database).
    fn installed(&self) -> &[Package];
    /// The repository package `pacman -S NAME` would install: `Ok(None)` when no repository has it,
    /// `Err` with pacman's words when the dry run failed otherwise.
    fn sync(&self, name: &str) -> Result<Option<Target>, String>;
    /// The package file of `name` at `version` in the cache directories.
    fn cached(&self, name: &str, version: &str) -> Option<PathBuf>;
    /// Pending updates with their security classification.
    fn upgrades(&self) -> Result<Arc<Vec<Patch>>, BackendError>;
    /// Whether arch-audit is there to classify updates.
    fn audit_available(&self) -> bool;
}

/// One pacman run: operation flags (`-S --needed`, `-U`, `-R`, `-Su`), then `--` and the operands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Operation and its flags.
    pub op: Vec<String>,
    /// Package names or files (none for `-Su`).
    pub operands: Vec<String>,
}

/// The runs of an operation, in order, with notes on what was skipped; no steps means nothing to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Runs, in order.
    pub steps: Vec<Step>,
    /// What the plan decided without pacman (skips), one line each.
    pub notes: Vec<String>,
}

/// Groups the targets of one operation into at most one `-U` (files), one `-S` (names) and one `-R`.
#[derive(Debug, Default)]
struct Groups {
    files: Vec<String>,
    names: Vec<String>,
    removes: Vec<String>,
    notes: Vec<String>,
}

impl Groups {
    /// `-U` first (exact versions, possibly older, whose dependencies are then in place), then `-S`,
    /// then `-R` (a removal a restored version no longer needs can only go after it).
    fn into_plan(self, sync_op: &[&str], remove_op: &str) -> Plan {
        let mut steps = Vec::new();
        let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        if !self.files.is_empty() {
            steps.push(Step {
                op: strs(&["-U"]),
                operands: self.files,
            });
        }
        if !self.names.is_empty() {
            steps.push(Step {
                op: strs(sync_op),
                operands: self.names,
            });
        }
        if !self.removes.is_empty() {
            steps.push(Step {
                op: strs(&[remove_op]),
                operands: self.removes,
            });
        }
        Plan {
            steps,
            notes: self.notes,
        }
    }
}

fn refused(message: String) -> RunError {
    RunError::Failed {
        exit_code: None,
        message,
        fetch_error: false,
    }
}

fn installed_version<'a>(f: &'a dyn Facts, name: &str) -> Option<&'a str> {
    f.installed()
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.version.as_str())
}

fn check_spec(spec: &PackageSpec) -> Result<(), RunError> {
    validate_name(&spec.name).map_err(|e| refused(format!("{:?}: {e}", spec.name)))?;
    if let Some(v) = &spec.version {
        validate_version(v).map_err(|e| refused(format!("{} {v:?}: {e}", spec.name)))?;
    }
    Ok(())
}

/// Where an exact version comes from: the repositories when they offer exactly it (`-S NAME`), else
/// its file in the package cache (`-U FILE`).
fn place_pinned(f: &dyn Facts, g: &mut Groups, name: &str, version: &str) -> Result<(), RunError> {
    let offered = match f.sync(name) {
        Ok(Some(t)) if same_version(&t.version, version) => {
            g.names.push(name.to_string());
            return Ok(());
        }
        Ok(Some(t)) => format!("the repositories offer {}", t.version),
        Ok(None) => "no repository has it".to_string(),
        Err(e) => format!("pacman -Sp: {e}"),
    };
    match f.cached(name, version) {
        Some(file) => {
            g.files.push(file.display().to_string());
            Ok(())
        }
        None => Err(refused(format!(
            "{name} {version} cannot be obtained: {offered}, and the package cache has no {name}-{version} file"
        ))),
    }
}

/// The pacman runs of `op`. Names and versions are validated here again; a refusal is
/// [`RunError::Failed`] with no exit code.
pub fn plan(op: &Operation, f: &dyn Facts) -> Result<Plan, RunError> {
    let mut g = Groups::default();
    match op {
        Operation::Install { packages } => {
            for spec in packages {
                check_spec(spec)?;
                let have = installed_version(f, &spec.name);
                match (&spec.version, have) {
                    (Some(v), Some(h)) if same_version(h, v) => {
                        g.notes.push(format!("{} {h} is already installed", spec.name));
                    }
                    (Some(v), Some(h)) if compare_versions(v, h) == Ordering::Less => {
                        return Err(refused(format!(
                            "{} {v} would downgrade the installed {h}; update it with allow_downgrade instead",
                            spec.name
                        )));
                    }
                    (Some(v), _) => place_pinned(f, &mut g, &spec.name, v)?,
                    // Installed and in no repository: `-S` would fail with "target not found".
                    (None, Some(h)) if matches!(f.sync(&spec.name), Ok(None)) => {
                        g.notes.push(format!("{} {h} is already installed", spec.name));
                    }
                    (None, _) => g.names.push(spec.name.clone()),
                }
            }
            Ok(g.into_plan(&["-S", "--needed"], "-R"))
        }
        Operation::Update {
            package,
            allow_downgrade,
        } => {
            check_spec(package)?;
            let name = &package.name;
            let Some(have) = installed_version(f, name) else {
                return Err(refused(format!("{name} is not installed; install it instead")));
            };
            let want = match &package.version {
                Some(v) => v.clone(),
                None => match f.sync(name) {
                    Ok(Some(t)) => t.version,
                    Ok(None) => return Err(refused(format!("{name}: no repository has it"))),
                    Err(e) => return Err(refused(format!("{name}: {e}"))),
                },
            };
            if same_version(have, &want) {
                g.notes
                    .push(format!("{name} {have} is already the requested version"));
                return Ok(g.into_plan(&["-S"], "-R"));
            }
            if compare_versions(&want, have) == Ordering::Less && !allow_downgrade {
                return Err(refused(format!(
                    "{name} {want} would downgrade the installed {have}; set allow_downgrade to do that"
                )));
            }
            place_pinned(f, &mut g, name, &want)?;
            Ok(g.into_plan(&["-S"], "-R"))
        }
        Operation::Remove { name, purge } => {
            validate_name(name).map_err(|e| refused(format!("{name:?}: {e}")))?;
            if installed_version(f, name).is_none() {
                return Err(refused(format!("{name} is not installed")));
            }
            g.removes.push(name.clone());
            // -Rn: no .pacsave copies of changed configuration files are kept.
            Ok(g.into_plan(&["-S"], if *purge { "-Rn" } else { "-R" }))
        }
        Operation::Upgrade {
            packages,
            security_only: false,
        } if packages.is_empty() => Ok(Plan {
            steps: vec![Step {
                op: vec!["-Su".to_string()],
                operands: Vec::new(),
            }],
            notes: Vec::new(),
        }),
        Operation::Upgrade {
            packages,
            security_only: false,
        } => {
            for name in packages {
                validate_name(name).map_err(|e| refused(format!("{name:?}: {e}")))?;
                if installed_version(f, name).is_none() {
                    return Err(refused(format!("{name} is not installed; install it instead")));
                }
                g.names.push(name.clone());
            }
            Ok(g.into_plan(&["-S", "--needed"], "-R"))
        }
        Operation::Upgrade {
            packages,
            security_only: true,
        } => {
            let pending = f.upgrades().map_err(RunError::Backend)?;
            for p in pending.iter().filter(|p| {
                p.security
                    && p.installed_version.is_some()
                    && (packages.is_empty() || packages.contains(&p.name))
            }) {
                validate_name(&p.name).map_err(|e| refused(format!("{:?}: {e}", p.name)))?;
                g.names.push(p.name.clone());
            }
            if g.names.is_empty() {
                g.notes.push(if f.audit_available() {
                    "no security updates known: arch-audit flags none of the pending updates".to_string()
                } else {
                    "no security updates known: arch-audit is not installed, so no update is classified as security"
                        .to_string()
                });
            }
            Ok(g.into_plan(&["-S", "--needed"], "-R"))
        }
        Operation::Restore { install, remove, .. } => {
            for spec in install {
                check_spec(spec)?;
                let Some(v) = &spec.version else {
                    return Err(refused(format!("{}: restore needs an exact version", spec.name)));
                };
                match installed_version(f, &spec.name) {
                    Some(h) if same_version(h, v) => {
                        g.notes.push(format!("{} {h} is already installed", spec.name));
                    }
                    _ => place_pinned(f, &mut g, &spec.name, v)?,
                }
            }
            for name in remove {
                validate_name(name).map_err(|e| refused(format!("{name:?}: {e}")))?;
                if installed_version(f, name).is_some() {
                    g.removes.push(name.clone());
                } else {
                    g.notes
                        .push(format!("{name} is not installed; nothing to remove"));
                }
            }
            Ok(g.into_plan(&["-S"], "-R"))
        }
    }
}

#[cfg(test)]
mod tests;
