//! Captured runs of apk's read-only commands, on top of the shared process-group runner
//! (`crate::backend::process`), which is re-exported here for this backend's modules.

pub use crate::backend::process::{run, Ended, Stream};

use crate::backend::BackendError;
use std::collections::BTreeMap;
use std::time::Duration;

/// What a finished read-only command printed.
#[derive(Debug, Default)]
pub struct Captured {
    /// Standard output lines.
    pub stdout: Vec<String>,
    /// Standard error lines.
    pub stderr: Vec<String>,
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
}

impl Captured {
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
    use super::{capture, run, Ended};
    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn capture_separates_streams_and_keeps_the_exit_code() {
        let env = BTreeMap::from([("APK_RUNNER_VAR".to_string(), "x;y".to_string())]);
        let c = capture(
            "sh",
            &s(&[
                "-c",
                "echo out; echo err >&2; echo \"$APK_RUNNER_VAR $LC_ALL\"; exit 3",
            ]),
            &env,
            Duration::from_secs(20),
        )
        .unwrap();
        assert_eq!(c.stdout, s(&["out", "x;y C"]));
        assert_eq!(c.stderr, s(&["err"]));
        assert_eq!(c.code, Some(3));
        assert_eq!(c.stdout_text(), "out\nx;y C\n");
        let e = capture("sleep", &s(&["30"]), &BTreeMap::new(), Duration::from_millis(300)).unwrap_err();
        assert!(e.to_string().contains("sleep 30: timed out"), "{e}");
    }

    /// Whether `pid` is dead (gone or a zombie) within a few seconds: a killed process still shows as
    /// running while it exits, after its pipes closed.
    fn gone(pid: u32) -> bool {
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            let live = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|st| !st.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
                .unwrap_or(false);
            if !live {
                return true;
            }
            if Instant::now() >= until {
                return false;
            }
            std::thread::yield_now();
        }
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let t = Instant::now();
        let mut pids = Vec::new();
        let ended = run(
            "sh",
            &s(&["-c", "sleep 41 & echo $!; sh -c 'sleep 42 & echo $!; wait'; wait"]),
            &BTreeMap::new(),
            Duration::from_millis(700),
            &mut |_, l| pids.extend(l.parse::<u32>().ok()),
        )
        .unwrap();
        assert_eq!(ended, Ended::TimedOut { output_closed: true });
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
        assert_eq!(pids.len(), 2, "{pids:?}");
        for pid in pids {
            assert!(gone(pid), "sleep {pid} survived the group kill");
        }
    }
}
