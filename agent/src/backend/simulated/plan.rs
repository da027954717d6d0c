//! Turns an `Operation` into the package changes apt would make on the simulated host, or the error apt
//! would print (`E: Unable to locate package ...`), without changing anything.

use super::catalogue::Catalogue;
use super::host::{HostState, CONFIG_FILES};
use crate::backend::{Operation, PackageSpec};

/// One package change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Install entry `i` at variant `to`.
    Install {
        /// Catalogue index.
        i: usize,
        /// Variant.
        to: u8,
    },
    /// Move installed entry `i` from one variant to another (up or down).
    Change {
        /// Catalogue index.
        i: usize,
        /// Installed variant.
        from: u8,
        /// Target variant.
        to: u8,
    },
    /// Remove entry `i` (`purge`: its configuration files too).
    Remove {
        /// Catalogue index.
        i: usize,
        /// Also remove configuration files.
        purge: bool,
    },
}

/// What an operation will do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Changes in order.
    pub steps: Vec<Step>,
    /// Lines apt prints about what it skips (`... is already the newest version`).
    pub notes: Vec<String>,
}

/// Why an operation cannot run: apt's own error text (exit code 100).
pub type PlanError = String;

/// The catalogue index of `name[:arch]`, or apt's error.
pub fn resolve(cat: &Catalogue, full: &str) -> Result<usize, PlanError> {
    let (name, arch) = match full.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (full, None),
    };
    let i = cat
        .find(name)
        .ok_or_else(|| format!("Unable to locate package {full}"))?;
    match (arch, cat.entry(i)) {
        (Some(a), Some(e)) if a != e.architecture() => Err(format!("Unable to locate package {full}")),
        _ => Ok(i),
    }
}

/// The variant `spec` asks for (the candidate when unpinned), or apt's error.
pub fn target(cat: &Catalogue, spec: &PackageSpec) -> Result<(usize, u8), PlanError> {
    let i = resolve(cat, &spec.name)?;
    let e = cat
        .entry(i)
        .ok_or_else(|| format!("Unable to locate package {}", spec.name))?;
    match &spec.version {
        None => Ok((i, e.variants.saturating_sub(1))),
        Some(v) => e
            .variant_of(v)
            .map(|to| (i, to))
            .ok_or_else(|| format!("Version '{v}' for '{}' was not found", spec.name)),
    }
}

const DOWNGRADE: &str = "Packages were downgraded and -y was used without --allow-downgrades.";

/// Plans `op` against `st`.
pub fn plan(cat: &Catalogue, st: &HostState, op: &Operation) -> Result<Plan, PlanError> {
    let mut p = Plan::default();
    match op {
        Operation::Install { packages } => {
            for spec in packages {
                let (i, to) = target(cat, spec)?;
                change(cat, st, &mut p, i, to, false)?;
            }
        }
        Operation::Update {
            package,
            allow_downgrade,
        } => {
            let (i, to) = target(cat, package)?;
            if st.installed(i).is_none() {
                p.notes.push(format!(
                    "Skipping {}, it is not installed and only upgrades are requested.",
                    package.name
                ));
            } else {
                change(cat, st, &mut p, i, to, *allow_downgrade)?;
            }
        }
        Operation::Remove { name, purge } => remove(cat, st, &mut p, name, *purge)?,
        Operation::Upgrade {
            packages,
            security_only,
        } => {
            let wanted = packages
                .iter()
                .map(|n| resolve(cat, n))
                .collect::<Result<Vec<_>, _>>()?;
            let pending: Vec<usize> = st.pending(cat).collect();
            for i in pending {
                if !wanted.is_empty() && !wanted.contains(&i) {
                    continue;
                }
                let (Some(e), Some(from)) = (cat.entry(i), st.installed(i)) else {
                    continue;
                };
                let latest = e.variants.saturating_sub(1);
                if *security_only && !(from + 1..=latest).any(|v| e.update(v).security) {
                    continue;
                }
                p.steps.push(Step::Change { i, from, to: latest });
            }
        }
        Operation::Restore {
            install,
            remove: gone,
            ..
        } => {
            for spec in install {
                let (i, to) = target(cat, spec)?;
                change(cat, st, &mut p, i, to, true)?;
            }
            for name in gone {
                remove(cat, st, &mut p, name, true)?;
            }
        }
    }
    Ok(p)
}

fn change(
    cat: &Catalogue,
    st: &HostState,
    p: &mut Plan,
    i: usize,
    to: u8,
    allow_downgrade: bool,
) -> Result<(), PlanError> {
    let name = cat.entry(i).map(|e| e.name.to_string()).unwrap_or_default();
    match st.installed(i) {
        None => p.steps.push(Step::Install { i, to }),
        Some(from) if from == to => {
            let version = cat.entry(i).map(|e| e.version(to)).unwrap_or_default();
            p.notes
                .push(format!("{name} is already the newest version ({version})."));
        }
        Some(from) if to < from && !allow_downgrade => return Err(DOWNGRADE.into()),
        Some(from) => p.steps.push(Step::Change { i, from, to }),
    }
    Ok(())
}

fn remove(cat: &Catalogue, st: &HostState, p: &mut Plan, name: &str, purge: bool) -> Result<(), PlanError> {
    let i = resolve(cat, name)?;
    if cat.entry(i).is_some_and(|e| e.essential) {
        return Err(
            "Removing essential system-critical packages is not permitted. This might break the system."
                .into(),
        );
    }
    let has_config = st.states.get(i) == Some(&CONFIG_FILES);
    if st.installed(i).is_some() || (purge && has_config) {
        p.steps.push(Step::Remove { i, purge });
    } else {
        p.notes
            .push(format!("Package '{name}' is not installed, so not removed"));
    }
    Ok(())
}
