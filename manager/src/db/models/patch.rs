//! `host_patches`: the pending updates each agent last reported, replaced per host in batches.

use crate::db::models::poll_rows::PatchUpdate;
use crate::db::schema::host_patches;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Jsonb, Nullable, Text};

/// One pending update of a host.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = host_patches, check_for_backend(diesel::pg::Pg))]
pub struct HostPatch {
    /// Host.
    pub host_id: i64,
    /// Package name.
    pub name: String,
    /// Architecture.
    pub architecture: String,
    /// Installed version (None for a new package).
    pub installed_version: Option<String>,
    /// Version the update installs.
    pub candidate_version: String,
    /// Repository.
    pub repository: String,
    /// Security update.
    pub security: bool,
    /// Severity, where known.
    pub severity: Option<String>,
    /// CVE ids (JSON array of strings).
    pub cves: serde_json::Value,
    /// What decided `security`.
    pub security_source: String,
}

/// Rows of a batch as parallel arrays.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatchRows {
    /// Host ids.
    pub host_ids: Vec<i64>,
    /// Names.
    pub names: Vec<String>,
    /// Architectures.
    pub archs: Vec<String>,
    /// Installed versions.
    pub installed: Vec<Option<String>>,
    /// Candidates.
    pub candidates: Vec<String>,
    /// Repositories.
    pub repos: Vec<String>,
    /// Security flags.
    pub security: Vec<bool>,
    /// Severities.
    pub severities: Vec<Option<String>>,
    /// CVE arrays.
    pub cves: Vec<serde_json::Value>,
    /// Sources of the security data.
    pub sources: Vec<String>,
}

impl PatchRows {
    /// Every pending update of `updates` (callers pass one update per host).
    pub fn of(updates: &[PatchUpdate]) -> Self {
        let mut r = Self::default();
        for u in updates {
            for p in &u.patches {
                r.host_ids.push(u.host_id);
                r.names.push(p.name.clone());
                r.archs.push(p.architecture.clone());
                r.installed.push(p.installed_version.clone());
                r.candidates.push(p.candidate_version.clone());
                r.repos.push(p.repository.clone());
                r.security.push(p.security);
                r.severities.push(p.severity.clone());
                r.cves.push(serde_json::json!(p.cves));
                r.sources.push(p.security_source.clone());
            }
        }
        r
    }
}

/// The batched insert; rows of hosts removed meanwhile are skipped.
pub const INSERT_SQL: &str = "INSERT INTO host_patches (host_id, name, architecture, installed_version, \
     candidate_version, repository, security, severity, cves, security_source) \
     SELECT v.* FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
     $7::bool[], $8::text[], $9::jsonb[], $10::text[]) AS v(host_id, name, architecture, installed_version, \
     candidate_version, repository, security, severity, cves, security_source) \
     WHERE EXISTS (SELECT 1 FROM hosts WHERE hosts.id = v.host_id)";

impl HostPatch {
    /// Replaces the pending updates of every host in `updates` (one per host): one DELETE, one INSERT.
    pub fn replace(conn: &mut PgConnection, updates: &[PatchUpdate]) -> QueryResult<usize> {
        if updates.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = updates.iter().map(|u| u.host_id).collect();
        diesel::delete(host_patches::table.filter(host_patches::host_id.eq_any(&ids))).execute(conn)?;
        let r = PatchRows::of(updates);
        if r.host_ids.is_empty() {
            return Ok(0);
        }
        diesel::sql_query(INSERT_SQL)
            .bind::<Array<BigInt>, _>(&r.host_ids)
            .bind::<Array<Text>, _>(&r.names)
            .bind::<Array<Text>, _>(&r.archs)
            .bind::<Array<Nullable<Text>>, _>(&r.installed)
            .bind::<Array<Text>, _>(&r.candidates)
            .bind::<Array<Text>, _>(&r.repos)
            .bind::<Array<Bool>, _>(&r.security)
            .bind::<Array<Nullable<Text>>, _>(&r.severities)
            .bind::<Array<Jsonb>, _>(&r.cves)
            .bind::<Array<Text>, _>(&r.sources)
            .execute(conn)
    }

    /// The pending updates of host `host_id`, security first (callers check the host is in scope).
    pub fn of_host(conn: &mut PgConnection, host_id: i64) -> QueryResult<Vec<HostPatch>> {
        host_patches::table
            .filter(host_patches::host_id.eq(host_id))
            .order((
                host_patches::security.desc(),
                host_patches::name.asc(),
                host_patches::architecture.asc(),
            ))
            .select(HostPatch::as_select())
            .load(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::models::poll_rows::PatchRow;

    #[test]
    fn rows_flatten_every_host() {
        let row = |n: &str| PatchRow {
            name: n.into(),
            architecture: "all".into(),
            installed_version: Some("1".into()),
            candidate_version: "2".into(),
            repository: "main".into(),
            security: n == "s",
            severity: None,
            cves: vec!["CVE-1".into()],
            security_source: "origin".into(),
        };
        let upd = |id: i64, names: &[&str]| PatchUpdate {
            host_id: id,
            checked_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            kernel: String::new(),
            os: String::new(),
            machine_id: String::new(),
            backend: String::new(),
            reboot_required: "unknown",
            reboot_reason: String::new(),
            patches: names.iter().map(|n| row(n)).collect(),
        };
        let r = PatchRows::of(&[upd(1, &["a", "s"]), upd(2, &[]), upd(3, &["b"])]);
        assert_eq!(r.host_ids, [1, 1, 3]);
        assert_eq!(r.names, ["a", "s", "b"]);
        assert_eq!(r.security, [false, true, false]);
        assert_eq!(r.cves[0], serde_json::json!(["CVE-1"]));
        assert_eq!(r.sources.len(), 3);
        assert!(INSERT_SQL.contains("$10::text[]"));
    }
}
