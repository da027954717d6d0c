//! `maintenance_windows`: each host's windows (the spec as JSON, checked by `deploy::window` before it is
//! stored).

use crate::db::models::host::visible;
use crate::db::models::scope::Scope;
use crate::db::schema::{hosts, maintenance_windows as mw};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

/// One row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize)]
#[diesel(table_name = mw, check_for_backend(diesel::pg::Pg))]
pub struct MaintenanceWindow {
    /// Primary key.
    pub id: i64,
    /// The host.
    pub host_id: i64,
    /// A label (may be empty).
    pub name: String,
    /// `deploy::window::WindowSpec` as JSON.
    pub spec: serde_json::Value,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl MaintenanceWindow {
    /// Adds a window to each of `host_ids`; returns the rows.
    pub fn insert_many(
        conn: &mut PgConnection,
        host_ids: &[i64],
        name: &str,
        spec: &serde_json::Value,
        who: &str,
        now: DateTime<Utc>,
    ) -> QueryResult<Vec<MaintenanceWindow>> {
        let rows: Vec<_> = host_ids
            .iter()
            .map(|h| {
                (
                    mw::host_id.eq(*h),
                    mw::name.eq(name),
                    mw::spec.eq(spec),
                    mw::created_by.eq(who),
                    mw::created_at.eq(now),
                )
            })
            .collect();
        let mut out = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(5000) {
            out.extend(
                diesel::insert_into(mw::table)
                    .values(chunk)
                    .returning(MaintenanceWindow::as_returning())
                    .get_results(conn)?,
            );
        }
        Ok(out)
    }

    /// The windows of these hosts, by host then id.
    pub fn for_hosts(conn: &mut PgConnection, host_ids: &[i64]) -> QueryResult<Vec<MaintenanceWindow>> {
        mw::table
            .filter(mw::host_id.eq_any(host_ids.to_vec()))
            .order((mw::host_id.asc(), mw::id.asc()))
            .select(MaintenanceWindow::as_select())
            .load(conn)
    }

    /// Windows of the hosts `scope` may see with the host's name, id after `after` (keyset), at most `limit`.
    pub fn page(
        conn: &mut PgConnection,
        scope: Scope,
        after: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<(MaintenanceWindow, String)>> {
        let mut q = mw::table
            .inner_join(hosts::table)
            .filter(mw::host_id.eq_any(visible(scope).select(hosts::id)))
            .into_boxed();
        if let Some(a) = after {
            q = q.filter(mw::id.gt(a));
        }
        q.order(mw::id.asc())
            .limit(limit)
            .select((MaintenanceWindow::as_select(), hosts::hostname))
            .load(conn)
    }

    /// The distinct rules (specs) of the windows of the hosts `scope` may see (windows written for a whole
    /// group share one rule, so there are far fewer rules than windows).
    pub fn specs_in_scope(conn: &mut PgConnection, scope: Scope) -> QueryResult<Vec<serde_json::Value>> {
        mw::table
            .filter(mw::host_id.eq_any(visible(scope).select(hosts::id)))
            .select(mw::spec)
            .distinct()
            .load(conn)
    }

    /// `(host name, spec)` of the windows with one of `specs` on hosts `scope` may see, by host name, at most
    /// `limit`.
    pub fn hosts_with_specs(
        conn: &mut PgConnection,
        scope: Scope,
        specs: &[serde_json::Value],
        limit: i64,
    ) -> QueryResult<Vec<(String, serde_json::Value)>> {
        mw::table
            .inner_join(hosts::table)
            .filter(mw::host_id.eq_any(visible(scope).select(hosts::id)))
            .filter(mw::spec.eq_any(specs.to_vec()))
            .order((hosts::hostname.asc(), mw::id.asc()))
            .limit(limit)
            .select((hosts::hostname, mw::spec))
            .load(conn)
    }

    /// One window.
    pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<MaintenanceWindow>> {
        mw::table
            .find(id)
            .select(MaintenanceWindow::as_select())
            .first(conn)
            .optional()
    }

    /// Removes window `id`; whether it existed.
    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
        diesel::delete(mw::table.find(id)).execute(conn).map(|n| n == 1)
    }
}
