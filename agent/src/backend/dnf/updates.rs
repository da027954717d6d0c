//! Pending updates with their security data: the candidates from `dnf repoquery --upgrades`, the advisories
//! from `dnf updateinfo list` (type, severity) and `dnf updateinfo list --with-cve` (CVE ids), joined.

use super::command::Tools;
use super::evr::compare_versions;
use crate::backend::BackendError;
use linux_patch_shared::api::agent::{Package, Patch, PatchOrigin};
use std::cmp::Ordering;
use std::path::Path;
use std::time::Duration;

/// `repoquery` format of one candidate: name, epoch, version, release, arch, repository id.
const CANDIDATE_FORMAT: &str = "%{name}\\t%{epoch}\\t%{version}\\t%{release}\\t%{arch}\\t%{repoid}";

/// Severities from most to least severe, as updateinfo spells them.
const SEVERITIES: [&str; 4] = ["Critical", "Important", "Moderate", "Low"];

/// One package an upgrade would install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Package name.
    pub name: String,
    /// Architecture.
    pub arch: String,
    /// `[epoch:]version-release`.
    pub evr: String,
    /// Repository id.
    pub repo: String,
}

/// One line of `updateinfo list`: an advisory id (or a CVE id with `--with-cve`) naming one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryLine {
    /// Advisory id, or CVE id.
    pub id: String,
    /// Whether the advisory is of type security.
    pub security: bool,
    /// Severity as updateinfo spells it (`Important`), for security advisories that give one.
    pub severity: Option<String>,
    /// Package name.
    pub name: String,
    /// `[epoch:]version-release` of the fixed package.
    pub evr: String,
    /// Architecture of the fixed package.
    pub arch: String,
}

/// Runs the three queries (from the metadata cache) and joins them; `installed` is the rpm database.
pub fn fetch(
    tools: &Tools,
    cachedir: &Path,
    installed: &[Package],
    timeout: Duration,
) -> Result<Vec<Patch>, BackendError> {
    let cands = tools.query(
        &[
            "repoquery",
            "--upgrades",
            "--latest-limit=1",
            "--qf",
            CANDIDATE_FORMAT,
        ],
        &[],
        timeout,
    )?;
    let cands: Vec<Candidate> = cands.stdout.iter().filter_map(|l| parse_candidate(l)).collect();
    if cands.is_empty() {
        return Ok(Vec::new());
    }
    let advisories = tools.query(&["updateinfo", "list", "--available"], &[], timeout)?;
    let cves = tools.query(&["updateinfo", "list", "--available", "--with-cve"], &[], timeout)?;
    let advisories: Vec<AdvisoryLine> = advisories
        .stdout
        .iter()
        .filter_map(|l| parse_advisory(l))
        .collect();
    let cves: Vec<AdvisoryLine> = cves.stdout.iter().filter_map(|l| parse_advisory(l)).collect();
    Ok(join(&cands, installed, &advisories, &cves, &|repo| {
        repo_has_updateinfo(cachedir, repo)
    }))
}

/// A `repoquery` line of [`CANDIDATE_FORMAT`].
pub fn parse_candidate(line: &str) -> Option<Candidate> {
    let f: Vec<&str> = line.split('\t').collect();
    let [name, epoch, version, release, arch, repo] = f[..] else {
        return None;
    };
    Some(Candidate {
        name: name.into(),
        arch: arch.into(),
        evr: super::evr::format_evr(epoch, version, release),
        repo: repo.into(),
    })
}

/// An `updateinfo list` line: `ID LABEL NEVRA` (a date may follow in verbose mode). LABEL is
/// `Severity/Sec.` or `Unknown/Sec.` for security advisories, else the type (`bugfix`, ...).
pub fn parse_advisory(line: &str) -> Option<AdvisoryLine> {
    let mut t = line.split_whitespace();
    let (id, label, nevra) = (t.next()?, t.next()?, t.next()?);
    let (security, severity) = match label.strip_suffix("/Sec.") {
        Some(sev) => (true, SEVERITIES.contains(&sev).then(|| sev.to_string())),
        None if ["bugfix", "enhancement", "newpackage", "unknown", "security"].contains(&label) => {
            (label == "security", None)
        }
        None => return None,
    };
    let (name, evr, arch) = parse_nevra(nevra)?;
    Some(AdvisoryLine {
        id: id.into(),
        security,
        severity,
        name: name.into(),
        evr: evr.into(),
        arch: arch.into(),
    })
}

