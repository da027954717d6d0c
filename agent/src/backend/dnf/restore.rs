//! Restores: the requested versions resolved to exact packages, the native `dnf history undo` when the
//! last recorded transaction is exactly what the restore undoes, else one `dnf history replay` transaction
//! built from the versions (downgrade/upgrade/install + remove; strict, no dependency clean-up).

use super::evr::{compare_requested, compare_versions};
use super::names::split_arch;
use crate::backend::PackageSpec;
use linux_patch_shared::api::agent::Package;
use std::cmp::Ordering;

/// One exact package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Nevra {
    /// Package name.
    pub name: String,
    /// `[epoch:]version-release`.
    pub evr: String,
    /// Architecture.
    pub arch: String,
}

impl Nevra {
    /// `name-[epoch:]version-release.arch`, the form dnf's history and replay use.
    pub fn text(&self) -> String {
        format!("{}-{}.{}", self.name, self.evr, self.arch)
    }

    /// From `name-[epoch:]version-release.arch`.
    pub fn parse(s: &str) -> Option<Nevra> {
        let (name, evr, arch) = super::updates::parse_nevra(s)?;
        Some(Nevra {
            name: name.into(),
            evr: evr.into(),
            arch: arch.into(),
        })
    }

    fn of(p: &Package) -> Nevra {
        Nevra {
            name: p.name.clone(),
            evr: p.version.clone(),
            arch: p.architecture.clone(),
        }
    }
}

/// Whether `spec` names its package exactly (architecture and release given), so no lookup is needed.
pub fn exact(spec: &PackageSpec, installed: &[Package]) -> Option<Nevra> {
    let (name, arch) = split_arch(&spec.name);
    let evr = spec.version.as_deref()?;
    super::evr::Evr::parse(evr).release?;
    let arch = match arch {
        Some(a) => a.to_string(),
        None => {
            let mut arches: Vec<&str> = installed
                .iter()
                .filter(|p| p.name == name)
                .map(|p| p.architecture.as_str())
                .collect();
            arches.dedup();
            match arches[..] {
                [one] => one.to_string(),
                _ => return None,
            }
        }
    };
    Some(Nevra {
        name: name.into(),
        evr: evr.into(),
        arch,
    })
}

/// The package `spec` means among `known` (what dnf can see: repositories and installed): same name,
/// the architecture asked (else one installed under that name, else `noarch`, else any), the version
/// asked (parts left out match anything), the newest of those.
pub fn pick(spec: &PackageSpec, known: &[Nevra], installed: &[Package]) -> Option<Nevra> {
    let (name, arch) = split_arch(&spec.name);
    let want = spec.version.as_deref()?;
    let fits: Vec<&Nevra> = known
        .iter()
        .filter(|n| n.name == name && arch.is_none_or(|a| n.arch == a))
        .filter(|n| compare_requested(want, &n.evr) == Ordering::Equal)
        .collect();
    let preferred = |n: &&&Nevra| {
        installed
            .iter()
            .any(|p| p.name == n.name && p.architecture == n.arch)
    };
    let pool: Vec<&Nevra> = if fits.iter().any(|n| preferred(&n)) {
        fits.iter().copied().filter(|n| preferred(&n)).collect()
    } else if fits.iter().any(|n| n.arch == "noarch") {
        fits.iter().copied().filter(|n| n.arch == "noarch").collect()
    } else {
        fits
    };
    pool.into_iter()
        .max_by(|a, b| compare_versions(&a.evr, &b.evr))
        .cloned()
}

/// The last transaction as `dnf history info last` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Transaction id.
    pub id: String,
    /// Every altered package: (action, package, completed).
    pub items: Vec<(String, Nevra, bool)>,
    /// `Return-Code : Success`.
    pub succeeded: bool,
}

