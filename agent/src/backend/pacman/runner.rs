//! Captured runs of pacman's read-only commands, on top of the shared process-group runner
//! (`crate::backend::process`), which is re-exported here for this backend's modules.

pub use crate::backend::process::{run, Ended, Stream};

use crate::backend::BackendError;
use std::collections::BTreeMap;
use std::time::Duration;

/// Everything a finished query printed, line by line.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output lines.
    pub stdout: Vec<String>,
    /// Standard error lines.
    pub stderr: Vec<String>,
}

impl Captured {
    /// Whether the command exited 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// `error:` lines of stderr (without the prefix), else its last non-empty lines; for messages.
    pub fn errors(&self) -> String {
        let picked: Vec<&str> = self
            .stderr
            .iter()
            .filter_map(|l| l.strip_prefix("error: "))
            .collect();
        if !picked.is_empty() {
            return picked.join("; ");
        }
        let rest: Vec<&str> = self
            .stderr
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .collect();
        match rest.len() {
            0 => format!("exit code {:?}, nothing on stderr", self.code),
            n => rest[n.saturating_sub(3)..].join(" | "),
        }
    }
}

/// Runs a read-only command to completion with [`run`] and collects its output; a timeout is an error.
pub fn capture(
    program: &str,
    args: &[String],
    env: &BTreeMap<String, String>,
    timeout: Duration,
) -> Result<Captured, BackendError> {
    let mut out = Captured::default();
    let ended = run(program, args, env, timeout, &mut |stream, line| match stream {
        Stream::Out => out.stdout.push(line.to_string()),
        Stream::Err => out.stderr.push(line.to_string()),
    })?;
    match ended {
        Ended::Exited(status) => {
            out.code = status.code();
            Ok(out)
        }
        Ended::TimedOut { .. } => Err(BackendError::Command(format!(
            "{program} {}: timed out after {} s and was killed",
            args.join(" "),
            timeout.as_secs()
        ))),
    }
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
    fn capture_splits_streams_and_keeps_the_exit_code() {
        let env = BTreeMap::from([("PM_PACMAN_VAR".to_string(), "a;b".to_string())]);
        let c = capture(
            "sh",
            &s(&[
                "-c",
                "echo \"$PM_PACMAN_VAR $LC_ALL\"; echo 'error: boom' >&2; exit 4",
            ]),
            &env,
            Duration::from_secs(20),
        )
        .unwrap();
        assert_eq!(c.code, Some(4));
        assert!(!c.success());
        assert_eq!(c.stdout, vec!["a;b C"]);
        assert_eq!(c.errors(), "boom");
    }

    #[test]
    fn timeout_kills_the_group() {
        let t = Instant::now();
        let ended = run(
            "sh",
            &s(&["-c", "sleep 41 & sleep 42; wait"]),
            &BTreeMap::new(),
            Duration::from_millis(500),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(ended, Ended::TimedOut { output_closed: true });
        assert!(t.elapsed() < Duration::from_secs(10));
        let e = capture("sleep", &s(&["30"]), &BTreeMap::new(), Duration::from_millis(300)).unwrap_err();
        assert!(e.to_string().contains("timed out"), "{e}");
    }
}
