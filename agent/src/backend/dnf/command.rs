//! How dnf and rpm are invoked: the program (`dnf`, `yum`, or an override), the environment with a fixed
//! `HOME`, the configured global arguments, and the rpm root derived from `--installroot`.

use super::runner::{self, Captured, Ended};
use crate::backend::{BackendError, CommandEnv};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `backend.env` key naming the dnf program for the `dnf` flavor (default: `dnf` from `PATH`).
pub const DNF_BIN_KEY: &str = "LINUX_PATCH_API_DNF_BIN";
/// `backend.env` key naming the program for the `yum` flavor (default: `yum` from `PATH`).
pub const YUM_BIN_KEY: &str = "LINUX_PATCH_API_YUM_BIN";
/// `backend.env` key naming the rpm program (default: `rpm` from `PATH`).
pub const RPM_BIN_KEY: &str = "LINUX_PATCH_API_RPM_BIN";

/// What dnf printed on stderr when `-C` found no metadata cache yet.
const NO_CACHE: &str = "Cache-only enabled but no cache";

/// Everything needed to start dnf or rpm the same way every time.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The dnf program (`dnf`, `yum`, or the override).
    pub dnf: String,
    /// The rpm program.
    pub rpm: String,
    /// Environment added to every run: `backend.env` without our keys, plus `HOME`.
    pub env: BTreeMap<String, String>,
    /// `backend.extra_args`, placed before our own options (so ours win where dnf takes the last one).
    pub extra: Vec<String>,
    /// The `--installroot` of `extra`, if any: rpm runs with `--root` there.
    pub root: Option<PathBuf>,
}

impl Tools {
    /// Tools for `cmd_env`. `default_program` is `dnf` or `yum`, overridden by `bin_key` in `cmd_env.env`.
    /// `HOME` is `cmd_env.env["HOME"]`, else the agent's own, else `/root`; it is passed to every run
    /// because an rpm whose `%_dbpath` is `$HOME/.rpmdb` (Debian's) must see the same database each time.
    pub fn new(cmd_env: &CommandEnv, default_program: &str, bin_key: &str) -> Tools {
        let mut env = cmd_env.env.clone();
        let dnf = env.remove(bin_key).unwrap_or_else(|| default_program.to_string());
        env.remove(if bin_key == DNF_BIN_KEY {
            YUM_BIN_KEY
        } else {
            DNF_BIN_KEY
        });
        let rpm = env.remove(RPM_BIN_KEY).unwrap_or_else(|| "rpm".to_string());
        if !env.contains_key("HOME") {
            let home = std::env::var("HOME")
                .ok()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "/root".into());
            env.insert("HOME".into(), home);
        }
        Tools {
            dnf,
            rpm,
            env,
            root: installroot(&cmd_env.extra_args),
            extra: cmd_env.extra_args.clone(),
        }
    }

    /// `extra_args`, then `args`.
    pub fn dnf_args(&self, args: &[&str]) -> Vec<String> {
        let mut a = self.extra.clone();
        a.extend(args.iter().map(|s| s.to_string()));
        a
    }

    /// Runs dnf with `extra_args args...`, capturing its output.
    pub fn dnf(&self, args: &[String], timeout: Duration) -> Result<Captured, BackendError> {
        runner::capture(&self.dnf, args, &self.env, timeout)
    }

    /// A read-only dnf query: `extra_args -q -C args...` from the metadata cache (no network); when
    /// there is no cache yet, once more without `-C`, which fetches it. Exit codes in `ok_codes` count as
    /// success; anything else is an error carrying dnf's last words.
    pub fn query(
        &self,
        args: &[&str],
        ok_codes: &[i32],
        timeout: Duration,
    ) -> Result<Captured, BackendError> {
        let mut full = vec!["-q", "-C"];
        full.extend_from_slice(args);
        let mut out = self.dnf(&self.dnf_args(&full), timeout)?;
        if out.code() == Some(1) && out.stderr.iter().any(|l| l.contains(NO_CACHE)) {
            let without: Vec<&str> = full.iter().copied().filter(|a| *a != "-C").collect();
            out = self.dnf(&self.dnf_args(&without), timeout)?;
        }
        self.check(out, args, ok_codes, timeout)
    }

    /// Runs rpm with `--root=ROOT` (when there is an installroot) and `args`.
    pub fn rpm(&self, args: &[&str], timeout: Duration) -> Result<Captured, BackendError> {
        let mut full: Vec<String> = Vec::new();
        if let Some(r) = &self.root {
            full.push(format!("--root={}", r.display()));
        }
        full.extend(args.iter().map(|s| s.to_string()));
        let out = runner::capture(&self.rpm, &full, &self.env, timeout)?;
        match out.code() {
            Some(0) => Ok(out),
            _ => Err(failure(&self.rpm, args, &out, timeout)),
        }
    }

    fn check(
        &self,
        out: Captured,
        args: &[&str],
        ok: &[i32],
        timeout: Duration,
    ) -> Result<Captured, BackendError> {
        match out.code() {
            Some(c) if c == 0 || ok.contains(&c) => Ok(out),
            _ => Err(failure(&self.dnf, args, &out, timeout)),
        }
    }

    /// The rpm database directory: the root joined with rpm's `%_dbpath` (asked from rpm itself, with the
    /// same `HOME`).
    pub fn rpmdb_dir(&self, timeout: Duration) -> Result<PathBuf, BackendError> {
        let out = runner::capture(
            &self.rpm,
            &["--eval".to_string(), "%{_dbpath}".to_string()],
            &self.env,
            timeout,
        )?;
        let path = out
            .stdout
            .first()
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        if out.code() != Some(0) || !path.starts_with('/') {
            return Err(BackendError::Command(format!(
                "{} --eval %{{_dbpath}}: no database path ({})",
                self.rpm,
                out.tail()
            )));
        }
        Ok(rooted(self.root.as_deref(), Path::new(&path)))
    }
}

