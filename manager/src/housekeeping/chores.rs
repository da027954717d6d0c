//! The housekeeping chores themselves, each with what it needs passed in: audit prune + verify, stale
//! agent-enrolment purge, certificate renewal. Each reports what it did in words (and logs it).

use super::schedule::Chore;
use crate::ca::runtime::{renewal_pass, CaContext};
use crate::db::Db;
use crate::error::ManagerError;
use futures_util::future::LocalBoxFuture;

/// Runs one chore; the actor holds one (tests give it a recording one).
pub trait ChoreRunner {
    /// Runs `chore` now; what it did, in words.
    fn run(&self, chore: Chore) -> LocalBoxFuture<'static, Result<String, ManagerError>>;
}

/// The real chores.
#[derive(Debug, Clone)]
pub struct Chores {
    /// The database.
    pub db: Db,
    /// The CA's run-time context (also the clock).
    pub ca: CaContext,
    /// Audit retention in days.
    pub audit_retention_days: u32,
    /// Enrolment requests idle this long are purged.
    pub enrolment_purge_hours: u32,
    /// Whether the console's certificate is the internal CA's (then it is renewed too).
    pub renew_web: bool,
}

impl ChoreRunner for Chores {
    fn run(&self, chore: Chore) -> LocalBoxFuture<'static, Result<String, ManagerError>> {
        let me = self.clone();
        Box::pin(async move {
            match chore {
                Chore::Audit => me.audit().await,
                Chore::EnrolmentPurge => me.purge().await,
                Chore::CertificateRenewal => me.renew().await,
                Chore::SessionPrune => me.sessions().await,
                Chore::ComplianceSnapshot => super::compliance::snapshot(&me.db, me.ca.now()).await,
            }
        })
    }
}

impl Chores {
    async fn audit(&self) -> Result<String, ManagerError> {
        let now = self.ca.now();
        let days = self.audit_retention_days;
        let (pruned, verified) = self
            .db
            .run(move |conn| Ok((crate::audit::prune(conn, now, days)?, crate::audit::verify(conn)?)))
            .await?;
        if pruned.rows > 0 {
            log::info!(
                "audit: pruned {} rows older than {days} days (checkpoint kept)",
                pruned.rows
            );
        }
        Ok(match verified.broken {
            Some(b) => {
                log::error!("audit chain BROKEN at row {}: {}", b.id, b.reason);
                format!(
                    "pruned {}; chain BROKEN at row {}: {}",
                    pruned.rows, b.id, b.reason
                )
            }
            None => {
                log::info!("audit chain verified: {} rows", verified.rows);
                format!("pruned {}; chain verified: {} rows", pruned.rows, verified.rows)
            }
        })
    }

    async fn sessions(&self) -> Result<String, ManagerError> {
        let now = self.ca.now();
        let (s, t) = self
            .db
            .run(move |c| crate::auth::refresh_tokens::prune(c, now))
            .await?;
        if s + t > 0 {
            log::info!("sessions: pruned {s} ended sessions and {t} used refresh tokens");
        }
        Ok(format!("pruned {s} sessions, {t} refresh tokens"))
    }

    async fn purge(&self) -> Result<String, ManagerError> {
        let now = self.ca.now();
        let hours = self.enrolment_purge_hours;
        let n = self
            .db
            .run(move |c| crate::enrollment::purge::purge(c, now, hours))
            .await?;
        if n > 0 {
            log::info!("enrolment: purged {n} stale requests (older than {hours} h)");
        }
        Ok(format!("purged {n} stale enrolment requests"))
    }

    async fn renew(&self) -> Result<String, ManagerError> {
        let renewed = renewal_pass(&self.ca, self.renew_web).await?;
        Ok(format!("{} certificates renewed", renewed.len()))
    }
}
