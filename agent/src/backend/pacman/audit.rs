//! Security data for Arch: `arch-audit --upgradable` (the Arch Security Team's tracker) when it is installed;
//! without it every patch says `security_source: "unknown"`.

use super::runner;
use super::version::compare_versions;
use crate::backend::{BackendError, CommandEnv};
use linux_patch_shared::api::agent::Patch;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `backend.env` key naming the arch-audit program to run instead of `arch-audit` from `PATH` (an empty
/// value turns arch-audit off). Tests point it at a fake that prints recorded real-format output.
pub const ARCH_AUDIT_ENV: &str = "LINUX_PATCH_API_ARCH_AUDIT";

/// `--format` asked of arch-audit: name, fixed version, severity, CVE ids (`, `-separated; older
/// releases use `,`). `|` appears in none of them.
pub const FORMAT: &str = "%n|%v|%s|%c";

/// What arch-audit says about one installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    /// The first version that fixes every listed issue, when the tracker names one.
    pub fixed: Option<String>,
    /// Severity in the agent's words (`critical`, `important`, `moderate`, `low`), when known.
    pub severity: Option<String>,
    /// CVE ids.
    pub cves: Vec<String>,
}

/// The arch-audit program: [`ARCH_AUDIT_ENV`] from `backend.env` when set (empty: none), else
/// `arch-audit` found on `PATH` (`backend.env` PATH first, then the agent's own). `None` when there is
/// none, or the named file is not an executable file.
pub fn program(env: &CommandEnv) -> Option<PathBuf> {
    if let Some(p) = env.env.get(ARCH_AUDIT_ENV) {
        if p.is_empty() {
            return None;
        }
        let p = PathBuf::from(p);
        if is_executable(&p) {
            return Some(p);
        }
        log::warn!(
            "{ARCH_AUDIT_ENV}={}: not an executable file; security data unknown",
            p.display()
        );
        return None;
    }
    let path = env
        .env
        .get("PATH")
        .cloned()
        .or_else(|| std::env::var("PATH").ok())
        .unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("arch-audit"))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs `PROGRAM --upgradable --dbpath DBPATH --format FORMAT` (the packages of this database with a fix
/// published) and parses its lines by package name. A non-zero exit (no network to fetch the tracker's
/// data, ...) is an error.
pub fn run(
    program: &Path,
    env: &CommandEnv,
    dbpath: &Path,
    timeout: Duration,
) -> Result<BTreeMap<String, Advisory>, BackendError> {
    let args: Vec<String> = [
        "--upgradable",
        "--dbpath",
        &dbpath.display().to_string(),
        "--format",
        FORMAT,
    ]
    .map(String::from)
    .to_vec();
    let name = program.display().to_string();
    let out = runner::capture(&name, &args, &env.env, timeout)?;
    if !out.success() {
        let why = match out
            .stderr
            .iter()
            .chain(&out.stdout)
            .rev()
            .find(|l| !l.trim().is_empty())
        {
            Some(l) => l.trim().to_string(),
            None => format!("exit code {:?}", out.code),
        };
        return Err(BackendError::Command(format!("{name}: {why}")));
    }
    Ok(parse(&out.stdout))
}

/// Parses `name|fixed|severity|CVE-1, CVE-2` lines; malformed lines are skipped.
pub fn parse(lines: &[String]) -> BTreeMap<String, Advisory> {
    let mut out = BTreeMap::new();
    for line in lines {
        let mut f = line.splitn(4, '|');
        let (Some(name), Some(fixed), Some(severity), Some(cves)) = (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            continue;
        }
        let fixed = fixed.trim();
        out.insert(
            name.to_string(),
            Advisory {
                fixed: (!fixed.is_empty()).then(|| fixed.to_string()),
                severity: severity_word(severity),
                cves: cves
                    .split(',')
                    .map(str::trim)
                    .filter(|c| c.starts_with("CVE-"))
                    .map(str::to_string)
                    .collect(),
            },
        );
    }
    out
}

/// arch-audit's severities (`Critical risk`, `High risk`, ... or without ` risk`) in the agent's
/// vocabulary, which follows RPM updateinfo: High maps to `important`, Medium to `moderate`.
fn severity_word(s: &str) -> Option<String> {
    let w = s.trim().trim_end_matches(" risk").to_ascii_lowercase();
    let mapped = match w.as_str() {
        "critical" => "critical",
        "high" => "important",
        "medium" => "moderate",
        "low" => "low",
        _ => return None,
    };
    Some(mapped.to_string())
}

/// Marks each patch from arch-audit's answer: security when arch-audit lists the package and the
/// candidate reaches the fixed version (a candidate below the fix does not close the issue), with its
/// severity and CVEs; `security_source` is `arch-audit`. Without an answer (`None`: not installed or it
/// failed) every patch stays non-security with source `unknown`.
pub fn classify(patches: &mut [Patch], advisories: Option<&BTreeMap<String, Advisory>>) {
    for p in patches.iter_mut() {
        let Some(adv) = advisories else {
            p.security = false;
            p.severity = None;
            p.cves.clear();
            p.security_source = "unknown".into();
            continue;
        };
        p.security_source = "arch-audit".into();
        let fixes = adv.get(&p.name).filter(|a| {
            a.fixed
                .as_deref()
                .is_none_or(|f| compare_versions(&p.candidate_version, f) != Ordering::Less)
        });
        p.security = fixes.is_some();
        p.severity = fixes.and_then(|a| a.severity.clone());
        p.cves = fixes.map(|a| a.cves.clone()).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::{classify, parse, program, Advisory, ARCH_AUDIT_ENV};
    use crate::backend::CommandEnv;
    use linux_patch_shared::api::agent::Patch;
    use std::collections::BTreeMap;
    use std::os::unix::fs::PermissionsExt;

    fn patch(name: &str, candidate: &str) -> Patch {
        Patch {
            name: name.into(),
            architecture: "any".into(),
            installed_version: Some("0-1".into()),
            candidate_version: candidate.into(),
            repository: "core".into(),
            origins: Vec::new(),
            security: false,
            severity: None,
            cves: Vec::new(),
            security_source: String::new(),
            requires_reboot: false,
        }
    }

    #[test]
    fn parses_real_format_lines() {
        let lines: Vec<String> = [
            "openssl|3.1.4-1|High risk|CVE-2023-5363, CVE-2023-5678",
            "curl|8.4.0-1|Critical risk|CVE-2023-38545,CVE-2023-38546",
            "libxml2||Medium risk|CVE-2023-45322",
            "junk line",
            "zlib|1.3-1|Unknown risk|AVG-2836",
        ]
        .map(String::from)
        .to_vec();
        let m = parse(&lines);
        assert_eq!(m.len(), 4);
        assert_eq!(
            m["openssl"],
            Advisory {
                fixed: Some("3.1.4-1".into()),
                severity: Some("important".into()),
                cves: vec!["CVE-2023-5363".into(), "CVE-2023-5678".into()]
            }
        );
        assert_eq!(m["curl"].severity.as_deref(), Some("critical"));
        assert_eq!(m["curl"].cves.len(), 2);
        assert_eq!(
            (m["libxml2"].fixed.clone(), m["libxml2"].severity.as_deref()),
            (None, Some("moderate"))
        );
        assert_eq!((m["zlib"].severity.clone(), m["zlib"].cves.len()), (None, 0));
    }

    #[test]
    fn classification_needs_the_fix_in_the_candidate() {
        let m = parse(&[
            "a|2.0-1|Low risk|CVE-1-1".to_string(),
            "b|3.0-1|High|CVE-2-2".to_string(),
        ]);
        let mut ps = vec![patch("a", "2.0-1"), patch("b", "2.5-1"), patch("c", "1-1")];
        classify(&mut ps, Some(&m));
        let got: Vec<(bool, Option<String>, usize, &str)> = ps
            .iter()
            .map(|p| {
                (
                    p.security,
                    p.severity.clone(),
                    p.cves.len(),
                    p.security_source.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (true, Some("low".into()), 1, "arch-audit"),
                (false, None, 0, "arch-audit"),
                (false, None, 0, "arch-audit")
            ]
        );
        classify(&mut ps, None);
        assert!(ps.iter().all(|p| !p.security && p.security_source == "unknown"));
        assert_eq!(classify_empty(), "arch-audit");
    }

    fn classify_empty() -> String {
        let mut ps = vec![patch("x", "1-1")];
        classify(&mut ps, Some(&BTreeMap::new()));
        ps[0].security_source.clone()
    }

    #[test]
    fn program_from_env_or_path() {
        let d = tempfile::tempdir().unwrap();
        let fake = d.path().join("fake-arch-audit");
        std::fs::write(&fake, "#!/bin/sh\n").unwrap();
        let env = |k: &str, v: &str| CommandEnv {
            env: BTreeMap::from([(k.to_string(), v.to_string())]),
            extra_args: Vec::new(),
        };
        let f = fake.display().to_string();
        assert_eq!(program(&env(ARCH_AUDIT_ENV, &f)), None, "not executable yet");
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(program(&env(ARCH_AUDIT_ENV, &f)), Some(fake.clone()));
        assert_eq!(program(&env(ARCH_AUDIT_ENV, "")), None, "empty turns it off");
        std::fs::rename(&fake, d.path().join("arch-audit")).unwrap();
        let on_path = format!("/nonexistent:{}", d.path().display());
        assert_eq!(program(&env("PATH", &on_path)), Some(d.path().join("arch-audit")));
        assert_eq!(program(&env("PATH", "/nonexistent")), None);
    }
}
