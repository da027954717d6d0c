//! `GET /health`: liveness, version, backend, package-index freshness, backend, TLS and disk-write
//! checks, and the remote syslog sender's counters.

use super::ctx::{blocking, Ctx};
use crate::actors::cache_refresher::RefreshIfStale;
use crate::cache_state::CacheState;
use crate::error::AgentError;
use crate::health::{check_tls, judge, probe_writable, Findings};
use actix_web::HttpResponse;
use linux_patch_shared::api::agent::{CacheStatus, Health};

/// Reports the agent's state; when the index is stale or never refreshed, asks for a refresh in the
/// background (the answer does not wait for it, so a health check stays fast).
pub async fn get(ctx: Ctx) -> Result<HttpResponse, AgentError> {
    let file = ctx.state.paths.state_dir.join("cache.json");
    let dirs = [
        (ctx.state.paths.state_dir.clone(), "state"),
        (ctx.state.paths.jobs_dir.clone(), "jobs"),
    ];
    let backend = ctx.state.backend.clone();
    let tls_files = ctx.state.edge.tls_files();
    let findings = blocking(move || {
        Ok(Findings {
            cache: CacheState::load(&file),
            backend: backend.probe(),
            tls: check_tls(tls_files.as_ref()),
            storage: dirs
                .iter()
                .filter_map(|(d, what)| probe_writable(d, what).err())
                .collect(),
        })
    })
    .await?;
    if let Err(e) = &findings.cache {
        log::warn!("{e}");
    }
    let verdict = judge(findings, ctx.state.clock.now());
    if matches!(verdict.cache_status, CacheStatus::Stale | CacheStatus::Unknown) {
        // Refresh in the background; this answer reports the state as it is now.
        ctx.state.actors.refresher.do_send(RefreshIfStale);
    }
    Ok(ctx.ok(Health {
        status: verdict.status,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_seconds: ctx.state.uptime_secs(),
        backend: ctx.state.backend.name().to_owned(),
        last_cache_update: verdict.last_cache_update,
        cache_status: verdict.cache_status,
        problems: verdict.problems,
        remote_syslog: crate::audit::syslog::installed().map(|s| s.status()),
    }))
}
