//! `linux-patch-manager window add` and `deployment create|list`: the console's operations from the shell, as
//! actor `cli` (administrator scope), through the same services; the running server's scheduler picks new
//! deployments up within a minute.

use super::{DeploymentCmd, WindowCmd};
use crate::app::AppBuilder;
use crate::audit::Actor;
use crate::config::ManagerConfig;
use crate::db::models::scope::Scope;
use crate::db::Database;
use crate::deploy::request::DeploymentRequest;
use crate::deploy::window::WindowSpec;
use crate::error::{ManagerError, EXIT_OK};
use crate::services::{deployments, windows};
use linux_patch_shared::clock::SystemClock;
use std::sync::Arc;

fn cli_actor() -> Actor {
    Actor {
        name: "cli".into(),
        id: 0,
        scope: Scope::All,
    }
}

/// `--hosts all` or names: host ids.
fn host_ids(db: &Database, hosts: &str) -> Result<Vec<i64>, ManagerError> {
    let all = crate::db::models::Host::list(&mut *db.conn()?, Scope::All)?;
    if hosts.trim() == "all" {
        return Ok(all.into_iter().map(|h| h.id).collect());
    }
    hosts
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            all.iter()
                .find(|h| h.hostname == n.to_ascii_lowercase())
                .map(|h| h.id)
                .ok_or_else(|| ManagerError::NotFound(format!("no host named `{}`", n.escape_default())))
        })
        .collect()
}

/// Runs `f` with an application context (manual actors) on a private actix system.
fn with_context<T>(
    cfg: &ManagerConfig,
    db: &Database,
    f: impl AsyncFnOnce(&crate::app::AppContext) -> Result<T, ManagerError>,
) -> Result<T, ManagerError> {
    let clock: linux_patch_shared::clock::SharedClock = Arc::new(SystemClock);
    let ca = crate::ca::InternalCa::load_or_create(&cfg.data_dir, &*clock)
        .map_err(|e| ManagerError::Internal(e.to_string()))?;
    let url = webauthn_rs::prelude::Url::parse(&cfg.public_url())
        .map_err(|e| ManagerError::Internal(format!("public_url: {e}")))?;
    let builder = AppBuilder::new(db.pool(), clock, cfg.data_dir.clone(), ca, url)
        .poller(cfg.file.poller.clone())
        .enrollment(cfg.file.enrollment.clone());
    actix_rt::System::new().block_on(async move {
        let ctx = builder.build()?;
        f(&ctx).await
    })
}

/// `window add ...`.
pub fn window(cfg: &ManagerConfig, db: &Database, cmd: &WindowCmd) -> Result<i32, ManagerError> {
    let WindowCmd::Add { hosts, spec, name } = cmd;
    let spec: WindowSpec = serde_json::from_str(spec)
        .map_err(|e| ManagerError::Invalid(format!("--spec is not a window spec: {e}")))?;
    let ids = host_ids(db, hosts)?;
    let rows = with_context(cfg, db, async |ctx| {
        windows::create(ctx, &cli_actor(), ids, None, name.clone(), spec).await
    })?;
    println!("window added to {} hosts", rows.len());
    Ok(EXIT_OK)
}

/// `deployment create|list`.
pub fn deployment(cfg: &ManagerConfig, db: &Database, cmd: &DeploymentCmd) -> Result<i32, ManagerError> {
    match cmd {
        DeploymentCmd::Create {
            hosts,
            operation,
            packages,
            mode,
            reboot,
        } => {
            let r = DeploymentRequest {
                host_ids: host_ids(db, hosts)?,
                operation: operation.clone(),
                packages: packages.clone(),
                mode: Some(mode.clone()),
                reboot: Some(reboot.clone()),
                ..DeploymentRequest::default()
            };
            let d = with_context(cfg, db, async |ctx| {
                deployments::create(ctx, &cli_actor(), r).await
            })?;
            println!(
                "deployment #{} created: {} on {} hosts, mode {} ({})",
                d.deployment.id,
                d.deployment.operation,
                d.total,
                d.deployment.mode,
                if d.deployment.mode == "now" {
                    "the server starts it within a minute"
                } else {
                    "each host starts at its next window"
                }
            );
        }
        DeploymentCmd::List => {
            let rows = with_context(cfg, db, async |ctx| {
                deployments::list(ctx, &cli_actor(), None, 50).await
            })?;
            for r in rows {
                let counts: Vec<String> = r.counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
                println!(
                    "#{:<5} {:<14} {:<11} {:<9} {} hosts: {}",
                    r.deployment.id,
                    r.deployment.operation,
                    r.deployment.mode,
                    r.deployment.status,
                    r.total,
                    counts.join(", ")
                );
            }
        }
    }
    Ok(EXIT_OK)
}
