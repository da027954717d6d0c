//! Pieces every backend's listing shares: upgrade marks on installed packages and poison-tolerant locks.

use linux_patch_shared::api::agent::{Package, Patch};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Architecture names meaning "any machine": dpkg `all`, rpm and apk `noarch`, pacman `any`.
const ARCH_INDEPENDENT: &[&str] = &["all", "noarch", "any"];

/// Locks a cache; a panic elsewhere while holding it leaves at worst a stale-keyed cache, so keep using it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether an update for architecture `update` applies to a package installed for `installed`.
pub fn arch_matches(installed: &str, update: &str) -> bool {
    installed == update
        || installed.is_empty()
        || update.is_empty()
        || ARCH_INDEPENDENT.contains(&installed)
        || ARCH_INDEPENDENT.contains(&update)
}

/// The listing with `upgradable`/`candidate_version` filled from the pending updates (by name and
/// architecture, so `libc6:amd64` and `libc6:i386` are told apart).
pub fn mark_upgrades(pkgs: &[Package], upgrades: &[Patch]) -> Vec<Package> {
    let mut by_name: HashMap<&str, Vec<&Patch>> = HashMap::new();
    for u in upgrades {
        by_name.entry(u.name.as_str()).or_default().push(u);
    }
    pkgs.iter()
        .map(|p| {
            let up = by_name.get(p.name.as_str()).and_then(|ups| {
                ups.iter()
                    .copied()
                    .find(|u| arch_matches(&p.architecture, &u.architecture))
            });
            Package {
                upgradable: Some(up.is_some()),
                candidate_version: up.map(|u| u.candidate_version.clone()),
                ..p.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architecture_independent_names_match_every_architecture() {
        assert!(arch_matches("amd64", "amd64"));
        assert!(!arch_matches("amd64", "i386"));
        for free in ["all", "noarch", "any", ""] {
            assert!(
                arch_matches("x86_64", free) && arch_matches(free, "x86_64"),
                "{free}"
            );
        }
    }
}
