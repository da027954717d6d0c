//! Deployments as the console and the API use them: create (targets resolved from hosts and groups and
//! recorded, each host's window looked up, audited with who, which hosts, what, queued or immediate), list,
//! read one with its targets, cancel a deployment or one target. Every call is RBAC-scoped: an operator can
//! only target, see and cancel what touches hosts they may see (anything else is a 404).

use super::hosts::not_found;
use crate::app::AppContext;
use crate::audit::Actor;
use crate::db::models::deployment::{Counts, Deployment, NewDeployment, NewTarget, Target};
use crate::db::models::fleet_view::pending::{self, PendingPackage};
use crate::db::models::{fleet_view, Group, Host};
use crate::deploy::request::{check, DeploymentRequest, MAX_TARGETS};
use crate::deploy::target::TargetState;
use crate::error::ManagerError;
use diesel::{Connection, PgConnection};
use serde::Serialize;

/// Most rows one page of deployments or targets shows.
pub const MAX_PAGE: i64 = 500;

/// A deployment with its targets counted by state.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// The deployment.
    #[serde(flatten)]
    pub deployment: Deployment,
    /// Targets per state.
    pub counts: std::collections::BTreeMap<String, i64>,
    /// All targets.
    pub total: i64,
    /// Targets that ended without doing their work (failed, timed out, interrupted, missed their window).
    pub failed: i64,
}

fn summary(deployment: Deployment, counts: Counts) -> Summary {
    let total = counts.iter().map(|(_, n)| n).sum();
    let failed = counts
        .iter()
        .filter(|(s, _)| TargetState::parse(s).is_some_and(TargetState::is_failure))
        .map(|(_, n)| n)
        .sum();
    Summary {
        deployment,
        counts: counts.into_iter().collect(),
        total,
        failed,
    }
}

fn gone(id: i64) -> ManagerError {
    ManagerError::NotFound(format!("no deployment #{id}"))
}

/// The hosts `r` names (its hosts, its groups' hosts, or the succeeded hosts of the deployment undone),
/// every one visible to `who`.
fn resolve(conn: &mut PgConnection, who: &Actor, r: &DeploymentRequest) -> Result<Vec<Host>, ManagerError> {
    let mut ids = r.host_ids.clone();
    if let Some(bad) = fleet_view::first_unseen(conn, who.scope, &ids)? {
        return Err(not_found(bad));
    }
    let groups = fleet_view::groups_in_scope(conn, who.scope)?;
    for g in &r.group_ids {
        if !groups.iter().any(|(id, _)| id == g) {
            return Err(ManagerError::NotFound(format!("no group #{g}")));
        }
        let (_, members) = Group::member_ids(conn, *g)?;
        ids.extend(fleet_view::visible_ids(conn, who.scope, &members)?);
    }
    if let Some(undone) = r.rollback_of {
        let dep = Deployment::find(conn, who.scope, undone)?.ok_or_else(|| gone(undone))?;
        let done: Vec<i64> = Deployment::targets(conn, dep.id, None, i64::MAX)?
            .into_iter()
            .filter(|t| t.state == "succeeded" && t.agent_job_id.is_some())
            .filter_map(|t| t.host_id)
            .collect();
        ids = if ids.is_empty() {
            done
        } else {
            ids.into_iter().filter(|h| done.contains(h)).collect()
        };
        if ids.is_empty() {
            return Err(ManagerError::Refused(format!(
                "deployment #{undone} has no succeeded target to roll back{}",
                if r.host_ids.is_empty() {
                    ""
                } else {
                    " on the hosts named"
                }
            )));
        }
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(ManagerError::Invalid(
            "the groups named have no hosts you may patch".into(),
        ));
    }
    if ids.len() > MAX_TARGETS {
        return Err(ManagerError::Invalid(format!(
            "at most {MAX_TARGETS} hosts per deployment"
        )));
    }
    Ok(crate::db::models::deployment::hosts_by_ids(
        conn, who.scope, &ids,
    )?)
}

