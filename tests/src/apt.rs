//! apt/dpkg sandboxes: two local flat repositories built once per process, and a fresh isolated root per call
//! in which real apt-get and dpkg run without ever touching the machine's own package database.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Prefix of the per-process directory holding the repositories (`<prefix><pid>-<random>`).
const REPOS_PREFIX: &str = "linux-patch-apt-repos-";

/// The repositories of this process: `<dir>/repo/main` and `<dir>/repo/security`.
static REPOS: OnceLock<PathBuf> = OnceLock::new();

/// Directory holding `repo/main` and `repo/security`, built on first use by `tests/scripts/build-apt-repo.sh`
/// (pmtest-hello 1.0 + 1.1, pmtest-lib 1.0, pmtest-app 1.0, pmtest-new 1.0 -> pmtest-dep 1.0, pmtest-slow 1.0
/// (postinst sleeps 4 s), pmtest-hang 1.0 (postinst sleeps an hour the first time), pmtest-conf 1.0 (a
/// conffile) in `main`; pmtest-lib 1.0.1 in `security`; the script's header has the details).
/// It lives until the process ends; leftovers of dead test processes are removed on the next build.
pub fn repos_dir() -> &'static Path {
    REPOS.get_or_init(|| crate::repos::build_once(REPOS_PREFIX, "build-apt-repo.sh", run_ok))
}

/// An isolated apt/dpkg root (removed on drop) with both repositories as `[trusted=yes]` sources, updated,
/// and pmtest-hello=1.0, pmtest-lib=1.0, pmtest-app=1.0 installed by real apt-get and dpkg.
#[derive(Debug)]
pub struct AptSandbox {
    dir: tempfile::TempDir,
    root: PathBuf,
    created_in: Duration,
}

/// Creates a new sandbox (its own root, apt lists and dpkg database); see [`AptSandbox`].
pub fn apt_sandbox() -> AptSandbox {
    let repos = repos_dir();
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("linux-patch-apt-root-")
        .tempdir()
        .unwrap_or_else(|e| panic!("create the sandbox root: {e}"));
    let root = dir
        .path()
        .canonicalize()
        .unwrap_or_else(|e| panic!("canonicalize {}: {e}", dir.path().display()));
    let text = root.to_string_lossy();
    assert!(
        !text.contains(char::is_whitespace),
        "sandbox root {text:?} contains whitespace; apt sources lines cannot quote it (set TMPDIR)"
    );
    mkroot(&root, repos);
    let sb = AptSandbox {
        dir,
        root,
        created_in: Duration::ZERO,
    };
    sb.apt_get(&["update"]);
    sb.apt_get(&["install", "pmtest-hello=1.0", "pmtest-lib=1.0", "pmtest-app=1.0"]);
    AptSandbox {
        created_in: started.elapsed(),
        ..sb
    }
}

/// Lays out the root and its apt.conf exactly like `recipes/apt/mkroot.sh`, with both repositories.
fn mkroot(r: &Path, repos: &Path) {
    for d in [
        "etc/apt/apt.conf.d",
        "etc/apt/preferences.d",
        "etc/apt/sources.list.d",
        "etc/apt/trusted.gpg.d",
        "var/lib/apt/lists/partial",
        "var/cache/apt/archives/partial",
        "var/log/apt",
        "var/lib/dpkg/info",
        "var/lib/dpkg/updates",
        "var/lib/dpkg/triggers",
        "var/lib/dpkg/alternatives",
        "run",
        "tmp",
    ] {
        let p = r.join(d);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("create {}: {e}", p.display()));
    }
    write(&r.join("var/lib/dpkg/status"), "");
    write(&r.join("var/lib/dpkg/available"), "");
    let sources = format!(
        "deb [trusted=yes] file:{0}/repo/main ./\ndeb [trusted=yes] file:{0}/repo/security ./\n",
        repos.display()
    );
    write(&r.join("etc/apt/sources.list"), &sources);
    // APT_CONFIG is read first; Dir then makes apt read ROOT/etc/apt/apt.conf.d instead of the host's
    // (whose hooks would run), and DPkg::Options makes dpkg use ROOT's database. Maintainer scripts run
    // without chroot (the root has no /bin/sh), with DPKG_ROOT=ROOT: only test packages' scripts run.
    let conf_path = r.join("etc/apt/apt.conf");
    let r = r.display();
    let conf = format!(
        "Dir \"{r}/\";\n\
         Dir::State::status \"{r}/var/lib/dpkg/status\";\n\
         Dir::Bin::dpkg \"/usr/bin/dpkg\";\n\
         DPkg::Options {{ \"--root={r}\"; \"--admindir={r}/var/lib/dpkg\"; \"--log={r}/var/log/dpkg.log\"; \
                         \"--force-script-chrootless\"; }};\n\
         DPkg::Use-Pty \"false\";\n\
         Acquire::Languages \"none\";\n\
         APT::Install-Recommends \"false\";\n\
         APT::Sandbox::User \"root\";\n"
    );
    write(&conf_path, &conf);
}

