//! `GET /health`: liveness, version, backend and package-index freshness.

use super::ctx::{blocking, Ctx};
use crate::actors::cache_refresher::RefreshIfStale;
use crate::cache_state::CacheState;
use crate::error::AgentError;
use actix_web::HttpResponse;
use linux_patch_shared::api::agent::{CacheStatus, Health, HealthStatus};

/// Reports the agent's state; when the index is stale or never refreshed, asks for a refresh in the
/// background (the answer does not wait for it).
pub async fn get(ctx: Ctx) -> Result<HttpResponse, AgentError> {
    let file = ctx.state.paths.state_dir.join("cache.json");
    let loaded = blocking(move || Ok(CacheState::load(&file))).await?;
    let now = ctx.state.clock.now();
    if let Ok(state) = &loaded {
        if matches!(
            CacheState::status(state.as_ref(), now),
            CacheStatus::Stale | CacheStatus::Unknown
        ) {
            // Refresh in the background; this answer reports the state as it is now.
            ctx.state.actors.refresher.do_send(RefreshIfStale);
        }
    }
    let (cache, cache_status, status) = match loaded {
        Ok(state) => {
            let cs = CacheState::status(state.as_ref(), now);
            let st = if cs == CacheStatus::Failed {
                HealthStatus::Degraded
            } else {
                HealthStatus::Ok
            };
            (state, cs, st)
        }
        Err(e) => {
            log::warn!("{e}");
            (None, CacheStatus::Unknown, HealthStatus::Degraded)
        }
    };
    Ok(ctx.ok(Health {
        status,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_secs: ctx.state.uptime_secs(),
        backend: ctx.state.backend.name().to_owned(),
        last_cache_update: cache.and_then(|c| c.last_success),
        cache_status,
    }))
}
