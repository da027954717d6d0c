//! `hosts` and `host_groups`: managed hosts, every query scoped by RBAC (operators see ungrouped hosts and
//! hosts in their groups; nothing else exists for them).

use crate::db::models::scope::Scope;
use crate::db::schema::{groups, host_groups, hosts, user_groups};
use chrono::{DateTime, Utc};
use diesel::dsl::{exists, not};
use diesel::pg::Pg;
use diesel::prelude::*;

/// One row of `hosts`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize, schemars::JsonSchema)]
#[diesel(table_name = hosts, check_for_backend(diesel::pg::Pg))]
pub struct Host {
    /// Primary key.
    pub id: i64,
    /// Unique host name (FQDN) or the address when registered by IP.
    pub hostname: String,
    /// IPv4 address.
    pub ip: String,
    /// Operating system, as the agent reports it.
    pub os: String,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// The agent's port (12443 unless registered otherwise).
    pub port: i32,
    /// `/etc/machine-id` as the agent reported it at enrolment or in system info ('' = not known).
    pub machine_id: String,
    /// Running kernel, from the agent's system info.
    pub kernel: String,
    /// Agent version, from its health answer.
    pub agent_version: String,
    /// Package backend the agent uses (`apt`, `dnf`, ..., `simulated`).
    pub backend: String,
    /// `unknown` (never polled), `healthy`, `degraded` (yellow) or `unreachable` (red).
    pub state: String,
    /// Why the host is in that state, in words ('' when healthy).
    pub state_reason: String,
    /// Last successful contact.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Last health attempt.
    pub health_checked_at: Option<DateTime<Utc>>,
    /// Last successful patch-data fetch.
    pub patches_checked_at: Option<DateTime<Utc>>,
    /// Consecutive failed attempts.
    pub failures: i32,
    /// Backoff: no attempt before this.
    pub retry_at: Option<DateTime<Utc>>,
    /// Pending updates last reported.
    pub pending_total: i32,
    /// Pending security updates last reported.
    pub pending_security: i32,
    /// `yes`, `no` or `unknown`.
    pub reboot_required: String,
    /// Why a reboot is (or may be) required.
    pub reboot_reason: String,
}

/// A boxed query on `hosts`.
pub(crate) type Boxed<'a> = hosts::BoxedQuery<'a, Pg>;

/// `hosts` restricted to what `scope` may see.
pub(crate) fn visible<'a>(scope: Scope) -> Boxed<'a> {
    let q = hosts::table.into_boxed();
    match scope {
        Scope::All => q,
        Scope::GroupsOf(user_id) => {
            let ungrouped = not(exists(
                host_groups::table.filter(host_groups::host_id.eq(hosts::id)),
            ));
            let mine = user_groups::table
                .filter(user_groups::user_id.eq(user_id))
                .select(user_groups::group_id);
            let shared = hosts::id.eq_any(
                host_groups::table
                    .filter(host_groups::group_id.eq_any(mine))
                    .select(host_groups::host_id),
            );
            q.filter(ungrouped.or(shared))
        }
    }
}

impl Host {
    /// The hosts `scope` may see, by name.
    pub fn list(conn: &mut PgConnection, scope: Scope) -> QueryResult<Vec<Host>> {
        visible(scope)
            .order(hosts::hostname.asc())
            .select(Host::as_select())
            .load(conn)
    }

    /// The host `id` if `scope` may see it (`None` both when it does not exist and when it is out of scope).
    pub fn find(conn: &mut PgConnection, scope: Scope, id: i64) -> QueryResult<Option<Host>> {
        visible(scope)
            .filter(hosts::id.eq(id))
            .select(Host::as_select())
            .first(conn)
            .optional()
    }

    /// Registers a host whose agent listens on `port` (a taken name fails with a unique violation).
    pub fn insert(
        conn: &mut PgConnection,
        hostname: &str,
        ip: &str,
        port: u16,
        now: DateTime<Utc>,
    ) -> QueryResult<Host> {
        diesel::insert_into(hosts::table)
            .values((
                hosts::hostname.eq(hostname),
                hosts::ip.eq(ip),
                hosts::port.eq(i32::from(port)),
                hosts::created_at.eq(now),
            ))
            .returning(Host::as_returning())
            .get_result(conn)
    }

    /// Removes host `id` if `scope` may see it, in one statement; returns the removed row.
    pub fn delete(conn: &mut PgConnection, scope: Scope, id: i64) -> QueryResult<Option<Host>> {
        let reachable = visible(scope).filter(hosts::id.eq(id)).select(hosts::id);
        diesel::delete(hosts::table.filter(hosts::id.eq_any(reachable)))
            .returning(Host::as_returning())
            .get_result(conn)
            .optional()
    }

    /// Ids and names of the groups of host `id`.
    pub fn groups(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<(i64, String)>> {
        host_groups::table
            .inner_join(groups::table)
            .filter(host_groups::host_id.eq(id))
            .order(groups::name.asc())
            .select((groups::id, groups::name))
            .load(conn)
    }

    /// Replaces the groups of host `id`.
    pub fn set_groups(conn: &mut PgConnection, id: i64, group_ids: &[i64]) -> QueryResult<()> {
        conn.transaction(|conn| {
            diesel::delete(host_groups::table.filter(host_groups::host_id.eq(id))).execute(conn)?;
            let rows: Vec<_> = group_ids
                .iter()
                .map(|g| (host_groups::host_id.eq(id), host_groups::group_id.eq(*g)))
                .collect();
            diesel::insert_into(host_groups::table)
                .values(rows)
                .on_conflict_do_nothing()
                .execute(conn)?;
            Ok(())
        })
    }
}

/// Checks a host name as typed by an admin: an FQDN or IPv4 address, letters, digits, `-` and `.`.
pub fn validate_hostname(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 253 {
        return Err("a host name has 1 to 253 characters".into());
    }
    for label in name.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(format!(
                "`{}` is not a valid host name (letters, digits and `-` in dot-separated labels)",
                name.escape_default()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_checked() {
        for ok in ["web-01.example.lan", "10.0.0.5", "db"] {
            assert!(validate_hostname(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-x",
            "a..b",
            "a b",
            "x;rm -rf",
            "a/b",
            "exa_mple.org",
            &"a".repeat(64),
        ] {
            assert!(validate_hostname(bad).is_err(), "{bad}");
        }
    }
}
