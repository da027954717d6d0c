//! Read queries behind the Dashboard, Hosts and Host detail pages (and their JSON twins), each one SQL
//! statement over `hosts` restricted by RBAC through [`visible`].

pub mod dashboard;
pub mod detail;
pub mod filter;
pub mod pending;

pub use dashboard::Dashboard;
pub use filter::{FilterQuery, GroupFilter, HostFilter};

use super::host::{visible, Host};
use crate::db::models::scope::Scope;
use crate::db::schema::{groups, host_groups, hosts, user_groups};
use diesel::dsl::{exists, not, sql};
use diesel::prelude::*;
use diesel::sql_types::{Array, Text};

/// The names of a host's groups, in the same statement (a correlated sub-select on `host_groups`).
const GROUP_NAMES: &str = "ARRAY(SELECT g.name FROM host_groups hg JOIN groups g ON g.id = hg.group_id \
     WHERE hg.host_id = hosts.id ORDER BY g.name)";

/// One row of the fleet table.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, serde::Serialize)]
pub struct FleetRow {
    /// The host.
    #[serde(flatten)]
    pub host: Host,
    /// Names of its groups.
    pub groups: Vec<String>,
}

/// The hosts `scope` may see that match `f`, by name, with their groups: one statement.
pub fn fleet(conn: &mut PgConnection, scope: Scope, f: &HostFilter) -> QueryResult<Vec<FleetRow>> {
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
    q.order(hosts::hostname.asc())
        .select((Host::as_select(), sql::<Array<Text>>(GROUP_NAMES)))
        .load::<(Host, Vec<String>)>(conn)
        .map(|rows| {
            rows.into_iter()
                .map(|(host, groups)| FleetRow { host, groups })
                .collect()
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
