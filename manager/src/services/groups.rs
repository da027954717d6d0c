//! Static groups (admins only): create, rename, delete, members (users and hosts), audited.

use super::{conflict, Actor};
use crate::db::models::group::validate_name;
use crate::db::models::Group;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, PgConnection};

/// Creates a group.
pub fn create(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    who: &Actor,
    name: &str,
) -> Result<Group, ManagerError> {
    who.require_admin()?;
    let name = name.trim();
    validate_name(name).map_err(ManagerError::Invalid)?;
    conn.transaction(|conn| {
        let g = Group::insert(conn, name, now).map_err(conflict(format!("group `{name}` already exists")))?;
        who.audit(
            conn,
            now,
            "group.create",
            &format!("group:{name}"),
            serde_json::json!({"group_id": g.id}),
        )?;
        Ok(g)
    })
}

fn find(conn: &mut PgConnection, id: i64) -> Result<Group, ManagerError> {
    Group::by_id(conn, id)?.ok_or_else(|| ManagerError::NotFound(format!("no group with id {id}")))
}

/// Renames group `id`.
pub fn rename(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    who: &Actor,
    id: i64,
    name: &str,
) -> Result<(), ManagerError> {
    who.require_admin()?;
    let name = name.trim();
    validate_name(name).map_err(ManagerError::Invalid)?;
    conn.transaction(|conn| {
        let g = find(conn, id)?;
        Group::rename(conn, id, name).map_err(conflict(format!("group `{name}` already exists")))?;
        who.audit(
            conn,
            now,
            "group.rename",
            &format!("group:{name}"),
            serde_json::json!({"group_id": id, "before": g.name}),
        )
    })
}

/// Deletes group `id` (its hosts become ungrouped unless in other groups).
pub fn delete(conn: &mut PgConnection, now: DateTime<Utc>, who: &Actor, id: i64) -> Result<(), ManagerError> {
    who.require_admin()?;
    conn.transaction(|conn| {
        let g = find(conn, id)?;
        Group::delete(conn, id)?;
        who.audit(
            conn,
            now,
            "group.delete",
            &format!("group:{}", g.name),
            serde_json::json!({"group_id": id}),
        )
    })
}

/// Sets the members of group `id`: exactly these users and hosts (administrators reach every host).
pub fn set_members(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    who: &Actor,
    id: i64,
    user_ids: &[i64],
    host_ids: &[i64],
) -> Result<(), ManagerError> {
    who.require_admin()?;
    conn.transaction(|conn| {
        let g = find(conn, id)?;
        Group::set_members(conn, id, user_ids, host_ids).map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                ManagerError::Invalid("a listed user or host does not exist".into())
            }
            other => other.into(),
        })?;
        who.audit(
            conn,
            now,
            "group.members",
            &format!("group:{}", g.name),
            serde_json::json!({"group_id": id, "users": user_ids, "hosts": host_ids}),
        )
    })
}

/// Adds hosts to group `id` (hosts already in it stay; every host must be visible to `who`), audited;
/// returns how many memberships were added.
pub fn add_hosts(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    who: &Actor,
    id: i64,
    host_ids: &[i64],
) -> Result<usize, ManagerError> {
    use crate::db::schema::host_groups;
    use diesel::{ExpressionMethods, RunQueryDsl};
    who.require_admin()?;
    let mut ids = host_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(ManagerError::Invalid("select at least one host".into()));
    }
    conn.transaction(|conn| {
        let g = find(conn, id)?;
        if let Some(bad) = crate::db::models::fleet_view::first_unseen(conn, who.scope, &ids)? {
            return Err(super::hosts::not_found(bad));
        }
        let rows: Vec<_> = ids
            .iter()
            .map(|h| (host_groups::host_id.eq(*h), host_groups::group_id.eq(id)))
            .collect();
        let added = diesel::insert_into(host_groups::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)?;
        who.audit(
            conn,
            now,
            "group.add_hosts",
            &format!("group:{}", g.name),
            serde_json::json!({"group_id": id, "hosts": ids, "added": added}),
        )?;
        Ok(added)
    })
}