/// `path` inside `root` (the path itself without a root).
pub fn rooted(root: Option<&Path>, path: &Path) -> PathBuf {
    match root {
        Some(r) => r.join(path.strip_prefix("/").unwrap_or(path)),
        None => path.to_path_buf(),
    }
}

/// The `--installroot=R` or `--installroot R` in `args` (the last one wins, as in dnf).
pub fn installroot(args: &[String]) -> Option<PathBuf> {
    let mut found = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if let Some(r) = a.strip_prefix("--installroot=") {
            found = Some(PathBuf::from(r));
        } else if a == "--installroot" {
            found = it.next().map(PathBuf::from);
        }
    }
    found.filter(|r| r.as_os_str() != "/")
}

/// A failed or killed run described: program, arguments, how it ended, its last words.
fn failure(program: &str, args: &[&str], out: &Captured, timeout: Duration) -> BackendError {
    let what = format!("{program} {}", args.join(" "));
    match out.ended {
        Ended::TimedOut { .. } => BackendError::Command(format!(
            "{what}: timed out after {} s and was killed",
            timeout.as_secs()
        )),
        Ended::Exited(s) => {
            let code = s.code().map_or_else(|| "a signal".to_string(), |c| c.to_string());
            BackendError::Command(format!("{what}: exited with {code}: {}", out.tail()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{installroot, rooted, Tools, DNF_BIN_KEY, YUM_BIN_KEY};
    use crate::backend::CommandEnv;
    use std::path::{Path, PathBuf};

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn installroot_from_either_form() {
        assert_eq!(
            installroot(&s(&["--installroot=/r", "-c", "x"])),
            Some(PathBuf::from("/r"))
        );
        assert_eq!(
            installroot(&s(&["-y", "--installroot", "/q"])),
            Some(PathBuf::from("/q"))
        );
        assert_eq!(installroot(&s(&["--installroot=/"])), None);
        assert_eq!(installroot(&s(&["-c", "/etc/dnf/dnf.conf"])), None);
        assert_eq!(
            rooted(Some(Path::new("/r")), Path::new("/root/.rpmdb")),
            PathBuf::from("/r/root/.rpmdb")
        );
        assert_eq!(
            rooted(None, Path::new("/var/lib/rpm")),
            PathBuf::from("/var/lib/rpm")
        );
    }

    #[test]
    fn program_override_and_home() {
        let env = CommandEnv {
            env: [(YUM_BIN_KEY, "/t/yum"), (DNF_BIN_KEY, "/t/dnf"), ("HOME", "/h")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
            extra_args: s(&["--installroot=/r"]),
        };
        let t = Tools::new(&env, "yum", YUM_BIN_KEY);
        assert_eq!(t.dnf, "/t/yum");
        assert_eq!(t.rpm, "rpm");
        assert_eq!(t.env.get("HOME").map(String::as_str), Some("/h"));
        assert!(!t.env.contains_key(DNF_BIN_KEY) && !t.env.contains_key(YUM_BIN_KEY));
        assert_eq!(t.root, Some(PathBuf::from("/r")));
        let t = Tools::new(&CommandEnv::default(), "dnf", DNF_BIN_KEY);
        assert_eq!(t.dnf, "dnf");
        assert!(t.env.contains_key("HOME"));
        assert_eq!(t.dnf_args(&["-q"]), s(&["-q"]));
    }
}
