//! One simulated host's package state: a byte per catalogue entry (absent, config-files, or the installed
//! variant), seeded from the host name; listings and pending updates are computed from it on demand, so a
//! host costs a few KiB however often it is asked.

use super::catalogue::{Catalogue, Entry, SECURITY_SUITE, SEVERITIES, SUITE};
use super::rng::Rng;
use chrono::{DateTime, Utc};
use linux_patch_shared::api::agent::{Package, Patch, PatchOrigin};

/// Not installed (or purged).
pub const ABSENT: u8 = 0;
/// Removed with its configuration files kept.
pub const CONFIG_FILES: u8 = 0xFF;

/// The mutable state of one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostState {
    /// Per catalogue entry: [`ABSENT`], [`CONFIG_FILES`], or installed variant + 1.
    pub states: Box<[u8]>,
    /// Packages updated since the (simulated) boot whose update asks for a reboot.
    pub reboot_for: Vec<u16>,
    /// When a package last changed.
    pub last_change: DateTime<Utc>,
}

/// How fast this host's package manager is (before the backend's speed factor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// Fixed cost of every operation, ms.
    pub base_ms: u64,
    /// Cost per changed package, ms.
    pub per_package_ms: u64,
    /// Cost of an index refresh, ms.
    pub refresh_ms: u64,
}

impl HostState {
    /// The installed variant of entry `i`, if installed.
    pub fn installed(&self, i: usize) -> Option<u8> {
        match self.states.get(i).copied() {
            None | Some(ABSENT) | Some(CONFIG_FILES) => None,
            Some(s) => Some(s - 1),
        }
    }

    /// Installs (or moves) entry `i` to variant `v`.
    pub fn set_installed(&mut self, i: usize, v: u8) {
        if let Some(s) = self.states.get_mut(i) {
            *s = v.saturating_add(1).min(CONFIG_FILES - 1);
        }
    }

    /// Removes entry `i`, keeping its configuration files unless `purge`.
    pub fn remove(&mut self, i: usize, purge: bool) {
        if let Some(s) = self.states.get_mut(i) {
            *s = if purge { ABSENT } else { CONFIG_FILES };
        }
    }

    /// Entries installed at an older variant than the candidate, in name order.
    pub fn pending<'a>(&'a self, cat: &'a Catalogue) -> impl Iterator<Item = usize> + 'a {
        cat.by_name_order().filter(|i| {
            let latest = cat.entry(*i).map_or(0, |e| e.variants.saturating_sub(1));
            self.installed(*i).is_some_and(|v| v < latest)
        })
    }
}

/// The state and speed of host `host` as first seen; `now` anchors the last-change time.
pub fn initial(cat: &Catalogue, host: &str, now: DateTime<Utc>) -> (HostState, Profile) {
    let mut r = Rng::from_parts(&[host.as_bytes(), b"host"]);
    let fat = r.between(94, 116);
    let mut states = vec![ABSENT; cat.len()].into_boxed_slice();
    for (i, e) in cat.entries().iter().enumerate() {
        let parent_ok = e.parent.is_none_or(|p| {
            let s = states[usize::from(p)];
            s != ABSENT && s != CONFIG_FILES
        });
        let chance = (u64::from(e.popularity) * fat / 100).min(1000);
        if e.popularity >= 1000 || (parent_ok && r.chance(chance)) {
            states[i] = e.variants;
        } else if parent_ok && r.chance(6) {
            states[i] = CONFIG_FILES;
        }
    }
    let mut state = HostState {
        states,
        reboot_for: Vec::new(),
        last_change: now - chrono::Duration::minutes(i64::try_from(r.between(60, 43_200)).unwrap_or(60)),
    };
    let mut candidates: Vec<usize> = (0..cat.len())
        .filter(|i| {
            cat.entry(*i)
                .is_some_and(|e| e.variants >= 2 && !e.reboot && state.installed(*i).is_some())
        })
        .collect();
    let want = usize::try_from(r.between(3, 40))
        .unwrap_or(3)
        .min(candidates.len());
    for k in 0..want {
        let pick = k + usize::try_from(r.below((candidates.len() - k) as u64)).unwrap_or(0);
        candidates.swap(k, pick);
        hold_back(&mut state, cat, candidates[k], &mut r);
    }
    let rebooters: Vec<usize> = (0..cat.len())
        .filter(|i| cat.entry(*i).is_some_and(|e| e.reboot && e.variants >= 2))
        .collect();
    for i in rebooters {
        if r.chance(300) {
            hold_back(&mut state, cat, i, &mut r);
        }
    }
    if r.chance(100) {
        if let Some(k) = cat.find("linux-image-amd64").and_then(|k| u16::try_from(k).ok()) {
            state.reboot_for.push(k);
        }
    }
    let profile = Profile {
        base_ms: r.between(150, 600),
        per_package_ms: r.between(40, 160),
        refresh_ms: r.between(50, 400),
    };
    (state, profile)
}

