//! The seeded fleet of the fleet-sim report test: a deterministic seed file (installed packages, pending
//! updates with security flag, severity and CVEs, reboot flags, unreachable hosts) and what each report
//! must say about it, computed from the seed alone (never from the manager).

use linux_patch_tests::fleet_seed::{SeedFile, SeedHost, SeedPackage, SeedUpdate};
use std::collections::{BTreeMap, BTreeSet};

/// Hosts in the fleet.
pub const HOSTS: usize = 60;
/// Groups (host `i` is in group `i % 3`).
pub const GROUPS: [&str; 3] = ["web", "db", "batch"];

/// The update kinds hosts draw from: (package, installed, candidate, security, severity, CVEs).
/// CVE-2026-1001 is fixed by two packages of different severities (the CVE takes the highest).
/// (package, installed version, candidate version, security, severity, CVEs).
type Kind = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    Option<&'static str>,
    &'static [&'static str],
);

const KINDS: [Kind; 8] = [
    (
        "openssl",
        "3.0.11-1",
        "3.0.15-1",
        true,
        Some("critical"),
        &["CVE-2026-1001", "CVE-2026-1002"],
    ),
    (
        "curl",
        "7.88.1-10",
        "7.88.1-10+deb12u5",
        true,
        Some("important"),
        &["CVE-2026-1003"],
    ),
    (
        "libxml2",
        "2.9.14-2",
        "2.9.14-2+deb12u1",
        true,
        Some("moderate"),
        &["CVE-2026-1001", "CVE-2026-1004"],
    ),
    (
        "sudo",
        "1.9.13p3-1",
        "1.9.13p3-1+deb12u1",
        true,
        Some("critical"),
        &["CVE-2026-1005"],
    ),
    (
        "vim",
        "9.0.1378-2",
        "9.0.1378-2+deb12u1",
        false,
        Some("low"),
        &["CVE-2026-1006"],
    ),
    ("tzdata", "2024a-0", "2025b-0", false, None, &[]),
    ("bash", "5.2.15-2", "5.2.15-2+b7", true, Some("low"), &[]),
    (
        "linux-image-amd64",
        "6.1.90-1",
        "6.1.112-1",
        true,
        Some("critical"),
        &["CVE-2026-1007"],
    ),
];

/// A small xorshift: the same sequence on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `sim-00001` ..: fleet-sim's names.
pub fn name(i: usize) -> String {
    format!("sim-{:05}", i + 1)
}

/// Whether host `i` is unreachable in the seed.
pub fn unreachable(i: usize) -> bool {
    i % 13 == 6
}

/// The seed: every host named; host 0 clean, host 1 clean but waiting for a reboot, the rest drawn.
pub fn seed() -> SeedFile {
    let mut rng = Rng(0x5EED_F1EE_7000_0001);
    let mut hosts = BTreeMap::new();
    for i in 0..HOSTS {
        let bits = rng.next();
        let picked: Vec<usize> = match i {
            0 | 1 => Vec::new(),
            _ => (0..KINDS.len()).filter(|k| (bits >> (k * 3)) & 3 == 0).collect(),
        };
        let mut installed = vec![
            SeedPackage {
                name: "base-files".into(),
                version: "12.4+deb12u7".into(),
                architecture: "amd64".into(),
            },
            SeedPackage {
                name: "coreutils".into(),
                version: "9.1-1".into(),
                architecture: "amd64".into(),
            },
        ];
        let mut updates = Vec::new();
        for (k, (pkg, inst, cand, security, severity, cves)) in KINDS.iter().enumerate() {
            // Every other host has each package installed; the update of a missing one pulls it in new.
            if (i + k) % 2 == 0 || picked.contains(&k) {
                installed.push(SeedPackage {
                    name: (*pkg).into(),
                    version: (*inst).into(),
                    architecture: "amd64".into(),
                });
            }
            if picked.contains(&k) {
                updates.push(SeedUpdate {
                    name: (*pkg).into(),
                    architecture: "amd64".into(),
                    candidate_version: (*cand).into(),
                    security: *security,
                    severity: severity.map(Into::into),
                    cves: cves.iter().map(|c| (*c).to_owned()).collect(),
                });
            }
        }
        hosts.insert(
            name(i),
            SeedHost {
                unreachable: unreachable(i),
                installed,
                updates,
                reboot_required: i == 1 || (i > 1 && (bits >> 40).is_multiple_of(5)),
            },
        );
    }
    SeedFile { hosts }
}

