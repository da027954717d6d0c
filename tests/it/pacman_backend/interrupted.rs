//! The time limit and pacman's lock: a hanging download is killed with its process group and the lock it
//! leaves is cleared; a lock held by another process is waited for (or refused at once).

use super::{backend, base, exec, host_unchanged, spec, state, Recorder, LIMITS};
use linux_patch_api::backend::{Operation, PackageBackend, RunError, RunLimits};
use linux_patch_tests::agent::wait_a_little;
use linux_patch_tests::pacman::pacman_sandbox;
use std::time::{Duration, Instant};

#[test]
fn a_hanging_pacman_is_killed_and_its_lock_cleared() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        let b = backend(&sb);
        let limits = RunLimits {
            timeout: Duration::from_secs(2),
            ..LIMITS
        };
        let mut rec = Recorder::default();
        let t = Instant::now();
        // pmtest-hang's package file is a FIFO nobody writes: its download blocks forever.
        let r = b.execute(
            &Operation::Install {
                packages: vec![spec("pmtest-hang", None)],
            },
            &limits,
            &mut rec,
        );
        assert_eq!(r, Err(RunError::TimedOut), "{:#?}", rec.lines);
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
        assert!(
            rec.has(":: Retrieving packages..."),
            "it was hanging in the download: {:#?}",
            rec.lines
        );
        assert!(
            rec.has("linux-patch-api: pacman was killed after 2 s"),
            "{:#?}",
            rec.lines
        );
        assert!(rec.has("linux-patch-api: removed "), "{:#?}", rec.lines);
        assert!(
            !sb.dbpath().join("db.lck").exists(),
            "the lock of the killed pacman is gone"
        );
        let pacmans = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path().join("cmdline")).ok())
            .filter(|c| c.contains(&sb.config().display().to_string()))
            .count();
        assert_eq!(pacmans, 0, "no pacman of this sandbox survives");
        // The root is usable right away.
        exec(
            &b,
            Operation::Install {
                packages: vec![spec("pmtest-new", None)],
            },
        );
        assert!(state(&sb, &b).contains(&"pmtest-new=1.0-1".to_string()));
    });
}

#[test]
fn pacmans_lock_is_waited_for_or_refused_at_once() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        let b = backend(&sb);
        let lock = sb.dbpath().join("db.lck");
        std::fs::write(&lock, "").unwrap();
        let op = || Operation::Update {
            package: spec("pmtest-hello", None),
            allow_downgrade: false,
        };
        let no_wait = RunLimits {
            lock_timeout: Duration::ZERO,
            ..LIMITS
        };
        match b.execute(&op(), &no_wait, &mut Recorder::default()) {
            Err(RunError::Failed {
                exit_code: None,
                message,
                ..
            }) => {
                assert!(message.contains("locked by another process"), "{message}")
            }
            other => panic!("want a lock refusal, got {other:?}"),
        }
        let env = sb.command_env();
        let waiter = std::thread::spawn(move || {
            let b = linux_patch_api::backend::pacman::PacmanBackend::new(env).unwrap();
            let mut rec = Recorder::default();
            (b.execute(&op(), &LIMITS, &mut rec), rec)
        });
        for _ in 0..20 {
            wait_a_little();
        }
        assert!(!waiter.is_finished(), "still waiting for the lock");
        assert_eq!(state(&sb, &b), base(), "nothing ran while the lock was held");
        std::fs::remove_file(&lock).unwrap();
        let (r, rec) = waiter.join().unwrap();
        r.unwrap_or_else(|e| panic!("{e}: {:#?}", rec.lines));
        assert!(state(&sb, &b).contains(&"pmtest-hello=1.1-1".to_string()));
    });
}