/// Puts entry `i` back to an older published variant (so it has a pending update).
fn hold_back(state: &mut HostState, cat: &Catalogue, i: usize, r: &mut Rng) {
    if let Some(e) = cat.entry(i) {
        if state.installed(i).is_some() && e.variants >= 2 {
            let v = u8::try_from(r.below(u64::from(e.variants - 1))).unwrap_or(0);
            state.set_installed(i, v);
        }
    }
}

/// Every package present (installed or config-files), in name order, with upgrade information.
pub fn packages(cat: &Catalogue, st: &HostState) -> Vec<Package> {
    cat.by_name_order()
        .filter_map(|i| {
            let e = cat.entry(i)?;
            let (status, version, candidate) = match st.states.get(i).copied()? {
                ABSENT => return None,
                CONFIG_FILES => ("config-files", e.version(e.variants.saturating_sub(1)), None),
                s => {
                    let latest = e.variants.saturating_sub(1);
                    let cand = (s - 1 < latest).then(|| e.version(latest));
                    ("installed", e.version(s - 1), cand)
                }
            };
            Some(package(e, status, version, candidate))
        })
        .collect()
}

/// One package as the API shows it.
pub fn package(e: &Entry, status: &str, version: String, candidate: Option<String>) -> Package {
    Package {
        name: e.name.to_string(),
        version,
        architecture: e.architecture().to_owned(),
        status: status.to_owned(),
        summary: Some(e.summary.to_string()),
        section: Some(e.section.to_owned()),
        installed_size_kib: Some(u64::from(e.size_kib)),
        source: e.source.as_ref().map(|s| s.to_string()),
        upgradable: Some(candidate.is_some()),
        candidate_version: candidate,
    }
}

/// Pending updates with their security data (merged over every version between installed and candidate).
pub fn patches(cat: &Catalogue, st: &HostState) -> Vec<Patch> {
    st.pending(cat)
        .filter_map(|i| {
            let e = cat.entry(i)?;
            let from = st.installed(i)?;
            let latest = e.variants.saturating_sub(1);
            let (mut security, mut severity, mut cves) = (false, None::<&str>, Vec::new());
            for v in from + 1..=latest {
                let u = e.update(v);
                security |= u.security;
                cves.extend(u.cves);
                severity = match (severity, u.severity) {
                    (Some(a), Some(b)) => Some(most_urgent(a, b)),
                    (a, b) => a.or(b),
                };
            }
            cves.sort();
            cves.dedup();
            let (origin, suite) = if security {
                ("Simulated-Security", SECURITY_SUITE)
            } else {
                ("Simulated", SUITE)
            };
            Some(Patch {
                name: e.name.to_string(),
                architecture: e.architecture().to_owned(),
                installed_version: Some(e.version(from)),
                candidate_version: e.version(latest),
                repository: format!("{origin}:{}/{suite}", super::catalogue::RELEASE),
                origins: vec![PatchOrigin {
                    origin: origin.to_owned(),
                    version: Some(super::catalogue::RELEASE.to_owned()),
                    suite: Some(suite.to_owned()),
                }],
                security,
                severity: severity.map(str::to_owned),
                cves,
                security_source: "origin".to_owned(),
                requires_reboot: e.reboot,
            })
        })
        .collect()
}

fn most_urgent(a: &'static str, b: &'static str) -> &'static str {
    let rank = |s: &str| {
        SEVERITIES
            .iter()
            .position(|x| *x == s)
            .unwrap_or(SEVERITIES.len())
    };
    if rank(a) <= rank(b) {
        a
    } else {
        b
    }
}