/// One host as the compliance report must show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostExpect {
    /// `compliant`, `not compliant` or `no data`.
    pub state: &'static str,
    /// Pending security updates.
    pub security: usize,
    /// `yes`, `no` or `unknown` (no data).
    pub reboot: &'static str,
    /// Critical security updates pending.
    pub critical: usize,
}

/// One CVE as the exposure report must show it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CveExpect {
    /// Highest severity rank of its updates (4 critical .. 0 unrated).
    pub rank: i64,
    /// Hosts exposed.
    pub hosts: BTreeSet<String>,
    /// Packages whose update fixes it.
    pub packages: BTreeSet<String>,
}

/// Everything a report over some hosts must say.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// Host name -> row.
    pub hosts: BTreeMap<String, HostExpect>,
    /// CVE -> row.
    pub cves: BTreeMap<String, CveExpect>,
}

/// The severity rank the exposure report sorts by.
pub fn rank(severity: Option<&str>) -> i64 {
    match severity.map(str::to_ascii_lowercase).as_deref() {
        Some("critical") => 4,
        Some("important" | "high") => 3,
        Some("moderate" | "medium") => 2,
        Some("low") => 1,
        _ => 0,
    }
}

/// The word of a rank.
pub fn rank_word(rank: i64) -> &'static str {
    ["unrated", "low", "moderate", "important", "critical"][usize::try_from(rank).unwrap()]
}

impl Expect {
    /// What the reports over the hosts `i` with `keep(i)` must say.
    pub fn of(seed: &SeedFile, keep: impl Fn(usize) -> bool) -> Expect {
        let mut e = Expect::default();
        for i in (0..HOSTS).filter(|i| keep(*i)) {
            let h = &seed.hosts[&name(i)];
            if h.unreachable {
                let row = HostExpect {
                    state: "no data",
                    security: 0,
                    reboot: "unknown",
                    critical: 0,
                };
                e.hosts.insert(name(i), row);
                continue;
            }
            let security = h.updates.iter().filter(|u| u.security).count();
            let critical = h
                .updates
                .iter()
                .filter(|u| u.security && rank(u.severity.as_deref()) == 4)
                .count();
            let state = if security == 0 && !h.reboot_required {
                "compliant"
            } else {
                "not compliant"
            };
            let reboot = if h.reboot_required { "yes" } else { "no" };
            e.hosts.insert(
                name(i),
                HostExpect {
                    state,
                    security,
                    reboot,
                    critical,
                },
            );
            for u in &h.updates {
                for cve in &u.cves {
                    let c = e.cves.entry(cve.clone()).or_default();
                    c.rank = c.rank.max(rank(u.severity.as_deref()));
                    c.hosts.insert(name(i));
                    c.packages.insert(u.name.clone());
                }
            }
        }
        e
    }

    /// Hosts in `state`.
    pub fn count(&self, state: &str) -> usize {
        self.hosts.values().filter(|h| h.state == state).count()
    }

    /// `87.5 %` of hosts with data, as the report writes it.
    pub fn percent(&self) -> String {
        let (c, n) = (self.count("compliant"), self.count("not compliant"));
        format!("{:.1} %", c as f64 * 100.0 / (c + n) as f64)
    }

    /// Critical security updates pending (all would be past the PCI limit 31 days on), and their hosts.
    pub fn critical(&self) -> (usize, usize) {
        let rows = self.hosts.values().map(|h| h.critical).sum();
        let hosts = self.hosts.values().filter(|h| h.critical > 0).count();
        (rows, hosts)
    }

    /// Hosts exposed to any CVE.
    pub fn exposed(&self) -> usize {
        self.cves
            .values()
            .flat_map(|c| c.hosts.iter())
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// CVEs per severity word, highest first (ranks with none left out).
    pub fn by_severity(&self) -> Vec<(String, i64)> {
        (0..=4)
            .rev()
            .filter_map(|r| {
                let n = self.cves.values().filter(|c| c.rank == r).count();
                (n > 0).then(|| (rank_word(r).to_owned(), n as i64))
            })
            .collect()
    }
}
