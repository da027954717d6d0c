//! Whether a Debian/Ubuntu host needs a reboot: the `reboot-required` flag file, else running vs installed kernel.

use super::version::compare_versions;
use linux_patch_shared::api::agent::{Package, RebootRequired, TriState};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// Where the runtime state lives: `/run` and `/proc` on a real host, temp dirs in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeDirs {
    /// Holds `reboot-required` and `reboot-required.pkgs` (default `/run`).
    pub run: PathBuf,
    /// Holds `sys/kernel/osrelease` and `sys/kernel/version` (default `/proc`).
    pub proc: PathBuf,
}

impl Default for RuntimeDirs {
    fn default() -> Self {
        RuntimeDirs {
            run: PathBuf::from("/run"),
            proc: PathBuf::from("/proc"),
        }
    }
}

/// Decides yes/no/unknown with the reason. `installed` is the dpkg database (or why it could not be read).
pub fn reboot_required(dirs: &RuntimeDirs, installed: Result<&[Package], String>) -> RebootRequired {
    let flag = dirs.run.join("reboot-required");
    if flag.exists() {
        return answer(
            TriState::Yes,
            format!("{} present", flag.display()),
            flag_packages(&dirs.run),
        );
    }
    let osrelease = dirs.proc.join("sys/kernel/osrelease");
    let running = match std::fs::read_to_string(&osrelease) {
        Ok(s) if !s.trim().is_empty() => s.trim().to_string(),
        Ok(_) => return unknown(format!("{} is empty", osrelease.display())),
        Err(e) => return unknown(format!("cannot read {}: {e}", osrelease.display())),
    };
    let installed = match installed {
        Ok(p) => p,
        Err(e) => return unknown(format!("cannot read the dpkg database: {e}")),
    };
    let kernels: Vec<(&str, &Package)> = installed
        .iter()
        .filter(|p| p.status == "installed")
        .filter_map(|p| kernel_release(&p.name).map(|r| (r, p)))
        .collect();
    let Some(&(_, running_pkg)) = kernels.iter().find(|(r, _)| *r == running) else {
        return unknown(format!(
            "no installed linux-image package matches the running kernel {running} \
             (container or custom kernel?)"
        ));
    };
    let running_flavour = flavour(&running);
    let newest = kernels
        .iter()
        .filter(|(r, _)| flavour(r) == running_flavour)
        .max_by(|a, b| compare_versions(a.0, b.0));
    if let Some(&(newest, pkg)) = newest {
        if compare_versions(newest, &running) == Ordering::Greater {
            return answer(
                TriState::Yes,
                format!("newer kernel {newest} installed, running {running}"),
                vec![pkg.name.clone()],
            );
        }
    }
    // Debian upgrades a kernel ABI in place (same release, new package version); its /proc version
    // string names the package version it booted: `... Debian 6.1.76-1 (2024-02-01)`.
    if let Some(booted) = booted_debian_version(&dirs.proc) {
        if compare_versions(&running_pkg.version, &booted) == Ordering::Greater {
            return answer(
                TriState::Yes,
                format!(
                    "kernel package {} upgraded from {booted} to {} since boot",
                    running_pkg.name, running_pkg.version
                ),
                vec![running_pkg.name.clone()],
            );
        }
    }
    answer(
        TriState::No,
        format!("running kernel {running} is the newest installed"),
        Vec::new(),
    )
}

fn answer(state: TriState, reason: String, packages: Vec<String>) -> RebootRequired {
    RebootRequired {
        state,
        reason,
        packages,
    }
}

fn unknown(reason: String) -> RebootRequired {
    answer(TriState::Unknown, reason, Vec::new())
}

/// `reboot-required.pkgs`: one package per line, duplicates dropped (Ubuntu appends one line per trigger).
fn flag_packages(run: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run.join("reboot-required.pkgs")).unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for l in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.iter().any(|p| p == l) {
            out.push(l.to_string());
        }
    }
    out
}

/// The kernel release a `linux-image-*` package installs, or `None` for meta and debug packages
/// (`linux-image-amd64`, `linux-image-generic`, `linux-image-6.1.0-18-amd64-dbg`). Handles Debian's
/// `-unsigned` suffix and Ubuntu's `linux-image-unsigned-` prefix.
fn kernel_release(name: &str) -> Option<&str> {
    let r = name.strip_prefix("linux-image-")?;
    let r = r.strip_prefix("unsigned-").unwrap_or(r);
    let r = r.strip_suffix("-unsigned").unwrap_or(r);
    if r.ends_with("-dbg") || r.ends_with("-dbgsym") || !r.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(r)
}

/// The flavour of a kernel release: the `-`-separated parts after the leading numeric ones
/// (`6.1.0-18-amd64` → `amd64`, `6.5.0-14-generic` → `generic`); releases only compare within a flavour.
fn flavour(release: &str) -> String {
    release
        .split('-')
        .skip_while(|p| p.starts_with(|c: char| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join("-")
}

/// The Debian package version named in `/proc/sys/kernel/version`, when the kernel is a Debian build.
fn booted_debian_version(proc: &Path) -> Option<String> {
    let v = std::fs::read_to_string(proc.join("sys/kernel/version")).ok()?;
    let mut words = v.split_whitespace();
    words.find(|w| *w == "Debian")?;
    words.next().map(str::to_string)
}

#[cfg(test)]
mod tests;
