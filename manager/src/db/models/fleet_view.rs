//! Read queries behind the Dashboard, Hosts and Host detail pages (and their JSON twins), each one SQL
//! statement over `hosts` restricted by RBAC through [`visible`] (a Hosts page: its rows and their count).

pub mod dashboard;
pub mod detail;
pub mod filter;
pub mod page;
pub mod pending;

pub use dashboard::Dashboard;
pub use filter::{FilterQuery, GroupFilter, HostFilter};
pub use page::{Cursor, FleetPage, PageQuery, PageSpec};

use super::host::{visible, Boxed, Host};
use crate::db::models::scope::Scope;
use crate::db::schema::{groups, host_groups, hosts, user_groups};
use diesel::dsl::{exists, not, sql};
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use page::MAX_LIMIT;

/// The names of a host's groups, in the same statement (a correlated sub-select on `host_groups`).
const GROUP_NAMES: &str = "ARRAY(SELECT g.name FROM host_groups hg JOIN groups g ON g.id = hg.group_id \
     WHERE hg.host_id = hosts.id ORDER BY g.name)";

/// One row of the fleet table.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, serde::Serialize, schemars::JsonSchema)]
pub struct FleetRow {
    /// The host.
    #[serde(flatten)]
    pub host: Host,
    /// Names of its groups.
    pub groups: Vec<String>,
}

/// The hosts `scope` may see that match `f` (every filter a bound parameter), not yet sorted or limited.
fn matching<'a>(scope: Scope, f: &HostFilter) -> Boxed<'a> {
    let mut q = visible(scope);
    match f.group {
        None => {}
        Some(GroupFilter::Ungrouped) => {
            q = q.filter(not(exists(
                host_groups::table.filter(host_groups::host_id.eq(hosts::id)),
            )));
        }
        Some(GroupFilter::Id(g)) => {
            q = q.filter(
                hosts::id.eq_any(
                    host_groups::table
                        .filter(host_groups::group_id.eq(g))
                        .select(host_groups::host_id),
                ),
            );
        }
    }
    if let Some(s) = f.state {
        q = q.filter(hosts::state.eq(s));
    }
    if let Some(os) = &f.os {
        q = q.filter(hosts::os.eq(os.clone()));
    }
    match f.security {
        Some(true) => q = q.filter(hosts::pending_security.gt(0)),
        Some(false) => q = q.filter(hosts::pending_security.eq(0)),
        None => {}
    }
    if let Some(r) = f.reboot {
        q = q.filter(hosts::reboot_required.eq(r));
    }
    if let Some(p) = f.like_pattern() {
        q = q.filter(hosts::hostname.ilike(p.clone()).or(hosts::ip.ilike(p)));
    }
    q
}

/// One page of the hosts `scope` may see that match `f`, by name then id, with their groups (one
/// statement), and the count of all of them (one `COUNT`), read in one repeatable-read snapshot so the
/// two agree. The page starts after `page.after` (keyset, no `OFFSET`).
pub fn fleet_page(
    conn: &mut PgConnection,
    scope: Scope,
    f: &HostFilter,
    page: &PageSpec,
) -> QueryResult<FleetPage> {
    let limit = page.limit.clamp(1, MAX_LIMIT);
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(|conn| {
            let total: i64 = matching(scope, f).count().get_result(conn)?;
            let mut q = matching(scope, f);
            if let Some(c) = &page.after {
                // (hostname, id) > (c.hostname, c.id), written so the hostname index bounds the scan.
                q = q
                    .filter(hosts::hostname.ge(c.hostname.clone()))
                    .filter(hosts::hostname.gt(c.hostname.clone()).or(hosts::id.gt(c.id)));
            }
            let mut rows: Vec<FleetRow> = q
                .order((hosts::hostname.asc(), hosts::id.asc()))
                .limit(limit + 1)
                .select((Host::as_select(), sql::<Array<Text>>(GROUP_NAMES)))
                .load::<(Host, Vec<String>)>(conn)?
                .into_iter()
                .map(|(host, groups)| FleetRow { host, groups })
                .collect();
            let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
            rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            let next = more.then(|| rows.last().map(Cursor::after)).flatten();
            Ok(FleetPage { rows, total, next })
        })
}

/// The distinct OS strings of the hosts `scope` may see (for the OS filter), sorted.
pub fn os_values(conn: &mut PgConnection, scope: Scope) -> QueryResult<Vec<String>> {
    let mut v: Vec<String> = visible(scope)
        .filter(hosts::os.ne(""))
        .select(hosts::os)
        .distinct()
        .load(conn)?;
    v.sort();
    Ok(v)
}

/// The groups `scope` may filter by: every group for admins, an operator's own groups.
pub fn groups_in_scope(conn: &mut PgConnection, scope: Scope) -> QueryResult<Vec<(i64, String)>> {
    match scope {
        Scope::All => groups::table
            .order(groups::name.asc())
            .select((groups::id, groups::name))
            .load(conn),
        Scope::GroupsOf(user) => groups::table
            .inner_join(user_groups::table)
            .filter(user_groups::user_id.eq(user))
            .order(groups::name.asc())
            .select((groups::id, groups::name))
            .load(conn),
    }
}

/// Which of `ids` exist and `scope` may see (sorted, without duplicates).
pub fn visible_ids(conn: &mut PgConnection, scope: Scope, ids: &[i64]) -> QueryResult<Vec<i64>> {
    visible(scope)
        .filter(hosts::id.eq_any(ids.to_vec()))
        .order(hosts::id.asc())
        .select(hosts::id)
        .load(conn)
}

/// The first of `ids` that `scope` cannot see (or that does not exist), if any.
pub fn first_unseen(conn: &mut PgConnection, scope: Scope, ids: &[i64]) -> QueryResult<Option<i64>> {
    let seen = visible_ids(conn, scope, ids)?;
    Ok(ids.iter().copied().find(|id| seen.binary_search(id).is_err()))
}
