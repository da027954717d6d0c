//! Maintenance windows as the console and the API use them: list a host's windows with their next
//! openings, add one to a host or to every host of a group (per-host rows), remove one — RBAC-scoped and
//! audited — and, for deployments, each host's next dispatchable opening.

use super::hosts::not_found;
use crate::app::AppContext;
use crate::audit::Actor;
use crate::db::models::fleet_view;
use crate::db::models::window::MaintenanceWindow;
use crate::db::models::Group;
use crate::deploy::window::{host_openings_after, Opening, Window, WindowSpec};
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use std::collections::HashMap;

/// Openings shown per window.
pub const SHOWN_OPENINGS: usize = 5;

/// A stored window with its next openings.
#[derive(Debug, Clone)]
pub struct WindowView {
    /// The row.
    pub row: MaintenanceWindow,
    /// Its checked form.
    pub window: Window,
    /// The next [`SHOWN_OPENINGS`] openings.
    pub next: Vec<Opening>,
}

fn checked(spec: &WindowSpec) -> Result<(Window, serde_json::Value), ManagerError> {
    let w = spec
        .validate(crate::deploy::local_zone::manager_time_zone())
        .map_err(|e| ManagerError::Invalid(format!("invalid maintenance window: {e}")))?;
    let json = serde_json::to_value(w.to_spec()).map_err(|e| ManagerError::Internal(e.to_string()))?;
    Ok((w, json))
}

/// A stored spec as a window (`None`: unreadable, which no write path stores).
fn stored(spec: &serde_json::Value) -> Option<Window> {
    let spec: WindowSpec = serde_json::from_value(spec.clone()).ok()?;
    spec.validate_stored().ok()
}

fn view(row: MaintenanceWindow, now: DateTime<Utc>) -> Option<WindowView> {
    let window = stored(&row.spec)?;
    let next = crate::deploy::window::openings_after(&window, now, SHOWN_OPENINGS);
    Some(WindowView { row, window, next })
}

/// The windows of host `host_id` (404 when `who` may not see it).
pub async fn for_host(ctx: &AppContext, who: &Actor, host_id: i64) -> Result<Vec<WindowView>, ManagerError> {
    let scope = who.scope;
    let now = ctx.now();
    ctx.db(move |c| {
        if fleet_view::first_unseen(c, scope, &[host_id])?.is_some() {
            return Err(not_found(host_id));
        }
        Ok(MaintenanceWindow::for_hosts(c, &[host_id])?
            .into_iter()
            .filter_map(|r| view(r, now))
            .collect())
    })
    .await
}

/// Windows of the hosts `who` may see, after window `after`, at most `limit` (the Maintenance Windows page).
pub async fn page(
    ctx: &AppContext,
    who: &Actor,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<(String, WindowView)>, ManagerError> {
    let scope = who.scope;
    let now = ctx.now();
    ctx.db(move |c| {
        Ok(MaintenanceWindow::page(c, scope, after, limit.clamp(1, 1000))?
            .into_iter()
            .filter_map(|(row, name)| view(row, now).map(|v| (name, v)))
            .collect())
    })
    .await
}

/// Adds `spec` as a window of each of `host_ids` and of every host of `group_id` (all must be visible to
/// `who`); audited `window.create`. Returns the rows.
pub async fn create(
    ctx: &AppContext,
    who: &Actor,
    host_ids: Vec<i64>,
    group_id: Option<i64>,
    name: String,
    spec: WindowSpec,
) -> Result<Vec<MaintenanceWindow>, ManagerError> {
    let (_, json) = checked(&spec)?;
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ManagerError::Invalid(
            "a window's name has at most 100 characters and no control characters".into(),
        ));
    }
    let a = who.clone();
    let now = ctx.now();
    ctx.db(move |c| {
        let mut hosts = host_ids;
        if let Some(g) = group_id {
            if !fleet_view::groups_in_scope(c, a.scope)?
                .iter()
                .any(|(id, _)| *id == g)
            {
                return Err(ManagerError::NotFound(format!("no group #{g}")));
            }
            let (_, members) = Group::member_ids(c, g)?;
            hosts.extend(fleet_view::visible_ids(c, a.scope, &members)?);
        }
        hosts.sort_unstable();
        hosts.dedup();
        if hosts.is_empty() {
            return Err(ManagerError::Invalid("name a host or a group with hosts".into()));
        }
        if let Some(bad) = fleet_view::first_unseen(c, a.scope, &hosts)? {
            return Err(not_found(bad));
        }
        c.transaction(|c| {
            let rows = MaintenanceWindow::insert_many(c, &hosts, &name, &json, &a.name, now)?;
            a.audit(
                c,
                now,
                "window.create",
                &format!("hosts:{}", hosts.len()),
                serde_json::json!({"host_ids": hosts, "group_id": group_id, "name": name, "spec": json}),
            )?;
            Ok(rows)
        })
    })
    .await
}

