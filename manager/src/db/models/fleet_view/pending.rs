//! The pending updates of a set of hosts aggregated by package (the Patch Deployment page's review step):
//! hosts affected, security, the worst severity and the CVEs, in one statement.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Jsonb, Nullable, Text};
use serde::Serialize;

/// One package pending on some of the hosts.
#[derive(Debug, Clone, PartialEq, QueryableByName, Serialize)]
pub struct PendingPackage {
    /// Package name.
    #[diesel(sql_type = Text)]
    pub name: String,
    /// Hosts it is pending on.
    #[diesel(sql_type = BigInt)]
    pub hosts: i64,
    /// A security update on at least one host.
    #[diesel(sql_type = Bool)]
    pub security: bool,
    /// The worst severity reported (`critical`, `important`, `moderate`, `low`), if any.
    #[diesel(sql_type = Nullable<Text>)]
    pub severity: Option<String>,
    /// CVE ids (at most 20).
    #[diesel(sql_type = Jsonb)]
    pub cves: serde_json::Value,
}

const SQL: &str = "
SELECT p.name, COUNT(DISTINCT p.host_id)::bigint AS hosts, bool_or(p.security) AS security,
  (ARRAY[NULL, 'low', 'moderate', 'important', 'critical'])[1 + max(CASE p.severity
     WHEN 'critical' THEN 4 WHEN 'important' THEN 3 WHEN 'moderate' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)] AS severity,
  COALESCE((SELECT jsonb_agg(c) FROM (SELECT DISTINCT c FROM host_patches p2, jsonb_array_elements_text(p2.cves) c
             WHERE p2.name = p.name AND p2.host_id = ANY($1) ORDER BY c LIMIT 20) x), '[]'::jsonb) AS cves
FROM host_patches p
WHERE p.host_id = ANY($1)
GROUP BY p.name
ORDER BY bool_or(p.security) DESC, COUNT(DISTINCT p.host_id) DESC, p.name
LIMIT $2";

/// The pending packages of `host_ids` (security first, then most hosts), at most `limit`.
pub fn aggregate(conn: &mut PgConnection, host_ids: &[i64], limit: i64) -> QueryResult<Vec<PendingPackage>> {
    diesel::sql_query(SQL)
        .bind::<Array<BigInt>, _>(host_ids)
        .bind::<BigInt, _>(limit)
        .load(conn)
}