/// Parses `history info` output; `None` when it shows no transaction.
pub fn parse_history_info(lines: &[String]) -> Option<Recorded> {
    let field = |key: &str| {
        lines.iter().find_map(|l| {
            let (k, v) = l.split_once(" : ")?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    let id = field("Transaction ID")?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let succeeded = field("Return-Code").is_some_and(|c| c == "Success");
    let mut items = Vec::new();
    let mut in_block = false;
    for l in lines {
        if l.trim_end() == "Packages Altered:" {
            in_block = true;
            continue;
        }
        if !in_block {
            continue;
        }
        let done = l.starts_with("    ");
        if !(done || l.starts_with(" ** ")) {
            break;
        }
        let words: Vec<&str> = l.split_whitespace().filter(|w| *w != "**").collect();
        // `Reason Change` is the only two-word action.
        let (action, rest) = match words[..] {
            ["Reason", "Change", ref rest @ ..] => ("Reason Change".to_string(), rest.to_vec()),
            [a, ref rest @ ..] => (a.to_string(), rest.to_vec()),
            [] => break,
        };
        let nevra = rest.first().and_then(|n| Nevra::parse(n))?;
        items.push((action, nevra, done));
    }
    Some(Recorded { id, items, succeeded })
}

/// Whether undoing `rec` would give exactly the requested state, from the current one: every package it
/// brought in is still installed at that version, what it replaced or removed is what `install` asks
/// back, and what it newly installed is what `remove` asks to remove. Reinstalls and reason changes
/// change no version and are ignored; any other action (obsoletes) means no.
pub fn undo_matches(rec: &Recorded, install: &[Nevra], remove: &[String], installed: &[Package]) -> bool {
    if !rec.succeeded || rec.items.is_empty() {
        return false;
    }
    let is_installed = |n: &Nevra| installed.iter().any(|p| Nevra::of(p) == *n);
    let (mut back, mut added): (Vec<Nevra>, Vec<Nevra>) = (Vec::new(), Vec::new());
    for (action, n, done) in &rec.items {
        if !done {
            return false;
        }
        match action.as_str() {
            "Install" => {
                if !is_installed(n) {
                    return false;
                }
                added.push(n.clone());
            }
            "Upgrade" | "Downgrade" => {
                if !is_installed(n) {
                    return false;
                }
            }
            "Upgraded" | "Downgraded" | "Removed" => back.push(n.clone()),
            "Reinstall" | "Reinstalled" | "Reason Change" => {}
            _ => return false,
        }
    }
    let mut want = install.to_vec();
    want.sort();
    back.sort();
    if want != back || remove.len() != added.len() {
        return false;
    }
    let mut left = added;
    for r in remove {
        let (name, arch) = split_arch(r);
        let Some(i) = left
            .iter()
            .position(|n| n.name == name && arch.is_none_or(|a| n.arch == a))
        else {
            return false;
        };
        left.remove(i);
    }
    left.is_empty()
}

/// The `history replay` transaction putting `install` in place and removing `remove`, as JSON, with a
/// line for each request that needs nothing; `None` when nothing is left to do.
pub fn replay_file(
    install: &[Nevra],
    remove: &[String],
    installed: &[Package],
) -> (Option<serde_json::Value>, Vec<String>) {
    let mut rpms = Vec::new();
    let mut notes = Vec::new();
    let item = |action: &str, n: &Nevra| serde_json::json!({ "action": action, "nevra": n.text(), "reason": "user", "repo_id": "" });
    for want in install {
        let have: Vec<&Package> = installed
            .iter()
            .filter(|p| p.name == want.name && p.architecture == want.arch)
            .collect();
        match have[..] {
            [] => rpms.push(item("Install", want)),
            [one] => match compare_versions(&want.evr, &one.version) {
                Ordering::Equal => notes.push(format!("{} is already at {}", want.name, want.evr)),
                Ordering::Less => {
                    rpms.push(item("Downgrade", want));
                    rpms.push(item("Downgraded", &Nevra::of(one)));
                }
                Ordering::Greater => {
                    rpms.push(item("Upgrade", want));
                    rpms.push(item("Upgraded", &Nevra::of(one)));
                }
            },
            // Several versions side by side (kernels and other install-only packages): add this one.
            _ if have.iter().any(|p| p.version == want.evr) => {
                notes.push(format!("{} {} is already installed", want.name, want.evr))
            }
            _ => rpms.push(item("Install", want)),
        }
    }
    for r in remove {
        let (name, arch) = split_arch(r);
        let gone: Vec<&Package> = installed
            .iter()
            .filter(|p| p.name == name && arch.is_none_or(|a| p.architecture == a))
            .collect();
        if gone.is_empty() {
            notes.push(format!("{r} is not installed"));
        }
        for p in gone {
            rpms.push(item("Removed", &Nevra::of(p)));
        }
    }
    let file = (!rpms.is_empty()).then(|| serde_json::json!({ "version": "0.0", "rpms": rpms }));
    (file, notes)
}

#[cfg(test)]
mod tests;
