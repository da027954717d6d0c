//! The apt backend's changing side against real apt-get and dpkg in sandboxes: every operation, progress,
//! refusals, index refresh, fetch failures, the time limit with its repair, and the host left untouched.

use linux_patch_api::backend::apt::AptBackend;
use linux_patch_api::backend::{
    BackendError, CommandEnv, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits,
};
use linux_patch_tests::apt::{apt_sandbox, dpkg_query, repos_dir, AptSandbox};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const HOST_STATUS: &str = "/var/lib/dpkg/status";

fn host_status() -> Vec<u8> {
    std::fs::read(HOST_STATUS).unwrap_or_else(|e| panic!("read {HOST_STATUS}: {e}"))
}

fn backend(sb: &AptSandbox) -> AptBackend {
    AptBackend::new(CommandEnv {
        env: sb.env(),
        extra_args: Vec::new(),
    })
    .unwrap_or_else(|e| panic!("apt backend on the sandbox: {e}"))
}

const LIMITS: RunLimits = RunLimits {
    timeout: Duration::from_secs(120),
    lock_timeout: Duration::from_secs(60),
};

/// Everything an operation reported, with the time each line arrived; optionally signals one line.
#[derive(Default)]
struct Recorder {
    lines: Vec<(Instant, String)>,
    percents: Vec<(u8, String)>,
    signal: Option<(String, mpsc::Sender<()>)>,
}

impl Progress for Recorder {
    fn line(&mut self, line: &str) {
        if let Some((want, tx)) = &self.signal {
            if line.starts_with(want.as_str()) {
                let _ = tx.send(());
            }
        }
        self.lines.push((Instant::now(), line.to_string()));
    }
    fn percent(&mut self, percent: u8, phase: &str) {
        self.percents.push((percent, phase.to_string()));
    }
}

impl Recorder {
    fn has(&self, prefix: &str) -> bool {
        self.lines.iter().any(|(_, l)| l.starts_with(prefix))
    }
    fn at(&self, prefix: &str) -> Instant {
        self.lines
            .iter()
            .find(|(_, l)| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in {:#?}", self.lines))
            .0
    }
}

fn spec(name: &str, version: Option<&str>) -> PackageSpec {
    PackageSpec {
        name: name.into(),
        version: version.map(str::to_string),
    }
}

fn exec(b: &AptBackend, op: Operation) -> Recorder {
    let mut rec = Recorder::default();
    b.execute(&op, &LIMITS, &mut rec)
        .unwrap_or_else(|e| panic!("{op:?}: {e}\n{:#?}", rec.lines));
    rec
}

fn refused(b: &AptBackend, op: Operation) -> String {
    match b.execute(&op, &LIMITS, &mut Recorder::default()) {
        Err(RunError::Failed {
            exit_code: None,
            message,
            fetch_error: false,
        }) => message,
        other => panic!("{op:?}: want a refusal, got {other:?}"),
    }
}

/// `name=version` of every installed package in the sandbox (configuration-only remains left out), sorted,
/// from dpkg-query; the backend's cached listing must say the same.
fn state(sb: &AptSandbox, b: &AptBackend) -> Vec<String> {
    let mut dpkg: Vec<String> = dpkg_query(
        Some(&sb.admindir()),
        "${db:Status-Status} ${Package}=${Version}\n",
    )
    .into_iter()
    .filter_map(|l| l.split_once(' ').map(|(st, nv)| (st.to_string(), nv.to_string())))
    .filter(|(st, _)| st != "config-files" && st != "not-installed")
    .map(|(_, nv)| nv)
    .collect();
    dpkg.sort();
    let mut ours: Vec<String> = b
        .installed()
        .unwrap()
        .iter()
        .filter(|p| p.status != "config-files")
        .map(|p| format!("{}={}", p.name, p.version))
        .collect();
    ours.sort();
    assert_eq!(ours, dpkg, "the backend's cached listing follows every change");
    dpkg
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

const BASE: [&str; 3] = ["pmtest-app=1.0", "pmtest-hello=1.0", "pmtest-lib=1.0"];

#[test]
fn install_pinned_and_with_dependency_reports_progress() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    assert_eq!(state(&sb, &b), s(&BASE));
    let rec = exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-hello", Some("1.0")), spec("pmtest-new", None)],
        },
    );
    assert_eq!(
        state(&sb, &b),
        s(&[
            "pmtest-app=1.0",
            "pmtest-dep=1.0",
            "pmtest-hello=1.0",
            "pmtest-lib=1.0",
            "pmtest-new=1.0"
        ]),
        "hello stays at the pinned 1.0 although 1.1 is available; pmtest-new pulls pmtest-dep"
    );
    assert!(rec.has("Setting up pmtest-dep (1.0)") && rec.has("Setting up pmtest-new (1.0)"));
    let pcts: Vec<u8> = rec.percents.iter().map(|p| p.0).collect();
    assert!(pcts.windows(2).all(|w| w[0] <= w[1]), "monotonic: {pcts:?}");
    assert_eq!(rec.percents.first().map(|p| p.0), Some(0));
    assert_eq!(rec.percents.last(), Some(&(100, "done".to_string())));
    assert!(pcts.iter().any(|p| (1..100).contains(p)), "{pcts:?}");
    assert!(
        rec.percents.iter().any(|p| p.1 == "setting up pmtest-new"),
        "{:?}",
        rec.percents
    );
    let hello = b
        .installed()
        .unwrap()
        .iter()
        .find(|p| p.name == "pmtest-hello")
        .cloned()
        .unwrap();
    assert_eq!(hello.candidate_version.as_deref(), Some("1.1"));
    assert_eq!(host_status(), host, "the host's dpkg status must not change");
}

