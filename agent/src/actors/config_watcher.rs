//! `ConfigWatcher`: watches the configuration directories and swaps a validated configuration in without a
//! restart (allow-list, certificates, log level); a refused one is audited and the old one kept.

use crate::audit::{logging, Auditor};
use crate::audit_fields;
use crate::config::{AgentConfig, TlsPaths};
use crate::net::listener::EdgeState;
use crate::paths::Paths;
use crate::reload::watch::{self, DirWatch};
use crate::reload::{self, Candidate, Refusal, TlsDigest};
use actix::prelude::*;
use chrono::{DateTime, Utc};
use linux_patch_shared::clock::SharedClock;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Quiet time after the last file event before reloading (editors write a temporary file, then rename).
pub const DEBOUNCE: Duration = Duration::from_millis(300);
/// Longest a stream of events can postpone a reload.
pub const MAX_DEBOUNCE: Duration = Duration::from_secs(2);
/// File names kept in the audit record of one reload.
const MAX_TRIGGER_NAMES: usize = 20;

/// Event: files changed in a watched directory (sent by the inotify thread).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct ConfigChanged {
    /// Names of the changed entries (empty for an event on a watched directory itself).
    pub names: Vec<String>,
}

/// Command: reload now, without waiting for the debounce; answers with what was applied or why not.
#[derive(Debug, Message)]
#[rtype(result = "Result<ReloadReport, Refusal>")]
pub struct ReloadNow;

/// Query: the outcome of the last reload and the counters.
#[derive(Debug, Message)]
#[rtype(result = "ReloadStatus")]
pub struct GetStatus;

/// What a successful reload did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReloadReport {
    /// Settings that changed (`allow`, `certificates`, `logging.level`, `server.port`, ...).
    pub changed: Vec<&'static str>,
    /// Settings that differ from the running process and take effect at the next restart.
    pub restart_required: Vec<&'static str>,
}

/// The last reload's outcome.
#[derive(Debug, Clone)]
pub struct LastReload {
    /// When it finished.
    pub at: DateTime<Utc>,
    /// Applied (with what changed) or refused (with why).
    pub outcome: Result<ReloadReport, Refusal>,
}

/// Answer to [`GetStatus`].
#[derive(Debug, Clone, Default)]
pub struct ReloadStatus {
    /// The last reload, if any has run.
    pub last: Option<LastReload>,
    /// Reloads that applied a valid configuration (changed or not).
    pub applied: u64,
    /// Reloads refused.
    pub refused: u64,
    /// Directories watched.
    pub watching: Vec<PathBuf>,
}

/// What the watcher needs from start-up.
#[derive(Debug)]
pub struct Setup {
    /// File layout (which config files, where the audit log is).
    pub paths: Paths,
    /// The configuration the process started with (listen address and limits stay until restart).
    pub started: AgentConfig,
    /// The network edge whose allow-list and TLS configuration are swapped.
    pub edge: Arc<EdgeState>,
    /// The logger's handle for level changes (`None`: leave logging alone).
    pub log: Option<log4rs::Handle>,
    /// Audit sink for `config.reloaded` and `config.rejected`.
    pub auditor: Auditor,
    /// Time source of the status.
    pub clock: SharedClock,
}

/// The actor: owns the applied configuration and the watches; the inotify thread feeds it events.
#[derive(Debug)]
pub struct ConfigWatcher {
    setup: Setup,
    applied: AgentConfig,
    digest: Option<TlsDigest>,
    watch: DirWatch,
    refused_tls: Option<TlsPaths>,
    pending: BTreeSet<String>,
    timer: Option<(SpawnHandle, Instant)>,
    status: ReloadStatus,
}

/// Starts the watcher inside the running actix system: watches the configuration directories, reconciles
/// once with the files as they are now, then reloads after every change.
pub fn start(setup: Setup) -> Result<Addr<ConfigWatcher>, String> {
    let inotify = inotify::Inotify::init().map_err(|e| format!("cannot start inotify: {e}"))?;
    let mut watcher = ConfigWatcher {
        applied: setup.started.clone(),
        setup,
        digest: None,
        watch: DirWatch::new(&inotify),
        refused_tls: None,
        pending: BTreeSet::new(),
        timer: None,
        status: ReloadStatus::default(),
    };
    let failures = watcher.sync_watches();
    if !watcher.watch.contains(&watcher.setup.paths.config_dir) {
        return Err(failures.join("; "));
    }
    let addr = watcher.start();
    let sender = addr.clone();
    watch::spawn_reader(inotify, move |names| {
        // A full mailbox already holds a change that will trigger a reload: dropping this one is safe.
        !matches!(
            sender.try_send(ConfigChanged { names }),
            Err(SendError::Closed(_))
        )
    })
    .map_err(|e| format!("cannot start the inotify thread: {e}"))?;
    Ok(addr)
}

