//! `state/cache.json`: when the package index was last refreshed and whether that worked.

use chrono::{DateTime, Duration, Utc};
use linux_patch_shared::api::agent::CacheStatus;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// After this long without a refresh the index is stale.
pub const STALE_AFTER_HOURS: i64 = 4;

/// What `state/cache.json` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheState {
    /// Last successful refresh.
    pub last_success: Option<DateTime<Utc>>,
    /// Last attempt (successful or not).
    pub last_attempt: Option<DateTime<Utc>>,
    /// Whether the last attempt succeeded.
    pub last_ok: bool,
    /// Why the last attempt failed.
    #[serde(default)]
    pub last_error: Option<String>,
}

impl CacheState {
    /// Reads the state file; `None` when absent. A corrupt file is an error, never silently ignored.
    pub fn load(file: &Path) -> Result<Option<Self>, String> {
        match std::fs::read(file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{}: corrupt cache state: {e}", file.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", file.display())),
        }
    }

    /// Freshness at `now`.
    pub fn status(state: Option<&Self>, now: DateTime<Utc>) -> CacheStatus {
        match state {
            None => CacheStatus::Unknown,
            Some(s) if s.last_attempt.is_some() && !s.last_ok => CacheStatus::Failed,
            Some(s) => match s.last_success {
                None => CacheStatus::Unknown,
                Some(t) if now - t > Duration::hours(STALE_AFTER_HOURS) => CacheStatus::Stale,
                Some(_) => CacheStatus::Fresh,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn freshness_follows_age_and_last_outcome() {
        let now = at("2026-05-01T12:00:00Z");
        let ok = |t| CacheState {
            last_success: Some(at(t)),
            last_attempt: Some(at(t)),
            last_ok: true,
            last_error: None,
        };
        assert_eq!(CacheState::status(None, now), CacheStatus::Unknown);
        assert_eq!(
            CacheState::status(Some(&ok("2026-05-01T09:00:00Z")), now),
            CacheStatus::Fresh
        );
        assert_eq!(
            CacheState::status(Some(&ok("2026-05-01T07:59:00Z")), now),
            CacheStatus::Stale
        );
        let failed = CacheState {
            last_ok: false,
            last_error: Some("404".into()),
            ..ok("2026-05-01T11:00:00Z")
        };
        assert_eq!(CacheState::status(Some(&failed), now), CacheStatus::Failed);
    }

    #[test]
    fn missing_file_is_none_and_corrupt_file_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(CacheState::load(&d.path().join("cache.json")).unwrap(), None);
        std::fs::write(d.path().join("cache.json"), "{not json").unwrap();
        assert!(CacheState::load(&d.path().join("cache.json"))
            .unwrap_err()
            .contains("corrupt"));
    }
}
