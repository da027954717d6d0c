//! apk sandboxes without apk: a temp directory with the FAKE apk (`tests/fixtures/apk/fake-apk`, a Python
//! script that answers apk command lines in the exact format of the recorded apk-tools runs in
//! `tests/fixtures/apk/SAMPLES.md`), a root and a local repository, plus a parser for SAMPLES.md.
//!
//! The backend is pointed at the fake through `backend.env` key `LINUX_PATCH_API_APK_BIN`; the fake logs
//! every argument vector it receives (one JSON array per line) so tests assert exact command lines.

use linux_patch_api::backend::apk::{split_name_version, BIN_ENV};
use linux_patch_api::backend::CommandEnv;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Which recorded apk-tools the fake imitates (the two differ in a few messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApkVersion {
    /// apk-tools 2.14.10.
    V2,
    /// apk-tools 3.0.6.
    V3,
}

impl ApkVersion {
    /// `FAKE_APK_VERSION` value.
    pub fn env(self) -> &'static str {
        match self {
            ApkVersion::V2 => "2.14",
            ApkVersion::V3 => "3.0",
        }
    }

    /// How SAMPLES.md names it.
    pub fn label(self) -> &'static str {
        match self {
            ApkVersion::V2 => "apk-tools 2.14.10",
            ApkVersion::V3 => "apk-tools 3.0.6",
        }
    }
}

/// A package in the fake's repository index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoPackage {
    /// Name.
    pub name: String,
    /// Version (`1.0-r0`).
    pub version: String,
    /// Dependencies in apk syntax (`pmtest-lib>=1.0`).
    pub depends: Vec<String>,
    /// Origin (source package), default the name.
    pub origin: Option<String>,
}

impl RepoPackage {
    /// A package without dependencies whose origin is its name.
    pub fn new(name: &str, version: &str) -> RepoPackage {
        RepoPackage {
            name: name.into(),
            version: version.into(),
            depends: Vec::new(),
            origin: None,
        }
    }
}

/// The recorded test set (recipes' `apk/build-apks.sh`): pmtest-hello 1.0-r0 and 1.1-r0, pmtest-lib 1.0-r0,
/// pmtest-app 1.0-r0 depending on `pmtest-lib>=1.0`.
pub fn pmtest_repo() -> Vec<RepoPackage> {
    vec![
        RepoPackage::new("pmtest-hello", "1.0-r0"),
        RepoPackage::new("pmtest-hello", "1.1-r0"),
        RepoPackage::new("pmtest-lib", "1.0-r0"),
        RepoPackage {
            depends: vec!["pmtest-lib>=1.0".into()],
            ..RepoPackage::new("pmtest-app", "1.0-r0")
        },
    ]
}

/// What one run of the fake printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit code.
    pub code: i32,
}

/// A work directory laid out like the recipes' `$WORK/apk` (removed on drop): `bin/fake-apk`, the root
/// `apk/root` (arch x86_64, repositories = `apk/repo`), the repository `apk/repo/x86_64`, and the logs.
#[derive(Debug)]
pub struct FakeApk {
    _dir: tempfile::TempDir,
    work: PathBuf,
    version: ApkVersion,
}

/// An empty root (no package installed, nothing in world) with the recorded repository; nothing run yet.
pub fn fake_apk(version: ApkVersion) -> FakeApk {
    let dir = tempfile::Builder::new()
        .prefix("linux-patch-fake-apk-")
        .tempdir()
        .unwrap_or_else(|e| panic!("create the fake apk directory: {e}"));
    let work = dir.path().canonicalize().unwrap();
    let fake = FakeApk {
        _dir: dir,
        work,
        version,
    };
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/apk/fake-apk");
    std::fs::create_dir_all(fake.work.join("bin")).unwrap();
    std::fs::copy(&src, fake.program()).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    set_mode(&fake.program(), 0o755);
    for d in ["apk/root/etc/apk", "apk/root/lib/apk/db", "apk/repo/x86_64"] {
        std::fs::create_dir_all(fake.work.join(d)).unwrap();
    }
    write(&fake.root().join("etc/apk/arch"), "x86_64\n");
    write(
        &fake.root().join("etc/apk/repositories"),
        &format!("{}\n", fake.repo().display()),
    );
    fake.publish(&pmtest_repo());
    fake
}