/// Creates a deployment for `who` (audited `deployment.create`); `next_window` targets wait for their host's
/// next opening (a host without a window is refused, named), `now` targets are due at once.
pub async fn create(ctx: &AppContext, who: &Actor, r: DeploymentRequest) -> Result<Summary, ManagerError> {
    let checked = check(&r).map_err(ManagerError::Invalid)?;
    let a = who.clone();
    let now = ctx.now();
    let created = ctx
        .db(move |c| {
            let hosts = resolve(c, &a, &r)?;
            let ids: Vec<i64> = hosts.iter().map(|h| h.id).collect();
            let windows = if checked.next_window {
                super::windows::next_dispatch(c, &ids, now)?
            } else {
                Default::default()
            };
            if checked.next_window {
                let missing: Vec<&str> = hosts
                    .iter()
                    .filter(|h| !windows.contains_key(&h.id))
                    .map(|h| h.hostname.as_str())
                    .collect();
                if !missing.is_empty() {
                    let shown: Vec<&str> = missing.iter().take(10).copied().collect();
                    return Err(ManagerError::Refused(format!(
                        "{} host(s) have no upcoming maintenance window, so `next_window` cannot queue them: {}{} \
                         (add a window, or use mode `now`)",
                        missing.len(),
                        shown.join(", "),
                        if missing.len() > shown.len() { ", ..." } else { "" }
                    )));
                }
            }
            let targets: Vec<NewTarget> = hosts
                .iter()
                .map(|h| {
                    let (state, due_at, until) = match windows.get(&h.id) {
                        Some((start, until)) => (TargetState::WaitingWindow, *start, Some(*until)),
                        None => (TargetState::Queued, now, None),
                    };
                    NewTarget {
                        host_id: h.id,
                        hostname: h.hostname.clone(),
                        state: state.as_str(),
                        due_at,
                        dispatch_until: until,
                    }
                })
                .collect();
            let new = NewDeployment {
                created_by: a.name.clone(),
                created_at: now,
                operation: checked.operation.to_owned(),
                packages: serde_json::json!(checked.packages),
                rollback_of: checked.rollback_of,
                mode: if checked.next_window { "next_window" } else { "now" }.to_owned(),
                reboot: checked.reboot.to_owned(),
                stop_failed_pct: checked.stop_failed_pct,
                group_ids: serde_json::json!(r.group_ids),
            };
            c.transaction(|c| {
                let dep = Deployment::create(c, &new, &targets, now)?;
                a.audit(
                    c,
                    now,
                    "deployment.create",
                    &format!("deployment:{}", dep.id),
                    serde_json::json!({
                        "deployment": dep.id, "deployment_id": dep.id, "operation": dep.operation, "packages": dep.packages,
                        "mode": dep.mode, "queued": checked.next_window, "reboot": dep.reboot,
                        "rollback_of": dep.rollback_of, "group_ids": dep.group_ids, "host_ids": ids,
                        "hosts": hosts.iter().map(|h| &h.hostname).collect::<Vec<_>>(),
                    }),
                )?;
                let counts = Deployment::counts(c, dep.id)?;
                Ok(summary(dep, counts))
            })
        })
        .await?;
    if created.deployment.mode == "now" {
        ctx.actors.deployer.kick();
    }
    ctx.actors.scheduler.look_again();
    Ok(created)
}

