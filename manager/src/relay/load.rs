//! What the relay reads from the database for one watched deployment: its summary, the target rows
//! written since the last look, which watching operators may still see it, and where the agents of the
//! jobs to follow live (address and the certificates pinned for them).

use super::{SummaryView, TargetView};
use crate::db::models::deployment::{visible_to, Deployment, Target};
use crate::db::models::Certificate;
use crate::db::schema::{deployment_targets as dt, hosts};
use crate::deploy::target::TargetState;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// One look at a watched deployment.
#[derive(Debug, Clone)]
pub struct Look {
    /// The summary (`None`: the deployment is gone).
    pub summary: Option<SummaryView>,
    /// Target rows written at or after the last look's newest row.
    pub rows: Vec<TargetView>,
    /// Where to read from next time.
    pub since: Option<DateTime<Utc>>,
    /// Watching operators (user ids) who may no longer see it.
    pub hidden_from: Vec<i64>,
}

/// Looks at deployment `id`: its summary, rows changed since `since`, and which of `operators` lost sight.
pub fn look(
    conn: &mut PgConnection,
    id: i64,
    since: Option<DateTime<Utc>>,
    operators: &[i64],
) -> QueryResult<Look> {
    let Some(dep) = Deployment::find(conn, crate::db::models::scope::Scope::All, id)? else {
        return Ok(Look {
            summary: None,
            rows: Vec::new(),
            since,
            hidden_from: operators.to_vec(),
        });
    };
    let counts = Deployment::counts(conn, id)?;
    let failed = counts
        .iter()
        .filter(|(s, _)| TargetState::parse(s).is_some_and(TargetState::is_failure))
        .map(|(_, n)| n)
        .sum();
    let summary = SummaryView {
        id,
        status: dep.status,
        total: counts.iter().map(|(_, n)| n).sum(),
        failed,
        counts: counts.into_iter().collect(),
    };
    let mut q = dt::table.filter(dt::deployment_id.eq(id)).into_boxed();
    if let Some(s) = since {
        q = q.filter(dt::updated_at.ge(s));
    }
    let rows: Vec<Target> = q.order(dt::id.asc()).select(Target::as_select()).load(conn)?;
    let next = super::next_since(since, &rows);
    let mut hidden_from = Vec::new();
    for user in operators {
        if !visible_to(conn, *user, &[id])?.contains(&id) {
            hidden_from.push(*user);
        }
    }
    Ok(Look {
        summary: Some(summary),
        rows: rows.iter().map(TargetView::from).collect(),
        since: next,
        hidden_from,
    })
}

/// Where to reach the agents of `host_ids` and the certificates pinned for each, at `now` (hosts whose
/// address does not parse are left out).
pub fn agents_of(
    conn: &mut PgConnection,
    host_ids: &[i64],
    now: DateTime<Utc>,
) -> QueryResult<HashMap<i64, (SocketAddr, Vec<String>)>> {
    let rows: Vec<(i64, String, i32)> = hosts::table
        .filter(hosts::id.eq_any(host_ids.to_vec()))
        .select((hosts::id, hosts::ip, hosts::port))
        .load(conn)?;
    let mut out: HashMap<i64, (SocketAddr, Vec<String>)> = rows
        .into_iter()
        .filter_map(|(id, ip, port)| {
            let ip: IpAddr = ip.parse().ok()?;
            let port = u16::try_from(port).ok()?;
            Some((id, (SocketAddr::new(ip, port), Vec::new())))
        })
        .collect();
    for (host, fp) in Certificate::agent_pins(conn, host_ids, now)? {
        if let Some((_, pins)) = out.get_mut(&host) {
            pins.push(fp);
        }
    }
    Ok(out)
}