/// A root in the state the recordings reach after block 2: `apk update`, then `apk add pmtest-hello=1.0-r0
/// pmtest-app` (so pmtest-hello is pinned in world); the backend's argv log is empty.
pub fn apk_sandbox(version: ApkVersion) -> FakeApk {
    let f = fake_apk(version);
    f.apk_ok(&["update"]);
    f.apk_ok(&["add", "pmtest-hello=1.0-r0", "pmtest-app"]);
    f
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
}

fn write(p: &Path, s: &str) {
    std::fs::write(p, s).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
}

impl FakeApk {
    /// The work directory (what SAMPLES.md writes as `$WORK`).
    pub fn work(&self) -> &Path {
        &self.work
    }

    /// The root (`$WORK/apk/root`).
    pub fn root(&self) -> PathBuf {
        self.work.join("apk/root")
    }

    /// The local repository (`$WORK/apk/repo`).
    pub fn repo(&self) -> PathBuf {
        self.work.join("apk/repo")
    }

    /// The fake program (`$WORK/bin/fake-apk`).
    pub fn program(&self) -> PathBuf {
        self.work.join("bin/fake-apk")
    }

    /// The log of the argument vectors the backend passed.
    pub fn argv_log(&self) -> PathBuf {
        self.work.join("backend-argv.jsonl")
    }

    /// The backend's command environment: the fake as the apk program, its log and version, and
    /// `--root ROOT --allow-untrusted` as extra arguments (like the recordings).
    pub fn cmd_env(&self) -> CommandEnv {
        CommandEnv {
            env: BTreeMap::from([
                (BIN_ENV.to_string(), self.program().display().to_string()),
                ("FAKE_APK_LOG".to_string(), self.argv_log().display().to_string()),
                ("FAKE_APK_VERSION".to_string(), self.version.env().to_string()),
            ]),
            extra_args: vec![
                "--root".to_string(),
                self.root().display().to_string(),
                "--allow-untrusted".to_string(),
            ],
        }
    }

    /// Runs `fake-apk --root ROOT --allow-untrusted ARGS` (logged apart from the backend's runs).
    pub fn apk(&self, args: &[&str]) -> Run {
        let out = Command::new(self.program())
            .arg("--root")
            .arg(self.root())
            .arg("--allow-untrusted")
            .args(args)
            .env("FAKE_APK_LOG", self.work.join("kit-argv.jsonl"))
            .env("FAKE_APK_VERSION", self.version.env())
            .env_remove("FAKE_APK_DB")
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", self.program().display()));
        Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    /// [`FakeApk::apk`], panicking unless it exits 0.
    pub fn apk_ok(&self, args: &[&str]) -> String {
        let r = self.apk(args);
        assert_eq!(r.code, 0, "fake apk {args:?} failed: {r:?}");
        r.stdout
    }

    /// `name-version` lines of `apk info -v`.
    pub fn info_v(&self) -> Vec<String> {
        self.apk_ok(&["info", "-v"]).lines().map(str::to_string).collect()
    }

    /// `name=version` of every installed package (from `apk info -v`, split the way apk splits).
    pub fn installed(&self) -> Vec<String> {
        self.info_v()
            .iter()
            .map(|l| {
                let (n, v) = split_name_version(l).unwrap_or_else(|| panic!("cannot split {l:?}"));
                format!("{n}={v}")
            })
            .collect()
    }

    /// The world file's entries.
    pub fn world(&self) -> Vec<String> {
        std::fs::read_to_string(self.root().join("etc/apk/world"))
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }

    /// Every argument vector the backend passed since the last [`FakeApk::take_argv`], with the root
    /// written `$ROOT`.
    pub fn take_argv(&self) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(self.argv_log()).unwrap_or_default();
        let _ = std::fs::remove_file(self.argv_log());
        let root = self.root().display().to_string();
        text.lines()
            .map(|l| {
                let v: Vec<String> = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}"));
                v.into_iter()
                    .map(|a| if a == root { "$ROOT".into() } else { a })
                    .collect()
            })
            .collect()
    }

    /// Replaces the repository's index with `pkgs` (x86_64, MIT, installed size = the payload
    /// `NAME VERSION\n` that the recipes' packages install).
    pub fn publish(&self, pkgs: &[RepoPackage]) {
        let list: Vec<serde_json::Value> = pkgs
            .iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name,
                    "version": p.version,
                    "arch": "x86_64",
                    "license": "MIT",
                    "origin": p.origin.clone().unwrap_or_else(|| p.name.clone()),
                    "description": format!("pm test package {} {}", p.name, p.version),
                    "installed_size": format!("{} {}\n", p.name, p.version).len(),
                    "depends": p.depends,
                })
            })
            .collect();
        let index = serde_json::json!({"description": "pmtest", "packages": list});
        write(
            &self.repo().join("x86_64/FAKE-APKINDEX.json"),
            &serde_json::to_string_pretty(&index).unwrap(),
        );
    }

    /// Adds `$WORK/apk/missing-repo` (which does not exist) to the repositories, as SAMPLES.md block 16.
    pub fn add_missing_repository(&self) {
        let path = self.root().join("etc/apk/repositories");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&format!("{}\n", self.work.join("apk/missing-repo").display()));
        write(&path, &text);
    }

    /// Takes the missing repository out again.
    pub fn remove_missing_repository(&self) {
        let path = self.root().join("etc/apk/repositories");
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: String = text
            .lines()
            .filter(|l| !l.ends_with("/missing-repo"))
            .map(|l| format!("{l}\n"))
            .collect();
        write(&path, &kept);
    }
}

