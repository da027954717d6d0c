//! Failed API-token authentications: checked against the per-address allowance (429 past it) and audited as
//! one `token.auth_failed` row per address and minute (the count, a sample of public prefixes, no secret).

use crate::app::AppContext;
use crate::audit::{self, Entry};
use crate::auth::token_failures::{public_prefix, Summary};
use crate::error::ManagerError;
use diesel::Connection;

/// How long the background flush waits between looks (a little over the window, in real time; what is due is
/// decided by the manager's clock).
const WAKE: std::time::Duration = std::time::Duration::from_secs(61);

/// Whether `source` may present a token now; `Err(seconds)` to wait (counted as a refusal in its summary).
pub fn admit(ctx: &AppContext, source: &str) -> Result<(), u64> {
    ctx.token_failures.admit(source, ctx.now())
}

/// Counts a failed authentication from `source` (the presented credential's public prefix, the known token if
/// it was one) and audits the windows that ended.
pub async fn failed(
    ctx: &AppContext,
    source: &str,
    presented: &str,
    token_id: Option<i64>,
) -> Result<(), ManagerError> {
    let done = ctx
        .token_failures
        .failed(source, &public_prefix(presented), token_id, ctx.now());
    write(ctx, done).await?;
    wake_later(ctx);
    Ok(())
}

/// Audits the windows that ended by now (called on every API-token request and by the background wake-up).
pub async fn flush(ctx: &AppContext) -> Result<(), ManagerError> {
    let done = ctx.token_failures.due(ctx.now());
    write(ctx, done).await
}

/// Makes sure a window is summarised even when no request comes after it: one background task at a time
/// looks again every [`WAKE`] while windows are open.
fn wake_later(ctx: &AppContext) {
    if !ctx.token_failures.claim_wake() {
        return;
    }
    let ctx = ctx.clone();
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(WAKE).await;
            if let Err(e) = flush(&ctx).await {
                log::warn!("auditing failed API-token authentications: {e}");
            }
            ctx.token_failures.release_wake();
            if !ctx.token_failures.pending() || !ctx.token_failures.claim_wake() {
                break;
            }
        }
    });
}

async fn write(ctx: &AppContext, done: Vec<Summary>) -> Result<(), ManagerError> {
    if done.is_empty() {
        return Ok(());
    }
    let now = ctx.now();
    ctx.db(move |c| {
        c.transaction(|c| {
            for s in &done {
                audit::append(
                    c,
                    now,
                    &Entry {
                        actor: "anonymous",
                        action: "token.auth_failed",
                        target: &format!("source:{}", s.source),
                        details: serde_json::json!({
                            "source_ip": s.source, "failures": s.failures, "refused_429": s.refused,
                            "from": s.from, "until": s.until, "prefixes": s.prefixes, "token_ids": s.token_ids,
                        }),
                    },
                )?;
            }
            Ok(())
        })
    })
    .await
}
