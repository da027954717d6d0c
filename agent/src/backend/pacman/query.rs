//! Read-only questions to pacman through `--print-format` dry runs (`-Sup`, `-Sp`, `-Up`), and the package
//! files in the cache directories.

use super::runner::{self, Captured};
use super::version::compare_versions;
use crate::backend::{BackendError, CommandEnv};
use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The `--print-format` of every dry run: name, version, repository (`local` for a file) and location
/// (download URL or file path).
pub const PRINT_FORMAT: &str = "%n %v %r %l";

/// One target a dry run prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Package name.
    pub name: String,
    /// Version it would install.
    pub version: String,
    /// Repository it comes from (`local` for a package file).
    pub repository: String,
    /// Architecture, from the package file name in the location (`any`, `x86_64`); empty if unknown.
    pub architecture: String,
}

/// The arguments of a read-only pacman run: the configured extra arguments, the operation, `--color never`,
/// for a `--print` dry run (`-Sup`, `-Sp`, `-Up`) the [`PRINT_FORMAT`], then `--` and the operands.
pub fn query_args(env: &CommandEnv, op: &str, operands: &[String]) -> Vec<String> {
    let mut a = env.extra_args.clone();
    a.push(op.to_string());
    a.extend(["--color", "never"].map(String::from));
    if matches!(op, "-Sup" | "-Sp" | "-Up") {
        a.extend(["--print-format", PRINT_FORMAT].map(String::from));
    }
    if !operands.is_empty() {
        a.push("--".into());
        a.extend(operands.iter().cloned());
    }
    a
}

/// Runs pacman with `args`; the captured output whatever the exit code.
pub fn pacman(env: &CommandEnv, args: &[String], timeout: Duration) -> Result<Captured, BackendError> {
    runner::capture("pacman", args, &env.env, timeout)
}

/// What `pacman -Su` would install now: `pacman -Sup --print-format '%n %v %r %l'` (no lock taken, nothing
/// changed), sorted by name. Includes new dependencies an upgrade pulls in and honours IgnorePkg, exactly
/// like the real upgrade.
pub fn upgrade_targets(env: &CommandEnv, timeout: Duration) -> Result<Vec<Target>, BackendError> {
    let out = pacman(env, &query_args(env, "-Sup", &[]), timeout)?;
    if !out.success() {
        return Err(BackendError::Command(format!("pacman -Sup: {}", out.errors())));
    }
    let mut t: Vec<Target> = out.stdout.iter().filter_map(|l| parse_target(l)).collect();
    t.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(t)
}

/// What `pacman -S NAME` would install (the package and the dependencies it pulls in), or pacman's
/// error (`target not found: NAME`, unsatisfiable dependencies).
pub fn sync_targets(
    env: &CommandEnv,
    name: &str,
    timeout: Duration,
) -> Result<Result<Vec<Target>, String>, BackendError> {
    dry_run(env, "-Sp", name, timeout)
}

/// What `pacman -U FILE` would install (the file's package and dependencies from the repositories).
pub fn file_targets(
    env: &CommandEnv,
    file: &Path,
    timeout: Duration,
) -> Result<Result<Vec<Target>, String>, BackendError> {
    dry_run(env, "-Up", &file.display().to_string(), timeout)
}

fn dry_run(
    env: &CommandEnv,
    op: &str,
    operand: &str,
    timeout: Duration,
) -> Result<Result<Vec<Target>, String>, BackendError> {
    let out = pacman(env, &query_args(env, op, &[operand.to_string()]), timeout)?;
    if out.success() {
        Ok(Ok(out.stdout.iter().filter_map(|l| parse_target(l)).collect()))
    } else {
        Ok(Err(out.errors()))
    }
}

/// Parses one `%n %v %r %l` line; other lines (`loading packages...`) give `None`.
pub fn parse_target(line: &str) -> Option<Target> {
    let mut f = line.split(' ');
    let (name, version, repository, location) = (f.next()?, f.next()?, f.next()?, f.next()?);
    if name.is_empty() || version.is_empty() || repository.is_empty() || f.next().is_some() {
        return None;
    }
    let file = location.rsplit('/').next().unwrap_or(location);
    let architecture = split_file_name(file)
        .filter(|(n, v, _)| *n == name && *v == version)
        .map(|(_, _, a)| a.to_string())
        .unwrap_or_default();
    Some(Target {
        name: name.to_string(),
        version: version.to_string(),
        repository: repository.to_string(),
        architecture,
    })
}

/// Splits `NAME-PKGVER-PKGREL-ARCH.pkg.tar[.EXT]` into (name, `PKGVER-PKGREL`, arch).
pub fn split_file_name(file: &str) -> Option<(&str, &str, &str)> {
    let i = file.find(".pkg.tar")?;
    let ext = &file[i + ".pkg.tar".len()..];
    if !(ext.is_empty() || (ext.starts_with('.') && !ext[1..].contains('.'))) {
        return None; // .sig, .part and the like
    }
    let stem = &file[..i];
    let (rest, arch) = stem.rsplit_once('-')?;
    let (rest, pkgrel) = rest.rsplit_once('-')?;
    let (name, pkgver) = rest.rsplit_once('-')?;
    if name.is_empty() || pkgver.is_empty() || pkgrel.is_empty() || arch.is_empty() {
        return None;
    }
    Some((name, &stem[name.len() + 1..stem.len() - arch.len() - 1], arch))
}

