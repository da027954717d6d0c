//! dnf/rpm sandboxes: two local repositories built once per process, and a fresh isolated installroot per
//! call in which real dnf (also called as `yum`) and rpm run without ever touching the machine's own package
//! databases; plus a fingerprint of those host databases for before/after checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Prefix of the per-process directory holding the repositories (`<prefix><pid>-<random>`).
const REPOS_PREFIX: &str = "linux-patch-dnf-repos-";

/// `HOME` for every dnf and rpm call: Debian's rpm keeps its database in `$HOME/.rpmdb`, so in a sandbox
/// it is `ROOT/root/.rpmdb` as long as every call sees this same `HOME`.
pub const HOME: &str = "/root";

/// The packages every new sandbox has installed, as `name=version`.
pub const BASE: [&str; 5] = [
    "pmtest-app=1.0-1",
    "pmtest-epoch=1:1.0-1",
    "pmtest-hello=1.0-1",
    "pmtest-lib=1.0-1",
    "pmtest-tool=1.0-1",
];

/// The repositories of this process: `<dir>/repo/main` and `<dir>/repo/extras`.
static REPOS: OnceLock<PathBuf> = OnceLock::new();

/// Directory holding `repo/main` (with updateinfo) and `repo/extras` (without), built on first use by
/// `tests/scripts/build-rpm-repo.sh` (its header lists the packages and advisories). It lives until the
/// process ends; leftovers of dead test processes are removed on the next build.
pub fn repos_dir() -> &'static Path {
    REPOS.get_or_init(|| crate::repos::build_once(REPOS_PREFIX, "build-rpm-repo.sh", run_ok))
}

/// An isolated dnf installroot (removed on drop) with its own config (`ETC/dnf.conf`, repositories
/// `pmtest` = `repo/main` and `pmtest-extras` = `repo/extras`, host-writing plugins off), a `yum -> dnf`
/// symlink, and [`BASE`] installed by real dnf (which also made the metadata cache).
#[derive(Debug)]
pub struct DnfSandbox {
    dir: tempfile::TempDir,
    base: PathBuf,
    created_in: Duration,
}

/// Creates a new sandbox; see [`DnfSandbox`].
pub fn dnf_sandbox() -> DnfSandbox {
    let repos = repos_dir();
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("linux-patch-dnf-root-")
        .tempdir()
        .unwrap_or_else(|e| panic!("create the sandbox: {e}"));
    let base = dir
        .path()
        .canonicalize()
        .unwrap_or_else(|e| panic!("canonicalize {}: {e}", dir.path().display()));
    let sb = DnfSandbox {
        dir,
        base,
        created_in: Duration::ZERO,
    };
    sb.configure(repos);
    sb.dnf(&[
        "install",
        "pmtest-hello-1.0",
        "pmtest-lib-1.0",
        "pmtest-app",
        "pmtest-epoch-1:1.0",
        "pmtest-tool-1.0",
    ]);
    DnfSandbox {
        created_in: started.elapsed(),
        ..sb
    }
}

