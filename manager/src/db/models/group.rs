//! `groups`: static groups of users and hosts (the operators' RBAC scope).

use crate::db::schema::{groups, host_groups, hosts, user_groups, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Longest group name.
pub const MAX_NAME_LEN: usize = 64;

/// One row of `groups`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = groups, check_for_backend(diesel::pg::Pg))]
pub struct Group {
    /// Primary key.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A group with its member counts, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    /// The group.
    pub group: Group,
    /// Names of its users.
    pub users: Vec<String>,
    /// Names of its hosts.
    pub hosts: Vec<String>,
}

/// Checks a group name: 1-64 printable characters, no leading/trailing space, no control characters.
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("a group name cannot be empty".into());
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(format!("a group name has at most {MAX_NAME_LEN} characters"));
    }
    if name.trim() != name {
        return Err("a group name cannot start or end with a space".into());
    }
    if name.chars().any(char::is_control) {
        return Err("a group name cannot contain control characters".into());
    }
    Ok(())
}

impl Group {
    /// Every group, by name.
    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Group>> {
        groups::table
            .order(groups::name.asc())
            .select(Group::as_select())
            .load(conn)
    }

    /// The group with this id.
    pub fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Group>> {
        groups::table
            .find(id)
            .select(Group::as_select())
            .first(conn)
            .optional()
    }

    /// Inserts a group (a taken name fails with a unique violation).
    pub fn insert(conn: &mut PgConnection, name: &str, now: DateTime<Utc>) -> QueryResult<Group> {
        diesel::insert_into(groups::table)
            .values((groups::name.eq(name), groups::created_at.eq(now)))
            .returning(Group::as_returning())
            .get_result(conn)
    }

    /// Renames a group.
    pub fn rename(conn: &mut PgConnection, id: i64, name: &str) -> QueryResult<usize> {
        diesel::update(groups::table.find(id))
            .set(groups::name.eq(name))
            .execute(conn)
    }

    /// Deletes a group (memberships go with it).
    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
        diesel::delete(groups::table.find(id)).execute(conn)
    }

    /// Ids of the users and of the hosts in group `id`.
    pub fn member_ids(conn: &mut PgConnection, id: i64) -> QueryResult<(Vec<i64>, Vec<i64>)> {
        let users = user_groups::table
            .filter(user_groups::group_id.eq(id))
            .select(user_groups::user_id)
            .load(conn)?;
        let hosts = host_groups::table
            .filter(host_groups::group_id.eq(id))
            .select(host_groups::host_id)
            .load(conn)?;
        Ok((users, hosts))
    }

    /// Makes exactly these users and hosts the members of group `id` (an unknown id is a foreign-key
    /// violation).
    pub fn set_members(
        conn: &mut PgConnection,
        id: i64,
        user_ids: &[i64],
        host_ids: &[i64],
    ) -> QueryResult<()> {
        conn.transaction(|conn| {
            diesel::delete(user_groups::table.filter(user_groups::group_id.eq(id))).execute(conn)?;
            diesel::delete(host_groups::table.filter(host_groups::group_id.eq(id))).execute(conn)?;
            let users: Vec<_> = user_ids
                .iter()
                .map(|u| (user_groups::user_id.eq(*u), user_groups::group_id.eq(id)))
                .collect();
            diesel::insert_into(user_groups::table)
                .values(users)
                .on_conflict_do_nothing()
                .execute(conn)?;
            let hosts: Vec<_> = host_ids
                .iter()
                .map(|h| (host_groups::host_id.eq(*h), host_groups::group_id.eq(id)))
                .collect();
            diesel::insert_into(host_groups::table)
                .values(hosts)
                .on_conflict_do_nothing()
                .execute(conn)?;
            Ok(())
        })
    }

    /// Every group with the names of its users and hosts.
    pub fn summaries(conn: &mut PgConnection) -> QueryResult<Vec<GroupSummary>> {
        let all = Group::all(conn)?;
        let members: Vec<(i64, String)> = user_groups::table
            .inner_join(users::table)
            .order(users::username.asc())
            .select((user_groups::group_id, users::username))
            .load(conn)?;
        let host_members: Vec<(i64, String)> = host_groups::table
            .inner_join(hosts::table)
            .order(hosts::hostname.asc())
            .select((host_groups::group_id, hosts::hostname))
            .load(conn)?;
        Ok(all
            .into_iter()
            .map(|g| GroupSummary {
                users: members
                    .iter()
                    .filter(|(id, _)| *id == g.id)
                    .map(|(_, n)| n.clone())
                    .collect(),
                hosts: host_members
                    .iter()
                    .filter(|(id, _)| *id == g.id)
                    .map(|(_, n)| n.clone())
                    .collect(),
                group: g,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_checked() {
        assert!(validate_name("web servers").is_ok());
        assert!(validate_name("Prod-DB_01").is_ok());
        for bad in ["", "   ", " x", "x ", "a\nb", &"g".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }
}