/// The package file of `name` at `version` in the cache directories: exact `PKGVER-PKGREL` match, or
/// for a version given without pkgrel the highest release of that pkgver; first directory first.
pub fn cached_file(cachedirs: &[PathBuf], name: &str, version: &str) -> Option<PathBuf> {
    let wanted_rel = version.contains('-');
    for dir in cachedirs {
        let Ok(rd) = std::fs::read_dir(dir) else { continue };
        let mut best: Option<(String, PathBuf)> = None;
        for e in rd.filter_map(Result::ok) {
            let fname = e.file_name().to_string_lossy().into_owned();
            let Some((n, v, _)) = split_file_name(&fname) else {
                continue;
            };
            let matches = n == name
                && if wanted_rel {
                    v == version
                } else {
                    v.rsplit_once('-').is_some_and(|(pkgver, _)| pkgver == version)
                };
            if !matches || !e.path().is_file() {
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|(bv, _)| compare_versions(v, bv) == Ordering::Greater)
            {
                best = Some((v.to_string(), e.path()));
            }
        }
        if let Some((_, p)) = best {
            return Some(p);
        }
    }
    None
}

/// Whether `have` is the version `wanted` names (`wanted` without pkgrel matches any release).
pub fn same_version(have: &str, wanted: &str) -> bool {
    have == wanted || (!wanted.contains('-') && have.rsplit_once('-').is_some_and(|(v, _)| v == wanted))
}

#[cfg(test)]
mod tests {
    use super::{cached_file, parse_target, query_args, same_version, split_file_name, Target};
    use crate::backend::CommandEnv;

    #[test]
    fn targets_and_file_names() {
        assert_eq!(
            parse_target("pmtest-hello 1.1-1 pmtest file:///r/new/pmtest-hello-1.1-1-any.pkg.tar.zst"),
            Some(Target {
                name: "pmtest-hello".into(),
                version: "1.1-1".into(),
                repository: "pmtest".into(),
                architecture: "any".into()
            })
        );
        let t = parse_target("pmtest-new 1.0-1 local /tmp/p/pmtest-new-1.0-1-x86_64.pkg.tar.xz").unwrap();
        assert_eq!(
            (t.repository.as_str(), t.architecture.as_str()),
            ("local", "x86_64")
        );
        assert_eq!(parse_target("loading packages..."), None);
        assert_eq!(parse_target("a b c"), None);
        assert_eq!(
            split_file_name("lib32-foo-bar-1:2.0.r3-1.1-x86_64.pkg.tar.zst"),
            Some(("lib32-foo-bar", "1:2.0.r3-1.1", "x86_64"))
        );
        assert_eq!(
            split_file_name("foo-1-1-any.pkg.tar"),
            Some(("foo", "1-1", "any"))
        );
        assert_eq!(split_file_name("foo-1-1-any.pkg.tar.zst.sig"), None);
        assert_eq!(split_file_name("foo-1-1-any.pkg.tar.zst.part"), None);
        assert_eq!(split_file_name("foo-1-any.pkg.tar.zst"), None);
    }

    #[test]
    fn cache_lookup_exact_or_highest_release() {
        let d = tempfile::tempdir().unwrap();
        let d2 = tempfile::tempdir().unwrap();
        for f in [
            "pmtest-hello-1.0-1-any.pkg.tar.zst",
            "pmtest-hello-1.0-2-any.pkg.tar.zst",
            "pmtest-hello-1.0-2-any.pkg.tar.zst.sig",
            "pmtest-hello-extra-1.0-1-any.pkg.tar.zst",
        ] {
            std::fs::write(d.path().join(f), "x").unwrap();
        }
        std::fs::write(d2.path().join("other-3-1-any.pkg.tar.zst"), "x").unwrap();
        let dirs = vec![d2.path().to_path_buf(), d.path().to_path_buf()];
        let name =
            |p: Option<std::path::PathBuf>| p.map(|p| p.file_name().unwrap().to_string_lossy().into_owned());
        assert_eq!(
            name(cached_file(&dirs, "pmtest-hello", "1.0-1")).as_deref(),
            Some("pmtest-hello-1.0-1-any.pkg.tar.zst")
        );
        assert_eq!(
            name(cached_file(&dirs, "pmtest-hello", "1.0")).as_deref(),
            Some("pmtest-hello-1.0-2-any.pkg.tar.zst")
        );
        assert_eq!(cached_file(&dirs, "pmtest-hello", "1.1-1"), None);
        assert_eq!(
            name(cached_file(&dirs, "other", "3-1")).as_deref(),
            Some("other-3-1-any.pkg.tar.zst")
        );
        assert!(
            same_version("1.0-2", "1.0") && same_version("1.0-2", "1.0-2") && !same_version("1.0-2", "1.0-1")
        );
    }

    #[test]
    fn query_arguments_end_with_operands_after_double_dash() {
        let env = CommandEnv {
            env: Default::default(),
            extra_args: vec!["--config".into(), "/r/pacman.conf".into()],
        };
        assert_eq!(
            query_args(&env, "-Sp", &["pmtest-hello".into()]),
            [
                "--config",
                "/r/pacman.conf",
                "-Sp",
                "--color",
                "never",
                "--print-format",
                "%n %v %r %l",
                "--",
                "pmtest-hello"
            ]
        );
        assert_eq!(
            query_args(&env, "-Q", &[]),
            ["--config", "/r/pacman.conf", "-Q", "--color", "never"]
        );
    }
}
