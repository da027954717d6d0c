//! The dnf argument vector of each [`Operation`] (restores are prepared in `restore`), with the refusals
//! decided before dnf runs: bad names, downgrades not allowed, updating what is not installed.

use super::evr::{compare_requested, compare_versions};
use super::names::{dnf_name, dnf_spec, split_arch};
use crate::backend::{Operation, PackageSpec, RunError};
use linux_patch_shared::api::agent::Package;
use std::cmp::Ordering;

/// What an operation comes down to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// Run dnf with the common options and these arguments (subcommand, flags, `--`, operands); `notes`
    /// are reported as output lines first.
    Run {
        /// Subcommand and operands.
        args: Vec<String>,
        /// Lines for the job's output (what was skipped, what `purge` means here).
        notes: Vec<String>,
    },
    /// Put packages back at versions / remove them: see `restore`.
    Restore {
        /// Packages to put back at exact versions.
        install: Vec<PackageSpec>,
        /// Packages to remove.
        remove: Vec<String>,
    },
    /// Nothing to do; the line says why.
    Nothing(String),
}

/// A refusal: the operation is not run.
pub fn refused(message: String) -> RunError {
    RunError::Failed {
        exit_code: None,
        message,
        fetch_error: false,
    }
}

/// Options of every changing dnf run, after the configured extra arguments: assume yes, no colours.
pub fn common_args(extra: &[String]) -> Vec<String> {
    let mut a = extra.to_vec();
    a.extend(["-y", "--setopt=color=never"].map(String::from));
    a
}

/// Installed versions of `name[:arch]`.
pub fn installed_versions<'a>(installed: &'a [Package], full: &str) -> Vec<&'a Package> {
    let (name, arch) = split_arch(full);
    installed
        .iter()
        .filter(|p| p.name == name && arch.is_none_or(|a| p.architecture == a))
        .collect()
}

fn newest<'a>(pkgs: &[&'a Package]) -> Option<&'a str> {
    pkgs.iter()
        .map(|p| p.version.as_str())
        .max_by(|a, b| compare_versions(a, b))
}

fn with(head: &[&str], operands: Vec<String>, notes: Vec<String>) -> Prepared {
    let mut args: Vec<String> = head.iter().map(|s| s.to_string()).collect();
    if !operands.is_empty() {
        args.push("--".into());
        args.extend(operands);
    }
    Prepared::Run { args, notes }
}

/// The dnf arguments of `op` (after [`common_args`]) given the installed packages.
pub fn plan(op: &Operation, installed: &[Package]) -> Result<Prepared, RunError> {
    Ok(match op {
        Operation::Install { packages } if packages.is_empty() => {
            Prepared::Nothing("nothing to install".into())
        }
        Operation::Install { packages } => {
            let mut args = Vec::new();
            for p in packages {
                let arg = dnf_spec(p).map_err(refused)?;
                if let (Some(want), Some(have)) =
                    (&p.version, newest(&installed_versions(installed, &p.name)))
                {
                    if compare_requested(want, have) == Ordering::Less {
                        return Err(refused(format!(
                            "{} {want} would downgrade the installed {have}; update it with allow_downgrade instead",
                            p.name
                        )));
                    }
                }
                args.push(arg);
            }
            with(&["install"], args, Vec::new())
        }
        Operation::Update {
            package,
            allow_downgrade,
        } => {
            let arg = dnf_spec(package).map_err(refused)?;
            let Some(have) = newest(&installed_versions(installed, &package.name)) else {
                return Err(refused(format!(
                    "{} is not installed; install it instead",
                    package.name
                )));
            };
            match &package.version {
                None => with(&["upgrade"], vec![arg], Vec::new()),
                Some(want) => match compare_requested(want, have) {
                    Ordering::Greater => with(&["upgrade"], vec![arg], Vec::new()),
                    Ordering::Equal => {
                        Prepared::Nothing(format!("{} is already installed at {have}", package.name))
                    }
                    Ordering::Less if *allow_downgrade => with(&["downgrade"], vec![arg], Vec::new()),
                    Ordering::Less => {
                        return Err(refused(format!(
                            "{} {want} would downgrade the installed {have}; set allow_downgrade to do that",
                            package.name
                        )))
                    }
                },
            }
        }
        Operation::Remove { name, purge } => {
            let arg = dnf_name(name).map_err(refused)?;
            if installed_versions(installed, name).is_empty() {
                return Ok(Prepared::Nothing(format!("{name} is not installed")));
            }
            let notes = if *purge {
                vec![format!(
                    "rpm has no separate purge of configuration files: {name} is removed (changed \
                     configuration files are kept as *.rpmsave)"
                )]
            } else {
                Vec::new()
            };
            with(&["remove"], vec![arg], notes)
        }
        Operation::Upgrade {
            packages,
            security_only,
        } => {
            let head: &[&str] = if *security_only {
                &["upgrade", "--security"]
            } else {
                &["upgrade"]
            };
            if packages.is_empty() {
                return Ok(with(head, Vec::new(), Vec::new()));
            }
            let (mut args, mut notes) = (Vec::new(), Vec::new());
            for n in packages {
                let arg = dnf_name(n).map_err(refused)?;
                if installed_versions(installed, n).is_empty() {
                    notes.push(format!(
                        "{n} is not installed; skipped (only upgrades were asked for)"
                    ));
                } else {
                    args.push(arg);
                }
            }
            if args.is_empty() {
                Prepared::Nothing(notes.join("; "))
            } else {
                with(head, args, notes)
            }
        }
        Operation::Restore { install, remove, .. } if install.is_empty() && remove.is_empty() => {
            Prepared::Nothing("nothing to restore".into())
        }
        Operation::Restore { install, remove, .. } => {
            for p in install {
                dnf_spec(p).map_err(refused)?;
                if p.version.is_none() {
                    return Err(refused(format!("{}: a restore needs an exact version", p.name)));
                }
            }
            for n in remove {
                dnf_name(n).map_err(refused)?;
            }
            Prepared::Restore {
                install: install.clone(),
                remove: remove.clone(),
            }
        }
    })
}

#[cfg(test)]
mod tests;
