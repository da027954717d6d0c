//! Captured runs of dnf's read-only commands, on top of the shared process-group runner
//! (`crate::backend::process`), which is re-exported here for this backend's modules.

pub use crate::backend::process::{run, Ended, Stream};

use crate::backend::BackendError;
use std::collections::BTreeMap;
use std::time::Duration;

/// What a finished (or killed) command printed, and how it ended.
#[derive(Debug)]
pub struct Captured {
    /// How the run ended.
    pub ended: Ended,
    /// Standard output lines.
    pub stdout: Vec<String>,
    /// Standard error lines.
    pub stderr: Vec<String>,
}

impl Captured {
    /// Exit code, `None` when killed by a signal or by the time limit.
    pub fn code(&self) -> Option<i32> {
        match self.ended {
            Ended::Exited(s) => s.code(),
            Ended::TimedOut { .. } => None,
        }
    }

    /// The last few non-empty stderr lines (stdout when stderr is empty), joined: enough to say why.
    pub fn tail(&self) -> String {
        let pick = |v: &[String]| -> Vec<String> {
            let l: Vec<String> = v
                .iter()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect();
            l[l.len().saturating_sub(5)..].to_vec()
        };
        let mut t = pick(&self.stderr);
        if t.is_empty() {
            t = pick(&self.stdout);
        }
        if t.is_empty() {
            "no output".into()
        } else {
            t.join(" | ")
        }
    }
}

/// [`run`], collecting stdout and stderr lines instead of handing them over one by one.
pub fn capture(
    program: &str,
    args: &[String],
    env: &BTreeMap<String, String>,
    timeout: Duration,
) -> Result<Captured, BackendError> {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let ended = run(program, args, env, timeout, &mut |s, l| match s {
        Stream::Out => stdout.push(l.to_string()),
        Stream::Err => stderr.push(l.to_string()),
    })?;
    Ok(Captured {
        ended,
        stdout,
        stderr,
    })
}

#[cfg(test)]
mod tests {
    use super::{capture, Ended};
    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn captures_both_pipes_env_and_exit_code_without_a_shell() {
        let env = BTreeMap::from([("PM_DNF_RUNNER".to_string(), "x;y".to_string())]);
        let c = capture(
            "sh",
            &s(&["-c", "echo \"$PM_DNF_RUNNER $LC_ALL\"; echo err >&2; exit 100"]),
            &env,
            Duration::from_secs(20),
        )
        .unwrap();
        assert_eq!(c.code(), Some(100));
        assert_eq!(c.stdout, vec!["x;y C"]);
        assert_eq!(c.stderr, vec!["err"]);
        assert_eq!(c.tail(), "err");
        let c = capture(
            "echo",
            &s(&["$(id)", "a;b"]),
            &BTreeMap::new(),
            Duration::from_secs(20),
        )
        .unwrap();
        assert_eq!(c.stdout, vec!["$(id) a;b"]);
    }

    #[test]
    fn timeout_kills_the_group_and_missing_program_is_clear() {
        let t = Instant::now();
        let c = capture(
            "sh",
            &s(&["-c", "sleep 41 & sleep 42; wait"]),
            &BTreeMap::new(),
            Duration::from_millis(500),
        )
        .unwrap();
        assert_eq!(c.ended, Ended::TimedOut { output_closed: true });
        assert_eq!(c.code(), None);
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
        let e = capture("/nonexistent/dnf", &[], &BTreeMap::new(), Duration::from_secs(5)).unwrap_err();
        assert!(e.to_string().contains("cannot start"), "{e}");
    }
}
