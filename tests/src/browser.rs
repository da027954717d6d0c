//! Runs a `tests/browser/*.mjs` script (playwright-core driving Debian's Chromium) and returns its JSON verdict.

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long one script may run before it (node and its Chromium processes) is killed.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

/// Where the scripts live: `tests/browser/` of the tests crate.
pub fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// Where screenshot scripts write: the repo's `docs/screenshots/` with `LPM_UPDATE_SCREENSHOTS=1`, else
/// `target/screenshots/` (so a plain test run leaves the tree unchanged).
pub fn screenshot_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if std::env::var("LPM_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        root.join("docs/screenshots")
    } else {
        root.join("target/screenshots")
    }
}

const PREREQS: &str = "run scripts/install-prereqs.sh as root (it installs chromium, libnss3-tools and \
                       `npm ci` in tests/browser)";

/// Panics, saying how to fix it, unless Chromium, certutil, node and playwright-core are all present.
pub fn check_prerequisites() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(Path::new(&chromium).exists(), "{chromium} not found: {PREREQS}");
    for tool in ["node", "certutil"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(found, "`{tool}` not found on PATH: {PREREQS}");
    }
    let pw = browser_dir().join("node_modules/playwright-core/package.json");
    assert!(pw.exists(), "{} missing: {PREREQS}", pw.display());
}

/// Runs `node tests/browser/<script>` with `env` added, kills it after [`SCRIPT_TIMEOUT`], and returns the
/// JSON of its last stdout line. Panics with the script's error, step, artefacts, stderr and stdout when it
/// fails, prints `"ok":false`, or prints no JSON.
pub fn run_script(script: &str, env: &[(&str, &str)]) -> Value {
    try_run_script(script, env, SCRIPT_TIMEOUT).unwrap_or_else(|report| panic!("{report}"))
}

/// [`run_script`] that returns the failure report instead of panicking (so a caller can add the server's log).
/// Missing prerequisites still panic.
pub fn try_run_script(script: &str, env: &[(&str, &str)], timeout: Duration) -> Result<Value, String> {
    check_prerequisites();
    let dir = browser_dir();
    let path = dir.join(script);
    assert!(path.exists(), "no browser script {}", path.display());
    let mut cmd = Command::new("node");
    cmd.arg(&path)
        .current_dir(&dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Own process group, so a timeout kills Chromium's processes along with node.
        .process_group(0);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("starting node {}: {e} ({PREREQS})", path.display()));
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    // A waiter thread and a channel give the timeout without polling.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let (status, timed_out) = match rx.recv_timeout(timeout) {
        Ok(status) => (status.unwrap(), false),
        Err(_) => {
            let _ = killpg(pid, Signal::SIGKILL);
            (rx.recv().unwrap().unwrap(), true)
        }
    };
    // Whatever the script left behind in its group (a Chromium that outlived node) goes too.
    let _ = killpg(pid, Signal::SIGKILL);
    let stdout = out_reader.join().unwrap();
    let stderr = err_reader.join().unwrap();
    let report = |why: &str| -> String {
        format!("browser script {script} {why}\n--- stderr ---\n{stderr}\n--- stdout ---\n{stdout}")
    };
    if timed_out {
        return Err(report(&format!("killed after {timeout:?}")));
    }
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    let verdict: Value = match serde_json::from_str(last) {
        Ok(v) => v,
        Err(e) => {
            return Err(report(&format!(
                "exited with {status} without a JSON verdict ({e})"
            )))
        }
    };
    if verdict["ok"] != Value::Bool(true) {
        return Err(report(&format!(
            "failed at step {:?}: {}\nartefacts: {}",
            verdict["step"].as_str().unwrap_or("?"),
            verdict["error"].as_str().unwrap_or("(no error text)"),
            verdict["artefacts"]
        )));
    }
    if !status.success() {
        return Err(report(&format!("printed ok but exited with {status}")));
    }
    Ok(verdict)
}
