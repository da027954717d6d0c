//! Backend detection for `backend.kind: auto`: `/etc/os-release` (`ID`, then `ID_LIKE`) names the
//! distribution family, the package-manager binaries present confirm it (dnf before yum on the RPM
//! family); an unknown distribution falls back to the binaries in a fixed order; an impossible choice is
//! a sentence saying what was looked for.

use crate::config::BackendKind;
use std::path::{Path, PathBuf};

/// Answers "is this program installed?" (injectable so detection is testable without the programs).
pub trait Probe {
    /// Whether `program` exists as an executable.
    fn has(&self, program: &str) -> bool;
}

impl<F: Fn(&str) -> bool> Probe for F {
    fn has(&self, program: &str) -> bool {
        self(program)
    }
}

/// Looks for programs in the directories of `PATH` plus the `sbin` directories (`apk` lives in `/sbin`,
/// and a service's `PATH` may lack them).
#[derive(Debug, Clone)]
pub struct PathProbe {
    dirs: Vec<PathBuf>,
}

impl Probe for PathProbe {
    fn has(&self, program: &str) -> bool {
        use std::os::unix::fs::PermissionsExt;
        self.dirs.iter().any(|d| {
            std::fs::metadata(d.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    }
}

impl PathProbe {
    /// The directories searched, in order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }
}

/// The probe of this process: `PATH`, then `/usr/local/sbin`, `/usr/sbin`, `/sbin`, `/usr/bin`, `/bin`.
pub fn probe_path() -> PathProbe {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for extra in ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        let extra = PathBuf::from(extra);
        if !dirs.contains(&extra) {
            dirs.push(extra);
        }
    }
    dirs.retain(|d| d.is_absolute());
    PathProbe { dirs }
}

/// Programs each backend runs (what detection and an explicit `backend.kind` need present).
pub fn required_programs(kind: BackendKind) -> &'static [&'static str] {
    match kind {
        BackendKind::Apt => &["apt-get", "dpkg"],
        BackendKind::Dnf => &["dnf", "rpm"],
        BackendKind::Yum => &["yum", "rpm"],
        BackendKind::Apk => &["apk"],
        BackendKind::Pacman => &["pacman"],
        BackendKind::Auto | BackendKind::Simulated => &[],
    }
}

/// Checks that an explicitly configured backend can run here; the error names the missing programs.
pub fn check_available(kind: BackendKind, probe: &dyn Probe) -> Result<(), String> {
    let missing: Vec<&str> = required_programs(kind)
        .iter()
        .copied()
        .filter(|p| !probe.has(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing
        .iter()
        .map(|m| format!("`{m}`"))
        .collect::<Vec<_>>()
        .join(" and ");
    let verb = if missing.len() > 1 { "were" } else { "was" };
    Err(format!(
        "backend.kind is {} but {list} {verb} not found (looked in PATH and the sbin directories)",
        kind_name(kind)
    ))
}

/// Lower-case name of a kind, as written in `config.yaml`.
pub fn kind_name(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::Auto => "auto",
        BackendKind::Apt => "apt",
        BackendKind::Dnf => "dnf",
        BackendKind::Yum => "yum",
        BackendKind::Apk => "apk",
        BackendKind::Pacman => "pacman",
        BackendKind::Simulated => "simulated",
    }
}

/// Distribution families and the `ID`s that belong to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Debian,
    Rpm,
    Alpine,
    Arch,
}

impl Family {
    fn label(self) -> &'static str {
        match self {
            Family::Debian => "Debian",
            Family::Rpm => "Red Hat/Fedora",
            Family::Alpine => "Alpine",
            Family::Arch => "Arch",
        }
    }
}

fn family_of(id: &str) -> Option<Family> {
    match id {
        "debian" | "ubuntu" | "linuxmint" | "raspbian" | "pop" | "elementary" | "kali" | "devuan"
        | "neon" | "zorin" => Some(Family::Debian),
        "rhel" | "centos" | "rocky" | "almalinux" | "fedora" | "ol" | "amzn" | "centos-stream"
        | "scientific" | "eurolinux" | "circle" | "cloudlinux" | "nobara" => Some(Family::Rpm),
        "alpine" | "postmarketos" => Some(Family::Alpine),
        "arch" | "archarm" | "manjaro" | "endeavouros" | "garuda" | "artix" => Some(Family::Arch),
        _ => None,
    }
}

/// `ID` and the words of `ID_LIKE` from os-release text (quotes removed, lower case).
pub fn os_ids(os_release: &str) -> (Option<String>, Vec<String>) {
    let value = |key: &str| {
        os_release.lines().find_map(|l| {
            let (k, v) = l.trim().split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches(|c| c == '"' || c == '\'').to_lowercase())
        })
    };
    let id = value("ID").filter(|s| !s.is_empty());
    let like = value("ID_LIKE")
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    (id, like)
}

/// Chooses the backend for `auto` from os-release text and the programs `probe` finds.
pub fn detect(os_release: &str, probe: &dyn Probe) -> Result<BackendKind, String> {
    let (id, like) = os_ids(os_release);
    let shown = match (&id, like.is_empty()) {
        (Some(i), true) => format!("ID={i}"),
        (Some(i), false) => format!("ID={i}, ID_LIKE=\"{}\"", like.join(" ")),
        (None, _) => "no ID".to_owned(),
    };
    let family = id.iter().chain(&like).find_map(|i| family_of(i));
    let ready = |k: BackendKind| required_programs(k).iter().all(|p| probe.has(p));
    let Some(family) = family else {
        const ORDER: [BackendKind; 5] = [
            BackendKind::Apt,
            BackendKind::Dnf,
            BackendKind::Yum,
            BackendKind::Apk,
            BackendKind::Pacman,
        ];
        return ORDER.into_iter().find(|k| ready(*k)).ok_or_else(|| {
            format!(
                "cannot choose a package backend: /etc/os-release ({shown}) names no distribution this \
                 agent knows, and none of apt-get+dpkg, dnf+rpm, yum+rpm, apk, pacman was found; set \
                 backend.kind in config.yaml"
            )
        });
    };
    let (candidates, wanted): (&[BackendKind], &str) = match family {
        Family::Debian => (&[BackendKind::Apt], "apt-get and dpkg were not found"),
        Family::Rpm => (
            &[BackendKind::Dnf, BackendKind::Yum],
            "neither dnf nor yum (with rpm) was found",
        ),
        Family::Alpine => (&[BackendKind::Apk], "apk was not found"),
        Family::Arch => (&[BackendKind::Pacman], "pacman was not found"),
    };
    candidates.iter().copied().find(|k| ready(*k)).ok_or_else(|| {
        format!(
            "cannot choose a package backend: /etc/os-release ({shown}) says this is a {}-family system, \
             but {wanted} in PATH or the sbin directories; install it or set backend.kind \
             in config.yaml",
            family.label()
        )
    })
}

/// [`detect`] on this host: `/etc/os-release` (else `/usr/lib/os-release`) and [`probe_path`].
pub fn detect_host() -> Result<BackendKind, String> {
    let text = read_os_release(Path::new("/etc/os-release"))
        .or_else(|| read_os_release(Path::new("/usr/lib/os-release")))
        .unwrap_or_default();
    detect(&text, &probe_path())
}

fn read_os_release(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

#[cfg(test)]
mod tests;