/// [`start`], or a warning that configuration changes will need a restart (the agent serves either way).
pub fn start_or_warn(setup: Setup) -> Option<Addr<ConfigWatcher>> {
    start(setup)
        .map_err(|e| log::warn!("configuration watcher not started ({e}): changes need a restart"))
        .ok()
}

/// Reloads now and returns what was applied, or why the files were refused.
pub async fn reload_now(addr: &Addr<ConfigWatcher>) -> Result<ReloadReport, Refusal> {
    addr.send(ReloadNow)
        .await
        .unwrap_or_else(|e| Err(Refusal::other(format!("configuration watcher unavailable: {e}"))))
}

/// The last reload's outcome and the counters (`None` when the watcher has stopped).
pub async fn status(addr: &Addr<ConfigWatcher>) -> Option<ReloadStatus> {
    addr.send(GetStatus).await.ok()
}

impl Actor for ConfigWatcher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Files changed between start-up and the first watch would otherwise go unnoticed.
        self.reload(ctx, None);
    }
}

impl Handler<ConfigChanged> for ConfigWatcher {
    type Result = ();

    fn handle(&mut self, msg: ConfigChanged, ctx: &mut Self::Context) {
        self.pending
            .extend(msg.names.into_iter().filter(|n| !n.is_empty()));
        let first = match self.timer.take() {
            Some((handle, first)) if first.elapsed() < MAX_DEBOUNCE => {
                ctx.cancel_future(handle);
                first
            }
            Some(timer) => {
                self.timer = Some(timer); // waited long enough: let the pending reload run
                return;
            }
            None => Instant::now(),
        };
        let handle = ctx.run_later(DEBOUNCE, |act, ctx| act.reload(ctx, None));
        self.timer = Some((handle, first));
    }
}

impl Handler<ReloadNow> for ConfigWatcher {
    type Result = ResponseFuture<Result<ReloadReport, Refusal>>;

    fn handle(&mut self, _: ReloadNow, ctx: &mut Self::Context) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.reload(ctx, Some(tx));
        Box::pin(async move {
            rx.await
                .unwrap_or_else(|_| Err(Refusal::other("the reload was abandoned")))
        })
    }
}

impl Handler<GetStatus> for ConfigWatcher {
    type Result = MessageResult<GetStatus>;

    fn handle(&mut self, _: GetStatus, _: &mut Self::Context) -> Self::Result {
        let mut status = self.status.clone();
        status.watching = self.watch.dirs();
        MessageResult(status)
    }
}

type Reply = oneshot::Sender<Result<ReloadReport, Refusal>>;

impl ConfigWatcher {
    /// Loads off the actor's thread (reads files, resolves host names) and applies the result; no other
    /// message is handled meanwhile, so reloads never overlap.
    fn reload(&mut self, ctx: &mut Context<Self>, reply: Option<Reply>) {
        if let Some((handle, _)) = self.timer.take() {
            ctx.cancel_future(handle);
        }
        let trigger: Vec<String> = std::mem::take(&mut self.pending)
            .into_iter()
            .take(MAX_TRIGGER_NAMES)
            .collect();
        let paths = self.setup.paths.clone();
        let load = async move {
            actix_rt::task::spawn_blocking(move || reload::load(&paths))
                .await
                .unwrap_or_else(|e| Err(Refusal::other(format!("the reload task failed: {e}"))))
        };
        ctx.wait(load.into_actor(self).map(move |loaded, act, _| {
            let outcome = act.finish(loaded, &trigger);
            act.sync_watches();
            if let Some(tx) = reply {
                let _ = tx.send(outcome);
            }
        }));
    }

