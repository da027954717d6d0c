//! Test repositories built once per test process by a script of `tests/scripts/` into a per-process temp
//! directory (a static is never dropped: leftovers of dead test processes are removed at the next build),
//! and running fixture commands that must succeed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Builds the repositories with `sh tests/scripts/SCRIPT DIR` (through `run`, which sets the kit's
/// environment) into a fresh `$TMPDIR/<prefix><pid>-<random>` and returns that directory.
pub fn build_once(prefix: &str, script: &str, run: fn(&mut Command) -> Output) -> PathBuf {
    let tmp = std::env::temp_dir();
    remove_stale(&tmp, prefix);
    let dir = tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in(&tmp)
        .unwrap_or_else(|e| {
            panic!(
                "create the repositories directory {prefix}* in {}: {e}",
                tmp.display()
            )
        })
        .keep();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(script);
    run(Command::new("sh").arg(&script).arg(&dir).env("LC_ALL", "C"));
    dir
}

/// Removes `<prefix><pid>-*` directories whose process no longer runs.
fn remove_stale(tmp: &Path, prefix: &str) {
    let Ok(rd) = std::fs::read_dir(tmp) else { return };
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(prefix).and_then(|r| r.split('-').next()) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Runs `cmd` (stdin closed) and panics with its stderr and stdout when it cannot start or exits non-zero.
pub fn run_ok(cmd: &mut Command) -> Output {
    let what = format!("{cmd:?}");
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    if !out.status.success() {
        panic!(
            "{what} failed with {}\n--- stderr\n{}\n--- stdout\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    out
}
