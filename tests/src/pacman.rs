//! pacman sandboxes: two local repositories built once per process, and a fresh isolated root per call in
//! which the real pacman runs with every path (RootDir, DBPath, CacheDir, LogFile, GPGDir, HookDir) in the
//! root's own pacman.conf, so the machine's /var/lib/pacman, /var/cache/pacman and /etc/pacman.d are never
//! touched. Also a fake arch-audit (`fake-arch-audit`, prints recorded real-format lines) and fake `/proc`s.

use crate::repos::run_ok;
use linux_patch_api::backend::pacman::ARCH_AUDIT_ENV;
use linux_patch_api::backend::CommandEnv;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Prefix of the per-process directory holding the repositories (`<prefix><pid>-<random>`).
const REPOS_PREFIX: &str = "linux-patch-pacman-repos-";

/// The repositories of this process: `<dir>/repo/old`, `<dir>/repo/new` and the files in `<dir>/pkgs`.
static REPOS: OnceLock<PathBuf> = OnceLock::new();

/// Directory holding `repo/old`, `repo/new` and `pkgs`, built on first use by
/// `tests/scripts/build-pacman-repo.sh` (its header lists the packages: pmtest-hello 1.0-1 -> 1.1-1,
/// pmtest-lib 1.0-1 -> 1.0.1-1, pmtest-app 1.0-1, linux 6.1.0.arch1-1 -> 6.2.0.arch1-1, pmtest-new ->
/// pmtest-dep and pmtest-hang (a FIFO: its download never ends) in `new`). It lives until the process
/// ends; leftovers of dead test processes are removed on the next build.
pub fn repos_dir() -> &'static Path {
    REPOS.get_or_init(|| crate::repos::build_once(REPOS_PREFIX, "build-pacman-repo.sh", run_ok))
}

/// The packages every new sandbox has installed: `(name, version)` as `pacman -Q` prints them.
pub const BASE: [(&str, &str); 4] = [
    ("linux", "6.1.0.arch1-1"),
    ("pmtest-app", "1.0-1"),
    ("pmtest-hello", "1.0-1"),
    ("pmtest-lib", "1.0-1"),
];

/// An isolated pacman root (removed on drop). Created with the `old` repository: `-Sy`, then
/// `-S pmtest-hello pmtest-app linux` (pmtest-lib comes as a dependency, and all four 1.0 files land in
/// the root's package cache); then its `Server` line is switched to the `new` repository and `-Syy` run,
/// so pmtest-hello, pmtest-lib and linux have updates and the old versions are only in the cache.
#[derive(Debug)]
pub struct PacmanSandbox {
    dir: tempfile::TempDir,
    root: PathBuf,
    created_in: Duration,
}

/// Creates a new sandbox (its own root, databases, cache and log); see [`PacmanSandbox`].
pub fn pacman_sandbox() -> PacmanSandbox {
    let repos = repos_dir();
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("linux-patch-pacman-")
        .tempdir()
        .unwrap_or_else(|e| panic!("create the sandbox directory: {e}"));
    let base = dir
        .path()
        .canonicalize()
        .unwrap_or_else(|e| panic!("canonicalize {}: {e}", dir.path().display()));
    assert!(
        !base.to_string_lossy().contains(char::is_whitespace),
        "sandbox directory {base:?} contains whitespace; pacman.conf paths cannot quote it (set TMPDIR)"
    );
    let root = base.join("root");
    for d in [
        "var/lib/pacman",
        "var/cache/pacman/pkg",
        "var/log",
        "etc/pacman.d/hooks",
        "etc/pacman.d/gnupg",
        "tmp",
    ] {
        let p = root.join(d);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("create {}: {e}", p.display()));
    }
    let sb = PacmanSandbox {
        dir,
        root,
        created_in: Duration::ZERO,
    };
    sb.write_config(&repos.join("repo/old"));
    sb.pacman(&["-Sy"]);
    sb.pacman(&["-S", "pmtest-hello", "pmtest-app", "linux"]);
    sb.use_repo("new");
    PacmanSandbox {
        created_in: started.elapsed(),
        ..sb
    }
}

