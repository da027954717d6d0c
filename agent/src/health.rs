//! What `GET /health` concludes: healthy or degraded, and each reason, from the package-index state, a
//! probe of the backend, a re-read of the TLS material on disk and a write probe of the state and jobs
//! directories.

use crate::cache_state::CacheState;
use crate::config::TlsPaths;
use chrono::{DateTime, Utc};
use linux_patch_shared::api::agent::{CacheStatus, HealthStatus};
use linux_patch_shared::tls::{mtls_server_config, ServerTlsFiles};

/// What the checks found (each part is a blocking read; run it off the async executor).
#[derive(Debug, Clone, PartialEq)]
pub struct Findings {
    /// `state/cache.json` as read (`Err` when unreadable or corrupt).
    pub cache: Result<Option<CacheState>, String>,
    /// The backend's own probe.
    pub backend: Result<(), String>,
    /// Re-building the TLS configuration from the files on disk (`Ok` when not known).
    pub tls: Result<(), String>,
    /// Writing (and removing) a small file in the state and jobs directories: one sentence per directory
    /// that cannot be written (disk full, read-only, gone).
    pub storage: Vec<String>,
}

/// Bytes the write probe writes: one page, so a full file system refuses it even where an empty file
/// would still fit.
const PROBE_BYTES: usize = 4096;

/// Whether `dir` takes a new file: writes [`PROBE_BYTES`] to a probe file and removes it (no fsync: file
/// systems reserve the space at `write`, so a full one refuses it there, and a health check stays cheap).
/// `Err` says which directory and why (`No space left on device`, ...).
pub fn probe_writable(dir: &std::path::Path, what: &str) -> Result<(), String> {
    use std::io::Write;
    let file = dir.join(format!(".health-probe-{}", std::process::id()));
    let written = std::fs::File::create(&file).and_then(|mut f| f.write_all(&[0u8; PROBE_BYTES]));
    let removed = std::fs::remove_file(&file);
    match (written, removed) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(e), _) | (Ok(()), Err(e)) => Err(format!(
            "the {what} directory {} cannot be written: {e}",
            dir.display()
        )),
    }
}

/// The verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Healthy or degraded.
    pub status: HealthStatus,
    /// Freshness of the package index.
    pub cache_status: CacheStatus,
    /// Last successful index refresh.
    pub last_cache_update: Option<DateTime<Utc>>,
    /// Why degraded, one sentence each.
    pub problems: Vec<String>,
}

/// Whether the certificate files would still give a working TLS configuration (what a reload or a
/// restart would need).
pub fn check_tls(files: Option<&TlsPaths>) -> Result<(), String> {
    let Some(t) = files else { return Ok(()) };
    let files = ServerTlsFiles {
        ca: &t.ca_cert,
        cert: &t.server_cert,
        key: &t.server_key,
        crl: t.crl.as_deref(),
    };
    mtls_server_config(&files, &[b"http/1.1"])
        .map(|_| ())
        .map_err(|e| format!("the TLS material on disk no longer loads: {e}"))
}

