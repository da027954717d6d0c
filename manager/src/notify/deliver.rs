//! One delivery pass over the outbox: every due e-mail is offered to the SMTP server; a success is marked sent at once (so it never goes twice), a failure is kept with its error and retried after [`super::backoff`]. An outage loses nothing and blocks nobody (the event sites only write rows).

use crate::db::models::notification::{self, OutboxRow};
use crate::db::Db;
use crate::error::ManagerError;
use crate::secrets::SecretsKey;
use crate::settings::Smtp;
use linux_patch_shared::clock::SharedClock;
use serde::Serialize;
use std::sync::Arc;

/// E-mails offered per pass.
pub const PER_PASS: i64 = 100;

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delivered {
    /// Taken by the server.
    pub sent: usize,
    /// Refused or unreachable (kept for a retry).
    pub failed: usize,
    /// Why the pass did nothing, if it did not run.
    pub skipped: Option<String>,
    /// The last error.
    pub last_error: Option<String>,
}

/// What the pass needs.
#[derive(Clone)]
pub struct DeliverDeps {
    /// The database.
    pub db: Db,
    /// Where time comes from.
    pub clock: SharedClock,
    /// Opens the SMTP password.
    pub secrets: Arc<SecretsKey>,
}

impl std::fmt::Debug for DeliverDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverDeps").finish_non_exhaustive()
    }
}

fn smtp_of(doc: Option<serde_json::Value>) -> Option<Smtp> {
    serde_json::from_value(doc?.get("smtp")?.clone()).ok()
}

/// Offers every due e-mail once.
pub async fn pass(d: &DeliverDeps) -> Result<Delivered, ManagerError> {
    let now = d.clock.now();
    let (doc, due): (Option<serde_json::Value>, Vec<OutboxRow>) =
        d.db.run(move |c| {
            Ok((
                crate::db::models::settings_row::load(c)?,
                notification::due(c, now, PER_PASS)?,
            ))
        })
        .await?;
    let mut out = Delivered::default();
    let smtp = match smtp_of(doc) {
        Some(s) if s.enabled => s,
        _ => {
            out.skipped = Some("e-mail notifications are off".into());
            return Ok(out);
        }
    };
    if due.is_empty() {
        return Ok(out);
    }
    let transport = match super::send::transport(&smtp, &d.secrets) {
        Ok(t) => t,
        Err(e) => {
            out.skipped = Some(e);
            return Ok(out);
        }
    };
    for row in due {
        let to: Vec<String> = serde_json::from_value(row.recipients.clone()).unwrap_or_default();
        let result = super::send::send(&transport, &smtp, &to, &row.subject, &row.body).await;
        let now = d.clock.now();
        match result {
            Ok(()) => {
                d.db.run(move |c| Ok(notification::sent(c, row.id, now)?)).await?;
                out.sent += 1;
            }
            Err(e) => {
                let next = now + super::backoff(row.attempts + 1);
                log::warn!(
                    "notifications: e-mail {} not delivered (attempt {}), next at {next}: {e}",
                    row.id,
                    row.attempts + 1
                );
                let err = e.clone();
                d.db.run(move |c| Ok(notification::failed(c, row.id, next, &err)?))
                    .await?;
                out.failed += 1;
                out.last_error = Some(e);
            }
        }
    }
    Ok(out)
}
