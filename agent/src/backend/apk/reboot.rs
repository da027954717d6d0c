//! Whether an Alpine host needs a reboot: the running kernel (`/proc/sys/kernel/osrelease`, e.g.
//! `6.6.31-0-lts`) against the installed kernel package of the same flavour (`linux-lts 6.6.31-r0`).
//! Alpine has no reboot-required flag file.

use super::version::compare_versions;
use linux_patch_shared::api::agent::{Package, RebootRequired, TriState};
use std::cmp::Ordering;
use std::path::Path;

/// Decides yes/no/unknown with the reason; `proc` holds `sys/kernel/osrelease`, `installed` is the
/// package list (or why it could not be read).
pub fn reboot_required(proc: &Path, installed: Result<&[Package], String>) -> RebootRequired {
    let osrelease = proc.join("sys/kernel/osrelease");
    let running = match std::fs::read_to_string(&osrelease) {
        Ok(s) if !s.trim().is_empty() => s.trim().to_string(),
        Ok(_) => return unknown(format!("{} is empty", osrelease.display())),
        Err(e) => return unknown(format!("cannot read {}: {e}", osrelease.display())),
    };
    let installed = match installed {
        Ok(p) => p,
        Err(e) => return unknown(format!("cannot read the installed packages: {e}")),
    };
    let Some((flavour, running_version)) = alpine_release(&running) else {
        return unknown(format!(
            "running kernel {running} is not an Alpine kernel release (VERSION-N-FLAVOUR)"
        ));
    };
    let package = format!("linux-{flavour}");
    let Some(kernel) = installed.iter().find(|p| p.name == package) else {
        return unknown(format!(
            "no {package} package installed for the running kernel {running} (container or custom kernel?)"
        ));
    };
    let packages = vec![kernel.name.clone()];
    match compare_versions(&kernel.version, &running_version) {
        Ordering::Equal => answer(
            TriState::No,
            format!(
                "running kernel {running} is the installed {package} {}",
                kernel.version
            ),
            Vec::new(),
        ),
        Ordering::Greater => answer(
            TriState::Yes,
            format!(
                "newer kernel {package} {} installed, running {running}",
                kernel.version
            ),
            packages,
        ),
        Ordering::Less => answer(
            TriState::Yes,
            format!(
                "installed {package} {} is older than the running kernel {running}; \
                 the running kernel's modules are gone",
                kernel.version
            ),
            packages,
        ),
    }
}

/// `6.6.31-0-lts` → (`lts`, `6.6.31-r0`): Alpine's kernel release is `PKGVER-PKGREL-FLAVOUR` of the
/// package `linux-FLAVOUR` at version `PKGVER-rPKGREL`.
fn alpine_release(release: &str) -> Option<(&str, String)> {
    let (rest, flavour) = release.rsplit_once('-')?;
    let (pkgver, pkgrel) = rest.rsplit_once('-')?;
    let valid = !flavour.is_empty()
        && flavour.chars().all(|c| c.is_ascii_alphanumeric())
        && pkgrel.parse::<u32>().is_ok()
        && pkgver.starts_with(|c: char| c.is_ascii_digit());
    valid.then(|| (flavour, format!("{pkgver}-r{pkgrel}")))
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
mod tests {
    use super::{alpine_release, reboot_required};
    use linux_patch_shared::api::agent::{Package, TriState};
    use std::path::Path;

    fn pkg(name: &str, version: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            architecture: "x86_64".into(),
            status: "installed".into(),
            summary: None,
            section: None,
            installed_size_kib: None,
            source: None,
            upgradable: None,
            candidate_version: None,
        }
    }

    fn proc_with(release: Option<&str>) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        if let Some(r) = release {
            std::fs::create_dir_all(d.path().join("sys/kernel")).unwrap();
            std::fs::write(d.path().join("sys/kernel/osrelease"), format!("{r}\n")).unwrap();
        }
        d
    }

    #[test]
    fn releases() {
        assert_eq!(alpine_release("6.6.31-0-lts"), Some(("lts", "6.6.31-r0".into())));
        assert_eq!(alpine_release("6.9.1-2-edge"), Some(("edge", "6.9.1-r2".into())));
        assert_eq!(
            alpine_release("6.1.0-18-amd64"),
            Some(("amd64", "6.1.0-r18".into()))
        );
        assert_eq!(alpine_release("6.8.0"), None);
        assert_eq!(alpine_release("6.6.31-x-lts"), None);
    }

    #[test]
    fn running_against_installed_kernel() {
        let pkgs = [
            pkg("linux-lts", "6.6.31-r0"),
            pkg("linux-virt", "6.6.40-r0"),
            pkg("musl", "1.2.4-r4"),
        ];
        let same = proc_with(Some("6.6.31-0-lts"));
        let r = reboot_required(same.path(), Ok(&pkgs));
        assert_eq!(r.state, TriState::No, "{r:?}");
        assert!(r.reason.contains("linux-lts 6.6.31-r0"), "{}", r.reason);
        assert!(r.packages.is_empty());

        let older = proc_with(Some("6.6.30-1-lts"));
        let r = reboot_required(older.path(), Ok(&pkgs));
        assert_eq!(
            (r.state, r.packages.clone()),
            (TriState::Yes, vec!["linux-lts".to_string()])
        );
        assert_eq!(
            r.reason,
            "newer kernel linux-lts 6.6.31-r0 installed, running 6.6.30-1-lts"
        );

        let newer = proc_with(Some("6.6.31-1-lts"));
        let r = reboot_required(newer.path(), Ok(&pkgs));
        assert_eq!(r.state, TriState::Yes, "downgraded package: {r:?}");

        let virt = proc_with(Some("6.6.40-0-virt"));
        assert_eq!(
            reboot_required(virt.path(), Ok(&pkgs)).state,
            TriState::No,
            "flavour matters"
        );
    }

    #[test]
    fn unknown_with_the_reason() {
        let pkgs = [pkg("linux-lts", "6.6.31-r0")];
        for (release, why) in [
            (None, "cannot read"),
            (Some(""), "is empty"),
            (Some("6.1.0-18-amd64"), "no linux-amd64 package installed"),
            (Some("6.6.31-0-edge"), "no linux-edge package"),
            (Some("6.8.0"), "not an Alpine kernel release"),
        ] {
            let p = proc_with(release);
            let r = reboot_required(p.path(), Ok(&pkgs));
            assert_eq!(r.state, TriState::Unknown, "{release:?}");
            assert!(r.reason.contains(why), "{release:?}: {}", r.reason);
        }
        let p = proc_with(Some("6.6.31-0-lts"));
        let r = reboot_required(p.path(), Err("db gone".into()));
        assert_eq!(r.state, TriState::Unknown);
        assert!(r.reason.contains("db gone"));
        assert_eq!(
            reboot_required(Path::new("/nonexistent"), Ok(&pkgs)).state,
            TriState::Unknown
        );
    }
}
