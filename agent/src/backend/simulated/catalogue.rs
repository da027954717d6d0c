//! The synthetic package catalogue every simulated host shares: ~2,000 Debian-like packages with their
//! published versions and what each update fixes. Generated once per process, immutable, behind an `Arc`.

mod build;

use super::rng::Rng;
use std::sync::{Arc, OnceLock};

/// Distribution release the catalogue imitates (suites and `+debNNuM` revisions).
pub const RELEASE: &str = "12";
/// Suite of regular updates.
pub const SUITE: &str = "bookworm-updates";
/// Suite of security updates.
pub const SECURITY_SUITE: &str = "bookworm-security";

/// One package of the catalogue.
#[derive(Debug)]
pub struct Entry {
    /// Package name.
    pub name: Box<str>,
    /// One-line description.
    pub summary: Box<str>,
    /// Archive section.
    pub section: &'static str,
    /// Architecture-independent (`all`) rather than `amd64`.
    pub arch_all: bool,
    /// Source package, when it differs from the name.
    pub source: Option<Box<str>>,
    /// Installed size in KiB.
    pub size_kib: u32,
    /// Version of the oldest published variant.
    base: Box<str>,
    /// Versions move the upstream part (kernels) instead of adding `+debNNuM`.
    kernel: bool,
    /// How many versions the archive publishes (1 to 4); the last is the candidate.
    pub variants: u8,
    /// apt refuses to remove it.
    pub essential: bool,
    /// Updating it asks for a reboot.
    pub reboot: bool,
    /// Per mille chance that a host has it (given its parent, when it has one).
    pub popularity: u16,
    /// The package it belongs to (a `-doc` or `-dev` follows its library or program).
    pub parent: Option<u16>,
}

/// What one published version fixes, relative to the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateInfo {
    /// A security update.
    pub security: bool,
    /// `critical`, `important`, `moderate` or `low` (security updates only).
    pub severity: Option<&'static str>,
    /// CVE ids (security updates only).
    pub cves: Vec<String>,
}

/// Severities from most to least urgent.
pub const SEVERITIES: [&str; 4] = ["critical", "important", "moderate", "low"];

impl Entry {
    /// `amd64` or `all`.
    pub fn architecture(&self) -> &'static str {
        if self.arch_all {
            "all"
        } else {
            "amd64"
        }
    }

    /// The version string of published variant `v` (0 = oldest).
    pub fn version(&self, v: u8) -> String {
        if v == 0 {
            self.base.to_string()
        } else if self.kernel {
            // base is `6.1.N-1`: later kernels move N.
            let (up, rev) = self.base.rsplit_once('-').unwrap_or((&self.base, "1"));
            let (head, n) = up.rsplit_once('.').unwrap_or((up, "0"));
            let n: u32 = n.parse().unwrap_or(0);
            format!("{head}.{}-{rev}", n + 4 * u32::from(v))
        } else {
            format!("{}+deb{RELEASE}u{v}", self.base)
        }
    }

    /// The variant whose version is `version`, if published.
    pub fn variant_of(&self, version: &str) -> Option<u8> {
        (0..self.variants).find(|v| self.version(*v) == version)
    }

    /// What variant `v` (1 or later) fixes; the same on every host.
    pub fn update(&self, v: u8) -> UpdateInfo {
        let mut r = Rng::from_parts(&[self.name.as_bytes(), &[v], b"update"]);
        let security = self.kernel || r.chance(450);
        if !security {
            return UpdateInfo {
                security,
                severity: None,
                cves: Vec::new(),
            };
        }
        let roll = r.below(100);
        let severity = match roll {
            0..=7 => SEVERITIES[0],
            8..=39 => SEVERITIES[1],
            40..=79 => SEVERITIES[2],
            _ => SEVERITIES[3],
        };
        let cves = (0..r.between(1, 4))
            .map(|_| format!("CVE-{}-{}", 2022 + r.below(4), r.between(1000, 49999)))
            .collect();
        UpdateInfo {
            security,
            severity: Some(severity),
            cves,
        }
    }
}

/// Every package, and an index by name.
#[derive(Debug)]
pub struct Catalogue {
    entries: Vec<Entry>,
    /// Entry indexes sorted by name.
    sorted: Vec<u16>,
}

impl Catalogue {
    /// Number of packages.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entry `i`.
    pub fn entry(&self, i: usize) -> Option<&Entry> {
        self.entries.get(i)
    }

    /// All entries in generation order (parents before their children).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Indexes in name order.
    pub fn by_name_order(&self) -> impl Iterator<Item = usize> + '_ {
        self.sorted.iter().map(|i| usize::from(*i))
    }

    /// The index of the package called `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.sorted
            .binary_search_by(|i| self.entries[usize::from(*i)].name.as_ref().cmp(name))
            .ok()
            .map(|pos| usize::from(self.sorted[pos]))
    }
}

/// The one catalogue of this process (built on first use, ~1 ms, a few hundred KiB).
pub fn catalogue() -> Arc<Catalogue> {
    static CATALOGUE: OnceLock<Arc<Catalogue>> = OnceLock::new();
    CATALOGUE
        .get_or_init(|| {
            let entries = build::entries();
            let mut sorted: Vec<u16> = (0..entries.len()).filter_map(|i| u16::try_from(i).ok()).collect();
            sorted.sort_by(|x, y| entries[usize::from(*x)].name.cmp(&entries[usize::from(*y)].name));
            Arc::new(Catalogue { entries, sorted })
        })
        .clone()
}

#[cfg(test)]
mod tests;