#[test]
fn lines_stream_as_they_happen_and_the_dpkg_lock_is_waited_for() {
    let host = host_status();
    let sb = apt_sandbox();
    let (tx, rx) = mpsc::channel();
    let env = sb.env();
    let slow = std::thread::spawn(move || {
        let b = AptBackend::new(CommandEnv {
            env,
            extra_args: Vec::new(),
        })
        .unwrap();
        let mut rec = Recorder {
            signal: Some(("Setting up pmtest-slow".into(), tx)),
            ..Recorder::default()
        };
        let r = b.execute(
            &Operation::Install {
                packages: vec![spec("pmtest-slow", None)],
            },
            &LIMITS,
            &mut rec,
        );
        (r, rec, Instant::now())
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("pmtest-slow reaches its postinst");
    // Another backend (another process, as far as apt knows) meets apt's lock while the postinst sleeps.
    let other = backend(&sb);
    let hello = || Operation::Install {
        packages: vec![spec("pmtest-hello", Some("1.1"))],
    };
    let no_wait = RunLimits {
        lock_timeout: Duration::ZERO,
        ..LIMITS
    };
    match other.execute(&hello(), &no_wait, &mut Recorder::default()) {
        Err(RunError::Failed {
            exit_code: Some(100),
            message,
            fetch_error: false,
        }) => {
            assert!(message.contains("lock"), "{message}")
        }
        r => panic!("want a lock failure, got {r:?}"),
    }
    let t = Instant::now();
    exec(&other, hello());
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "waited for the lock: {:?}",
        t.elapsed()
    );
    let (r, rec, done) = slow.join().unwrap();
    r.unwrap();
    let setting_up = rec.at("Setting up pmtest-slow");
    assert!(
        done.duration_since(setting_up) >= Duration::from_secs(3),
        "the line arrived while the 4 s postinst ran, not at the end"
    );
    assert!(state(&sb, &backend(&sb)).contains(&"pmtest-hello=1.1".to_string()));
    assert_eq!(host_status(), host);
}

#[test]
fn update_one_and_downgrade_only_with_the_flag() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    let update = |v: Option<&str>, allow| Operation::Update {
        package: spec("pmtest-hello", v),
        allow_downgrade: allow,
    };
    exec(&b, update(None, false));
    assert_eq!(
        state(&sb, &b),
        s(&["pmtest-app=1.0", "pmtest-hello=1.1", "pmtest-lib=1.0"])
    );
    let m = refused(&b, update(Some("1.0"), false));
    assert!(m.contains("allow_downgrade") && m.contains("1.1"), "{m}");
    assert!(
        state(&sb, &b).contains(&"pmtest-hello=1.1".to_string()),
        "refused: nothing ran"
    );
    exec(&b, update(Some("1.0"), true));
    assert_eq!(state(&sb, &b), s(&BASE));
    let m = refused(
        &b,
        Operation::Update {
            package: spec("pmtest-new", None),
            allow_downgrade: false,
        },
    );
    assert!(m.contains("not installed"), "{m}");
    assert_eq!(host_status(), host);
}