/// One command of SAMPLES.md with what each apk-tools version printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Block number (1-based).
    pub number: usize,
    /// The arguments after `apk --root $ROOT --allow-untrusted`, unquoted.
    pub args: Vec<String>,
    /// The note above the outputs, if any.
    pub note: String,
    /// `(version label, output)` for each version; one entry with both labels when identical.
    pub outputs: Vec<(String, Run)>,
}

impl Sample {
    /// What `version` printed.
    pub fn output(&self, version: ApkVersion) -> &Run {
        self.outputs
            .iter()
            .find(|(label, _)| label.contains(version.label()))
            .map(|(_, r)| r)
            .unwrap_or_else(|| panic!("block {}: no output of {}", self.number, version.label()))
    }
}

/// Parses `tests/fixtures/apk/SAMPLES.md` (the recorded truth, copied from the recipes).
pub fn samples() -> Vec<Sample> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/apk/SAMPLES.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out: Vec<Sample> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(l) = lines.next() {
        if let Some(head) = l.strip_prefix("## ") {
            let (num, cmd) = head.split_once(". `").unwrap();
            let cmd = cmd.strip_suffix('`').unwrap().strip_prefix("apk ").unwrap();
            out.push(Sample {
                number: num.parse().unwrap(),
                args: cmd.split(' ').map(|a| a.trim_matches('\'').to_string()).collect(),
                note: String::new(),
                outputs: Vec::new(),
            });
            continue;
        }
        let Some(cur) = out.last_mut() else { continue };
        if let Some((label, code)) = l.split_once(": exit code ") {
            let stdout = fenced(&mut lines, "stdout");
            let stderr = fenced(&mut lines, "stderr");
            cur.outputs.push((
                label.to_string(),
                Run {
                    stdout,
                    stderr,
                    code: code.parse().unwrap(),
                },
            ));
        } else if !l.trim().is_empty() && cur.outputs.is_empty() {
            cur.note = l.to_string();
        }
    }
    out
}

/// Reads `LABEL: (empty)` or `LABEL:` + a fenced block, skipping blank lines before it.
fn fenced<'a>(lines: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>, label: &str) -> String {
    while lines.peek().is_some_and(|l| l.trim().is_empty()) {
        lines.next();
    }
    let head = lines.next().unwrap_or_default();
    if head == format!("{label}: (empty)") {
        return String::new();
    }
    assert_eq!(head, format!("{label}:"), "SAMPLES.md layout");
    assert_eq!(lines.next(), Some("```text"), "SAMPLES.md layout");
    let mut s = String::new();
    for l in lines.by_ref() {
        if l == "```" {
            break;
        }
        s.push_str(l);
        s.push('\n');
    }
    s
}