/// Removes window `id` (its host must be visible to `who`); audited `window.delete`.
pub async fn delete(ctx: &AppContext, who: &Actor, id: i64) -> Result<MaintenanceWindow, ManagerError> {
    let a = who.clone();
    let now = ctx.now();
    ctx.db(move |c| {
        let gone = || ManagerError::NotFound(format!("no maintenance window #{id}"));
        let row = MaintenanceWindow::find(c, id)?.ok_or_else(gone)?;
        if fleet_view::first_unseen(c, a.scope, &[row.host_id])?.is_some() {
            return Err(gone());
        }
        c.transaction(|c| {
            MaintenanceWindow::delete(c, id)?;
            a.audit(
                c,
                now,
                "window.delete",
                &format!("host:{}", row.host_id),
                serde_json::json!({"window": id, "host_id": row.host_id, "spec": row.spec}),
            )?;
            Ok(row)
        })
    })
    .await
}

/// When a host's job may next start, and until when (its opening's cut-off).
pub type NextDispatch = (DateTime<Utc>, DateTime<Utc>);

/// For each of `host_ids` that has a window: when a job may next start on it and until when (the
/// opening's cut-off). Hosts without a usable window are absent.
pub fn next_dispatch(
    conn: &mut PgConnection,
    host_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, NextDispatch>, ManagerError> {
    let mut by_host: HashMap<i64, Vec<Window>> = HashMap::new();
    for row in MaintenanceWindow::for_hosts(conn, host_ids)? {
        let parsed = serde_json::from_value::<WindowSpec>(row.spec.clone())
            .ok()
            .and_then(|s| s.validate_stored().ok());
        if let Some(w) = parsed {
            by_host.entry(row.host_id).or_default().push(w);
        }
    }
    Ok(by_host
        .into_iter()
        .filter_map(|(host, ws)| {
            host_openings_after(&ws, now, 4)
                .into_iter()
                .map(|(_, o)| o)
                .find(|o| o.dispatch_until > now.max(o.start))
                .map(|o| (host, (now.max(o.start), o.dispatch_until)))
        })
        .collect())
}

/// The next `n` openings over every window of the hosts `who` may see, soonest first (then by host name), each
/// with its host and zone. Each distinct rule's next opening is computed once; hosts are read only for the
/// rules that open first.
pub async fn upcoming(
    ctx: &AppContext,
    who: &Actor,
    n: usize,
) -> Result<Vec<(String, Opening, chrono_tz::Tz)>, ManagerError> {
    let scope = who.scope;
    let now = ctx.now();
    ctx.db(move |c| {
        let mut rules: Vec<(Opening, chrono_tz::Tz, serde_json::Value)> =
            MaintenanceWindow::specs_in_scope(c, scope)?
                .into_iter()
                .filter_map(|spec| {
                    let w = stored(&spec)?;
                    let first = *crate::deploy::window::openings_after(&w, now, 1).first()?;
                    Some((first, w.zone(), spec))
                })
                .collect();
        rules.sort_by_key(|(o, _, _)| o.start);
        let mut out = Vec::with_capacity(n);
        // Rules opening at the same moment together, so their hosts come by name.
        for same in rules.chunk_by(|a, b| a.0.start == b.0.start) {
            let left = n.saturating_sub(out.len());
            if left == 0 {
                break;
            }
            let specs: Vec<serde_json::Value> = same.iter().map(|r| r.2.clone()).collect();
            let limit = i64::try_from(left).unwrap_or(i64::MAX);
            for (host, spec) in MaintenanceWindow::hosts_with_specs(c, scope, &specs, limit)? {
                if let Some((o, z, _)) = same.iter().find(|r| r.2 == spec) {
                    out.push((host, *o, *z));
                }
            }
        }
        Ok(out)
    })
    .await
}
