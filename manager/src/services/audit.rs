//! The audit trail as the console and the API read it (administrators): recent rows page by page, newest
//! first, and the chain's verification.

use crate::app::AppContext;
use crate::audit::{self, AuditRecord, Verified};
use crate::db::models::scope::Scope;
use crate::error::ManagerError;

/// Most rows one page may ask for.
pub const MAX_PAGE: i64 = 1000;

/// Up to `limit` (1..=[`MAX_PAGE`]) rows older than row `before` (newest first).
pub async fn recent(
    ctx: &AppContext,
    scope: Scope,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRecord>, ManagerError> {
    scope.require_admin()?;
    let limit = limit.clamp(1, MAX_PAGE);
    ctx.db(move |c| Ok(audit::recent(c, before, limit)?)).await
}

/// The chain verified now.
pub async fn verify(ctx: &AppContext, scope: Scope) -> Result<Verified, ManagerError> {
    scope.require_admin()?;
    ctx.db(|c| Ok(audit::verify(c)?)).await
}

/// The chain verified now and a page of rows (the Audit page).
pub async fn page(
    ctx: &AppContext,
    scope: Scope,
    before: Option<i64>,
    limit: i64,
) -> Result<(Verified, Vec<AuditRecord>), ManagerError> {
    scope.require_admin()?;
    let limit = limit.clamp(1, MAX_PAGE);
    ctx.db(move |c| Ok((audit::verify(c)?, audit::recent(c, before, limit)?)))
        .await
}