/// Deployments `who` may see, newest first, older than `before`.
pub async fn list(
    ctx: &AppContext,
    who: &Actor,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Summary>, ManagerError> {
    let scope = who.scope;
    ctx.db(move |c| {
        Ok(Deployment::page(c, scope, before, limit.clamp(1, MAX_PAGE))?
            .into_iter()
            .map(|(d, n)| summary(d, n))
            .collect())
    })
    .await
}

/// Deployment `id` and its targets after target `after` (at most `limit`), if `who` may see it.
pub async fn detail(
    ctx: &AppContext,
    who: &Actor,
    id: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<(Summary, Vec<Target>), ManagerError> {
    let scope = who.scope;
    ctx.db(move |c| {
        let dep = Deployment::find(c, scope, id)?.ok_or_else(|| gone(id))?;
        let counts = Deployment::counts(c, id)?;
        let targets = Deployment::targets(c, id, after, limit.clamp(1, MAX_PAGE))?;
        Ok((summary(dep, counts), targets))
    })
    .await
}

/// Cancels deployment `id` (targets not yet dispatched; running ones finish on their agent); audited.
/// Returns how many targets were cancelled.
pub async fn cancel(ctx: &AppContext, who: &Actor, id: i64) -> Result<usize, ManagerError> {
    let a = who.clone();
    let now = ctx.now();
    let n = ctx
        .db(move |c| {
            Deployment::find(c, a.scope, id)?.ok_or_else(|| gone(id))?;
            c.transaction(|c| {
                let n = Deployment::cancel(c, id, now)?;
                a.audit(
                    c,
                    now,
                    "deployment.cancel",
                    &format!("deployment:{id}"),
                    serde_json::json!({"deployment": id, "deployment_id": id, "targets_cancelled": n}),
                )?;
                Ok(n)
            })
        })
        .await?;
    ctx.actors.relay.changed(vec![id]);
    Ok(n)
}

/// Cancels target `target` of deployment `id` if not dispatched yet; audited. A running target is refused
/// with the reason (its agent job finishes).
pub async fn cancel_target(ctx: &AppContext, who: &Actor, id: i64, target: i64) -> Result<(), ManagerError> {
    let a = who.clone();
    let now = ctx.now();
    ctx.db(move |c| {
        Deployment::find(c, a.scope, id)?.ok_or_else(|| gone(id))?;
        let t = Deployment::target(c, target)?
            .filter(|t| t.deployment_id == id)
            .ok_or_else(|| ManagerError::NotFound(format!("no target #{target} in deployment #{id}")))?;
        c.transaction(|c| {
            if !Deployment::cancel_target(c, target, now)? {
                return Err(ManagerError::Refused(format!(
                    "{} is {}: only a target not yet handed to its agent can be cancelled{}",
                    t.hostname,
                    t.state,
                    if t.state == "running" {
                        " (the agent's job finishes)"
                    } else {
                        ""
                    }
                )));
            }
            a.audit(
                c,
                now,
                "deployment.cancel_target",
                &format!("deployment:{id}"),
                serde_json::json!({"deployment": id, "deployment_id": id, "target": target, "host": t.hostname, "host_id": t.host_id}),
            )
        })
    })
    .await?;
    ctx.actors.relay.changed(vec![id]);
    Ok(())
}

/// Leave to watch one deployment live, given once `who` was found to see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watch {
    /// The deployment.
    pub deployment: i64,
    /// The operator's user id (`None`: an administrator).
    pub operator: Option<i64>,
}

/// Whether `who` may watch deployment `id` live (else a 404, as for the page).
pub async fn watchable(ctx: &AppContext, who: &Actor, id: i64) -> Result<Watch, ManagerError> {
    let scope = who.scope;
    ctx.db(move |c| {
        Deployment::find(c, scope, id)?
            .ok_or_else(|| gone(id))
            .map(|_| ())
    })
    .await?;
    Ok(Watch {
        deployment: id,
        operator: match scope {
            crate::db::models::scope::Scope::All => None,
            crate::db::models::scope::Scope::GroupsOf(user) => Some(user),
        },
    })
}

/// Has the relay send the watched deployment's live state to `to` (a browser or script socket) until
/// [`unwatch`]; `dropped` hears when the relay lets go (too slow, no longer allowed, deployment gone).
pub async fn watch(
    ctx: &AppContext,
    w: Watch,
    wanted: crate::relay::Wanted,
    to: actix::Recipient<crate::actors::relay::Push>,
    dropped: actix::Recipient<crate::actors::relay::Dropped>,
) -> Result<u64, ManagerError> {
    ctx.actors
        .relay
        .subscribe(crate::actors::relay::Subscribe {
            deployment: w.deployment,
            operator: w.operator,
            wanted,
            to,
            gone: dropped,
        })
        .await
}

/// Ends watcher `watcher` of deployment `id`.
pub fn unwatch(ctx: &AppContext, id: i64, watcher: u64) {
    ctx.actors.relay.unsubscribe(id, watcher);
}

/// Most packages the review step lists.
pub const REVIEW_PACKAGES: i64 = 500;

/// The Patch Deployment page's review: the hosts `host_ids`, `host_names` and `group_ids` name (all visible
/// to `who`, unknown names refused by name) and their pending updates aggregated by package.
pub async fn review(
    ctx: &AppContext,
    who: &Actor,
    host_ids: Vec<i64>,
    host_names: Vec<String>,
    group_ids: Vec<i64>,
) -> Result<(Vec<Host>, Vec<PendingPackage>), ManagerError> {
    let a = who.clone();
    ctx.db(move |c| {
        let mut ids = host_ids;
        if !host_names.is_empty() {
            let names: Vec<String> = host_names.iter().map(|n| n.trim().to_ascii_lowercase()).collect();
            let found = crate::db::models::deployment::host_ids_by_name(c, a.scope, &names)?;
            if let Some(missing) = names.iter().find(|n| !found.iter().any(|(_, f)| f == *n)) {
                return Err(ManagerError::NotFound(format!(
                    "no host named `{}`",
                    missing.chars().take(100).collect::<String>().escape_default()
                )));
            }
            ids.extend(found.into_iter().map(|(id, _)| id));
        }
        let r = DeploymentRequest {
            host_ids: ids,
            group_ids,
            operation: "apply_all".into(),
            ..DeploymentRequest::default()
        };
        let hosts = resolve(c, &a, &r)?;
        let ids: Vec<i64> = hosts.iter().map(|h| h.id).collect();
        let packages = pending::aggregate(c, &ids, REVIEW_PACKAGES)?;
        Ok((hosts, packages))
    })
    .await
}

/// The deployment targets of host `host_id` newest first (Host detail's job history), if `who` may see it.
pub async fn host_history(
    ctx: &AppContext,
    who: &Actor,
    host_id: i64,
    limit: i64,
) -> Result<Vec<(Target, Deployment)>, ManagerError> {
    let scope = who.scope;
    ctx.db(move |c| {
        if fleet_view::first_unseen(c, scope, &[host_id])?.is_some() {
            return Err(not_found(host_id));
        }
        Ok(Deployment::host_history(c, host_id, limit.clamp(1, MAX_PAGE))?)
    })
    .await
}

/// The newest `n` deployments with failed targets `who` may see (among the last
/// [`crate::db::models::deployment::FAILURE_LOOKBACK`]), for the Dashboard.
pub async fn recent_failures(ctx: &AppContext, who: &Actor, n: usize) -> Result<Vec<Summary>, ManagerError> {
    let scope = who.scope;
    let n = i64::try_from(n).unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    ctx.db(move |c| {
        Ok(Deployment::recent_with_failures(c, scope, n)?
            .into_iter()
            .map(|(d, counts)| summary(d, counts))
            .collect())
    })
    .await
}
