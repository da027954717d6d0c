//! The `DatabaseWatch` actor: every second looks at the embedded postmaster (restarting it with backoff when
//! it died) and at whether the database answers, keeps the shared health current for `GET /api/v1/health`,
//! and writes each outage to the audit trail once the database is back. Decisions live in
//! [`crate::supervise`]; this owns the tick and the blocking calls.

use crate::db::Db;
use crate::postgres::Cluster;
use crate::supervise::{Step, Supervisor};
use actix::prelude::*;
use linux_patch_shared::clock::SharedClock;
use std::time::Duration;

/// Real time between looks.
pub const TICK: Duration = Duration::from_secs(1);

/// The actor.
pub struct DatabaseWatch {
    db: Db,
    cluster: Option<Cluster>,
    clock: SharedClock,
    logic: Supervisor,
    /// A start, probe or audit write is under way (looks never overlap).
    busy: bool,
}

impl Actor for DatabaseWatch {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(TICK, |act, ctx| act.look(ctx));
    }
}

impl DatabaseWatch {
    fn publish(&self) {
        self.db.pool().health().set_supervisor(self.logic.state());
    }

    fn look(&mut self, ctx: &mut Context<Self>) {
        if self.busy {
            return;
        }
        let now = self.clock.now();
        if let Some(cluster) = self.cluster.clone() {
            // Reads postmaster.pid and /proc: no process is run for a look.
            let step = self.logic.postmaster(now, cluster.alive());
            self.publish();
            if step == Step::Start {
                self.busy = true;
                let start = actix_web::web::block(move || cluster.start().map_err(|e| e.to_string()));
                ctx.spawn(actix::fut::wrap_future(start).map(|r, act: &mut Self, _| {
                    let r = r.unwrap_or_else(|e| Err(e.to_string()));
                    act.logic.started(act.clock.now(), r);
                    act.publish();
                    act.busy = false;
                }));
                return;
            }
            if self.logic.restarting() {
                return;
            }
        }
        self.busy = true;
        let db = self.db.clone();
        let probe = async move {
            use diesel::RunQueryDsl;
            db.run(|c| Ok(diesel::sql_query("SELECT 1").execute(c)?)).await
        };
        ctx.spawn(actix::fut::wrap_future(probe).map(|r, act: &mut Self, ctx| {
            let now = act.clock.now();
            let health = act.db.pool().health().clone();
            if r.is_ok() {
                // The probe's connection may be an old one: the circuit learns the database is back.
                health.succeeded(now);
            }
            act.logic
                .reachable(now, r.is_ok(), health.snapshot().down_since());
            act.publish();
            act.busy = false;
            if let Some(o) = act.logic.pending().cloned() {
                act.busy = true;
                let db = act.db.clone();
                let write = async move {
                    db.run(move |c| {
                        let entry = crate::audit::Entry {
                            actor: "system",
                            action: o.action(),
                            target: "database",
                            details: o.details(),
                        };
                        Ok(crate::audit::append(c, o.until, &entry)?)
                    })
                    .await
                };
                ctx.spawn(actix::fut::wrap_future(write).map(|r, act: &mut Self, _| {
                    match r {
                        Ok(_) => act.logic.written(),
                        Err(e) => log::warn!("database watch: the outage is not audited yet: {e}"),
                    }
                    act.busy = false;
                }));
            }
        }));
    }
}

/// The running watch (kept so it lives as long as the manager).
#[derive(Debug, Clone)]
pub struct DatabaseHandle {
    _addr: Option<Addr<DatabaseWatch>>,
}

/// Starts the watch on the current arbiter when `ticking` (tests without ticks have none); with `cluster`
/// it supervises the embedded server, without it only follows whether the database answers.
pub fn start(db: Db, cluster: Option<Cluster>, clock: SharedClock, ticking: bool) -> DatabaseHandle {
    if !ticking {
        return DatabaseHandle { _addr: None };
    }
    let addr = DatabaseWatch {
        db,
        cluster,
        clock,
        logic: Supervisor::default(),
        busy: false,
    }
    .start();
    DatabaseHandle { _addr: Some(addr) }
}
