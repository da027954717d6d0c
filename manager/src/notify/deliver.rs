//! One delivery pass over the outbox: due e-mails are claimed under a lease (so two managers on one database never send one twice; a crashed manager's lease runs out and another takes over) and offered to the SMTP server; a success is marked sent at once, a failure is kept with its error and retried after [`super::backoff`]. An outage loses nothing and blocks nobody (the event sites only write rows).

use crate::db::models::notification::{self, Lease};
use crate::db::Db;
use crate::error::ManagerError;
use crate::secrets::SecretsKey;
use crate::settings::Smtp;
use linux_patch_shared::clock::SharedClock;
use serde::Serialize;
use std::sync::Arc;

/// E-mails offered per pass.
pub const PER_PASS: usize = 100;

/// E-mails claimed at once (each may take up to [`super::send::TIMEOUT`], so a claim ends long after its batch).
pub const BATCH: i64 = 20;

/// How long a claim holds: twice the worst case of a batch.
pub fn lease_length() -> chrono::Duration {
    let worst = super::send::TIMEOUT.as_secs() * u64::try_from(BATCH).unwrap_or(20) * 2;
    chrono::Duration::seconds(i64::try_from(worst).unwrap_or(600))
}

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
    /// This manager's name on its outbox claims (`host:pid:ulid`).
    pub owner: String,
}

impl std::fmt::Debug for DeliverDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverDeps").finish_non_exhaustive()
    }
}

fn smtp_of(doc: Option<serde_json::Value>) -> Option<Smtp> {
    serde_json::from_value(doc?.get("smtp")?.clone()).ok()
}

/// Offers every due e-mail once (up to [`PER_PASS`]).
pub async fn pass(d: &DeliverDeps) -> Result<Delivered, ManagerError> {
    let doc =
        d.db.run(|c| Ok(crate::db::models::settings_row::load(c)?))
            .await?;
    let mut out = Delivered::default();
    let smtp = match smtp_of(doc) {
        Some(s) if s.enabled => s,
        _ => {
            out.skipped = Some("e-mail notifications are off".into());
            return Ok(out);
        }
    };
    let transport = match super::send::transport(&smtp, &d.secrets) {
        Ok(t) => t,
        Err(e) => {
            out.skipped = Some(e);
            return Ok(out);
        }
    };
    while out.sent + out.failed < PER_PASS {
        let now = d.clock.now();
        let lease = Lease {
            owner: d.owner.clone(),
            until: now + lease_length(),
        };
        let l = lease.clone();
        let batch =
            d.db.run(move |c| Ok(notification::claim(c, &l, now, BATCH)?))
                .await?;
        if batch.is_empty() {
            break;
        }
        for row in batch {
            let to: Vec<String> = serde_json::from_value(row.recipients.clone()).unwrap_or_default();
            let attachment = row.attachment_name.as_deref().zip(row.attachment.as_deref());
            let result = super::send::send(&transport, &smtp, &to, &row.subject, &row.body, attachment).await;
            let now = d.clock.now();
            let l = lease.clone();
            match result {
                Ok(()) => {
                    let n =
                        d.db.run(move |c| Ok(notification::sent(c, row.id, &l, now)?))
                            .await?;
                    if n == 0 {
                        log::warn!(
                            "notifications: e-mail {} was sent after its claim ran out",
                            row.id
                        );
                    }
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
                    d.db.run(move |c| Ok(notification::failed(c, row.id, &l, next, &err)?))
                        .await?;
                    out.failed += 1;
                    out.last_error = Some(e);
                }
            }
        }
    }
    Ok(out)
}
