//! The compliance report's queries: counts (scope, optional group), counts per group, the daily trend, the
//! hosts with their state (keyset on name, id) and PCI-DSS 6.3.3 ageing rows (keyset on first seen).

use super::{scope_sql, GroupSel, STATE_SQL};
use crate::db::models::scope::Scope;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Timestamptz};

/// Hosts by compliance state.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, QueryableByName, serde::Serialize, schemars::JsonSchema,
)]
pub struct Counts {
    /// No pending security update, no reboot required.
    #[diesel(sql_type = BigInt)]
    pub compliant: i64,
    /// The rest of the hosts with data.
    #[diesel(sql_type = BigInt)]
    pub noncompliant: i64,
    /// Hosts never successfully polled for patch data (counted apart).
    #[diesel(sql_type = BigInt)]
    pub nodata: i64,
}

const COUNTS: &str = "COUNT(*) FILTER (WHERE st = 'compliant') AS compliant, \
     COUNT(*) FILTER (WHERE st = 'noncompliant') AS noncompliant, COUNT(*) FILTER (WHERE st = 'nodata') AS nodata";

/// The counts of the hosts `scope` may see (in `group` when given).
pub fn counts(conn: &mut PgConnection, scope: Scope, group: Option<GroupSel>) -> QueryResult<Counts> {
    diesel::sql_query(format!(
        "SELECT {COUNTS} FROM (SELECT {STATE_SQL} AS st FROM hosts h WHERE {}) x",
        scope_sql("h", scope, group)
    ))
    .get_result(conn)
}

/// One group's counts.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize, schemars::JsonSchema)]
pub struct GroupCounts {
    /// Group id.
    #[diesel(sql_type = BigInt)]
    pub group_id: i64,
    /// Group name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Its hosts by state.
    #[diesel(embed)]
    #[serde(flatten)]
    pub counts: Counts,
}

