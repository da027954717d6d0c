//! Registering and removing hosts, and their group memberships (admins), audited.

use super::{conflict, Actor};
use crate::ca::ConsoleNames;
use crate::db::models::host::validate_hostname;
use crate::db::models::{Group, Host};
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use std::net::Ipv4Addr;

/// Registers `hostname` at `ip` (an IPv4 address; when empty, `hostname` must be one or resolve to one),
/// its agent on `port`. The console's own names and addresses are refused, and so is an `(ip, port)` that
/// another host already has.
pub fn add(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    who: &Actor,
    reserved: &ConsoleNames,
    hostname: &str,
    ip: &str,
    port: u16,
) -> Result<Host, ManagerError> {
    if port == 0 {
        return Err(ManagerError::Invalid(
            "the agent port must be between 1 and 65535".into(),
        ));
    }
    let hostname = hostname.trim().to_ascii_lowercase();
    validate_hostname(&hostname).map_err(ManagerError::Invalid)?;
    let ip = resolve(&hostname, ip.trim())?;
    if let Some(why) = reserved.refusal(&hostname, &ip.to_string()) {
        return Err(ManagerError::Refused(why));
    }
    conn.transaction(|conn| {
        let host = Host::insert(conn, &hostname, &ip.to_string(), port, now)
            .map_err(conflict(format!("host `{hostname}` is already registered")))?;
        who.audit(
            conn,
            now,
            "host.add",
            &format!("host:{hostname}"),
            serde_json::json!({"host_id": host.id, "ip": host.ip, "port": port}),
        )?;
        Ok(host)
    })
}

/// The address of a new host: the one given, else the host name when it is an address, else what it
/// resolves to (first IPv4 address).
fn resolve(hostname: &str, ip: &str) -> Result<Ipv4Addr, ManagerError> {
    if !ip.is_empty() {
        return ip
            .parse()
            .map_err(|_| ManagerError::Invalid(format!("`{}` is not an IPv4 address", ip.escape_default())));
    }
    if let Ok(a) = hostname.parse::<Ipv4Addr>() {
        return Ok(a);
    }
    let addrs = std::net::ToSocketAddrs::to_socket_addrs(&(hostname, 0u16)).map_err(|e| {
        ManagerError::Invalid(format!("cannot resolve `{hostname}`: {e}; give its IP address"))
    })?;
    addrs
        .filter_map(|a| match a.ip() {
            std::net::IpAddr::V4(v4) => Some(v4),
            std::net::IpAddr::V6(_) => None,
        })
        .next()
        .ok_or_else(|| ManagerError::Invalid(format!("`{hostname}` has no IPv4 address; give one")))
}

/// Removes host `id` (if in scope), audited.
pub fn remove(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    who: &Actor,
    id: i64,
) -> Result<Host, ManagerError> {
    conn.transaction(|conn| {
        let host = Host::delete(conn, who.scope, id)?.ok_or_else(|| not_found(id))?;
        who.audit(
            conn,
            now,
            "host.remove",
            &format!("host:{}", host.hostname),
            serde_json::json!({"host_id": id, "ip": host.ip}),
        )?;
        Ok(host)
    })
}

/// Sets the groups of host `id` (administrators only).
pub fn set_groups(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    who: &Actor,
    id: i64,
    group_ids: &[i64],
) -> Result<(), ManagerError> {
    who.require_admin()?;
    conn.transaction(|conn| {
        let host = Host::find(conn, who.scope, id)?.ok_or_else(|| not_found(id))?;
        let known: Vec<i64> = Group::all(conn)?.into_iter().map(|g| g.id).collect();
        if let Some(bad) = group_ids.iter().find(|g| !known.contains(g)) {
            return Err(ManagerError::Invalid(format!("there is no group with id {bad}")));
        }
        let before: Vec<i64> = Host::groups(conn, id)?.into_iter().map(|(g, _)| g).collect();
        Host::set_groups(conn, id, group_ids)?;
        who.audit(
            conn,
            now,
            "host.groups",
            &format!("host:{}", host.hostname),
            serde_json::json!({"before": before, "after": group_ids}),
        )
    })
}

/// 404 for a host that does not exist or is outside the caller's groups (the two are indistinguishable).
pub fn not_found(id: i64) -> ManagerError {
    ManagerError::NotFound(format!("no host with id {id}"))
}
