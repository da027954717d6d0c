//! What an agent's answer (or silence) means for the host: state, reason, failure count, retry time, and
//! the patch data to store. Agent data is untrusted: strings are cleaned and lists capped before storage.

use super::schedule::Policy;
use crate::agents::AgentError;
use chrono::{DateTime, Utc};
use linux_patch_shared::api::agent::{CacheStatus, Health, HealthStatus, Patch, SystemInfo, TriState};

pub use crate::db::models::poll_rows::{
    HealthUpdate, HostState, PatchFailure, PatchRow, PatchUpdate, MAX_PATCHES,
};
/// Longest string stored from an agent (characters).
pub const MAX_TEXT: usize = 1_000;

/// Keeps at most [`MAX_TEXT`] characters without NULs (PostgreSQL text refuses them).
pub fn clean(s: &str) -> String {
    s.chars().filter(|c| *c != '\0').take(MAX_TEXT).collect()
}

fn cache_words(c: CacheStatus) -> &'static str {
    match c {
        CacheStatus::Fresh => "package index fresh",
        CacheStatus::Stale => "package index stale",
        CacheStatus::Unknown => "package index state unknown",
        CacheStatus::Failed => "the last package-index refresh failed",
    }
}

/// The update after one health attempt that ended at `now` for a host with `prev_failures`.
pub fn health_update(
    p: &Policy,
    now: DateTime<Utc>,
    host_id: i64,
    prev_failures: i32,
    result: Result<&Health, &AgentError>,
    latency_ms: u128,
) -> HealthUpdate {
    match result {
        Ok(h) => {
            let (state, reason) = match h.status {
                HealthStatus::Healthy => (HostState::Healthy, String::new()),
                // Newer agents say why (backend, TLS, index); older ones only had the index.
                HealthStatus::Degraded if !h.problems.is_empty() => (
                    HostState::Degraded,
                    format!("agent reports degraded: {}", h.problems.join("; ")),
                ),
                HealthStatus::Degraded => (
                    HostState::Degraded,
                    format!("agent reports degraded: {}", cache_words(h.cache_status)),
                ),
            };
            HealthUpdate {
                host_id,
                checked_at: now,
                state,
                reason,
                failures: 0,
                retry_at: None,
                answered: true,
                agent_version: Some(clean(&h.version)),
                backend: Some(clean(&h.backend)),
                latency_ms: Some(i32::try_from(latency_ms).unwrap_or(i32::MAX)),
            }
        }
        Err(e) => {
            let failures = prev_failures.max(0).saturating_add(1);
            let n = u32::try_from(failures).unwrap_or(u32::MAX);
            let err = clean(&e.0);
            let (state, reason) = if err.contains(crate::ca::pinning::NOT_ITS_CERTIFICATE) {
                // Not a network hiccup: whoever answers there is not this host's agent.
                (HostState::Unreachable, err)
            } else if n >= p.retries {
                (HostState::Unreachable, format!("{err} ({n} attempts)"))
            } else {
                (HostState::Degraded, format!("retry {n}/{}: {err}", p.retries))
            };
            HealthUpdate {
                host_id,
                checked_at: now,
                state,
                reason,
                failures,
                retry_at: Some(now + p.backoff(n)),
                answered: false,
                agent_version: None,
                backend: None,
                latency_ms: None,
            }
        }
    }
}

/// The OS as shown in the console: `PRETTY_NAME`, else `NAME VERSION_ID`, else `ID`.
pub fn os_name(info: &SystemInfo) -> String {
    let o = &info.os;
    let name = match (&o.pretty_name, &o.name, &o.version_id, &o.id) {
        (Some(p), ..) if !p.trim().is_empty() => p.clone(),
        (_, Some(n), Some(v), _) => format!("{n} {v}"),
        (_, Some(n), None, _) => n.clone(),
        (_, None, _, Some(id)) => id.clone(),
        _ => String::new(),
    };
    clean(name.trim())
}

/// The stored form of a fetch that ended at `now`.
pub fn patch_update(now: DateTime<Utc>, host_id: i64, info: &SystemInfo, patches: &[Patch]) -> PatchUpdate {
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<PatchRow> = patches
        .iter()
        .filter(|p| seen.insert((p.name.clone(), p.architecture.clone())))
        .take(MAX_PATCHES)
        .map(|p| PatchRow {
            name: clean(&p.name),
            architecture: clean(&p.architecture),
            installed_version: p.installed_version.as_deref().map(clean),
            candidate_version: clean(&p.candidate_version),
            repository: clean(&p.repository),
            security: p.security,
            severity: p.severity.as_deref().map(clean),
            cves: p.cves.iter().take(1000).map(|c| clean(c)).collect(),
            security_source: clean(&p.security_source),
        })
        .collect();
    PatchUpdate {
        host_id,
        checked_at: now,
        kernel: clean(&info.kernel),
        os: os_name(info),
        machine_id: info.machine_id.as_deref().map(clean).unwrap_or_default(),
        backend: clean(&info.backend),
        reboot_required: match info.reboot_required.state {
            TriState::Yes => "yes",
            TriState::No => "no",
            TriState::Unknown => "unknown",
        },
        reboot_reason: clean(&info.reboot_required.reason),
        patches: rows,
    }
}

/// The failure record of a fetch that failed at `now`.
pub fn patch_failure(p: &Policy, now: DateTime<Utc>, host_id: i64, e: &AgentError) -> PatchFailure {
    PatchFailure {
        host_id,
        reason: format!("patch data: {}", clean(&e.0)),
        retry_at: now + p.backoff(1),
    }
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
