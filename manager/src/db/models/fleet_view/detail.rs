//! Host detail: pending patches, recent health attempts and the per-day health summary of one host (the
//! caller has already checked that its scope sees the host).

use crate::db::schema::{host_health, host_patches};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Int8, Timestamptz};
use serde::Serialize;

/// One pending update.
#[derive(Debug, Clone, PartialEq, Queryable, Serialize, schemars::JsonSchema)]
pub struct PatchRow {
    /// Package name.
    pub name: String,
    /// Architecture.
    pub architecture: String,
    /// Installed version (`None` for a new package).
    pub installed_version: Option<String>,
    /// Version the update installs.
    pub candidate_version: String,
    /// Where it comes from.
    pub repository: String,
    /// Whether it is a security update.
    pub security: bool,
    /// `critical`, `important`, `moderate`, `low` or none.
    pub severity: Option<String>,
    /// CVE ids (a JSON array of strings as stored).
    #[serde(skip)]
    pub cves_json: serde_json::Value,
    /// Where the security data came from.
    pub security_source: String,
}

impl PatchRow {
    /// The CVE ids.
    pub fn cves(&self) -> Vec<&str> {
        self.cves_json
            .as_array()
            .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default()
    }
}

/// A patch with its CVEs as a list (for JSON).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PatchJson<'a> {
    /// The row.
    #[serde(flatten)]
    pub patch: &'a PatchRow,
    /// CVE ids.
    pub cves: Vec<&'a str>,
}

/// One health attempt.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize, schemars::JsonSchema)]
pub struct HealthRow {
    /// When.
    pub checked_at: DateTime<Utc>,
    /// `healthy`, `degraded` or `unreachable`.
    pub state: String,
    /// Why ('' when healthy).
    pub reason: String,
    /// Round trip, when answered.
    pub latency_ms: Option<i32>,
}

/// Attempts of one UTC day by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName, Serialize, schemars::JsonSchema)]
pub struct HealthDay {
    /// The day (UTC).
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    /// Healthy attempts.
    #[diesel(sql_type = BigInt)]
    pub healthy: i64,
    /// Degraded attempts.
    #[diesel(sql_type = BigInt)]
    pub degraded: i64,
    /// Failed attempts.
    #[diesel(sql_type = BigInt)]
    pub unreachable: i64,
}

/// Severity order for listings: critical first, no severity last.
const SEVERITY_RANK: &str = "CASE host_patches.severity WHEN 'critical' THEN 0 WHEN 'important' THEN 1 \
     WHEN 'moderate' THEN 2 WHEN 'low' THEN 3 ELSE 4 END";

/// Pending updates of host `id`: security first, then by severity and name.
pub fn patches(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<PatchRow>> {
    host_patches::table
        .filter(host_patches::host_id.eq(id))
        .order((
            host_patches::security.desc(),
            diesel::dsl::sql::<diesel::sql_types::Integer>(SEVERITY_RANK).asc(),
            host_patches::name.asc(),
            host_patches::architecture.asc(),
        ))
        .select((
            host_patches::name,
            host_patches::architecture,
            host_patches::installed_version,
            host_patches::candidate_version,
            host_patches::repository,
            host_patches::security,
            host_patches::severity,
            host_patches::cves,
            host_patches::security_source,
        ))
        .load(conn)
}

/// The last `limit` health attempts of host `id`, newest first.
pub fn recent_health(conn: &mut PgConnection, id: i64, limit: i64) -> QueryResult<Vec<HealthRow>> {
    host_health::table
        .filter(host_health::host_id.eq(id))
        .order(host_health::checked_at.desc())
        .limit(limit)
        .select((
            host_health::checked_at,
            host_health::state,
            host_health::reason,
            host_health::latency_ms,
        ))
        .load(conn)
}

/// Attempts per UTC day of host `id` since `since`, oldest day first (days without attempts absent).
pub fn health_days(conn: &mut PgConnection, id: i64, since: DateTime<Utc>) -> QueryResult<Vec<HealthDay>> {
    diesel::sql_query(
        "SELECT (checked_at AT TIME ZONE 'UTC')::date AS day, \
         count(*) FILTER (WHERE state = 'healthy') AS healthy, \
         count(*) FILTER (WHERE state = 'degraded') AS degraded, \
         count(*) FILTER (WHERE state = 'unreachable') AS unreachable \
         FROM host_health WHERE host_id = $1 AND checked_at >= $2 GROUP BY 1 ORDER BY 1",
    )
    .bind::<Int8, _>(id)
    .bind::<Timestamptz, _>(since)
    .load(conn)
}
