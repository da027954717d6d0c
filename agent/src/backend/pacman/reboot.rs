//! Whether an Arch host needs a reboot: the running kernel (`/proc/sys/kernel/osrelease`) against the kernel
//! releases the installed kernel packages own (`usr/lib/modules/RELEASE/` in their file lists) and the
//! modules directory in RootDir. pacman replaces a kernel in place, so an upgrade removes the running
//! kernel's modules: the classic "reboot now" signal on Arch.

use linux_patch_shared::api::agent::{Package, RebootRequired, TriState};
use std::path::Path;

/// One installed kernel package and the releases it installs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernel {
    /// Package name (`linux`, `linux-lts`, ...).
    pub name: String,
    /// Package version.
    pub version: String,
    /// Kernel releases (`uname -r`) whose modules directory it owns.
    pub releases: Vec<String>,
}

/// The kernel releases a package's file list installs: `usr/lib/modules/RELEASE/` with a `vmlinuz`, a
/// `pkgbase` or a `kernel/` tree in it (headers packages own only `build`, firmware none).
pub fn kernel_releases(files: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in files {
        let Some(rest) = f.strip_prefix("usr/lib/modules/") else {
            continue;
        };
        let Some((release, inner)) = rest.split_once('/') else {
            continue;
        };
        let is_kernel = inner == "vmlinuz" || inner == "pkgbase" || inner.starts_with("kernel/");
        if is_kernel && !release.is_empty() && !out.iter().any(|r| r == release) {
            out.push(release.to_string());
        }
    }
    out
}

/// Which packages may be kernels: their file lists are read (name `linux` or `linux-*`).
pub fn maybe_kernel(p: &Package) -> bool {
    p.name == "linux" || p.name.starts_with("linux-")
}

/// Decides yes/no/unknown with the reason. `kernels` are the installed kernel packages (or why the
/// database could not be read); `root` is pacman's RootDir.
pub fn reboot_required(proc_dir: &Path, root: &Path, kernels: Result<Vec<Kernel>, String>) -> RebootRequired {
    let osrelease = proc_dir.join("sys/kernel/osrelease");
    let running = match std::fs::read_to_string(&osrelease) {
        Ok(s) if !s.trim().is_empty() => s.trim().to_string(),
        Ok(_) => return unknown(format!("{} is empty", osrelease.display())),
        Err(e) => return unknown(format!("cannot read {}: {e}", osrelease.display())),
    };
    let kernels = match kernels {
        Ok(k) => k,
        Err(e) => return unknown(format!("cannot read the pacman database: {e}")),
    };
    let modules = root.join("usr/lib/modules").join(&running);
    if kernels.is_empty() {
        return unknown(format!(
            "no installed package provides a kernel (container or custom kernel?); running {running}"
        ));
    }
    if let Some(k) = kernels.iter().find(|k| k.releases.contains(&running)) {
        if modules.is_dir() {
            return answer(
                TriState::No,
                format!(
                    "running kernel {running} is the installed {} {}",
                    k.name, k.version
                ),
                Vec::new(),
            );
        }
        return unknown(format!(
            "{} {} owns kernel {running}, but {} is missing",
            k.name,
            k.version,
            modules.display()
        ));
    }
    let installed: Vec<String> = kernels
        .iter()
        .map(|k| format!("{} {} ({})", k.name, k.version, k.releases.join(", ")))
        .collect();
    if modules.is_dir() {
        return unknown(format!(
            "running kernel {running} belongs to no installed kernel package, yet {} exists (custom kernel?); \
             installed: {}",
            modules.display(),
            installed.join("; ")
        ));
    }
    answer(
        TriState::Yes,
        format!(
            "running kernel {running} is no longer installed (its modules are gone); installed: {}",
            installed.join("; ")
        ),
        flavour_match(&kernels, &running),
    )
}

/// The kernel packages the running release most likely came from: a flavour suffix (`linux-lts` for
/// `…-lts`), else `linux`, else all of them.
fn flavour_match(kernels: &[Kernel], running: &str) -> Vec<String> {
    let by_suffix: Vec<String> = kernels
        .iter()
        .filter(|k| {
            k.name
                .strip_prefix("linux")
                .is_some_and(|s| !s.is_empty() && running.ends_with(s))
        })
        .map(|k| k.name.clone())
        .collect();
    if !by_suffix.is_empty() {
        return by_suffix;
    }
    if kernels.iter().any(|k| k.name == "linux") {
        return vec!["linux".to_string()];
    }
    kernels.iter().map(|k| k.name.clone()).collect()
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

#[cfg(test)]
mod tests;