impl DnfSandbox {
    /// Lays out `BASE/root` (the installroot), `BASE/etc` (config, from `tests/fixtures/dnf`) and
    /// `BASE/bin/yum`.
    fn configure(&self, repos: &Path) {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dnf");
        let etc = self.etc_dir();
        for d in [
            self.root(),
            etc.join("yum.repos.d"),
            etc.join("dnf/plugins"),
            self.base.join("bin"),
        ] {
            std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("create {}: {e}", d.display()));
        }
        let template = read(&fixtures.join("dnf.conf.in"));
        write(
            &self.conf(),
            &template.replace("@ETC@", &etc.display().to_string()),
        );
        for e in std::fs::read_dir(fixtures.join("plugins"))
            .unwrap()
            .filter_map(Result::ok)
        {
            write(&etc.join("dnf/plugins").join(e.file_name()), &read(&e.path()));
        }
        for plugin in ["local", "generate_completion_cache"] {
            let conf = read(&etc.join(format!("dnf/plugins/{plugin}.conf")));
            assert!(
                conf.lines().any(|l| l.trim() == "enabled=0"),
                "the {plugin} plugin writes to the host: its conf must say enabled=0"
            );
        }
        self.add_repo("pmtest", &format!("file://{}/repo/main", repos.display()));
        self.add_repo(
            "pmtest-extras",
            &format!("file://{}/repo/extras", repos.display()),
        );
        let dnf = which("dnf");
        std::os::unix::fs::symlink(&dnf, self.yum_bin())
            .unwrap_or_else(|e| panic!("symlink {} -> {}: {e}", self.yum_bin().display(), dnf.display()));
    }

    /// The installroot (absolute, canonical).
    pub fn root(&self) -> PathBuf {
        self.base.join("root")
    }

    /// The host-side config directory (`dnf.conf`, `yum.repos.d/`, `dnf/plugins/`).
    pub fn etc_dir(&self) -> PathBuf {
        self.base.join("etc")
    }

    /// The `dnf.conf` passed with `-c`.
    pub fn conf(&self) -> PathBuf {
        self.etc_dir().join("dnf.conf")
    }

    /// The `yum` symlink to the host's dnf.
    pub fn yum_bin(&self) -> PathBuf {
        self.base.join("bin/yum")
    }

    /// Writes repository `id` with `baseurl` (unsigned, metadata always expired) into the sandbox config.
    pub fn add_repo(&self, id: &str, baseurl: &str) {
        let text = format!(
            "[{id}]\nname={id} test repository\nbaseurl={baseurl}\nenabled=1\ngpgcheck=0\nrepo_gpgcheck=0\nmetadata_expire=0\n"
        );
        write(&self.etc_dir().join(format!("yum.repos.d/{id}.repo")), &text);
    }

    /// Removes repository `id` from the sandbox config.
    pub fn remove_repo(&self, id: &str) {
        let p = self.etc_dir().join(format!("yum.repos.d/{id}.repo"));
        std::fs::remove_file(&p).unwrap_or_else(|e| panic!("remove {}: {e}", p.display()));
    }

    /// The agent's `backend.extra_args`: `--installroot=ROOT --releasever=1 -c ETC/dnf.conf`.
    pub fn extra_args(&self) -> Vec<String> {
        vec![
            format!("--installroot={}", self.root().display()),
            "--releasever=1".into(),
            "-c".into(),
            self.conf().display().to_string(),
        ]
    }

    /// The agent's `backend.env`: `HOME` fixed (see [`HOME`]).
    pub fn env(&self) -> BTreeMap<String, String> {
        BTreeMap::from([("HOME".to_string(), HOME.to_string())])
    }

    /// [`DnfSandbox::env`] plus `LINUX_PATCH_API_YUM_BIN` naming the `yum -> dnf` symlink.
    pub fn yum_env(&self) -> BTreeMap<String, String> {
        let mut e = self.env();
        e.insert(
            "LINUX_PATCH_API_YUM_BIN".into(),
            self.yum_bin().display().to_string(),
        );
        e
    }

    /// How long [`dnf_sandbox`] took to create this one (config and the first install).
    pub fn created_in(&self) -> Duration {
        self.created_in
    }

    /// Runs `dnf -y -q [extra_args] ARGS` inside the sandbox and returns stdout; panics with the command's
    /// output when it fails.
    pub fn dnf(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("dnf");
        cmd.args(["-y", "-q"]).args(self.extra_args()).args(args);
        String::from_utf8_lossy(&run_ok(&mut cmd).stdout).into_owned()
    }

    /// `name=version` of every package in the sandbox's rpm database (`[epoch:]version-release`), sorted.
    pub fn rpm_qa(&self) -> Vec<String> {
        self.rpm_qa_with("%{NAME}=%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n")
    }

    /// `(name, version, arch)` of every package in the sandbox's rpm database, sorted.
    pub fn rpm_qa_triples(&self) -> Vec<(String, String, String)> {
        self.rpm_qa_with("%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\n")
            .into_iter()
            .map(|l| {
                let mut f = l.splitn(3, '\t').map(str::to_string);
                (f.next().unwrap(), f.next().unwrap(), f.next().unwrap())
            })
            .collect()
    }

    fn rpm_qa_with(&self, format: &str) -> Vec<String> {
        let mut cmd = Command::new("rpm");
        cmd.arg(format!("--root={}", self.root().display()))
            .args(["-qa", "--qf", format]);
        let mut v: Vec<String> = String::from_utf8_lossy(&run_ok(&mut cmd).stdout)
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    }

    /// Removes the sandbox now (also done on drop), reporting errors.
    pub fn close(self) -> std::io::Result<()> {
        self.dir.close()
    }
}

/// Fingerprint of the host's own rpm/dnf state: the rpm databases (`/var/lib/rpm`, `/usr/lib/sysimage/rpm`,
/// `~root/.rpmdb` — Debian's rpm keeps it under `$HOME`), dnf's state, cache, config and logs. Files every
/// reader rewrites (sqlite's `*-shm`, Berkeley DB's `__db.*`, lock files) are left out. Compare before/after.
pub fn host_rpm_fingerprint() -> Vec<(String, String)> {
    let places = [
        "/var/lib/rpm",
        "/usr/lib/sysimage/rpm",
        "/root/.rpmdb",
        "/var/lib/dnf",
        "/var/cache/dnf",
        "/etc/dnf",
        "/etc/yum.repos.d",
        "/var/log/dnf.log",
        "/var/log/dnf.rpm.log",
        "/var/log/dnf.librepo.log",
        "/var/log/hawkey.log",
    ];
    places
        .iter()
        .map(|p| (p.to_string(), fingerprint(Path::new(p))))
        .collect()
}

fn fingerprint(p: &Path) -> String {
    let Ok(meta) = std::fs::symlink_metadata(p) else {
        return "absent".into();
    };
    if !meta.is_dir() {
        return hex(&openssl::sha::sha256(&std::fs::read(p).unwrap_or_default()));
    }
    let mut files = Vec::new();
    collect(p, &mut files);
    files.sort();
    let mut h = openssl::sha::Sha256::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with("-shm")
            || name.starts_with("__db.")
            || name.ends_with(".lock")
            || name.ends_with(".pid")
        {
            continue;
        }
        h.update(f.display().to_string().as_bytes());
        h.update(&openssl::sha::sha256(&std::fs::read(&f).unwrap_or_default()));
    }
    hex(&h.finish())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => collect(&p, out),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The absolute path of `program` on `PATH`.
fn which(program: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} not found on PATH (install dnf)"))
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn write(p: &Path, s: &str) {
    std::fs::write(p, s).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
}

/// Runs `cmd` with `HOME` fixed, `LC_ALL=C` and stdin closed, and panics with its stderr and stdout when it
/// cannot start or exits non-zero.
fn run_ok(cmd: &mut Command) -> Output {
    cmd.env("HOME", HOME).env("LC_ALL", "C");
    crate::repos::run_ok(cmd)
}
