//! Running one job to its outcome: item checks, mandatory index refresh before applying patches,
//! snapshots before and after, the operation itself (one retry after a fetch failure), rollback and reboot.

use super::changeset::{diff, residual, snapshot, RestorePlan, Snapshot};
use super::record::JobSpec;
use crate::backend::{Operation, PackageSpec, Progress, RunError, RunLimits, SharedBackend};
use futures_util::future::LocalBoxFuture;
use linux_patch_shared::api::jobs::{ChangeSet, ItemOutcome, JobItem, JobStatus};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// What a running job tells its manager.
#[derive(Debug, Clone, PartialEq)]
pub enum JobUpdate {
    /// Installed versions before the operation, and the packages that had only configuration files left
    /// (persisted so a restart can see what changed and a rollback knows what to purge).
    Before(Snapshot, Vec<String>),
    /// Progress in percent with the phase.
    Progress(u8, String),
    /// One output line.
    Output(String),
}

/// Thread-safe sink for updates (the blocking package-manager thread reports through it).
pub type Report = Arc<dyn Fn(JobUpdate) + Send + Sync>;

/// Refreshes the package index (the `CacheRefresher` actor in production).
pub trait IndexRefresh {
    /// Refreshes now; `Err` says why it failed.
    fn refresh(&self) -> LocalBoxFuture<'static, Result<(), String>>;
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunInput {
    /// The spec.
    pub spec: JobSpec,
    /// The requested items (outcomes filled in by the run).
    pub items: Vec<JobItem>,
    /// For a rollback: the change set of the job to undo.
    pub target_change_set: Option<ChangeSet>,
    /// For a rollback: the packages that had only configuration files before the job to undo.
    pub target_residual: Vec<String>,
}

/// What a run needs.
#[derive(Clone)]
pub struct RunDeps {
    /// The package backend.
    pub backend: SharedBackend,
    /// Timeout and lock wait.
    pub limits: RunLimits,
    /// Program and arguments run by a reboot job.
    pub reboot_command: Vec<String>,
    /// Index refresher.
    pub refresher: Rc<dyn IndexRefresh>,
    /// Update sink.
    pub report: Report,
}

impl std::fmt::Debug for RunDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunDeps")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// Final status.
    pub status: JobStatus,
    /// Items with their outcomes.
    pub items: Vec<JobItem>,
    /// What changed, when observed.
    pub change_set: Option<ChangeSet>,
    /// Summary or error.
    pub message: Option<String>,
}

struct ReportProgress(Report);

impl Progress for ReportProgress {
    fn line(&mut self, line: &str) {
        (self.0)(JobUpdate::Output(line.to_owned()));
    }

    fn percent(&mut self, percent: u8, phase: &str) {
        (self.0)(JobUpdate::Progress(percent, phase.to_owned()));
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("worker thread failed: {e}"))
}

fn failed(items: Vec<JobItem>, message: String) -> RunOutcome {
    RunOutcome {
        status: JobStatus::Failed,
        items,
        change_set: None,
        message: Some(message),
    }
}

/// Runs the job described by `input` to its outcome.
pub async fn run(input: RunInput, deps: RunDeps) -> RunOutcome {
    match input.spec.clone() {
        JobSpec::Packages { op } => run_packages(op, input.items, &deps).await,
        JobSpec::Rollback { target } => {
            run_rollback(
                &target,
                input.target_change_set,
                &input.target_residual,
                input.items,
                &deps,
            )
            .await
        }
        JobSpec::Reboot { delay_secs } => run_reboot(delay_secs, input.items, &deps).await,
    }
}