impl AptSandbox {
    /// The root directory (absolute, canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `ROOT/etc/apt/apt.conf`, the file to pass as `APT_CONFIG`.
    pub fn apt_config(&self) -> PathBuf {
        self.root.join("etc/apt/apt.conf")
    }

    /// `ROOT/var/lib/dpkg`, the dpkg admin directory (`DPKG_ADMINDIR`, `--admindir`).
    pub fn admindir(&self) -> PathBuf {
        self.root.join("var/lib/dpkg")
    }

    /// `APT_CONFIG` and `DPKG_ADMINDIR` for the agent's `backend.env`.
    pub fn env(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("APT_CONFIG".to_string(), self.apt_config().display().to_string()),
            ("DPKG_ADMINDIR".to_string(), self.admindir().display().to_string()),
        ])
    }

    /// How long [`apt_sandbox`] took to create this one (root, `apt-get update`, install).
    pub fn created_in(&self) -> Duration {
        self.created_in
    }

    /// Runs `apt-get -y -q ARGS` non-interactively inside the sandbox and returns stdout; panics with the
    /// command's output when it fails.
    pub fn apt_get(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("apt-get");
        cmd.args(["-y", "-q"])
            .args(args)
            .env("APT_CONFIG", self.apt_config())
            .env("DPKG_ADMINDIR", self.admindir())
            .env("DEBIAN_FRONTEND", "noninteractive")
            .env("LC_ALL", "C");
        String::from_utf8_lossy(&run_ok(&mut cmd).stdout).into_owned()
    }

    /// `(name, version, architecture)` of every package dpkg lists in the sandbox, sorted.
    pub fn dpkg_query_w(&self) -> Vec<(String, String, String)> {
        dpkg_query_w_at(Some(&self.admindir()))
    }

    /// What `dpkg --audit` prints for the sandbox's database (empty when it is consistent).
    pub fn dpkg_audit(&self) -> String {
        let mut cmd = Command::new("dpkg");
        cmd.arg(format!("--admindir={}", self.admindir().display()))
            .arg("--audit")
            .env_remove("DPKG_ADMINDIR")
            .env("LC_ALL", "C");
        String::from_utf8_lossy(&run_ok(&mut cmd).stdout).into_owned()
    }

    /// `name=abbrev` (`ii`, `rc`, `iF`, ...) of every package in the sandbox's database, sorted.
    pub fn status_abbrev(&self) -> Vec<String> {
        let mut v: Vec<String> = dpkg_query(Some(&self.admindir()), "${Package}=${db:Status-Abbrev}\n")
            .into_iter()
            .map(|l| l.trim_end().to_string())
            .collect();
        v.sort();
        v
    }

    /// Removes the root now (also done on drop), reporting errors.
    pub fn close(self) -> std::io::Result<()> {
        self.dir.close()
    }
}

/// `(name, version, architecture)` of every package `dpkg-query -W` lists, sorted; `admindir` `None` reads
/// the machine's own database (read-only).
pub fn dpkg_query_w_at(admindir: Option<&Path>) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> =
        dpkg_query(admindir, "${Package}\t${Version}\t${Architecture}\n")
            .into_iter()
            .map(|l| {
                let mut f = l.splitn(3, '\t').map(str::to_string);
                let (n, v, a) = (f.next(), f.next(), f.next());
                (
                    n.unwrap_or_default(),
                    v.unwrap_or_default(),
                    a.unwrap_or_default(),
                )
            })
            .collect();
    rows.sort();
    rows
}

/// Lines of `dpkg-query [--admindir=DIR] -W -f FORMAT` (FORMAT should end with `\n`).
pub fn dpkg_query(admindir: Option<&Path>, format: &str) -> Vec<String> {
    let mut cmd = Command::new("dpkg-query");
    if let Some(a) = admindir {
        cmd.arg(format!("--admindir={}", a.display()));
    }
    cmd.args(["-W", "-f", format])
        .env_remove("DPKG_ADMINDIR")
        .env("LC_ALL", "C");
    let out = run_ok(&mut cmd);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn write(p: &Path, s: &str) {
    std::fs::write(p, s).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
}

/// Runs `cmd` (stdin closed, the host's `APT_CONFIG` never inherited unless set on `cmd`) and panics with
/// its stderr and stdout when it cannot start or exits non-zero.
fn run_ok(cmd: &mut Command) -> Output {
    if !cmd.get_envs().any(|(k, _)| k == "APT_CONFIG") {
        cmd.env_remove("APT_CONFIG");
    }
    crate::repos::run_ok(cmd)
}
