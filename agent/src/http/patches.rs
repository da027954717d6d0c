//! `GET /patches`: pending updates with their security classification.

use super::ctx::{blocking, Ctx};
use crate::error::AgentError;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// Optional filters of `GET /patches`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchQuery {
    /// `true`: only security updates; `false`: only the others (`True`/`1`/`0` also read).
    #[serde(default, deserialize_with = "super::query::opt_bool")]
    pub security: Option<bool>,
}

/// Lists pending updates (the backend caches them until the package database or index changes).
pub async fn list(ctx: Ctx, q: web::Query<PatchQuery>) -> Result<HttpResponse, AgentError> {
    let backend = ctx.state.backend.clone();
    let all = blocking(move || Ok(backend.upgrades()?)).await?;
    let patches: Vec<_> = all
        .iter()
        .filter(|p| q.security.is_none_or(|s| p.security == s))
        .collect();
    Ok(ctx.ok(patches))
}
