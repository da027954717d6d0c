//! Interrupted runs: the time limit kills apt-get's whole process group and repairs the database; a run
//! killed from outside is repaired before the next operation.

use super::{backend, exec, host_status, spec, state, Recorder, LIMITS};
use linux_patch_api::backend::{Operation, PackageBackend, RunError, RunLimits};
use linux_patch_tests::apt::apt_sandbox;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Live (not zombie) processes whose command line or environment mentions `root`.
fn live_processes_of(root: &Path) -> Vec<String> {
    let needle = root.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let pid = e.file_name().to_string_lossy().into_owned();
        if pid.parse::<u32>().is_err() || pid == std::process::id().to_string() {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        if stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
        {
            continue;
        }
        let env = std::fs::read(e.path().join("environ")).unwrap_or_default();
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let text = format!(
            "{}\0{}",
            String::from_utf8_lossy(&cmd),
            String::from_utf8_lossy(&env)
        );
        if text.contains(&needle) {
            found.push(format!(
                "{pid}: {}",
                String::from_utf8_lossy(&cmd).replace('\0', " ")
            ));
        }
    }
    found
}

#[test]
fn timeout_kills_the_process_group_and_repairs_the_database() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    let limits = RunLimits {
        timeout: Duration::from_secs(3),
        ..LIMITS
    };
    let mut rec = Recorder::default();
    let t = Instant::now();
    let r = b.execute(
        &Operation::Install {
            packages: vec![spec("pmtest-hang", None)],
        },
        &limits,
        &mut rec,
    );
    let took = t.elapsed();
    assert_eq!(r, Err(RunError::TimedOut), "{:#?}", rec.lines);
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(30),
        "{took:?}"
    );
    assert!(
        sb.root().join("var/lib/pmtest-hang/hung-once").exists(),
        "the postinst did hang"
    );
    assert!(
        rec.has("pmtest-hang: postinst hangs now"),
        "the hanging script's output streamed"
    );
    // execute returns after the group's output pipes closed: whatever it started is dead by now.
    assert_eq!(
        live_processes_of(sb.root()),
        Vec::<String>::new(),
        "nothing of the killed group survives"
    );
    assert!(
        rec.has("linux-patch-api: apt-get was killed after 3 s"),
        "{:#?}",
        rec.lines
    );
    assert!(
        rec.has("linux-patch-api: dpkg --configure -a finished"),
        "{:#?}",
        rec.lines
    );
    // What is asserted: the repair configured the package (its postinst no longer hangs), so the
    // database is consistent: no audit findings, no journal, pmtest-hang fully installed.
    assert_eq!(sb.dpkg_audit(), "");
    assert!(
        sb.status_abbrev().contains(&"pmtest-hang=ii".to_string()),
        "{:?}",
        sb.status_abbrev()
    );
    assert_eq!(
        std::fs::read_dir(sb.admindir().join("updates")).unwrap().count(),
        0
    );
    exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-hello", Some("1.1"))],
        },
    );
    assert!(state(&sb, &b).contains(&"pmtest-hello=1.1".to_string()));
    assert_eq!(host_status(), host);
}

#[test]
fn an_interrupted_run_by_someone_else_is_repaired_before_the_next_operation() {
    let host = host_status();
    let sb = apt_sandbox();
    // apt-get killed from outside mid-postinst, as when the agent itself is SIGKILLed during a job.
    let mut child = Command::new("apt-get")
        .args(["-y", "-q", "install", "pmtest-hang"])
        .envs(sb.env())
        .env("DEBIAN_FRONTEND", "noninteractive")
        .env("LC_ALL", "C")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    while !line.starts_with("pmtest-hang: postinst hangs now") {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "pmtest-hang never hung:\n{seen}"
        );
        seen.push_str(&line);
    }
    let group = format!("-{}", child.id());
    assert!(Command::new("kill")
        .args(["-KILL", "--", &group])
        .status()
        .unwrap()
        .success());
    child.wait().unwrap();
    // EOF once every process of the group (all hold stdout) is dead.
    std::io::copy(&mut out, &mut std::io::sink()).unwrap();
    assert_eq!(live_processes_of(sb.root()), Vec::<String>::new());
    assert!(sb.dpkg_audit().contains("pmtest-hang"), "left half-configured");
    let b = backend(&sb);
    let rec = exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-hello", Some("1.1"))],
        },
    );
    assert!(
        rec.has("linux-patch-api: the dpkg database was left unfinished (pmtest-hang is half-configured"),
        "{:#?}",
        rec.lines
    );
    assert_eq!(sb.dpkg_audit(), "");
    assert!(state(&sb, &b).contains(&"pmtest-hello=1.1".to_string()));
    assert_eq!(host_status(), host);
}
