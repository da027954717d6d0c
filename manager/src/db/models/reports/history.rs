//! The patch history report's query: deployment targets (one host's run of a deployment) with operation,
//! packages, change set, outcome and who created it; by host or group and date range, newest first, keyset
//! on the target id.

use super::{scope_sql, GroupSel};
use crate::db::models::scope::Scope;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Jsonb, Nullable, Text, Timestamptz};

/// One target.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize, schemars::JsonSchema)]
pub struct HistoryRow {
    /// Target id.
    #[diesel(sql_type = BigInt)]
    pub target_id: i64,
    /// Deployment id.
    #[diesel(sql_type = BigInt)]
    pub deployment_id: i64,
    /// Host id (None once the host was removed).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub host_id: Option<i64>,
    /// Host name as recorded.
    #[diesel(sql_type = Text)]
    pub hostname: String,
    /// Operation.
    #[diesel(sql_type = Text)]
    pub operation: String,
    /// Packages asked for (JSON array).
    #[diesel(sql_type = Jsonb)]
    #[schemars(with = "Vec<String>")]
    pub packages: serde_json::Value,
    /// What changed on the host (the agent's change set).
    #[diesel(sql_type = Nullable<Jsonb>)]
    #[schemars(with = "Option<linux_patch_shared::api::jobs::ChangeSet>")]
    pub change_set: Option<serde_json::Value>,
    /// Outcome (target state).
    #[diesel(sql_type = Text)]
    pub state: String,
    /// Attempts made.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// Error, when it failed.
    #[diesel(sql_type = Text)]
    pub error: String,
    /// The agent's job id.
    #[diesel(sql_type = Nullable<Text>)]
    pub agent_job_id: Option<String>,
    /// Who created the deployment.
    #[diesel(sql_type = Text)]
    pub created_by: String,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// When the job ended.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub finished_at: Option<DateTime<Utc>>,
}

/// Up to `limit` targets of deployments created in `[from, until)` on hosts `scope` may see (in `group`,
/// or host `host`) with ids below `before`, newest first. An operator never sees a removed host's rows.
#[allow(clippy::too_many_arguments)]
pub fn rows(
    conn: &mut PgConnection,
    scope: Scope,
    group: Option<GroupSel>,
    host: Option<i64>,
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<HistoryRow>> {
    let visible = if scope == Scope::All && group.is_none() {
        "TRUE".to_owned()
    } else {
        format!("h.id IS NOT NULL AND {}", scope_sql("h", scope, group))
    };
    diesel::sql_query(format!(
        "SELECT t.id AS target_id, t.deployment_id, t.host_id, t.hostname, d.operation, d.packages, t.change_set, \
         t.state, t.attempts, t.error, t.agent_job_id, d.created_by, d.created_at, t.finished_at \
         FROM deployment_targets t JOIN deployments d ON d.id = t.deployment_id LEFT JOIN hosts h ON h.id = t.host_id \
         WHERE {visible} AND ($1::bigint IS NULL OR t.host_id = $1) AND ($2::timestamptz IS NULL OR d.created_at >= $2) \
         AND ($3::timestamptz IS NULL OR d.created_at < $3) AND ($4::bigint IS NULL OR t.id < $4) \
         ORDER BY t.id DESC LIMIT $5"
    ))
    .bind::<Nullable<BigInt>, _>(host)
    .bind::<Nullable<Timestamptz>, _>(from)
    .bind::<Nullable<Timestamptz>, _>(until)
    .bind::<Nullable<BigInt>, _>(before)
    .bind::<BigInt, _>(limit)
    .load(conn)
}
