//! apk's installed-packages database (`lib/apk/db/installed`) read in-process, and `apk list` lines
//! (`apk list --installed`/`--upgradable`) and `apk version -l '<'` lines, the fallbacks that run apk.

use super::names::split_name_version;
use linux_patch_shared::api::agent::Package;

/// Parses the installed database: one stanza per package (`P:name`, `V:version`, `A:arch`,
/// `T:description`, `I:installed bytes`, `o:origin`, ...), stanzas separated by blank lines. Stanzas
/// without a name or version are skipped. Sorted by name.
pub fn parse_installed(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let mut cur = Stanza::default();
    for line in text.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if let Some(p) = std::mem::take(&mut cur).into_package() {
                out.push(p);
            }
            continue;
        }
        let Some((tag, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.to_string();
        match tag {
            "P" => cur.name = Some(value),
            "V" => cur.version = Some(value),
            "A" => cur.arch = Some(value),
            "T" => cur.description = Some(value),
            "I" => cur.size = value.trim().parse().ok(),
            "o" => cur.origin = Some(value),
            _ => {}
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[derive(Default)]
struct Stanza {
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    description: Option<String>,
    size: Option<u64>,
    origin: Option<String>,
}

impl Stanza {
    fn into_package(self) -> Option<Package> {
        let name = self.name.filter(|n| !n.is_empty())?;
        let version = self.version.filter(|v| !v.is_empty())?;
        let source = self.origin.filter(|o| !o.is_empty() && *o != name);
        Some(Package {
            name,
            version,
            architecture: self.arch.unwrap_or_default(),
            status: "installed".to_string(),
            summary: self.description.filter(|d| !d.is_empty()),
            section: None,
            installed_size_kib: self.size.map(|b| b.div_ceil(1024)),
            source,
            upgradable: None,
            candidate_version: None,
        })
    }
}

/// One line of `apk list`: `NAME-VERSION ARCH {ORIGIN} (LICENSE) [STATUS]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListLine {
    /// Package name.
    pub name: String,
    /// Version shown (for `--upgradable`, the candidate).
    pub version: String,
    /// Architecture.
    pub arch: String,
    /// Origin (source package), when shown.
    pub origin: Option<String>,
    /// For `--upgradable`: the installed version from `[upgradable from: NAME-VERSION]`.
    pub upgradable_from: Option<String>,
}

/// Parses one `apk list` line; `None` for anything else (warnings, blank lines).
pub fn parse_list_line(line: &str) -> Option<ListLine> {
    let mut words = line.split_whitespace();
    let (name, version) = split_name_version(words.next()?)?;
    let arch = words.next()?.to_string();
    let origin = line
        .split_once(" {")
        .and_then(|(_, r)| r.split_once('}'))
        .map(|(o, _)| o.to_string());
    let upgradable_from = line
        .trim_end()
        .strip_suffix(']')
        .and_then(|l| l.rsplit_once("[upgradable from: "))
        .and_then(|(_, nv)| split_name_version(nv))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string());
    Some(ListLine {
        name: name.to_string(),
        version: version.to_string(),
        arch,
        origin,
        upgradable_from,
    })
}

/// Every package of `apk list --installed` output, as packages sorted by name.
pub fn parse_list_installed(stdout: &str) -> Vec<Package> {
    let mut out: Vec<Package> = stdout
        .lines()
        .filter_map(parse_list_line)
        .map(|l| Package {
            source: l.origin.filter(|o| *o != l.name),
            name: l.name,
            version: l.version,
            architecture: l.arch,
            status: "installed".to_string(),
            summary: None,
            section: None,
            installed_size_kib: None,
            upgradable: None,
            candidate_version: None,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `apk version -l '<'` output as (name, installed, candidate): a header line, then
/// `NAME-VERSION <padding> < CANDIDATE [TAG]` per package.
pub fn parse_version_less(stdout: &str) -> Vec<(String, String, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (name, installed) = split_name_version(w.next()?)?;
            (w.next()? == "<").then_some(())?;
            let candidate = w.next()?;
            Some((name.to_string(), installed.to_string(), candidate.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
