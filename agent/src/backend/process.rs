//! Runs a package-manager command (any backend) in its own process group, streaming every output line as it
//! comes, and kills the whole group when the time limit passes.

use crate::backend::BackendError;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use wait_timeout::ChildExt;

/// How often the exit status and the deadline are checked while no output arrives.
const POLL: Duration = Duration::from_millis(50);

/// How long output is still collected after the command exited (or was killed): a process that left the
/// group's pipes open (a daemon started by a maintainer script) must not hold the caller forever.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Out,
    /// Standard error.
    Err,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The command exited (or died of a signal it was not sent by us).
    Exited(ExitStatus),
    /// The time limit passed; the process group was sent SIGKILL.
    TimedOut {
        /// Every process holding the output pipes is gone (false: something outlived the kill, e.g. it
        /// had left the process group, and still held them after a grace period).
        output_closed: bool,
    },
}

/// Runs `program args...` without a shell, with `env` added to the environment and `LC_ALL=C` (output is
/// parsed), stdin closed, as the leader of a new process group. Each line of stdout and stderr (without
/// its newline, lossy UTF-8) is handed to `on_line` on the calling thread as soon as it is read; both
/// pipes are drained on their own threads, so a chatty command never blocks on a full pipe. When
/// `timeout` passes, SIGKILL goes to the whole process group (the command and everything it started that
/// did not leave the group), the command is reaped, the output drained until the pipes close (every
/// process of the group is then dead) or a grace period passes, and [`Ended::TimedOut`] returned.
pub fn run(
    program: &str,
    args: &[String],
    env: &BTreeMap<String, String>,
    timeout: Duration,
    on_line: &mut dyn FnMut(Stream, &str),
) -> Result<Ended, BackendError> {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .envs(env)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| BackendError::Command(format!("{program}: cannot start: {e}")))?;
    let group = i32::try_from(child.id())
        .map(Pid::from_raw)
        .map_err(|_| BackendError::Command(format!("{program}: process id out of range")))?;
    let (tx, rx) = mpsc::channel::<(Stream, String)>();
    if let Some(out) = child.stdout.take() {
        pump(out, Stream::Out, tx.clone());
    }
    if let Some(err) = child.stderr.take() {
        pump(err, Stream::Err, tx.clone());
    }
    drop(tx);

    let deadline = started + timeout;
    let mut exited: Option<(ExitStatus, Instant)> = None;
    let mut open = true;
    loop {
        if open {
            match rx.recv_timeout(POLL) {
                Ok((stream, line)) => on_line(stream, &line),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => open = false,
            }
        } else if exited.is_none() {
            // Both pipes closed but the command has not exited: block on its exit up to the deadline.
            match child.wait_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Some(status)) => exited = Some((status, Instant::now())),
                Ok(None) => {}
                Err(e) => return Err(abandon(&mut child, group, program, &e)),
            }
        }
        if exited.is_none() {
            match child.try_wait() {
                Ok(Some(status)) => exited = Some((status, Instant::now())),
                Ok(None) => {}
                Err(e) => return Err(abandon(&mut child, group, program, &e)),
            }
        }
        match exited {
            Some((status, at)) if !open || at.elapsed() >= DRAIN_GRACE => return Ok(Ended::Exited(status)),
            Some(_) => {}
            None if Instant::now() >= deadline => {
                kill_group(group);
                // Reaps the command itself; the rest of the group is reparented and reaped by init.
                let _ = child.wait();
                let output_closed = !open || drain(&rx, on_line);
                return Ok(Ended::TimedOut { output_closed });
            }
            None => {}
        }
    }
}

/// SIGKILL to every process of the group; a group that is already gone is fine.
fn kill_group(group: Pid) {
    if let Err(e) = killpg(group, Signal::SIGKILL) {
        if e != nix::errno::Errno::ESRCH {
            log::warn!("cannot kill process group {group}: {e}");
        }
    }
}

/// Kills the group and reaps the command after waiting on it failed.
fn abandon(child: &mut Child, group: Pid, program: &str, e: &std::io::Error) -> BackendError {
    kill_group(group);
    let _ = child.wait();
    BackendError::Command(format!("{program}: wait failed: {e}"))
}

/// Hands over what the pipes still deliver within [`DRAIN_GRACE`]; true when both pipes closed.
fn drain(rx: &mpsc::Receiver<(Stream, String)>, on_line: &mut dyn FnMut(Stream, &str)) -> bool {
    let until = Instant::now() + DRAIN_GRACE;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok((stream, line)) => on_line(stream, &line),
            Err(mpsc::RecvTimeoutError::Disconnected) => return true,
            Err(mpsc::RecvTimeoutError::Timeout) => return false,
        }
    }
    false
}

/// Reads `r` line by line on its own thread and sends each line; ends at EOF or on a read error.
fn pump<R: Read + Send + 'static>(r: R, stream: Stream, tx: mpsc::Sender<(Stream, String)>) {
    std::thread::spawn(move || {
        let mut r = BufReader::new(r);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&buf);
                    let line = text.trim_end_matches(['\n', '\r']).to_string();
                    if tx.send((stream, line)).is_err() {
                        return;
                    }
                }
            }
        }
    });
}

/// What a finished read-only command printed.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// Standard output lines.
    pub stdout: Vec<String>,
    /// Standard error lines.
    pub stderr: Vec<String>,
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
}