    fn finish(
        &mut self,
        loaded: Result<Candidate, Refusal>,
        trigger: &[String],
    ) -> Result<ReloadReport, Refusal> {
        let previous = self.status.last.take().map(|l| l.outcome);
        let outcome = match loaded {
            Ok(c) => {
                self.refused_tls = None;
                Ok(self.apply(c, trigger, matches!(previous, Some(Err(_)))))
            }
            Err(r) => {
                self.refused_tls = r.cert_paths.as_deref().cloned();
                self.refuse(&r, trigger, previous.as_ref().and_then(|p| p.as_ref().err()));
                Err(r)
            }
        };
        match &outcome {
            Ok(_) => self.status.applied += 1,
            Err(_) => self.status.refused += 1,
        }
        self.status.last = Some(LastReload {
            at: self.setup.clock.now(),
            outcome: outcome.clone(),
        });
        outcome
    }

    fn apply(&mut self, c: Candidate, trigger: &[String], recovered: bool) -> ReloadReport {
        let plan = reload::plan(
            &self.setup.started,
            &self.applied,
            self.digest.as_ref(),
            &c.cfg,
            &c.digest,
        );
        if plan.swap_allow() {
            self.setup.edge.set_allow(c.cfg.allow.clone());
        }
        // The first reload does not know what the start-up certificates contained: swap unconditionally.
        if plan.swap_tls() || self.digest.is_none() {
            self.setup.edge.set_tls(c.tls);
            self.setup.edge.set_tls_files(c.cfg.tls.clone());
        }
        let log_error = if plan.swap_logging() {
            self.set_logging(&c.cfg).err()
        } else {
            None
        };
        for field in plan.newly_pending() {
            log::warn!("configuration: `{field}` changed; it takes effect at the next restart");
        }
        let report = ReloadReport {
            changed: plan.changed.clone(),
            restart_required: plan.restart_required.clone(),
        };
        if !report.changed.is_empty() || recovered {
            let mut fields = audit_fields! {
                "changed" => report.changed, "applied_live" => plan.applied_live(),
                "restart_required" => report.restart_required, "trigger" => trigger,
                "allow_entries" => c.cfg.allow.entries().len(),
            };
            if let Some(e) = &log_error {
                fields.insert("logging_error".into(), e.as_str().into());
            }
            self.setup
                .auditor
                .emit(log::Level::Info, "config.reloaded", fields);
            log::info!(
                "configuration reloaded: changed [{}], restart required for [{}]",
                report.changed.join(", "),
                report.restart_required.join(", ")
            );
        } else {
            log::debug!(
                "configuration files touched ({}), nothing changed",
                trigger.join(", ")
            );
        }
        self.applied = c.cfg;
        self.digest = Some(c.digest);
        report
    }

    fn refuse(&mut self, r: &Refusal, trigger: &[String], previous: Option<&Refusal>) {
        // The same refusal again (an unrelated file touched meanwhile) is not news.
        if previous == Some(r) {
            log::debug!("configuration still refused: {r}");
            return;
        }
        log::warn!("configuration change refused, keeping the running configuration: {r}");
        let fields = audit_fields! {
            "file" => r.file.as_ref().map(|f| f.display().to_string()), "line" => r.line,
            "field" => r.field, "error" => r.error, "trigger" => trigger,
        };
        self.setup
            .auditor
            .emit(log::Level::Warn, "config.rejected", fields);
    }

    /// New level and retention; the audit appender keeps writing the same file.
    fn set_logging(&self, cfg: &AgentConfig) -> Result<(), String> {
        let Some(handle) = &self.setup.log else {
            return Ok(());
        };
        let journal = Path::new(logging::JOURNAL_SOCKET).exists();
        let logging_cfg = &cfg.file.logging;
        match logging::build_config(
            logging_cfg.level.filter(),
            &self.setup.paths.audit_log(),
            logging_cfg.retention_days,
            journal,
        ) {
            Ok(config) => {
                handle.set_config(config);
                Ok(())
            }
            Err(e) => {
                log::warn!("cannot apply the new logging settings, keeping the old ones: {e}");
                Err(e.to_string())
            }
        }
    }

    /// Watches the directories of the applied configuration and of a refused one's certificates.
    fn sync_watches(&mut self) -> Vec<String> {
        let mut tls = vec![&self.applied.tls];
        tls.extend(self.refused_tls.as_ref());
        let wanted = watch::watch_dirs(&self.setup.paths, &tls);
        let failures = self.watch.sync(&wanted);
        for f in &failures {
            log::warn!("configuration watcher: {f}");
        }
        failures
    }
}

#[cfg(test)]
mod tests;
