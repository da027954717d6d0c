//! Job records and their store: one JSON file per job under `jobs/`, written atomically, reloaded at start.

use super::changeset::Snapshot;
use crate::backend::Operation;
use chrono::{DateTime, Duration, Utc};
use linux_patch_shared::api::jobs::{Job, JobStatus};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Lines of package-manager output kept with a job.
pub const OUTPUT_TAIL_LINES: usize = 200;

/// What a job runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobSpec {
    /// A package-manager operation.
    Packages {
        /// The operation.
        op: Operation,
    },
    /// Run the configured reboot command after a delay.
    Reboot {
        /// Seconds to wait first.
        delay_secs: u64,
    },
    /// Undo the change set of another job.
    Rollback {
        /// The job to undo.
        target: String,
    },
}

/// A job with what only the agent needs: the spec, the before-snapshot and the idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// The job as the API shows it.
    pub job: Job,
    /// What it runs.
    pub spec: JobSpec,
    /// Installed versions when it started (lets a restart compute what an interrupted job changed).
    #[serde(default)]
    pub before: Option<Vec<((String, String), String)>>,
    /// Packages that had only configuration files left when it started (a rollback keeps those).
    #[serde(default)]
    pub before_residual: Vec<String>,
    /// The client's `Idempotency-Key`, if any.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

impl JobRecord {
    /// The before-snapshot as a map.
    pub fn before_snapshot(&self) -> Option<Snapshot> {
        self.before.as_ref().map(|v| v.iter().cloned().collect())
    }

    /// Appends output lines, keeping the last [`OUTPUT_TAIL_LINES`].
    pub fn push_output(&mut self, line: &str) {
        let tail = &mut self.job.output_tail;
        tail.push(line.to_owned());
        if tail.len() > OUTPUT_TAIL_LINES {
            let excess = tail.len() - OUTPUT_TAIL_LINES;
            tail.drain(..excess);
        }
    }
}

/// The `jobs/` directory.
#[derive(Debug, Clone)]
pub struct JobStore {
    dir: PathBuf,
}

/// What loading the store found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Records kept, oldest first.
    pub records: Vec<JobRecord>,
    /// Ids of jobs that were queued or running when the agent stopped (now `interrupted`).
    pub interrupted: Vec<String>,
    /// Files that could not be read (left in place, named in the log).
    pub unreadable: Vec<(PathBuf, String)>,
    /// Records removed because they finished before the retention period.
    pub pruned: usize,
}

impl JobStore {
    /// A store in `dir` (created by the caller).
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Writes a record atomically: temp file, fsync, rename, so a crash leaves the old or the new one.
    pub fn save(&self, record: &JobRecord) -> std::io::Result<()> {
        let final_path = self.path(&record.job.id);
        let tmp = self.dir.join(format!(".{}.json.tmp", record.job.id));
        let bytes = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &final_path)
    }

    /// Loads every record; jobs that were queued or running become `interrupted` (and are saved so);
    /// finished jobs older than `retention` are deleted.
    pub fn load(&self, now: DateTime<Utc>, retention: Duration) -> std::io::Result<Loaded> {
        let mut loaded = Loaded::default();
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = std::fs::remove_file(&path); // a write the crash cut short
                continue;
            }
            if !name.ends_with(".json") {
                continue;
            }
            let record: JobRecord = match std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            {
                Ok(r) => r,
                Err(e) => {
                    loaded.unreadable.push((path, e));
                    continue;
                }
            };
            let finished_long_ago = record.job.finished_at.is_some_and(|t| now - t > retention);
            if record.job.status.is_finished() && finished_long_ago {
                std::fs::remove_file(&path)?;
                loaded.pruned += 1;
                continue;
            }
            loaded.records.push(record);
        }
        loaded.records.sort_by(|a, b| a.job.id.cmp(&b.job.id));
        for r in &mut loaded.records {
            if !r.job.status.is_finished() {
                r.job.status = JobStatus::Interrupted;
                r.job.finished_at = Some(now);
                r.job.message = Some("the agent stopped while this job was queued or running".into());
                loaded.interrupted.push(r.job.id.clone());
                self.save(r)?;
            }
        }
        Ok(loaded)
    }

    /// Deletes the record of a pruned job.
    pub fn remove(&self, id: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_patch_shared::api::jobs::JobKind;

    fn record(id: &str, status: JobStatus, finished: Option<DateTime<Utc>>) -> JobRecord {
        let t = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        JobRecord {
            job: Job {
                id: id.into(),
                kind: JobKind::Remove,
                status,
                items: vec![],
                params: serde_json::json!({}),
                created_at: t,
                started_at: None,
                finished_at: finished,
                progress: 0,
                phase: String::new(),
                message: None,
                change_set: None,
                rollback_of: None,
                rolled_back_by: None,
                request_id: "r".into(),
                client: None,
                output_tail: vec![],
            },
            spec: JobSpec::Reboot { delay_secs: 0 },
            before: None,
            before_residual: Vec::new(),
            idempotency_key: None,
        }
    }

    #[test]
    fn running_jobs_become_interrupted_and_old_finished_jobs_are_pruned() {
        let d = tempfile::tempdir().unwrap();
        let store = JobStore::new(d.path());
        let now = DateTime::parse_from_rfc3339("2026-02-01T00:00:00Z")
            .unwrap()
            .to_utc();
        store.save(&record("01A", JobStatus::Running, None)).unwrap();
        store
            .save(&record(
                "01B",
                JobStatus::Succeeded,
                Some(now - Duration::days(1)),
            ))
            .unwrap();
        store
            .save(&record("01C", JobStatus::Failed, Some(now - Duration::days(30))))
            .unwrap();
        std::fs::write(d.path().join("01D.json"), "{broken").unwrap();
        std::fs::write(d.path().join(".01E.json.tmp"), "partial").unwrap();
        let loaded = store.load(now, Duration::days(7)).unwrap();
        let ids: Vec<_> = loaded.records.iter().map(|r| r.job.id.as_str()).collect();
        assert_eq!(ids, ["01A", "01B"]);
        assert_eq!(loaded.interrupted, ["01A"]);
        assert_eq!(loaded.records[0].job.status, JobStatus::Interrupted);
        assert_eq!(loaded.pruned, 1);
        assert_eq!(loaded.unreadable.len(), 1);
        assert!(!d.path().join(".01E.json.tmp").exists());
        // the interrupted state was persisted
        let again = store.load(now, Duration::days(7)).unwrap();
        assert!(again.interrupted.is_empty());
        assert_eq!(again.records[0].job.status, JobStatus::Interrupted);
    }

    #[test]
    fn output_tail_is_bounded() {
        let mut r = record("x", JobStatus::Running, None);
        for i in 0..(OUTPUT_TAIL_LINES + 50) {
            r.push_output(&format!("line {i}"));
        }
        assert_eq!(r.job.output_tail.len(), OUTPUT_TAIL_LINES);
        assert_eq!(r.job.output_tail[0], "line 50");
    }
}