/// Decides the answer at `now`.
pub fn judge(f: Findings, now: DateTime<Utc>) -> Verdict {
    let mut problems = Vec::new();
    let (cache_status, last_cache_update) = match &f.cache {
        Ok(state) => {
            let cs = CacheState::status(state.as_ref(), now);
            if cs == CacheStatus::Failed {
                let why = state
                    .as_ref()
                    .and_then(|s| s.last_error.clone())
                    .unwrap_or_else(|| "no reason recorded".into());
                problems.push(format!("the last package-index refresh failed: {why}"));
            }
            (cs, state.as_ref().and_then(|s| s.last_success))
        }
        Err(e) => {
            problems.push(format!("the package-index state is unreadable: {e}"));
            (CacheStatus::Unknown, None)
        }
    };
    if let Err(e) = f.backend {
        problems.push(format!("the package backend is not usable: {e}"));
    }
    if let Err(e) = f.tls {
        problems.push(e);
    }
    problems.extend(f.storage);
    let status = if problems.is_empty() {
        HealthStatus::Healthy
    } else {
        HealthStatus::Degraded
    };
    Verdict {
        status,
        cache_status,
        last_cache_update,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn fresh() -> Option<CacheState> {
        Some(CacheState {
            last_success: Some(at("2026-05-01T11:00:00Z")),
            last_attempt: Some(at("2026-05-01T11:00:00Z")),
            last_ok: true,
            last_error: None,
        })
    }

    #[test]
    fn all_well_is_healthy_and_each_problem_degrades() {
        let now = at("2026-05-01T12:00:00Z");
        let ok = Findings {
            cache: Ok(fresh()),
            backend: Ok(()),
            tls: Ok(()),
            storage: Vec::new(),
        };
        let v = judge(ok.clone(), now);
        assert_eq!(
            (v.status, v.cache_status),
            (HealthStatus::Healthy, CacheStatus::Fresh)
        );
        assert!(v.problems.is_empty());

        let v = judge(
            Findings {
                backend: Err("the package manager program `apt-get` is not installed".into()),
                ..ok.clone()
            },
            now,
        );
        assert_eq!(v.status, HealthStatus::Degraded);
        assert_eq!(
            v.cache_status,
            CacheStatus::Fresh,
            "the cache verdict stays its own"
        );
        assert!(v.problems[0].contains("`apt-get` is not installed"), "{v:?}");

        let v = judge(
            Findings {
                tls: Err("the TLS material on disk no longer loads: x".into()),
                ..ok.clone()
            },
            now,
        );
        assert_eq!(v.status, HealthStatus::Degraded);

        let mut failed = fresh().unwrap();
        failed.last_ok = false;
        failed.last_error = Some("404".into());
        let v = judge(
            Findings {
                cache: Ok(Some(failed)),
                ..ok.clone()
            },
            now,
        );
        assert_eq!(
            (v.status, v.cache_status),
            (HealthStatus::Degraded, CacheStatus::Failed)
        );
        assert_eq!(v.problems, ["the last package-index refresh failed: 404"]);
        assert_eq!(v.last_cache_update, Some(at("2026-05-01T11:00:00Z")));

        let v = judge(
            Findings {
                cache: Ok(None),
                ..ok
            },
            now,
        );
        assert_eq!(
            (v.status, v.cache_status),
            (HealthStatus::Healthy, CacheStatus::Unknown)
        );
    }

    #[test]
    fn an_unwritable_directory_degrades_with_its_reason() {
        let now = at("2026-05-01T12:00:00Z");
        let d = tempfile::tempdir().unwrap();
        assert_eq!(probe_writable(d.path(), "state"), Ok(()));
        assert_eq!(
            std::fs::read_dir(d.path()).unwrap().count(),
            0,
            "the probe leaves nothing behind"
        );
        let gone = d.path().join("missing");
        let e = probe_writable(&gone, "jobs").unwrap_err();
        assert!(
            e.starts_with("the jobs directory ") && e.contains("cannot be written"),
            "{e}"
        );
        let v = judge(
            Findings {
                cache: Ok(fresh()),
                backend: Ok(()),
                tls: Ok(()),
                storage: vec![e.clone()],
            },
            now,
        );
        assert_eq!(v.status, HealthStatus::Degraded);
        assert_eq!(v.problems, [e]);
    }

    #[test]
    fn unreadable_tls_files_are_a_problem_and_unknown_ones_are_not() {
        assert!(check_tls(None).is_ok());
        let d = tempfile::tempdir().unwrap();
        let t = TlsPaths {
            ca_cert: d.path().join("ca.pem"),
            server_cert: d.path().join("server.pem"),
            server_key: d.path().join("server.key"),
            crl: None,
        };
        let e = check_tls(Some(&t)).unwrap_err();
        assert!(e.starts_with("the TLS material on disk no longer loads"), "{e}");
    }
}
