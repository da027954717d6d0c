//! The files enrolment writes: the pinned manager CA, the bundle (atomically, key 0600, certs dir 0700),
//! `tls.crl` in `config.yaml` and the manager's address in `whitelist.yaml` — each edit minimal and
//! checked by parsing the result before it replaces the file.

use crate::config::file::{parse_yaml_text, ConfigFile};
use crate::config::AllowList;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// `config.yaml` written when none exists (the documented defaults).
pub const DEFAULT_CONFIG: &str = "# linux-patch-api configuration (created by --enroll; see docs/agent.md)
server:   { bind_address: 0.0.0.0, port: 12443, request_timeout_secs: 30, max_body_bytes: 1048576 }
tls:      { ca_cert: certs/ca.pem, server_cert: certs/server.pem, server_key: certs/server.key, crl: null }
logging:  { level: info, retention_days: 30, remote_syslog: null }
security: { job_timeout_secs: 1800, max_concurrent_jobs: 5, rate_limit_per_minute: 600, job_retention_days: 7 }
backend:
  kind: auto
  env: {}
  extra_args: []
";

/// Creates `dir` (and parents) with mode 0700 when missing.
pub fn private_dir(dir: &Path) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Replaces `path` with `data` atomically (temporary file in the same directory, fsync, rename).
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.enroll-{}", std::process::id()));
    let err = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(err)?;
    let written = f.write_all(data).and_then(|()| f.sync_all());
    drop(f);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

/// Writes the default `config.yaml` when there is none; returns whether it did.
pub fn ensure_config(config_file: &Path) -> Result<bool, String> {
    if config_file.exists() {
        return Ok(false);
    }
    if let Some(dir) = config_file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    write_atomic(config_file, DEFAULT_CONFIG.as_bytes(), 0o644)?;
    Ok(true)
}

/// The pinned CA (PEM) in `state_dir`, when there is one.
pub fn pin_file(state_dir: &Path) -> PathBuf {
    state_dir.join("manager-ca.pem")
}

/// `<state_dir>/manager.json`: which manager this agent enrolled with (read by `crate::link`).
pub fn manager_file(state_dir: &Path) -> PathBuf {
    state_dir.join("manager.json")
}

/// The contents of `manager.json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagerRecord {
    /// `https://host:port` as given to `--enroll`.
    pub url: String,
}

/// Records the manager this agent enrolled with (`base`: `https://host:port`).
pub fn save_manager(state_dir: &Path, base: &str) -> Result<(), String> {
    let text =
        serde_json::to_string_pretty(&ManagerRecord { url: base.to_owned() }).map_err(|e| e.to_string())?;
    write_atomic(&manager_file(state_dir), text.as_bytes(), 0o644)
}

/// Where each bundle file goes: the config's `tls` paths (relative to the config directory); the CRL
/// beside the CA when `tls.crl` is null. Also returns the `tls.crl` value to set, if it must be set.
pub fn bundle_paths(cfg: &ConfigFile, config_dir: &Path) -> (BundlePaths, Option<String>) {
    let abs = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            config_dir.join(p)
        }
    };
    let (crl, set) = match &cfg.tls.crl {
        Some(c) => (abs(c), None),
        None => {
            let rel = cfg.tls.ca_cert.parent().unwrap_or(Path::new("")).join("crl.pem");
            (abs(&rel), Some(rel.to_string_lossy().into_owned()))
        }
    };
    (
        BundlePaths {
            ca: abs(&cfg.tls.ca_cert),
            cert: abs(&cfg.tls.server_cert),
            key: abs(&cfg.tls.server_key),
            crl,
        },
        set,
    )
}

/// Absolute destinations of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundlePaths {
    /// `ca.pem`.
    pub ca: PathBuf,
    /// `server.pem`.
    pub cert: PathBuf,
    /// `server.key` (0600).
    pub key: PathBuf,
    /// `crl.pem`.
    pub crl: PathBuf,
}

/// Writes the four files (parent directories created 0700).
pub fn write_bundle(p: &BundlePaths, ca: &str, cert: &str, key: &str, crl: &str) -> Result<(), String> {
    for (path, data, mode) in [
        (&p.key, key, 0o600),
        (&p.cert, cert, 0o644),
        (&p.crl, crl, 0o644),
        (&p.ca, ca, 0o644),
    ] {
        if let Some(dir) = path.parent() {
            private_dir(dir)?;
        }
        write_atomic(path, data.as_bytes(), mode)?;
    }
    Ok(())
}

