//! The vulnerability exposure report's queries: CVEs of pending updates on the hosts in scope (severity,
//! hosts, first seen, fix available), sortable by severity or age with keyset pages; one CVE's hosts.

use super::{scope_sql, GroupSel};
use crate::db::models::scope::Scope;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz};

/// Severity as a number (4 critical .. 1 low, 0 unrated) for sorting.
const RANK: &str = "CASE lower(coalesce(p.severity, '')) WHEN 'critical' THEN 4 WHEN 'important' THEN 3 \
     WHEN 'high' THEN 3 WHEN 'moderate' THEN 2 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END";

/// Every (CVE, pending update) pair on hosts in scope, with its rank and first seen.
fn pairs(scope: Scope, group: Option<GroupSel>) -> String {
    format!(
        "SELECT c.cve, h.id AS host_id, h.hostname, p.name, p.architecture, p.installed_version, \
         p.candidate_version, p.severity, {RANK} AS rank, f.first_seen_at FROM host_patches p \
         JOIN hosts h ON h.id = p.host_id JOIN patch_first_seen f ON f.host_id = p.host_id AND f.name = p.name \
         AND f.architecture = p.architecture AND f.candidate_version = p.candidate_version \
         CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(p.cves) = 'array' THEN p.cves \
         ELSE '[]'::jsonb END) AS c(cve) WHERE {}",
        scope_sql("h", scope, group)
    )
}

/// One CVE.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize, schemars::JsonSchema)]
pub struct CveRow {
    /// `CVE-YYYY-N`.
    #[diesel(sql_type = Text)]
    pub cve: String,
    /// Highest severity rank among its updates (4 critical .. 0 unrated).
    #[diesel(sql_type = Integer)]
    pub rank: i32,
    /// Hosts exposed.
    #[diesel(sql_type = BigInt)]
    pub hosts: i64,
    /// Packages whose update fixes it.
    #[diesel(sql_type = Array<Text>)]
    pub packages: Vec<String>,
    /// When the manager first saw it pending on any host.
    #[diesel(sql_type = Timestamptz)]
    pub first_seen_at: DateTime<Utc>,
    /// Whether every exposed host has a candidate version (a fix) to install.
    #[diesel(sql_type = Bool)]
    pub fix_available: bool,
}

/// How the CVE list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Highest severity first, then oldest.
    Severity,
    /// Oldest first, then highest severity.
    Age,
}

/// Keyset of the CVE list: (rank, first seen, cve).
pub type CveKey = (i32, DateTime<Utc>, String);

/// Up to `limit` CVEs after `after` in `sort` order.
pub fn cves(
    conn: &mut PgConnection,
    scope: Scope,
    group: Option<GroupSel>,
    sort: Sort,
    after: Option<CveKey>,
    limit: i64,
) -> QueryResult<Vec<CveRow>> {
    let (order, keyset) = match sort {
        Sort::Severity => (
            "rank DESC, first_seen_at ASC, cve ASC",
            "(rank < $1 OR (rank = $1 AND (first_seen_at > $2 OR (first_seen_at = $2 AND cve > $3))))",
        ),
        Sort::Age => (
            "first_seen_at ASC, rank DESC, cve ASC",
            "(first_seen_at > $2 OR (first_seen_at = $2 AND (rank < $1 OR (rank = $1 AND cve > $3))))",
        ),
    };
    let has = after.is_some();
    let (r, t, c) = after.unwrap_or((0, DateTime::<Utc>::UNIX_EPOCH, String::new()));
    diesel::sql_query(format!(
        "SELECT * FROM (SELECT cve, MAX(rank)::int AS rank, COUNT(DISTINCT host_id) AS hosts, \
         ARRAY_AGG(DISTINCT name ORDER BY name) AS packages, MIN(first_seen_at) AS first_seen_at, \
         BOOL_AND(candidate_version <> '') AS fix_available FROM ({}) v GROUP BY cve) x \
         WHERE (NOT $4 OR {keyset}) ORDER BY {order} LIMIT $5",
        pairs(scope, group)
    ))
    .bind::<Integer, _>(r)
    .bind::<Timestamptz, _>(t)
    .bind::<Text, _>(c)
    .bind::<Bool, _>(has)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// CVEs by severity rank (4 critical .. 0 unrated), their total and the hosts exposed to any.
pub fn totals(
    conn: &mut PgConnection,
    scope: Scope,
    group: Option<GroupSel>,
) -> QueryResult<(Vec<(i32, i64)>, i64)> {
    #[derive(QueryableByName)]
    struct R {
        #[diesel(sql_type = Integer)]
        rank: i32,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    #[derive(QueryableByName)]
    struct H {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<R> = diesel::sql_query(format!(
        "SELECT rank, COUNT(*) AS n FROM (SELECT cve, MAX(rank)::int AS rank FROM ({}) v GROUP BY cve) x \
         GROUP BY rank ORDER BY rank DESC",
        pairs(scope, group)
    ))
    .load(conn)?;
    let hosts: H = diesel::sql_query(format!(
        "SELECT COUNT(DISTINCT host_id) AS n FROM ({}) v",
        pairs(scope, group)
    ))
    .get_result(conn)?;
    Ok((rows.into_iter().map(|r| (r.rank, r.n)).collect(), hosts.n))
}

/// One host exposed to a CVE.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize, schemars::JsonSchema)]
pub struct ExposedHost {
    /// Host id.
    #[diesel(sql_type = BigInt)]
    pub host_id: i64,
    /// Host name.
    #[diesel(sql_type = Text)]
    pub hostname: String,
    /// Package.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Architecture.
    #[diesel(sql_type = Text)]
    pub architecture: String,
    /// Installed version.
    #[diesel(sql_type = Nullable<Text>)]
    pub installed_version: Option<String>,
    /// The fix's version.
    #[diesel(sql_type = Text)]
    pub candidate_version: String,
    /// Severity as the agent reported it.
    #[diesel(sql_type = Nullable<Text>)]
    pub severity: Option<String>,
    /// First seen on this host.
    #[diesel(sql_type = Timestamptz)]
    pub first_seen_at: DateTime<Utc>,
}

/// Up to `limit` hosts (in scope) with `cve` pending after `(hostname, host id, package)`, by name.
pub fn hosts_of(
    conn: &mut PgConnection,
    scope: Scope,
    cve: &str,
    after: Option<(String, i64, String)>,
    limit: i64,
) -> QueryResult<Vec<ExposedHost>> {
    let has = after.is_some();
    let (n, i, p) = after.unwrap_or_default();
    diesel::sql_query(format!(
        "SELECT host_id, hostname, name, architecture, installed_version, candidate_version, severity, \
         first_seen_at FROM ({}) v WHERE cve = $1 AND (NOT $2 OR (hostname, host_id, name) > ($3, $4, $5)) \
         ORDER BY hostname, host_id, name LIMIT $6",
        pairs(scope, None)
    ))
    .bind::<Text, _>(cve)
    .bind::<Bool, _>(has)
    .bind::<Text, _>(n)
    .bind::<BigInt, _>(i)
    .bind::<Text, _>(p)
    .bind::<BigInt, _>(limit)
    .load(conn)
}
