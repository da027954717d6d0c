//! Facts about the host: `/etc/os-release`, kernel, architecture, host names, machine id, uptime.

use linux_patch_shared::api::agent::OsInfo;
use std::path::{Path, PathBuf};

/// Where the host facts are read from (real paths by default; a temp tree in tests).
#[derive(Debug, Clone)]
pub struct HostFiles {
    /// `/etc/os-release` (falls back to `/usr/lib/os-release` when absent).
    pub os_release: PathBuf,
    /// `/etc/machine-id`.
    pub machine_id: PathBuf,
    /// `/proc`.
    pub proc: PathBuf,
}

impl Default for HostFiles {
    fn default() -> Self {
        Self {
            os_release: PathBuf::from("/etc/os-release"),
            machine_id: PathBuf::from("/etc/machine-id"),
            proc: PathBuf::from("/proc"),
        }
    }
}

impl HostFiles {
    /// Parsed os-release (empty fields when the file is missing).
    pub fn os(&self) -> OsInfo {
        let text = std::fs::read_to_string(&self.os_release)
            .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
            .unwrap_or_default();
        parse_os_release(&text)
    }

    /// Running kernel release.
    pub fn kernel(&self) -> String {
        read_trim(&self.proc.join("sys/kernel/osrelease")).unwrap_or_else(|| "unknown".into())
    }

    /// Short host name.
    pub fn hostname(&self) -> String {
        read_trim(&self.proc.join("sys/kernel/hostname")).unwrap_or_else(|| "localhost".into())
    }

    /// `/etc/machine-id`, when present and non-empty.
    pub fn machine_id(&self) -> Option<String> {
        read_trim(&self.machine_id).filter(|s| !s.is_empty())
    }

    /// Seconds since boot.
    pub fn uptime_secs(&self) -> u64 {
        read_trim(&self.proc.join("uptime"))
            .and_then(|t| t.split_whitespace().next().and_then(|s| s.parse::<f64>().ok()))
            .map(|f| f as u64)
            .unwrap_or(0)
    }
}

/// Machine architecture as `uname -m` names it.
pub fn arch() -> &'static str {
    std::env::consts::ARCH
}

/// The canonical name the resolver gives `hostname`, or `hostname` itself when it knows no better.
/// May block on DNS: call from a blocking context.
pub fn fqdn(hostname: &str) -> String {
    let hints = dns_lookup::AddrInfoHints {
        flags: libc_ai_canonname(),
        ..dns_lookup::AddrInfoHints::default()
    };
    dns_lookup::getaddrinfo(Some(hostname), None, Some(hints))
        .ok()
        .and_then(|mut it| it.find_map(|a| a.ok().and_then(|a| a.canonname)))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| hostname.to_owned())
}

/// `AI_CANONNAME` (2 on Linux).
const fn libc_ai_canonname() -> i32 {
    2
}

fn read_trim(p: &Path) -> Option<String> {
    std::fs::read_to_string(p).ok().map(|s| s.trim().to_owned())
}

/// Parses os-release `KEY=value` lines (quoted or not, `#` comments).
pub fn parse_os_release(text: &str) -> OsInfo {
    let mut os = OsInfo::default();
    for line in text.lines() {
        let line = line.trim();
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        if key.starts_with('#') {
            continue;
        }
        let value = unquote(raw.trim());
        match key {
            "ID" => os.id = Some(value),
            "ID_LIKE" => os.id_like = value.split_whitespace().map(str::to_owned).collect(),
            "NAME" => os.name = Some(value),
            "VERSION_ID" => os.version_id = Some(value),
            "VERSION_CODENAME" => os.version_codename = Some(value),
            "PRETTY_NAME" => os.pretty_name = Some(value),
            _ => {}
        }
    }
    os
}

fn unquote(v: &str) -> String {
    let stripped = if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        &v[1..v.len() - 1]
    } else {
        v
    };
    stripped
        .replace("\\\"", "\"")
        .replace("\\\\", "\\")
        .replace("\\$", "$")
        .replace("\\`", "`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_debian_and_ubuntu_os_release() {
        let deb = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n";
        let os = parse_os_release(deb);
        assert_eq!(os.id.as_deref(), Some("debian"));
        assert_eq!(os.version_id.as_deref(), Some("12"));
        assert_eq!(os.pretty_name.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        let ubu = "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n# comment=x\nVERSION_ID='22.04'\n";
        let os = parse_os_release(ubu);
        assert_eq!(os.id_like, vec!["debian".to_string()]);
        assert_eq!(os.version_id.as_deref(), Some("22.04"));
    }

    #[test]
    fn reads_host_facts_from_the_given_tree() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("proc/sys/kernel")).unwrap();
        std::fs::write(d.path().join("proc/sys/kernel/osrelease"), "6.1.0-18-amd64\n").unwrap();
        std::fs::write(d.path().join("proc/sys/kernel/hostname"), "web01\n").unwrap();
        std::fs::write(d.path().join("proc/uptime"), "12345.67 999.0\n").unwrap();
        std::fs::write(d.path().join("machine-id"), "abc123\n").unwrap();
        let h = HostFiles {
            os_release: d.path().join("none"),
            machine_id: d.path().join("machine-id"),
            proc: d.path().join("proc"),
        };
        assert_eq!(h.kernel(), "6.1.0-18-amd64");
        assert_eq!(h.hostname(), "web01");
        assert_eq!(h.uptime_secs(), 12345);
        assert_eq!(h.machine_id().as_deref(), Some("abc123"));
    }
}
