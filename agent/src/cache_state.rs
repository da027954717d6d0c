//! `state/cache.json`: when the package index was last refreshed and whether that worked.

use chrono::{DateTime, Duration, Utc};
use linux_patch_shared::api::agent::CacheStatus;
use linux_patch_shared::timefmt;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// After this long without a refresh the index is stale.
pub const STALE_AFTER_HOURS: i64 = 4;

/// What `state/cache.json` records. Written with the seed's two fields (`last_cache_update`,
/// `last_update_success`) beside ours; a file holding only the seed's fields is read too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StateFile", into = "StateFile")]
pub struct CacheState {
    /// Last successful refresh.
    pub last_success: Option<DateTime<Utc>>,
    /// Last attempt (successful or not).
    pub last_attempt: Option<DateTime<Utc>>,
    /// Whether the last attempt succeeded.
    pub last_ok: bool,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// The file's form: our fields and the seed's, each optional when reading.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_success: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_attempt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_ok: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    /// The seed's name of the last successful refresh (RFC 3339 with `+00:00`).
    #[serde(default)]
    last_cache_update: Option<String>,
    /// The seed's name of whether the last refresh succeeded.
    #[serde(default)]
    last_update_success: Option<bool>,
}

fn stamp(field: &str, s: Option<String>) -> Result<Option<DateTime<Utc>>, String> {
    s.map(|s| timefmt::parse_lenient(&s).ok_or_else(|| format!("{field}: `{s}` is not a date and time")))
        .transpose()
}

impl TryFrom<StateFile> for CacheState {
    type Error = String;

    fn try_from(f: StateFile) -> Result<Self, String> {
        let ours = f.last_success.is_some() || f.last_attempt.is_some() || f.last_ok.is_some();
        let last_success = stamp("last_success", f.last_success)?;
        let seed_success = stamp("last_cache_update", f.last_cache_update)?;
        if ours {
            return Ok(CacheState {
                last_success: last_success.or(seed_success),
                last_attempt: stamp("last_attempt", f.last_attempt)?,
                last_ok: f.last_ok.or(f.last_update_success).unwrap_or(false),
                last_error: f.last_error,
            });
        }
        // The seed's form: when the last refresh failed, an attempt was made (its time is not recorded).
        let ok = f.last_update_success.unwrap_or(seed_success.is_some());
        Ok(CacheState {
            last_success: seed_success,
            last_attempt: if ok {
                seed_success
            } else {
                seed_success.or(Some(DateTime::UNIX_EPOCH))
            },
            last_ok: ok,
            last_error: f.last_error,
        })
    }
}

impl From<CacheState> for StateFile {
    fn from(s: CacheState) -> Self {
        StateFile {
            last_success: s.last_success.map(timefmt::offset_form),
            last_attempt: s.last_attempt.map(timefmt::offset_form),
            last_ok: Some(s.last_ok),
            last_error: s.last_error,
            last_cache_update: s.last_success.map(timefmt::offset_form),
            last_update_success: Some(s.last_ok),
        }
    }
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
    fn the_seed_form_is_read_and_written_beside_ours() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("cache.json");
        std::fs::write(
            &f,
            r#"{"last_cache_update": "2026-05-27T13:30:00+00:00", "last_update_success": true}"#,
        )
        .unwrap();
        let s = CacheState::load(&f).unwrap().unwrap();
        assert_eq!(s.last_success, Some(at("2026-05-27T13:30:00Z")));
        assert!(s.last_ok);
        let now = at("2026-05-27T14:00:00Z");
        assert_eq!(CacheState::status(Some(&s), now), CacheStatus::Fresh);

        std::fs::write(
            &f,
            r#"{"last_cache_update": "2026-05-27T09:00:00.250000", "last_update_success": false}"#,
        )
        .unwrap();
        let s = CacheState::load(&f).unwrap().unwrap();
        assert_eq!(CacheState::status(Some(&s), now), CacheStatus::Failed);
        assert_eq!(s.last_success, Some(at("2026-05-27T09:00:00.25Z")));

        let written = serde_json::to_value(CacheState {
            last_success: Some(at("2026-05-27T13:30:00Z")),
            last_attempt: Some(at("2026-05-27T13:30:00Z")),
            last_ok: true,
            last_error: None,
        })
        .unwrap();
        assert_eq!(written["last_cache_update"], "2026-05-27T13:30:00+00:00");
        assert_eq!(written["last_update_success"], true);
        assert_eq!(written["last_ok"], true);
        let back: CacheState = serde_json::from_value(written).unwrap();
        assert_eq!(back.last_success, Some(at("2026-05-27T13:30:00Z")));

        std::fs::write(&f, r#"{"last_cache_update": "soon"}"#).unwrap();
        assert!(CacheState::load(&f).unwrap_err().contains("corrupt"));
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
