//! The shared process-group runner (`crate::backend::process`, re-exported for this backend's modules) plus
//! pacman's reading of a captured run's `error:` lines.

pub use crate::backend::process::{capture, run, Captured, Ended};

impl Captured {
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

#[cfg(test)]
mod tests {
    use super::capture;
    use std::collections::BTreeMap;
    use std::time::Duration;

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
}