/// `name-[epoch:]version-release.arch` split into name, evr and arch.
pub fn parse_nevra(s: &str) -> Option<(&str, &str, &str)> {
    let (nevr, arch) = s.rsplit_once('.')?;
    let (nev, _release) = nevr.rsplit_once('-')?;
    let (name, _ev) = nev.rsplit_once('-')?;
    let evr = &nevr[name.len() + 1..];
    (!name.is_empty() && !arch.is_empty()).then_some((name, evr, arch))
}

/// Whether dnf's cache of `repo` holds updateinfo: libsolv's `REPO-updateinfo.solvx`, or an
/// `updateinfo` entry in the newest `REPO-HASH/repodata/repomd.xml`.
pub fn repo_has_updateinfo(cachedir: &Path, repo: &str) -> bool {
    if cachedir.join(format!("{repo}-updateinfo.solvx")).is_file() {
        return true;
    }
    let Ok(rd) = std::fs::read_dir(cachedir) else {
        return false;
    };
    let newest = rd
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix(repo)?.strip_prefix('-'))
                .is_some_and(|h| h.len() >= 8 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .map(|e| e.path().join("repodata/repomd.xml"))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max();
    newest
        .and_then(|(_, p)| std::fs::read_to_string(p).ok())
        .is_some_and(|x| x.contains("type=\"updateinfo\""))
}

/// The patches: each candidate with the installed version it replaces, and the advisories fixing
/// something between the two (installed < fixed ≤ candidate, same name, same arch or noarch).
/// `security_source` is `updateinfo` when an advisory matched or the repository publishes updateinfo,
/// else `unknown`.
pub fn join(
    cands: &[Candidate],
    installed: &[Package],
    advisories: &[AdvisoryLine],
    cves: &[AdvisoryLine],
    has_updateinfo: &dyn Fn(&str) -> bool,
) -> Vec<Patch> {
    let mut out: Vec<Patch> = cands
        .iter()
        .map(|c| {
            let inst = installed_version(installed, &c.name, &c.arch);
            let applies = |a: &&AdvisoryLine| {
                a.name == c.name
                    && (a.arch == c.arch || a.arch == "noarch" || c.arch == "noarch")
                    && compare_versions(&a.evr, &c.evr) != Ordering::Greater
                    && inst.is_none_or(|i| compare_versions(&a.evr, i) == Ordering::Greater)
            };
            let matched: Vec<&AdvisoryLine> = advisories.iter().filter(applies).collect();
            let security = matched.iter().any(|a| a.security);
            let severity = SEVERITIES
                .iter()
                .find(|s| {
                    matched
                        .iter()
                        .any(|a| a.security && a.severity.as_deref() == Some(**s))
                })
                .map(|s| s.to_lowercase());
            let mut cve_ids: Vec<String> = cves.iter().filter(applies).map(|a| a.id.clone()).collect();
            cve_ids.sort();
            cve_ids.dedup();
            let source = if !matched.is_empty() || has_updateinfo(&c.repo) {
                "updateinfo"
            } else {
                "unknown"
            };
            Patch {
                name: c.name.clone(),
                architecture: c.arch.clone(),
                installed_version: inst.map(str::to_string),
                candidate_version: c.evr.clone(),
                repository: c.repo.clone(),
                origins: vec![PatchOrigin {
                    origin: c.repo.clone(),
                    version: None,
                    suite: None,
                }],
                security,
                severity,
                cves: cve_ids,
                security_source: source.into(),
                requires_reboot: crate::backend::reboot_hint::expects_reboot(
                    crate::backend::reboot_hint::Family::Rpm,
                    &c.name,
                ),
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.name, &a.architecture).cmp(&(&b.name, &b.architecture)));
    out
}

/// The newest installed version of `name` for `arch` (or any arch when none matches: an arch change).
fn installed_version<'a>(installed: &'a [Package], name: &str, arch: &str) -> Option<&'a str> {
    let newest = |same_arch: bool| {
        installed
            .iter()
            .filter(|p| p.name == name && (!same_arch || p.architecture == arch))
            .map(|p| p.version.as_str())
            .max_by(|a, b| compare_versions(a, b))
    };
    newest(true).or_else(|| newest(false))
}

#[cfg(test)]
mod tests;