impl PacmanSandbox {
    /// The root directory (RootDir; absolute, canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `ROOT/etc/pacman.conf`, with every path inside the root.
    pub fn config(&self) -> PathBuf {
        self.root.join("etc/pacman.conf")
    }

    /// DBPath: `ROOT/var/lib/pacman`.
    pub fn dbpath(&self) -> PathBuf {
        self.root.join("var/lib/pacman")
    }

    /// CacheDir: `ROOT/var/cache/pacman/pkg`.
    pub fn cachedir(&self) -> PathBuf {
        self.root.join("var/cache/pacman/pkg")
    }

    /// A directory beside the root for test files (fake programs, fake `/proc`s).
    pub fn scratch(&self) -> PathBuf {
        let p = self.dir.path().join("scratch");
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("create {}: {e}", p.display()));
        p
    }

    /// The agent's `backend.extra_args` for this sandbox: `--config ROOT/etc/pacman.conf`.
    pub fn extra_args(&self) -> Vec<String> {
        vec!["--config".to_string(), self.config().display().to_string()]
    }

    /// The agent's `backend.env` for this sandbox: arch-audit turned off (`LINUX_PATCH_API_ARCH_AUDIT`
    /// empty), so a host's own arch-audit never decides a test's security data.
    pub fn env(&self) -> BTreeMap<String, String> {
        BTreeMap::from([(ARCH_AUDIT_ENV.to_string(), String::new())])
    }

    /// [`Self::env`] and [`Self::extra_args`] together, for `PacmanBackend::new`.
    pub fn command_env(&self) -> CommandEnv {
        CommandEnv {
            env: self.env(),
            extra_args: self.extra_args(),
        }
    }

    /// How long [`pacman_sandbox`] took to create this one.
    pub fn created_in(&self) -> Duration {
        self.created_in
    }

    fn write_config(&self, repo: &Path) {
        let r = self.root.display();
        let conf = format!(
            "[options]\nRootDir     = {r}\nDBPath      = {r}/var/lib/pacman/\n\
             CacheDir    = {r}/var/cache/pacman/pkg/\nLogFile     = {r}/var/log/pacman.log\n\
             GPGDir      = {r}/etc/pacman.d/gnupg/\nHookDir     = {r}/etc/pacman.d/hooks/\n\
             Architecture = auto\nSigLevel    = Never\nLocalFileSigLevel = Never\n\
             # CheckSpace stays off: it needs a real mount table for RootDir.\n\n\
             [pmtest]\nSigLevel = Never\nServer = file://{}\n",
            repo.display()
        );
        write(&self.config(), &conf);
    }

    /// Points the `[pmtest]` repository at `repo/NAME` (`old` or `new`) and runs `pacman -Syy`.
    pub fn use_repo(&self, name: &str) {
        self.set_server(&repos_dir().join("repo").join(name));
        self.pacman(&["-Syy"]);
    }

    /// Points the `[pmtest]` repository's `Server` at `dir` (`file://DIR`) without refreshing.
    pub fn set_server(&self, dir: &Path) {
        self.write_config(dir);
    }

    /// Runs `pacman --config ROOT/etc/pacman.conf ARGS` (with `--noconfirm` for `-S`/`-U`/`-R`) and
    /// returns stdout; panics with the output when it fails.
    pub fn pacman(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("pacman");
        cmd.arg("--config")
            .arg(self.config())
            .args(args)
            .env("LC_ALL", "C");
        if args
            .first()
            .is_some_and(|a| a.starts_with("-S") || a.starts_with("-U") || a.starts_with("-R"))
        {
            cmd.arg("--noconfirm");
        }
        String::from_utf8_lossy(&run_ok(&mut cmd).stdout).into_owned()
    }

    /// `(name, version)` of every installed package, as `pacman -Q` lists them (sorted by name).
    pub fn pacman_q(&self) -> Vec<(String, String)> {
        self.pacman(&["-Q"])
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// `name=version` of every installed package (from `pacman -Q`), sorted.
    pub fn state(&self) -> Vec<String> {
        self.pacman_q()
            .into_iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect()
    }

    /// Writes `SCRATCH/bin/fake-arch-audit`, a FAKE arch-audit (the real one needs Arch's security
    /// tracker online): it checks that it was called as `--upgradable --dbpath DBPATH --format
    /// '%n|%v|%s|%c'` for this sandbox (else it exits 2 saying so), appends its arguments to
    /// [`Self::arch_audit_calls`], prints `lines` (recorded real-format output) and exits `exit_code`.
    pub fn fake_arch_audit(&self, lines: &[&str], exit_code: i32) -> PathBuf {
        let bin = self.scratch().join("bin");
        std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("create {}: {e}", bin.display()));
        let calls = self.scratch().join("fake-arch-audit.calls");
        let mut out = String::new();
        for l in lines {
            out.push_str(&format!("printf '%s\\n' '{}'\n", l.replace('\'', "'\\''")));
        }
        let script = format!(
            "#!/bin/sh\n# FAKE arch-audit for tests: prints recorded real-format output.\n\
             echo \"$*\" >> '{calls}'\n\
             [ \"$*\" = \"--upgradable --dbpath {db} --format %n|%v|%s|%c\" ] || \
             {{ echo \"fake-arch-audit: unexpected arguments: $*\" >&2; exit 2; }}\n{out}exit {exit_code}\n",
            calls = calls.display(),
            db = self.dbpath_in_config(),
        );
        let path = bin.join("fake-arch-audit");
        write(&path, &script);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
        path
    }

    /// DBPath exactly as pacman-conf prints it (with the trailing slash of the config file).
    fn dbpath_in_config(&self) -> String {
        format!("{}/", self.dbpath().display())
    }

    /// The argument lines the fake arch-audit was called with, oldest first.
    pub fn arch_audit_calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.scratch().join("fake-arch-audit.calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// A fake `/proc` under the scratch directory with `sys/kernel/osrelease` = `osrelease` (none: the
    /// file is missing), for the backend's `with_proc_dir`.
    pub fn proc_dir(&self, osrelease: Option<&str>) -> PathBuf {
        let p = self
            .scratch()
            .join(format!("proc-{}", osrelease.unwrap_or("none")));
        let k = p.join("sys/kernel");
        std::fs::create_dir_all(&k).unwrap_or_else(|e| panic!("create {}: {e}", k.display()));
        if let Some(r) = osrelease {
            write(&k.join("osrelease"), &format!("{r}\n"));
        }
        p
    }

    /// Removes the sandbox now (also done on drop), reporting errors.
    pub fn close(self) -> std::io::Result<()> {
        self.dir.close()
    }
}

