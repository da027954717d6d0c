//! Running a changing operation: one at a time per backend, dnf in its own process group with streamed
//! output and progress, the time limit, and restores through `history undo` or `history replay`.

use super::plan::{common_args, plan, refused, Prepared};
use super::progress::{failure_message, is_fetch_error, Tracker};
use super::restore::{self, Nevra};
use super::runner::{self, Ended};
use super::DnfBackend;
use crate::backend::{BackendError, Operation, PackageSpec, Progress, RunError, RunLimits};
use linux_patch_shared::api::agent::Package;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Prefix of the lines the agent itself adds to an operation's output.
const OWN: &str = "linux-patch-api:";

impl DnfBackend {
    /// [`crate::backend::PackageBackend::execute`] for dnf.
    pub(super) fn run_operation(
        &self,
        op: &Operation,
        limits: &RunLimits,
        progress: &mut dyn Progress,
    ) -> Result<(), RunError> {
        let Some(_entered) = self.gate.enter(limits.lock_timeout) else {
            return Err(refused(format!(
                "another package operation of this agent was still running after {} s (lock timeout)",
                limits.lock_timeout.as_secs()
            )));
        };
        let progress = &mut Monotonic {
            inner: progress,
            last: 0,
        };
        progress.percent(0, "starting");
        let installed = self.raw_packages().map_err(RunError::Backend)?.1;
        match plan(op, &installed)? {
            Prepared::Nothing(why) => nothing(progress, &why),
            Prepared::Run { args, notes } => {
                for n in notes {
                    progress.line(&format!("{OWN} {n}"));
                }
                self.stream(&args, limits, progress)
            }
            Prepared::Restore { install, remove } => {
                self.restore(&install, &remove, &installed, limits, progress)
            }
        }
    }

    /// Runs `dnf [extra_args] -y ... args` in its own process group, every line to `progress`.
    fn stream(
        &self,
        args: &[String],
        limits: &RunLimits,
        progress: &mut dyn Progress,
    ) -> Result<(), RunError> {
        let mut full = common_args(&self.tools.extra);
        full.extend(args.iter().cloned());
        let mut tracker = Tracker::default();
        let mut lines: Vec<String> = Vec::new();
        let ended = runner::run(
            &self.tools.dnf,
            &full,
            &self.tools.env,
            limits.timeout,
            &mut |_, line| {
                progress.line(line);
                if let Some((pct, phase)) = tracker.observe(line) {
                    progress.percent(pct, &phase);
                }
                lines.push(line.to_string());
            },
        )
        .map_err(RunError::Backend)?;
        match ended {
            Ended::Exited(status) if status.success() => {
                let (pct, phase) = tracker.finish();
                progress.percent(pct, phase);
                Ok(())
            }
            Ended::Exited(status) => Err(RunError::Failed {
                exit_code: status.code(),
                message: failure_message(&lines),
                fetch_error: is_fetch_error(&lines),
            }),
            Ended::TimedOut { output_closed } => {
                let secs = limits.timeout.as_secs();
                log::warn!("{} {} killed after {secs} s", self.tools.dnf, args.join(" "));
                progress.line(&format!(
                    "{OWN} {} was killed after {secs} s (time limit); rpm rolls back an unfinished transaction \
                     at the next run",
                    self.flavor.name()
                ));
                if !output_closed {
                    progress.line(&format!(
                        "{OWN} some processes {} started left its process group and are still running",
                        self.flavor.name()
                    ));
                }
                Err(RunError::TimedOut)
            }
        }
    }

    /// Puts `install` back and removes `remove` in one transaction: `history undo` of the last
    /// transaction when undoing it gives exactly that, else `history replay` of a transaction built here.
    fn restore(
        &self,
        install: &[PackageSpec],
        remove: &[String],
        installed: &[Package],
        limits: &RunLimits,
        progress: &mut dyn Progress,
    ) -> Result<(), RunError> {
        let started = std::time::Instant::now();
        progress.percent(1, "resolving versions");
        let targets = self.resolve(install, installed)?;
        let last = self
            .tools
            .query(&["history", "info", "last"], &[], self.timeout)
            .ok()
            .and_then(|out| restore::parse_history_info(&out.stdout));
        if let Some(rec) = last.filter(|r| restore::undo_matches(r, &targets, remove, installed)) {
            progress.line(&format!(
                "{OWN} the last transaction ({}) is exactly what this restore undoes: dnf history undo {}",
                rec.id, rec.id
            ));
            match self.stream(
                &["history".into(), "undo".into(), rec.id.clone()],
                limits,
                progress,
            ) {
                Ok(()) => return Ok(()),
                Err(RunError::Failed { message, .. }) => progress.line(&format!(
                    "{OWN} history undo {} failed ({message}); restoring the recorded versions instead",
                    rec.id
                )),
                Err(e) => return Err(e),
            }
        }
        let (file, notes) = restore::replay_file(&targets, remove, installed);
        for n in notes {
            progress.line(&format!("{OWN} {n}"));
        }
        let Some(file) = file else {
            return nothing(progress, "every package is already at its recorded state");
        };
        progress.line(&format!(
            "{OWN} restoring the recorded versions in one transaction ({} history replay)",
            self.flavor.name()
        ));
        let path = write_replay(&file).map_err(RunError::Backend)?;
        let args = vec![
            "history".to_string(),
            "replay".to_string(),
            "--ignore-extras".to_string(),
            path.display().to_string(),
        ];
        let left = RunLimits {
            timeout: limits.timeout.saturating_sub(started.elapsed()),
            ..*limits
        };
        let result = self.stream(&args, &left, progress);
        if let Err(e) = std::fs::remove_file(&path) {
            log::warn!("cannot remove {}: {e}", path.display());
        }
        result
    }

