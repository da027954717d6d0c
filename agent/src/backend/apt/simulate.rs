//! Pending upgrades from apt's simulation (`apt-get -s dist-upgrade`): running it and parsing `Inst` lines.

use super::command;
use crate::backend::{BackendError, CommandEnv};
use linux_patch_shared::api::agent::{Patch, PatchOrigin};
use std::time::Duration;

/// How long the simulation may take before it is killed.
pub const SIMULATE_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `apt-get -s -q -o Debug::NoLocking=true [extra_args...] dist-upgrade` (read-only: no lock, no
/// change) and returns the upgrades it would install, sorted by name and architecture.
pub fn simulate(env: &CommandEnv, timeout: Duration) -> Result<Vec<Patch>, BackendError> {
    let mut args: Vec<String> = ["-s", "-q", "-o", "Debug::NoLocking=true"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(env.extra_args.iter().cloned());
    args.push("dist-upgrade".to_string());
    let out = command::run("apt-get", &args, &env.env, timeout)?;
    for w in out.stderr.lines().filter(|l| l.starts_with("W:")) {
        log::warn!("apt-get -s dist-upgrade: {w}");
    }
    Ok(parse_simulation(&out.stdout))
}

/// Every `Inst` line of a simulation, as patches sorted by name and architecture; other lines are ignored.
pub fn parse_simulation(stdout: &str) -> Vec<Patch> {
    let mut out: Vec<Patch> = stdout.lines().filter_map(parse_inst).collect();
    out.sort_by(|a, b| (&a.name, &a.architecture).cmp(&(&b.name, &b.architecture)));
    out
}

/// Parses `Inst NAME[:ARCH] [OLDVER] (NEWVER REL, REL... [ARCH])[ trailing]` where each REL is what apt's
/// `RelStr` prints: `Label:Version/Archive`, `Label:Archive`, `Version/Archive`, or the site (`localhost`).
pub fn parse_inst(line: &str) -> Option<Patch> {
    let rest = line.strip_prefix("Inst ")?.trim_start();
    let (full_name, rest) = rest.split_once(' ')?;
    let (name, name_arch) = match full_name.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (full_name, None),
    };
    let mut rest = rest.trim_start();
    let mut installed_version = None;
    if let Some(r) = rest.strip_prefix('[') {
        let (old, r) = r.split_once(']')?;
        installed_version = Some(old.to_string());
        rest = r.trim_start();
    }
    let inner = paren_group(rest)?;
    let (candidate, rels) = inner.split_once(' ').unwrap_or((inner, ""));
    let (repository, arch) = split_arch(rels.trim());
    let architecture = arch.or(name_arch)?.to_string();
    let origins: Vec<PatchOrigin> = repository
        .split(", ")
        .filter(|r| !r.is_empty())
        .map(parse_origin)
        .collect();
    let security = origins.iter().any(is_security);
    Some(Patch {
        name: name.to_string(),
        architecture,
        installed_version,
        candidate_version: candidate.to_string(),
        repository: repository.to_string(),
        origins,
        security,
        // apt knows nothing about severity or CVEs: say so rather than guess.
        severity: None,
        cves: Vec::new(),
        security_source: "origin".to_string(),
        requires_reboot: crate::backend::reboot_hint::expects_reboot(
            crate::backend::reboot_hint::Family::Apt,
            name,
        ),
    })
}

/// Contents of the parenthesised group `s` starts with, up to its matching `)`.
fn paren_group(s: &str) -> Option<&str> {
    let body = s.strip_prefix('(')?;
    let mut depth = 1usize;
    for (i, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&body[..i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits `RELS [ARCH]` into the release text and the architecture (absent when apt printed none).
fn split_arch(s: &str) -> (&str, Option<&str>) {
    if let Some(body) = s.strip_suffix(']') {
        if let Some(i) = body.rfind('[') {
            let arch = &body[i + 1..];
            if !arch.is_empty() && !arch.contains(' ') {
                return (body[..i].trim_end(), Some(arch));
            }
        }
    }
    (s, None)
}

/// One release string. apt prints the Release file's Label (which for Debian and Ubuntu equals the
/// origin, e.g. `Debian-Security`, `Ubuntu`, `UbuntuESMApps`) before the colon.
fn parse_origin(rel: &str) -> PatchOrigin {
    let rel = rel.trim();
    let (origin, rest) = match rel.rsplit_once(':') {
        Some((label, rest)) => (label.to_string(), rest),
        None => (String::new(), rel),
    };
    let (version, suite) = match rest.split_once('/') {
        Some((v, s)) => (non_empty(v), non_empty(s)),
        // `Label:Archive` when the Release has no Version; without label, the site that served it.
        None if !origin.is_empty() => (None, non_empty(rest)),
        None => {
            return PatchOrigin {
                origin: rest.to_string(),
                version: None,
                suite: None,
            }
        }
    };
    PatchOrigin {
        origin,
        version,
        suite,
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Security when the suite is a `*-security` pocket (Debian, Ubuntu, Ubuntu ESM `jammy-apps-security`,
/// `jammy-infra-security`) or the origin says so (`Debian-Security`).
pub fn is_security(o: &PatchOrigin) -> bool {
    o.suite.as_deref().is_some_and(|s| s.ends_with("-security"))
        || o.origin.contains("Security")
        || o.origin.ends_with("-security")
}

#[cfg(test)]
mod tests;