#[test]
fn remove_keeps_configuration_and_purge_removes_it() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-new", None)],
        },
    );
    let conf = sb.root().join("etc/pmtest-new.conf");
    assert!(conf.is_file());
    exec(
        &b,
        Operation::Remove {
            name: "pmtest-new".into(),
            purge: false,
        },
    );
    assert!(
        sb.status_abbrev().contains(&"pmtest-new=rc".to_string()),
        "{:?}",
        sb.status_abbrev()
    );
    assert!(conf.is_file(), "remove keeps the configuration file");
    let listed = b.installed().unwrap();
    let new = listed
        .iter()
        .find(|p| p.name == "pmtest-new")
        .expect("config-files still listed");
    assert_eq!(new.status, "config-files");
    exec(
        &b,
        Operation::Remove {
            name: "pmtest-new".into(),
            purge: true,
        },
    );
    assert!(!conf.exists(), "purge removes it");
    assert!(!sb.status_abbrev().iter().any(|s| s.starts_with("pmtest-new=")));
    assert!(!b.installed().unwrap().iter().any(|p| p.name == "pmtest-new"));
    exec(
        &b,
        Operation::Remove {
            name: "pmtest-app".into(),
            purge: false,
        },
    );
    assert_eq!(
        state(&sb, &b),
        s(&["pmtest-dep=1.0", "pmtest-hello=1.0", "pmtest-lib=1.0"])
    );
    assert_eq!(host_status(), host);
}

#[test]
fn upgrade_all_listed_and_security_only() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    let upgrade = |p: &[&str], security_only| Operation::Upgrade {
        packages: s(p),
        security_only,
    };
    exec(&b, upgrade(&[], true));
    assert_eq!(
        state(&sb, &b),
        s(&["pmtest-app=1.0", "pmtest-hello=1.0", "pmtest-lib=1.0.1"]),
        "only the security update moved"
    );
    let rec = exec(&b, upgrade(&[], true));
    assert!(
        rec.has("linux-patch-api: no security updates pending"),
        "{:?}",
        rec.lines
    );
    assert_eq!(rec.percents.last().map(|p| p.0), Some(100));
    exec(&b, upgrade(&["pmtest-hello"], false));
    assert_eq!(
        state(&sb, &b),
        s(&["pmtest-app=1.0", "pmtest-hello=1.1", "pmtest-lib=1.0.1"])
    );
    assert!(b.upgrades().unwrap().is_empty());

    let sb2 = apt_sandbox();
    let b2 = backend(&sb2);
    exec(&b2, upgrade(&[], false));
    assert_eq!(
        state(&sb2, &b2),
        s(&["pmtest-app=1.0", "pmtest-hello=1.1", "pmtest-lib=1.0.1"])
    );
    assert!(b2.upgrades().unwrap().is_empty(), "the upgrade cache follows");
    assert!(b2
        .installed()
        .unwrap()
        .iter()
        .all(|p| p.upgradable == Some(false)));
    assert_eq!(host_status(), host);
}

#[test]
fn restore_puts_back_the_recorded_state_in_one_transaction() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    let before = sb.dpkg_query_w();
    exec(
        &b,
        Operation::Upgrade {
            packages: vec![],
            security_only: false,
        },
    );
    exec(
        &b,
        Operation::Remove {
            name: "pmtest-app".into(),
            purge: false,
        },
    );
    exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-new", None)],
        },
    );
    assert_eq!(
        state(&sb, &b),
        s(&[
            "pmtest-dep=1.0",
            "pmtest-hello=1.1",
            "pmtest-lib=1.0.1",
            "pmtest-new=1.0"
        ])
    );
    let rec = exec(
        &b,
        Operation::Restore {
            install: vec![
                spec("pmtest-hello", Some("1.0")),
                spec("pmtest-lib", Some("1.0")),
                spec("pmtest-app", Some("1.0")),
            ],
            remove: s(&["pmtest-new", "pmtest-dep"]),
        },
    );
    // Removal keeps configuration files (no purge): pmtest-new, which ships a conffile, stays listed by
    // dpkg-query in state config-files (rc); every installed package equals the recorded state.
    let after: Vec<_> = sb.dpkg_query_w().into_iter().filter(|(n, _, _)| n != "pmtest-new").collect();
    assert_eq!(after, before, "state equals the recorded one");
    assert!(sb.status_abbrev().contains(&"pmtest-new=rc".to_string()), "{:?}", sb.status_abbrev());
    assert_eq!(state(&sb, &b), s(&BASE));
    let plans = rec
        .lines
        .iter()
        .filter(|(_, l)| l.contains(" upgraded, "))
        .count();
    assert_eq!(plans, 1, "one apt-get transaction: {:#?}", rec.lines);
    assert!(rec.has("Removing pmtest-new") && rec.has("Setting up pmtest-app (1.0)"));
    assert_eq!(host_status(), host);
}

