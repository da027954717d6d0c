//! The housekeeping chores themselves, each with what it needs passed in: audit prune + verify, stale
//! agent-enrolment purge, certificate renewal. Each reports what it did in words (and logs it).

use super::schedule::Chore;
use crate::ca::runtime::{renewal_pass, CaContext};
use crate::db::Db;
use crate::error::ManagerError;
use crate::settings::gate::ConsoleGate;
use crate::settings::Retention;
use futures_util::future::LocalBoxFuture;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

/// Runs one chore; the actor holds one (tests give it a recording one).
pub trait ChoreRunner {
    /// Runs `chore` now; what it did, in words.
    fn run(&self, chore: Chore) -> LocalBoxFuture<'static, Result<String, ManagerError>>;

    /// New retention periods from the runtime settings (the next prune uses them).
    fn set_retention(&self, _r: Retention) {}
}

/// The real chores.
#[derive(Debug, Clone)]
pub struct Chores {
    /// The database.
    pub db: Db,
    /// The CA's run-time context (also the clock).
    pub ca: CaContext,
    /// Retention periods (audit and operational data), changed at run time by the settings.
    pub retention: Rc<Cell<Retention>>,
    /// Enrolment requests idle this long are purged.
    pub enrolment_purge_hours: u32,
    /// The console's edge: whether its certificate is the internal CA's (then it is renewed too, and the
    /// renewed one served from the next handshake).
    pub gate: Arc<ConsoleGate>,
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
                Chore::OperationalPrune => {
                    super::retention::operational(&me.db, me.ca.now(), me.retention.get()).await
                }
                Chore::ComplianceSnapshot => {
                    let keep = me.retention.get().operational_days;
                    super::compliance::snapshot(&me.db, me.ca.now(), keep).await
                }
            }
        })
    }

    fn set_retention(&self, r: Retention) {
        self.retention.set(r);
    }
}

impl Chores {
    async fn audit(&self) -> Result<String, ManagerError> {
        let now = self.ca.now();
        let days = self.retention.get().audit_days;
        let pruned = super::retention::audit(&self.db, now, days).await?;
        let verified = self.db.run(|conn| Ok(crate::audit::verify(conn)?)).await?;
        if pruned.rows > 0 {
            log::info!(
                "audit: pruned {} rows older than {days} days (checkpoint kept)",
                pruned.rows
            );
        }
        Ok(match verified.broken {
            Some(b) => {
                log::error!("audit chain BROKEN at row {}: {}", b.id, b.reason);
                let e = crate::notify::Event::AuditBroken {
                    row: b.id,
                    reason: b.reason.clone(),
                };
                self.db.run(move |c| Ok(crate::notify::emit(c, now, &e))).await?;
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
        let web = self.gate.internal_ca();
        let renewed = renewal_pass(&self.ca, web).await?;
        if web
            && renewed
                .iter()
                .any(|r| r.new.kind == crate::db::models::certificate::KIND_WEB)
        {
            let dir = self.ca.data_dir.join("tls");
            self.gate
                .load_cert_files(&dir.join("web.pem"), &dir.join("web.key"))
                .map_err(ManagerError::Internal)?;
            log::info!("the console's renewed certificate is served from the next connection on");
        }
        let now = self.ca.now();
        self.db
            .run(move |c| Ok(crate::notify::emit::expiring_certificates(c, now)))
            .await?;
        Ok(format!("{} certificates renewed", renewed.len()))
    }
}