async fn run_packages(mut op: Operation, mut items: Vec<JobItem>, deps: &RunDeps) -> RunOutcome {
    if let Operation::Install { packages } = &op {
        let mut installable = Vec::new();
        for spec in packages.clone() {
            let backend = deps.backend.clone();
            let checked = spec.clone();
            match blocking(move || backend.check_obtainable(&checked)).await {
                Ok(Ok(())) => installable.push(spec),
                Ok(Err(reason)) | Err(reason) => {
                    mark(&mut items, &spec.name, ItemOutcome::Failed, Some(reason))
                }
            }
        }
        if installable.is_empty() {
            return failed(items, "none of the requested packages can be installed".into());
        }
        op = Operation::Install {
            packages: installable,
        };
    }
    let refresh_first = matches!(op, Operation::Upgrade { .. });
    if refresh_first {
        (deps.report)(JobUpdate::Progress(0, "refreshing the package index".into()));
        if let Err(e) = deps.refresher.refresh().await {
            return failed(
                items,
                format!("package index refresh failed, nothing was changed: {e}"),
            );
        }
    }
    execute_and_diff(op, items, deps).await
}

async fn run_rollback(
    target: &str,
    target_cs: Option<ChangeSet>,
    residual_before: &[String],
    items: Vec<JobItem>,
    deps: &RunDeps,
) -> RunOutcome {
    let Some(cs) = target_cs else {
        return failed(items, format!("job {target} has no recorded change set"));
    };
    let plan = RestorePlan::undoing(&cs, residual_before);
    let mut missing = Vec::new();
    for spec in &plan.install {
        let backend = deps.backend.clone();
        let checked = spec.clone();
        match blocking(move || backend.check_obtainable(&checked)).await {
            Ok(Ok(())) => {}
            Ok(Err(reason)) | Err(reason) => missing.push(format!(
                "{}={} ({reason})",
                spec.name,
                spec.version.as_deref().unwrap_or("?")
            )),
        }
    }
    if !missing.is_empty() {
        let mut out = failed(
            items,
            format!(
                "cannot roll back, nothing was changed; no longer obtainable: {}",
                missing.join("; ")
            ),
        );
        out.change_set = Some(ChangeSet::default());
        return out;
    }
    execute_and_diff(
        Operation::Restore {
            install: plan.install,
            remove: plan.remove,
            purge: plan.purge,
        },
        items,
        deps,
    )
    .await
}

async fn execute_and_diff(op: Operation, mut items: Vec<JobItem>, deps: &RunDeps) -> RunOutcome {
    let installed = |deps: &RunDeps| {
        let backend = deps.backend.clone();
        blocking(move || {
            backend
                .installed()
                .map(|p| (snapshot(&p), residual(&p)))
                .map_err(|e| e.to_string())
        })
    };
    let (before, residual_before) = match installed(deps).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) | Err(e) => return failed(items, format!("cannot read the package database: {e}")),
    };
    (deps.report)(JobUpdate::Before(before.clone(), residual_before));
    let mut result = execute(&op, deps).await;
    if let Err(RunError::Failed {
        fetch_error: true, ..
    }) = &result
    {
        (deps.report)(JobUpdate::Output(
            "fetch failed: refreshing the package index and retrying once".into(),
        ));
        if deps.refresher.refresh().await.is_ok() {
            result = execute(&op, deps).await;
        }
    }
    let change_set = match installed(deps).await {
        Ok(Ok((after, _))) => Some(diff(&before, &after, &|a, b| deps.backend.compare_versions(a, b))),
        Ok(Err(_)) | Err(_) => None,
    };
    let changed = |name: &str| {
        change_set.as_ref().is_some_and(|cs| {
            cs.installed
                .iter()
                .chain(&cs.removed)
                .chain(&cs.upgraded)
                .chain(&cs.downgraded)
                .any(|c| c.name == name)
        })
    };
    for item in items.iter_mut().filter(|i| i.outcome == ItemOutcome::Pending) {
        item.outcome = match (&result, changed(&item.name)) {
            (_, true) => ItemOutcome::Done,
            (Ok(()), false) => ItemOutcome::NoChange,
            (Err(_), false) => ItemOutcome::Failed,
        };
    }
    let failed_items: Vec<String> = items
        .iter()
        .filter(|i| i.outcome == ItemOutcome::Failed)
        .map(|i| format!("{} ({})", i.name, i.message.as_deref().unwrap_or("not done")))
        .collect();
    let (status, message) = match &result {
        Ok(()) if failed_items.is_empty() => {
            let nothing = change_set.as_ref().is_some_and(ChangeSet::is_empty);
            (
                JobStatus::Succeeded,
                Some(if nothing {
                    "no change".to_owned()
                } else {
                    "done".to_owned()
                }),
            )
        }
        Ok(()) => (
            JobStatus::Failed,
            Some(format!(
                "{} of {} items failed: {}",
                failed_items.len(),
                items.len(),
                failed_items.join("; ")
            )),
        ),
        Err(RunError::TimedOut) => (
            JobStatus::TimedOut,
            Some(format!(
                "timed out after {} s; the package manager was killed",
                deps.limits.timeout.as_secs()
            )),
        ),
        Err(e) => (JobStatus::Failed, Some(e.to_string())),
    };
    if status == JobStatus::Succeeded {
        (deps.report)(JobUpdate::Progress(100, "finished".into()));
    }
    RunOutcome {
        status,
        items,
        change_set,
        message,
    }
}