#[test]
fn check_obtainable_and_validation_answer_in_apts_words() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    for ok in [
        spec("pmtest-hello", None),
        spec("pmtest-hello", Some("1.0")),
        spec("pmtest-hello", Some("1.1")),
        spec("pmtest-new", None),
    ] {
        assert_eq!(b.check_obtainable(&ok), Ok(()), "{ok:?}");
    }
    let e = b.check_obtainable(&spec("pmtest-nope", None)).unwrap_err();
    assert_eq!(e, "Unable to locate package pmtest-nope");
    let e = b
        .check_obtainable(&spec("pmtest-hello", Some("9.9")))
        .unwrap_err();
    assert_eq!(e, "Version '9.9' for 'pmtest-hello' was not found");
    let e = b.check_obtainable(&spec("-oAPT::Get::Foo", None)).unwrap_err();
    assert!(e.contains("must start"), "{e}");
    let e = b.check_obtainable(&spec("pmtest-app-", None)).unwrap_err();
    assert!(e.contains("trailing '-'"), "removal disguised as an install: {e}");
    assert_eq!(b.validate_version("1:1.0.1-2+deb12u1"), Ok(()));
    assert!(b.validate_version("-1.0").is_err());
    assert_eq!(state(&sb, &b), s(&BASE), "simulation only");
    assert_eq!(host_status(), host);
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file() && e.file_name() != "lock")
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn refresh_index_refetches_lists_and_names_a_broken_repository() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    assert_eq!(b.upgrades().unwrap().len(), 2);
    let lists = sb.root().join("var/lib/apt/lists");
    let fetched = files_in(&lists);
    assert!(fetched.iter().any(|f| f.ends_with("_Packages")), "{fetched:?}");
    for f in &fetched {
        std::fs::remove_file(lists.join(f)).unwrap();
    }
    assert!(
        b.upgrades().unwrap().is_empty(),
        "no indexes, no candidates (cache keyed on the lists)"
    );
    b.refresh_index(Duration::from_secs(60)).unwrap();
    assert_eq!(files_in(&lists), fetched, "the lists are back");
    assert_eq!(b.upgrades().unwrap().len(), 2, "and the upgrade cache saw it");

    let missing = sb.root().join("no-such-repo");
    std::fs::write(
        sb.root().join("etc/apt/sources.list.d/broken.list"),
        format!("deb [trusted=yes] file:{} ./\n", missing.display()),
    )
    .unwrap();
    match b.refresh_index(Duration::from_secs(60)) {
        Err(BackendError::Command(m)) => {
            assert!(
                m.contains(&format!("file:{} ./", missing.display())),
                "names the repository: {m}"
            )
        }
        other => panic!("want an error naming the repository, got {other:?}"),
    }
    assert_eq!(host_status(), host);
}

#[test]
fn missing_archive_is_a_fetch_error() {
    let host = host_status();
    let sb = apt_sandbox();
    // A private copy of `main` whose pmtest-new .deb disappears after the index was fetched.
    let mirror = sb.root().join("mirror");
    std::fs::create_dir(&mirror).unwrap();
    for e in std::fs::read_dir(repos_dir().join("repo/main")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), mirror.join(e.file_name())).unwrap();
    }
    std::fs::write(
        sb.root().join("etc/apt/sources.list"),
        format!(
            "deb [trusted=yes] file:{} ./\ndeb [trusted=yes] file:{}/repo/security ./\n",
            mirror.display(),
            repos_dir().display()
        ),
    )
    .unwrap();
    sb.apt_get(&["update"]);
    std::fs::remove_file(mirror.join("pmtest-new_1.0_all.deb")).unwrap();
    let b = backend(&sb);
    let mut rec = Recorder::default();
    match b.execute(
        &Operation::Install {
            packages: vec![spec("pmtest-new", None)],
        },
        &LIMITS,
        &mut rec,
    ) {
        Err(RunError::Failed {
            exit_code: Some(100),
            message,
            fetch_error: true,
        }) => {
            assert!(
                message.contains("E: Failed to fetch") || message.contains("Unable to fetch"),
                "{message}"
            )
        }
        other => panic!("want a fetch error, got {other:?}\n{:#?}", rec.lines),
    }
    assert!(
        rec.percents.iter().all(|p| p.0 < 100),
        "no 100 on failure: {:?}",
        rec.percents
    );
    assert_eq!(state(&sb, &b), s(&BASE));
    assert_eq!(host_status(), host);
}

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

fn gone(root: &Path) -> Vec<String> {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let left = live_processes_of(root);
        if left.is_empty() || Instant::now() > until {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
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
    assert_eq!(
        gone(sb.root()),
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
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let marker = sb.root().join("var/lib/pmtest-hang/hung-once");
    let until = Instant::now() + Duration::from_secs(60);
    while !marker.exists() {
        assert!(Instant::now() < until, "pmtest-hang never reached its postinst");
        std::thread::sleep(Duration::from_millis(50));
    }
    let group = format!("-{}", child.id());
    assert!(Command::new("kill")
        .args(["-KILL", "--", &group])
        .status()
        .unwrap()
        .success());
    let _ = child.wait();
    assert_eq!(gone(sb.root()), Vec::<String>::new());
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