impl Captured {
    /// Whether the command exited 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Standard output as text, one `\n` after each line.
    pub fn stdout_text(&self) -> String {
        self.stdout.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// Runs `program args...` like [`run`] and collects its output; a timeout is an error naming the command.
pub fn capture(
    program: &str,
    args: &[String],
    env: &BTreeMap<String, String>,
    timeout: Duration,
) -> Result<Captured, BackendError> {
    let mut c = Captured::default();
    let ended = run(program, args, env, timeout, &mut |stream, line| match stream {
        Stream::Out => c.stdout.push(line.to_string()),
        Stream::Err => c.stderr.push(line.to_string()),
    })?;
    match ended {
        Ended::Exited(status) => {
            c.code = status.code();
            Ok(c)
        }
        Ended::TimedOut { .. } => Err(BackendError::Command(format!(
            "{}: timed out after {} s and was killed",
            describe(program, args),
            timeout.as_secs()
        ))),
    }
}

/// `program arg...` for messages.
pub fn describe(program: &str, args: &[String]) -> String {
    std::iter::once(program)
        .chain(args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::{run, Ended, Stream};
    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn streams_both_pipes_in_order_with_env_and_exit_code() {
        let env = BTreeMap::from([("PM_RUNNER_VAR".to_string(), "x;y".to_string())]);
        let mut got = Vec::new();
        let script = "echo one; echo two >&2; echo \"$PM_RUNNER_VAR $LC_ALL\"; printf 'no-newline'; exit 3";
        let ended = run(
            "sh",
            &s(&["-c", script]),
            &env,
            Duration::from_secs(20),
            &mut |st, l| got.push((st, l.to_string())),
        )
        .unwrap();
        match ended {
            Ended::Exited(st) => assert_eq!(st.code(), Some(3)),
            other => panic!("{other:?}"),
        }
        let out: Vec<&str> = got
            .iter()
            .filter(|(s, _)| *s == Stream::Out)
            .map(|(_, l)| l.as_str())
            .collect();
        assert_eq!(out, vec!["one", "x;y C", "no-newline"]);
        assert!(got.contains(&(Stream::Err, "two".to_string())), "{got:?}");
    }

    #[test]
    fn lines_arrive_while_the_command_runs_and_big_output_does_not_block() {
        let t = Instant::now();
        let mut first_at = None;
        let mut n = 0usize;
        run(
            "sh",
            &s(&["-c", "echo early; sleep 1; seq 1 100000 >&2"]),
            &BTreeMap::new(),
            Duration::from_secs(30),
            &mut |_, l| {
                if l == "early" {
                    first_at = Some(t.elapsed());
                }
                n += 1;
            },
        )
        .unwrap();
        assert_eq!(n, 100_001);
        assert!(first_at.unwrap() < Duration::from_millis(900), "{first_at:?}");
    }

    #[test]
    fn timeout_kills_the_whole_group_including_grandchildren() {
        let t = Instant::now();
        let mut pids = Vec::new();
        let ended = run(
            "sh",
            &s(&["-c", "sleep 37 & echo $!; sh -c 'sleep 38 & echo $!; wait'; wait"]),
            &BTreeMap::new(),
            Duration::from_millis(700),
            &mut |_, l| pids.extend(l.parse::<u32>().ok()),
        )
        .unwrap();
        // The sleeps held the pipes: closed pipes mean they are dead (zombies at most) now.
        assert_eq!(ended, Ended::TimedOut { output_closed: true });
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
        assert_eq!(pids.len(), 2, "{pids:?}");
        for pid in pids {
            // A killed process still shows as running for a moment while it exits: poll, bounded.
            let until = Instant::now() + Duration::from_secs(5);
            let gone = loop {
                let live = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .map(|st| !st.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
                    .unwrap_or(false);
                if !live || Instant::now() >= until {
                    break !live;
                }
                std::thread::yield_now();
            };
            assert!(gone, "sleep {pid} survived the group kill");
        }
    }

    #[test]
    fn a_process_that_leaves_the_group_is_reported() {
        // setsid puts the sleep in its own session: the group kill cannot reach it, and it holds stdout.
        let mut pid = None;
        let ended = run(
            "sh",
            &s(&["-c", "setsid sleep 39 & echo $!; wait"]),
            &BTreeMap::new(),
            Duration::from_millis(500),
            &mut |_, l| pid = l.parse::<i32>().ok(),
        )
        .unwrap();
        assert_eq!(ended, Ended::TimedOut { output_closed: false });
        // Clean up the escapee this test started.
        let pid = nix::unistd::Pid::from_raw(pid.unwrap());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
    }

    #[test]
    fn capture_separates_streams_keeps_the_exit_code_and_refuses_a_timeout() {
        let env = BTreeMap::from([("PM_CAPTURE_VAR".to_string(), "x;y".to_string())]);
        let script = "echo out; echo err >&2; echo \"$PM_CAPTURE_VAR $LC_ALL\"; exit 3";
        let c = super::capture("sh", &s(&["-c", script]), &env, Duration::from_secs(20)).unwrap();
        assert_eq!(c.stdout, s(&["out", "x;y C"]));
        assert_eq!(c.stderr, s(&["err"]));
        assert_eq!(c.code, Some(3));
        assert!(!c.success());
        assert_eq!(c.stdout_text(), "out\nx;y C\n");
        let e =
            super::capture("sleep", &s(&["30"]), &BTreeMap::new(), Duration::from_millis(300)).unwrap_err();
        assert!(e.to_string().contains("sleep 30: timed out"), "{e}");
    }

    #[test]
    fn missing_program_is_a_clear_error() {
        let e = run(
            "/nonexistent/pm-prog",
            &[],
            &BTreeMap::new(),
            Duration::from_secs(5),
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(e.to_string().contains("cannot start"), "{e}");
    }
}