async fn execute(op: &Operation, deps: &RunDeps) -> Result<(), RunError> {
    let backend = deps.backend.clone();
    let limits = deps.limits;
    let report = deps.report.clone();
    let op = op.clone();
    blocking(move || backend.execute(&op, &limits, &mut ReportProgress(report)))
        .await
        .unwrap_or_else(|e| {
            Err(RunError::Failed {
                exit_code: None,
                message: e,
                fetch_error: false,
            })
        })
}

async fn run_reboot(delay_secs: u64, items: Vec<JobItem>, deps: &RunDeps) -> RunOutcome {
    if delay_secs > 0 {
        (deps.report)(JobUpdate::Progress(0, format!("rebooting in {delay_secs} s")));
        tokio::time::sleep(Duration::from_secs(delay_secs)).await;
    }
    let Some((program, args)) = deps.reboot_command.split_first() else {
        return failed(items, "no reboot command configured".into());
    };
    let (program, args) = (program.clone(), args.to_vec());
    let shown = deps.reboot_command.join(" ");
    (deps.report)(JobUpdate::Progress(50, format!("running `{shown}`")));
    let out = blocking(move || std::process::Command::new(&program).args(&args).output()).await;
    match out {
        Ok(Ok(o)) => {
            for line in String::from_utf8_lossy(&o.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&o.stderr).lines())
            {
                (deps.report)(JobUpdate::Output(line.to_owned()));
            }
            if o.status.success() {
                (deps.report)(JobUpdate::Progress(100, "reboot requested".into()));
                RunOutcome {
                    status: JobStatus::Succeeded,
                    items,
                    change_set: Some(ChangeSet::default()),
                    message: Some(format!("reboot requested with `{shown}`")),
                }
            } else {
                failed(items, format!("`{shown}` exited with {}", o.status))
            }
        }
        Ok(Err(e)) => failed(items, format!("cannot run `{shown}`: {e}")),
        Err(e) => failed(items, e),
    }
}

fn mark(items: &mut [JobItem], name: &str, outcome: ItemOutcome, message: Option<String>) {
    if let Some(item) = items
        .iter_mut()
        .find(|i| i.name == name && i.outcome == ItemOutcome::Pending)
    {
        item.outcome = outcome;
        item.message = message;
    }
}

/// The items of a request: one per named package.
pub fn items_of(specs: &[PackageSpec]) -> Vec<JobItem> {
    specs
        .iter()
        .map(|s| JobItem {
            name: s.name.clone(),
            version: s.version.clone(),
            outcome: ItemOutcome::Pending,
            message: None,
        })
        .collect()
}