/// `config.yaml` with `tls.crl` set to `value` (only that changed), checked by parsing; `None` when the
/// text cannot be edited safely.
pub fn set_crl(text: &str, value: &str) -> Option<String> {
    let before: ConfigFile = parse_yaml_text(Path::new("config.yaml"), text).ok()?;
    let edited = edit_crl(text, value)?;
    let after: ConfigFile = parse_yaml_text(Path::new("config.yaml"), &edited).ok()?;
    let mut want = before;
    want.tls.crl = Some(PathBuf::from(value));
    (after == want).then_some(edited)
}

fn edit_crl(text: &str, value: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let tls = lines.iter().position(|l| l.starts_with("tls:"));
    let Some(i) = tls else {
        let sep = if text.is_empty() || text.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        return Some(format!("{text}{sep}tls:\n  crl: {value}\n"));
    };
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let rest = lines[i]["tls:".len()..].trim();
    if rest.starts_with('{') {
        let line = &lines[i];
        let new = if let Some(pos) = line.find("crl: null") {
            format!("{}crl: {value}{}", &line[..pos], &line[pos + "crl: null".len()..])
        } else if line.contains("crl:") {
            return None;
        } else {
            let close = line.rfind('}')?;
            let inner = line[..close].trim_end();
            let comma = if inner.ends_with('{') { "" } else { "," };
            format!("{inner}{comma} crl: {value} {}", &line[close..])
        };
        out[i] = new;
    } else if rest.is_empty() || rest.starts_with('#') {
        let block: Vec<usize> = (i + 1..lines.len())
            .take_while(|&j| lines[j].starts_with(' ') || lines[j].trim().is_empty())
            .collect();
        let crl = block.iter().find(|&&j| lines[j].trim_start().starts_with("crl:"));
        match crl {
            Some(&j) => {
                let v = lines[j].trim_start()["crl:".len()..]
                    .split('#')
                    .next()
                    .unwrap_or("")
                    .trim();
                if !(v.is_empty() || v == "null" || v == "~") {
                    return None;
                }
                let indent = &lines[j][..lines[j].len() - lines[j].trim_start().len()];
                out[j] = format!("{indent}crl: {value}");
            }
            None => {
                let indent = block
                    .iter()
                    .map(|&j| lines[j])
                    .find(|l| !l.trim().is_empty())
                    .map_or("  ".to_owned(), |l| {
                        l[..l.len() - l.trim_start().len()].to_owned()
                    });
                out.insert(i + 1, format!("{indent}crl: {value}"));
            }
        }
    } else {
        return None;
    }
    Some(out.join("\n") + "\n")
}

/// `whitelist.yaml` (or a new one when `text` is `None`) allowing `ip` too, keeping the rest as it was;
/// `None` when the list's layout cannot be extended safely. `stamp` goes into the comment.
pub fn allow_ip(text: Option<&str>, ip: Ipv4Addr, stamp: &str) -> Option<String> {
    let comment = format!("# the manager, added by linux-patch-api --enroll on {stamp}");
    let Some(text) = text else {
        return Some(format!("allow:\n  - {ip}   {comment}\n"));
    };
    let lines: Vec<&str> = text.lines().collect();
    let i = lines.iter().position(|l| l.starts_with("allow:"))?;
    let rest = lines[i]["allow:".len()..].split('#').next().unwrap_or("").trim();
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    if rest.starts_with('[') {
        let line = lines[i];
        let close = line.rfind(']')?;
        let inner = line[..close].trim_end();
        let comma = if inner.ends_with('[') { "" } else { "," };
        out.insert(i, comment);
        out[i + 1] = format!("{inner}{comma} {ip}{}", &line[close..]);
    } else if rest.is_empty() {
        let items: Vec<&str> = lines[i + 1..]
            .iter()
            .copied()
            .filter(|l| l.trim_start().starts_with("- "))
            .collect();
        let indent = items.first().map_or("  ".to_owned(), |l| {
            l[..l.len() - l.trim_start().len()].to_owned()
        });
        out.push(format!("{indent}- {ip}   {comment}"));
    } else {
        return None;
    }
    let edited = out.join("\n") + "\n";
    let parsed: serde_norway::Value = serde_norway::from_str(&edited).ok()?;
    let listed = parsed
        .get("allow")?
        .as_sequence()?
        .iter()
        .any(|v| v.as_str() == Some(ip.to_string().as_str()));
    listed.then_some(edited)
}

/// Whether the allow-list in `path` already admits `ip` (unreadable or invalid counts as no).
pub fn allows(path: &Path, ip: Ipv4Addr) -> bool {
    AllowList::load(path).is_ok_and(|a| a.allows(IpAddr::V4(ip)))
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
