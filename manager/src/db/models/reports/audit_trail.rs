//! The audit trail report's query: rows filtered by user, action, host and date range (every filter a
//! bound parameter), newest first, keyset on id.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz};

/// The filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct TrailFilter {
    /// Actor, exactly.
    pub user: Option<String>,
    /// Action, by prefix (`deployment.` or `host.remove`).
    pub action: Option<String>,
    /// A host name or id contained in the target or details.
    pub host: Option<String>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub until: Option<DateTime<Utc>>,
}

/// One row.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize, schemars::JsonSchema)]
pub struct TrailRow {
    /// Position in the chain.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    /// Who.
    #[diesel(sql_type = Text)]
    pub actor: String,
    /// What.
    #[diesel(sql_type = Text)]
    pub action: String,
    /// On what.
    #[diesel(sql_type = Text)]
    pub target: String,
    /// Details.
    #[diesel(sql_type = Jsonb)]
    pub details: serde_json::Value,
}

/// `s` as a LIKE pattern matching itself literally (`\` escapes).
fn literal(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Up to `limit` rows matching `f` older than row `before`, newest first.
pub fn rows(
    conn: &mut PgConnection,
    f: &TrailFilter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<TrailRow>> {
    diesel::sql_query(
        "SELECT id, at, actor, action, target, details FROM audit_log WHERE \
         ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action LIKE $2 || '%' ESCAPE '\\') AND \
         ($3::text IS NULL OR target ILIKE '%' || $3 || '%' ESCAPE '\\' OR details::text ILIKE '%' || $3 || '%' ESCAPE '\\') AND \
         ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5) AND \
         ($6::bigint IS NULL OR id < $6) ORDER BY id DESC LIMIT $7",
    )
    .bind::<Nullable<Text>, _>(f.user.clone())
    .bind::<Nullable<Text>, _>(f.action.as_deref().map(literal))
    .bind::<Nullable<Text>, _>(f.host.as_deref().map(literal))
    .bind::<Nullable<Timestamptz>, _>(f.from)
    .bind::<Nullable<Timestamptz>, _>(f.until)
    .bind::<Nullable<BigInt>, _>(before)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_in_input_match_literally() {
        assert_eq!(super::literal("a%b_c\\"), "a\\%b\\_c\\\\");
    }
}