/// A fingerprint of the machine's own pacman state: every file (path, size, SHA-256) under
/// /var/lib/pacman, /var/cache/pacman and /etc/pacman.d, plus /etc/pacman.conf and /var/log/pacman.log
/// (`absent` for what does not exist). Equal before and after a test = the test left the host alone.
pub fn host_pacman_fingerprint() -> Vec<String> {
    let mut out = Vec::new();
    for top in [
        "/var/lib/pacman",
        "/var/cache/pacman",
        "/etc/pacman.d",
        "/etc/pacman.conf",
        "/var/log/pacman.log",
    ] {
        let top = Path::new(top);
        if !top.exists() {
            out.push(format!("{}: absent", top.display()));
            continue;
        }
        let mut stack = vec![top.to_path_buf()];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                out.push(format!("{}/", p.display()));
                for e in std::fs::read_dir(&p).unwrap_or_else(|e| panic!("list {}: {e}", p.display())) {
                    stack.push(e.unwrap_or_else(|e| panic!("list {}: {e}", p.display())).path());
                }
            } else {
                let bytes = std::fs::read(&p).unwrap_or_default();
                let sum: String = openssl::sha::sha256(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                out.push(format!("{} {} {sum}", p.display(), bytes.len()));
            }
        }
    }
    out.sort();
    out
}

fn write(p: &Path, s: &str) {
    std::fs::write(p, s).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
}