/// Up to `limit` groups `scope` may see, by name after `after`, with their hosts' counts.
pub fn by_group(
    conn: &mut PgConnection,
    scope: Scope,
    after: Option<String>,
    limit: i64,
) -> QueryResult<Vec<GroupCounts>> {
    let mine = match scope {
        Scope::All => "TRUE".to_owned(),
        Scope::GroupsOf(u) => format!("g.id IN (SELECT group_id FROM user_groups WHERE user_id = {u})"),
    };
    diesel::sql_query(format!(
        "SELECT g.id AS group_id, g.name, {COUNTS} FROM groups g LEFT JOIN (SELECT hg.group_id, {STATE_SQL} AS st \
         FROM host_groups hg JOIN hosts h ON h.id = hg.host_id) x ON x.group_id = g.id \
         WHERE {mine} AND ($1::text IS NULL OR g.name > $1) GROUP BY g.id, g.name ORDER BY g.name LIMIT $2"
    ))
    .bind::<Nullable<Text>, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// One day of the trend.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize)]
pub struct TrendDay {
    /// The UTC day of the snapshot.
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    /// Hosts by state that day.
    #[diesel(embed)]
    #[serde(flatten)]
    pub counts: Counts,
}

/// The daily snapshots since `from` of the hosts `scope` may see (in `group`), by day. An administrator's
/// fleet trend keeps hosts removed since; any narrower scope is judged by today's hosts and groups.
pub fn trend(
    conn: &mut PgConnection,
    scope: Scope,
    group: Option<GroupSel>,
    from: NaiveDate,
) -> QueryResult<Vec<TrendDay>> {
    let src = if scope == Scope::All && group.is_none() {
        "compliance_snapshots s WHERE TRUE".to_owned()
    } else {
        format!(
            "compliance_snapshots s JOIN hosts h ON h.id = s.host_id WHERE {}",
            scope_sql("h", scope, group)
        )
    };
    diesel::sql_query(format!(
        "SELECT day, {COUNTS} FROM (SELECT s.day, s.state AS st FROM {src} AND s.day >= $1) x \
         GROUP BY day ORDER BY day"
    ))
    .bind::<Date, _>(from)
    .load(conn)
}

/// One host of the report.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize, schemars::JsonSchema)]
pub struct HostRow {
    /// Host id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Host name.
    #[diesel(sql_type = Text)]
    pub hostname: String,
    /// Address.
    #[diesel(sql_type = Text)]
    pub ip: String,
    /// Its groups' names.
    #[diesel(sql_type = Array<Text>)]
    pub groups: Vec<String>,
    /// `compliant`, `noncompliant` or `nodata`.
    #[diesel(sql_type = Text)]
    pub state: String,
    /// Pending security updates.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub pending_security: i32,
    /// `yes`, `no` or `unknown`.
    #[diesel(sql_type = Text)]
    pub reboot_required: String,
    /// Last successful patch fetch.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub patches_checked_at: Option<DateTime<Utc>>,
    /// First seen of its oldest pending critical security update.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub oldest_critical: Option<DateTime<Utc>>,
}

/// Up to `limit` hosts `scope` may see (in `group`, in `state` when given) after `(name, id)`, by name, id.
pub fn hosts(
    conn: &mut PgConnection,
    scope: Scope,
    group: Option<GroupSel>,
    state: Option<&'static str>,
    after: Option<(String, i64)>,
    limit: i64,
) -> QueryResult<Vec<HostRow>> {
    let (an, ai) = after.map_or((None, 0), |(n, i)| (Some(n), i));
    diesel::sql_query(format!(
        "SELECT * FROM (SELECT h.id, h.hostname, h.ip, ARRAY(SELECT g.name FROM host_groups hg JOIN groups g \
         ON g.id = hg.group_id WHERE hg.host_id = h.id ORDER BY g.name) AS groups, {STATE_SQL} AS state, \
         h.pending_security, h.reboot_required, h.patches_checked_at, (SELECT MIN(f.first_seen_at) FROM \
         host_patches p JOIN patch_first_seen f ON f.host_id = p.host_id AND f.name = p.name AND \
         f.architecture = p.architecture AND f.candidate_version = p.candidate_version WHERE p.host_id = h.id \
         AND p.security AND lower(p.severity) = 'critical') AS oldest_critical FROM hosts h WHERE {} \
         AND ($1::text IS NULL OR h.hostname > $1 OR (h.hostname = $1 AND h.id > $2)) \
         ORDER BY h.hostname, h.id) x WHERE ($3::text IS NULL OR x.state = $3) LIMIT $4",
        scope_sql("h", scope, group)
    ))
    .bind::<Nullable<Text>, _>(an)
    .bind::<BigInt, _>(ai)
    .bind::<Nullable<Text>, _>(state)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// One critical security update pending on a host.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize, schemars::JsonSchema)]
pub struct AgedRow {
    /// Host id.
    #[diesel(sql_type = BigInt)]
    pub host_id: i64,
    /// Host name.
    #[diesel(sql_type = Text)]
    pub hostname: String,
    /// Package.
    #[diesel(sql_type = Text)]
    pub package: String,
    /// Architecture.
    #[diesel(sql_type = Text)]
    pub architecture: String,
    /// Installed version.
    #[diesel(sql_type = Nullable<Text>)]
    pub installed_version: Option<String>,
    /// Candidate version.
    #[diesel(sql_type = Text)]
    pub candidate_version: String,
    /// CVE ids (JSON array).
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    #[schemars(with = "Vec<String>")]
    pub cves: serde_json::Value,
    /// When the manager first saw it.
    #[diesel(sql_type = Timestamptz)]
    pub first_seen_at: DateTime<Utc>,
}

/// Keyset of the ageing list: (first seen, host id, package, architecture).
pub type AgedKey = (DateTime<Utc>, i64, String, String);

const AGED_FROM: &str = "FROM host_patches p JOIN hosts h ON h.id = p.host_id JOIN patch_first_seen f ON \
     f.host_id = p.host_id AND f.name = p.name AND f.architecture = p.architecture AND \
     f.candidate_version = p.candidate_version WHERE p.security AND lower(p.severity) = 'critical' \
     AND f.first_seen_at < $1";

/// Critical security updates first seen before `cutoff` on hosts `scope` may see: how many in all.
pub fn aged_count(
    conn: &mut PgConnection,
    scope: Scope,
    group: Option<GroupSel>,
    cutoff: DateTime<Utc>,
) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = BigInt)]
        hosts: i64,
    }
    let r: N = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT h.id) AS hosts {AGED_FROM} AND {}",
        scope_sql("h", scope, group)
    ))
    .bind::<Timestamptz, _>(cutoff)
    .get_result(conn)?;
    Ok((r.n, r.hosts))
}

/// Up to `limit` of them after `after`, oldest first.
pub fn aged(
    conn: &mut PgConnection,
    scope: Scope,
    group: Option<GroupSel>,
    cutoff: DateTime<Utc>,
    after: Option<AgedKey>,
    limit: i64,
) -> QueryResult<Vec<AgedRow>> {
    let keyset = if after.is_some() {
        "AND (f.first_seen_at, h.id, p.name, p.architecture) > ($2, $3, $4, $5)"
    } else {
        "AND $2::timestamptz IS NOT NULL AND $3::bigint IS NOT NULL AND $4::text IS NOT NULL AND $5::text IS NOT NULL"
    };
    let (t, i, n, a) = after.unwrap_or((cutoff, 0, String::new(), String::new()));
    diesel::sql_query(format!(
        "SELECT h.id AS host_id, h.hostname, p.name AS package, p.architecture, p.installed_version, \
         p.candidate_version, p.cves, f.first_seen_at {AGED_FROM} AND {} {keyset} \
         ORDER BY f.first_seen_at, h.id, p.name, p.architecture LIMIT $6",
        scope_sql("h", scope, group)
    ))
    .bind::<Timestamptz, _>(cutoff)
    .bind::<Timestamptz, _>(t)
    .bind::<BigInt, _>(i)
    .bind::<Text, _>(n)
    .bind::<Text, _>(a)
    .bind::<BigInt, _>(limit)
    .load(conn)
}
