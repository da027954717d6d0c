//! `CacheRefresher`: refreshes the package index (before every patch apply, and when health finds it
//! stale), one refresh at a time, 120 s timeout, state persisted in `state/cache.json`.

use crate::audit::Auditor;
use crate::audit_fields;
use crate::backend::SharedBackend;
use crate::cache_state::CacheState;
use actix::prelude::*;
use linux_patch_shared::api::agent::CacheStatus;
use linux_patch_shared::clock::SharedClock;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Longest an index refresh may take.
pub const REFRESH_TIMEOUT: Duration = Duration::from_secs(120);

/// Owns `state/cache.json` and serialises refreshes.
#[derive(Debug)]
pub struct CacheRefresher {
    backend: SharedBackend,
    state_file: PathBuf,
    clock: SharedClock,
    auditor: Auditor,
    state: Option<CacheState>,
    /// A refresh asked for by a health check is queued and not yet done.
    stale_refresh_queued: bool,
}

impl CacheRefresher {
    /// A refresher writing `state_file`; reads the state the previous run left.
    pub fn new(backend: SharedBackend, state_file: PathBuf, clock: SharedClock, auditor: Auditor) -> Self {
        let state = CacheState::load(&state_file).unwrap_or_else(|e| {
            log::warn!("{e}; starting without cache state");
            None
        });
        Self {
            backend,
            state_file,
            clock,
            auditor,
            state,
            stale_refresh_queued: false,
        }
    }

    fn persist(&self) -> std::io::Result<()> {
        let Some(state) = &self.state else { return Ok(()) };
        let tmp = self.state_file.with_extension("json.tmp");
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&serde_json::to_vec(state).map_err(std::io::Error::other)?)?;
            f.sync_all()?;
        }
        std::fs::rename(tmp, &self.state_file)
    }
}

impl Actor for CacheRefresher {
    type Context = Context<Self>;
}

/// Command: refresh the index now (waits for a refresh already running, then runs its own).
#[derive(Debug, Message)]
#[rtype(result = "Result<(), String>")]
pub struct RefreshIndex {
    /// Why (`patch apply`, `stale on health`), for the audit record.
    pub reason: &'static str,
}

/// Command: refresh only if the index is stale or was never refreshed (fire and forget).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RefreshIfStale;

/// Query: the persisted state.
#[derive(Debug, Message)]
#[rtype(result = "Option<CacheState>")]
pub struct GetStatus;

impl Handler<RefreshIndex> for CacheRefresher {
    type Result = AtomicResponse<Self, Result<(), String>>;

    fn handle(&mut self, msg: RefreshIndex, _: &mut Context<Self>) -> Self::Result {
        let backend = self.backend.clone();
        let work = async move {
            tokio::task::spawn_blocking(move || {
                backend.refresh_index(REFRESH_TIMEOUT).map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|e| Err(format!("refresh thread failed: {e}")))
        };
        // AtomicResponse: the mailbox waits, so refreshes never overlap.
        AtomicResponse::new(Box::pin(work.into_actor(self).map(move |res, act, _| {
            let now = act.clock.now();
            let previous = act.state.clone().unwrap_or(CacheState {
                last_success: None,
                last_attempt: None,
                last_ok: false,
                last_error: None,
            });
            act.stale_refresh_queued = false;
            act.state = Some(match &res {
                Ok(()) => CacheState {
                    last_success: Some(now),
                    last_attempt: Some(now),
                    last_ok: true,
                    last_error: None,
                },
                Err(e) => CacheState {
                    last_attempt: Some(now),
                    last_ok: false,
                    last_error: Some(e.clone()),
                    ..previous
                },
            });
            if let Err(e) = act.persist() {
                log::error!("cannot write {}: {e}", act.state_file.display());
            }
            let level = if res.is_ok() {
                log::Level::Info
            } else {
                log::Level::Warn
            };
            act.auditor.emit(
                level,
                "cache.refresh",
                audit_fields! {"reason" => msg.reason, "ok" => res.is_ok(), "error" => res.as_ref().err()},
            );
            res
        })))
    }
}

impl Handler<RefreshIfStale> for CacheRefresher {
    type Result = ();

    fn handle(&mut self, _: RefreshIfStale, ctx: &mut Context<Self>) {
        // The file is the record (an operator may have removed or restored it): judge by it.
        match CacheState::load(&self.state_file) {
            Ok(state) => self.state = state,
            Err(e) => log::warn!("{e}"),
        }
        let status = CacheState::status(self.state.as_ref(), self.clock.now());
        if !self.stale_refresh_queued && matches!(status, CacheStatus::Stale | CacheStatus::Unknown) {
            self.stale_refresh_queued = true;
            ctx.notify(RefreshIndex {
                reason: "stale on health check",
            });
        }
    }
}

impl Handler<GetStatus> for CacheRefresher {
    type Result = Option<CacheState>;

    fn handle(&mut self, _: GetStatus, _: &mut Context<Self>) -> Self::Result {
        self.state.clone()
    }
}

/// Refreshes the index through the refresher; `Err` says why it failed.
pub async fn refresh(addr: &Addr<CacheRefresher>, reason: &'static str) -> Result<(), String> {
    addr.send(RefreshIndex { reason })
        .await
        .map_err(|e| format!("cache refresher unavailable: {e}"))?
}
