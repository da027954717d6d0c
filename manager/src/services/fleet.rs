//! The fleet as the console and the API read and act on it: host lists by filter (keyset pages), one host's detail,
//! installed packages asked of the agent live, and the bulk actions (refresh now through the poller, add to
//! a group). Scoped by RBAC; actions audited.

use crate::actors::poller::Refresh;
use crate::app::AppContext;
use crate::audit::Actor;
use crate::db::models::fleet_view::detail::{self, HealthDay, HealthRow, PatchRow};
use crate::db::models::fleet_view::{
    self, Dashboard, FilterQuery, FleetPage, HostFilter, PageQuery, PageSpec,
};
use crate::db::models::{Group, Host};
use crate::error::ManagerError;
use chrono::Duration;
use linux_patch_shared::api::agent::Package;
use std::net::{IpAddr, SocketAddr};

/// Health attempts listed on a host's page.
pub const RECENT: i64 = 20;
/// Days of health history on a host's page.
pub const DAYS: i64 = 30;

/// Checks the filters and, when a group is named, that `who` may see it.
pub async fn checked_filter(
    ctx: &AppContext,
    who: &Actor,
    q: &FilterQuery,
) -> Result<HostFilter, ManagerError> {
    let f = q.parse().map_err(ManagerError::Invalid)?;
    if let Some(fleet_view::GroupFilter::Id(g)) = f.group {
        let scope = who.scope;
        let known = ctx
            .db(move |c| Ok(fleet_view::groups_in_scope(c, scope)?))
            .await?;
        if !known.iter().any(|(id, _)| *id == g) {
            return Err(ManagerError::Invalid(format!("there is no group with id {g}")));
        }
    }
    Ok(f)
}

/// Checks `?after=&limit=` (`default_limit` when no limit is given).
pub fn checked_page(q: &PageQuery, default_limit: i64) -> Result<PageSpec, ManagerError> {
    q.parse(default_limit).map_err(ManagerError::Invalid)
}

/// One page of the fleet rows of `who` matching `f` (keyset on name then id) and how many match in all.
pub async fn page(
    ctx: &AppContext,
    who: &Actor,
    f: HostFilter,
    page: PageSpec,
) -> Result<FleetPage, ManagerError> {
    let scope = who.scope;
    ctx.db(move |c| Ok(fleet_view::fleet_page(c, scope, &f, &page)?))
        .await
}

/// Everything the detail page and `GET /api/v1/hosts/{id}` show.
#[derive(Debug, Clone)]
pub struct HostDetail {
    /// The host.
    pub host: Host,
    /// Its groups.
    pub groups: Vec<(i64, String)>,
    /// Every group with membership (administrators' editor; empty for operators).
    pub all_groups: Vec<(i64, String, bool)>,
    /// Pending updates.
    pub patches: Vec<PatchRow>,
    /// The last [`RECENT`] attempts, newest first.
    pub recent: Vec<HealthRow>,
    /// Attempts per day over the last [`DAYS`] days.
    pub days: Vec<HealthDay>,
}

/// Loads host `id` if `who` may see it (404 otherwise), in one blocking call.
pub async fn load(ctx: &AppContext, who: &Actor, id: i64) -> Result<HostDetail, ManagerError> {
    let scope = who.scope;
    let since = ctx.now() - Duration::days(DAYS);
    ctx.db(move |c| {
        let host = Host::find(c, scope, id)?.ok_or_else(|| super::hosts::not_found(id))?;
        let groups = Host::groups(c, id)?;
        let all_groups = if scope.is_admin() {
            Group::all(c)?
                .into_iter()
                .map(|g| {
                    let member = groups.iter().any(|(m, _)| *m == g.id);
                    (g.id, g.name, member)
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(HostDetail {
            host,
            groups,
            all_groups,
            patches: detail::patches(c, id)?,
            recent: detail::recent_health(c, id, RECENT)?,
            days: detail::health_days(c, id, since)?,
        })
    })
    .await
}

/// The installed packages of `host`, asked of its agent now; the reason in words when that fails.
pub async fn fetch_packages(ctx: &AppContext, host: &Host) -> Result<Vec<Package>, String> {
    let (id, now) = (host.id, ctx.now());
    let pins: Vec<String> = ctx
        .db(move |c| Ok(crate::db::models::Certificate::agent_pins(c, &[id], now)?))
        .await
        .map_err(|e| format!("cannot read the host's certificates: {e}"))?
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    let client = ctx.agents.client_pinned(&pins).map_err(|_| {
        "the manager has no client certificate for agents yet, so it cannot ask the agent".to_owned()
    })?;
    let ip: IpAddr = host
        .ip
        .parse()
        .map_err(|_| format!("`{}` is not an IP address", host.ip.escape_default()))?;
    let port = u16::try_from(host.port).map_err(|_| format!("port {} is out of range", host.port))?;
    client
        .packages(SocketAddr::new(ip, port))
        .await
        .map_err(|e| format!("the agent did not answer: {e}"))
}

/// Most hosts one bulk request may name.
pub const MAX_SELECTION: usize = 10_000;

/// The selection, sorted and without duplicates; refused when empty or too large.
pub fn selection(ids: &[i64]) -> Result<Vec<i64>, ManagerError> {
    if ids.is_empty() {
        return Err(ManagerError::Invalid("select at least one host".into()));
    }
    if ids.len() > MAX_SELECTION {
        return Err(ManagerError::Invalid(format!(
            "select at most {MAX_SELECTION} hosts at once"
        )));
    }
    let mut v = ids.to_vec();
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// Queues an immediate refresh (health, system info, patches) of `ids`; every host must be visible to
/// `who`. Returns how many the poller queued.
pub async fn refresh(ctx: &AppContext, who: &Actor, ids: &[i64]) -> Result<usize, ManagerError> {
    let ids = selection(ids)?;
    let scope = who.scope;
    let check = ids.clone();
    ctx.db(move |c| match fleet_view::first_unseen(c, scope, &check)? {
        Some(bad) => Err(super::hosts::not_found(bad)),
        None => Ok(()),
    })
    .await?;
    let queued = ctx.actors.poller.refresh(ids.clone(), Refresh::All).await?;
    let a = who.clone();
    let now = ctx.now();
    ctx.db(move |c| {
        a.audit(
            c,
            now,
            "host.refresh",
            &format!("hosts:{}", ids.len()),
            serde_json::json!({"host_ids": ids, "queued": queued}),
        )
    })
    .await?;
    Ok(queued)
}

/// Adds `ids` to group `group` (administrators); returns how many memberships were added.
pub async fn add_to_group(
    ctx: &AppContext,
    who: &Actor,
    group: i64,
    ids: &[i64],
) -> Result<usize, ManagerError> {
    let ids = selection(ids)?;
    let a = who.clone();
    let now = ctx.now();
    ctx.db(move |c| super::groups::add_hosts(c, now, &a, group, &ids))
        .await
}

/// The Dashboard numbers of `who`'s scope.
pub async fn dashboard(ctx: &AppContext, who: &Actor) -> Result<Dashboard, ManagerError> {
    let scope = who.scope;
    ctx.db(move |c| Ok(Dashboard::load(c, scope)?)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_are_bounded_and_deduplicated() {
        assert!(selection(&[]).is_err());
        assert_eq!(selection(&[3, 1, 3, 2]).unwrap(), vec![1, 2, 3]);
        let too_many: Vec<i64> = (0..=MAX_SELECTION as i64).collect();
        assert!(selection(&too_many).is_err());
    }
}