    /// Each spec as an exact package: directly when its name and version say everything, else looked
    /// up with `repoquery` among what dnf can see (repositories and installed).
    fn resolve(&self, install: &[PackageSpec], installed: &[Package]) -> Result<Vec<Nevra>, RunError> {
        let open: Vec<&PackageSpec> = install
            .iter()
            .filter(|s| restore::exact(s, installed).is_none())
            .collect();
        let known: Vec<Nevra> = if open.is_empty() {
            Vec::new()
        } else {
            let mut args = vec!["repoquery", "--qf", "%{name}-%{evr}.%{arch}", "--"];
            let specs: Vec<String> = open
                .iter()
                .map(|s| super::names::dnf_spec(s))
                .collect::<Result<_, _>>()
                .map_err(refused)?;
            args.extend(specs.iter().map(String::as_str));
            let out = self
                .tools
                .query(&args, &[], self.timeout)
                .map_err(RunError::Backend)?;
            out.stdout.iter().filter_map(|l| Nevra::parse(l.trim())).collect()
        };
        install
            .iter()
            .map(|s| {
                restore::exact(s, installed)
                    .or_else(|| restore::pick(s, &known, installed))
                    .ok_or_else(|| {
                        refused(format!(
                            "{} {}: no such package in the enabled repositories",
                            s.name,
                            s.version.as_deref().unwrap_or("")
                        ))
                    })
            })
            .collect()
    }
}

/// Passes lines on and keeps the percentage from going down when one operation runs dnf twice (a
/// failed `history undo`, then `history replay`).
struct Monotonic<'a> {
    inner: &'a mut dyn Progress,
    last: u8,
}

impl Progress for Monotonic<'_> {
    fn line(&mut self, line: &str) {
        self.inner.line(line);
    }

    fn percent(&mut self, percent: u8, phase: &str) {
        self.last = self.last.max(percent);
        self.inner.percent(self.last, phase);
    }
}

fn nothing(progress: &mut dyn Progress, why: &str) -> Result<(), RunError> {
    progress.line(&format!("{OWN} {why}"));
    progress.percent(100, "done");
    Ok(())
}

/// Writes the replay transaction to a new private file in the temp directory (created exclusively,
/// mode 0600), and returns its path.
fn write_replay(file: &serde_json::Value) -> Result<PathBuf, BackendError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "linux-patch-api-restore-{}-{}.json",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    write_new(&path, file.to_string().as_bytes())
        .map_err(|e| BackendError::Io(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

fn write_new(path: &Path, data: &[u8]) -> std::io::Result<()> {
    if path.symlink_metadata().is_ok() {
        std::fs::remove_file(path)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::{write_replay, Monotonic};
    use crate::backend::Progress;
    use std::os::unix::fs::PermissionsExt;

    #[derive(Default)]
    struct Rec(Vec<u8>, Vec<String>);

    impl Progress for Rec {
        fn line(&mut self, line: &str) {
            self.1.push(line.into());
        }
        fn percent(&mut self, percent: u8, _phase: &str) {
            self.0.push(percent);
        }
    }

    #[test]
    fn percent_never_goes_down_across_runs() {
        let mut rec = Rec::default();
        let mut m = Monotonic {
            inner: &mut rec,
            last: 0,
        };
        for p in [0, 5, 50, 5, 30, 99, 100] {
            m.percent(p, "x");
        }
        m.line("l");
        assert_eq!(rec.0, vec![0, 5, 50, 50, 50, 99, 100]);
        assert_eq!(rec.1, vec!["l"]);
    }

    #[test]
    fn replay_file_is_private_and_new() {
        let v = serde_json::json!({"version": "0.0", "rpms": []});
        let p = write_replay(&v).unwrap();
        let q = write_replay(&v).unwrap();
        assert_ne!(p, q);
        let meta = std::fs::metadata(&p).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let back: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(back, v);
        std::fs::remove_file(p).unwrap();
        std::fs::remove_file(q).unwrap();
    }
}
