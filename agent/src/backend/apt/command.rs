//! Runs one package-manager command without a shell: explicit args, C locale, captured output, timeout.

use crate::backend::BackendError;
use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;
use wait_timeout::ChildExt;

/// What a finished command printed.
#[derive(Debug)]
pub struct Output {
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
}

/// Runs `program args...` with `env` added to the process environment and `LC_ALL=C` (the output is
/// parsed), stdin closed. Kills it after `timeout`. A non-zero exit is an error carrying stderr.
pub fn run(
    program: &str,
    args: &[String],
    env: &BTreeMap<String, String>,
    timeout: Duration,
) -> Result<Output, BackendError> {
    let what = describe(program, args);
    let mut child = Command::new(program)
        .args(args)
        .envs(env)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| BackendError::Command(format!("{what}: cannot start: {e}")))?;
    // Drain both pipes while waiting, or a big output would block the child on a full pipe.
    let out = child.stdout.take().map(reader);
    let err = child.stderr.take().map(reader);
    let waited = child.wait_timeout(timeout);
    let status = match waited {
        Ok(Some(status)) => status,
        Ok(None) => {
            // Best effort: the child may have exited between the timeout and the kill.
            let _ = child.kill();
            let _ = child.wait();
            return Err(BackendError::Command(format!(
                "{what}: timed out after {} s and was killed",
                timeout.as_secs()
            )));
        }
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(BackendError::Command(format!("{what}: wait failed: {e}")));
        }
    };
    let stdout = out.map(join).unwrap_or_default();
    let stderr = err.map(join).unwrap_or_default();
    if !status.success() {
        let code = status
            .code()
            .map_or_else(|| "a signal".to_string(), |c| c.to_string());
        return Err(BackendError::Command(format!(
            "{what}: exited with {code}: {}",
            tail(&stderr)
        )));
    }
    Ok(Output { stdout, stderr })
}

fn reader<R: Read + Send + 'static>(mut r: R) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        // A read error just ends the capture; the exit status still decides success.
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

fn join(h: std::thread::JoinHandle<String>) -> String {
    h.join().unwrap_or_default()
}

fn describe(program: &str, args: &[String]) -> String {
    std::iter::once(program)
        .chain(args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last few non-empty lines of stderr, enough to say why without flooding an error message.
fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(5);
    let t = lines[start..].join(" | ");
    if t.is_empty() {
        "no message on stderr".to_string()
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::run;
    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn captures_output_and_env_without_a_shell() {
        let env = BTreeMap::from([("PM_TEST_VAR".to_string(), "x;y".to_string())]);
        let o = run(
            "printenv",
            &s(&["PM_TEST_VAR", "LC_ALL"]),
            &env,
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(o.stdout, "x;y\nC\n");
        let o = run(
            "echo",
            &s(&["$(id)", "a;b"]),
            &BTreeMap::new(),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(o.stdout, "$(id) a;b\n", "arguments are not interpreted");
    }

    #[test]
    fn failure_carries_stderr_and_missing_program_is_clear() {
        let e = run(
            "ls",
            &s(&["/nonexistent-pm-test"]),
            &BTreeMap::new(),
            Duration::from_secs(10),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("exited with 2") && e.contains("nonexistent-pm-test"),
            "{e}"
        );
        let e = run(
            "/nonexistent/prog",
            &[],
            &BTreeMap::new(),
            Duration::from_secs(10),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("cannot start"), "{e}");
    }

    #[test]
    fn big_output_does_not_deadlock_and_timeout_kills() {
        let o = run(
            "seq",
            &s(&["1", "200000"]),
            &BTreeMap::new(),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(o.stdout.lines().count(), 200000);
        let t = Instant::now();
        let e = run("sleep", &s(&["30"]), &BTreeMap::new(), Duration::from_millis(300))
            .unwrap_err()
            .to_string();
        assert!(e.contains("timed out"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(10));
    }
}
