//! `host_health`: one row per health attempt (state, reason, latency), written in batches, pruned daily.

use crate::db::models::poll_rows::HealthUpdate;
use crate::db::schema::host_health;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};

/// One health attempt.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = host_health, check_for_backend(diesel::pg::Pg))]
pub struct HostHealth {
    /// Primary key.
    pub id: i64,
    /// Host.
    pub host_id: i64,
    /// When.
    pub checked_at: DateTime<Utc>,
    /// `healthy`, `degraded` or `unreachable`.
    pub state: String,
    /// Why ('' when healthy).
    pub reason: String,
    /// Round trip of a successful attempt.
    pub latency_ms: Option<i32>,
}

/// The batched insert; rows of hosts removed meanwhile are skipped.
pub const INSERT_SQL: &str = "INSERT INTO host_health (host_id, checked_at, state, reason, latency_ms) \
     SELECT v.host_id, v.checked_at, v.state, v.reason, v.latency_ms \
     FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::int[]) \
     AS v(host_id, checked_at, state, reason, latency_ms) \
     WHERE EXISTS (SELECT 1 FROM hosts WHERE hosts.id = v.host_id)";

impl HostHealth {
    /// Appends one row per update (one statement); returns the rows inserted.
    pub fn insert_many(conn: &mut PgConnection, updates: &[HealthUpdate]) -> QueryResult<usize> {
        if updates.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = updates.iter().map(|u| u.host_id).collect();
        let at: Vec<DateTime<Utc>> = updates.iter().map(|u| u.checked_at).collect();
        let states: Vec<&str> = updates.iter().map(|u| u.state.as_str()).collect();
        let reasons: Vec<&str> = updates.iter().map(|u| u.reason.as_str()).collect();
        let latency: Vec<Option<i32>> = updates.iter().map(|u| u.latency_ms).collect();
        diesel::sql_query(INSERT_SQL)
            .bind::<Array<BigInt>, _>(&ids)
            .bind::<Array<Timestamptz>, _>(&at)
            .bind::<Array<Text>, _>(&states)
            .bind::<Array<Text>, _>(&reasons)
            .bind::<Array<Nullable<Integer>>, _>(&latency)
            .execute(conn)
    }

    /// The newest `limit` attempts of host `host_id` (callers check the host is in scope).
    pub fn recent(conn: &mut PgConnection, host_id: i64, limit: i64) -> QueryResult<Vec<HostHealth>> {
        host_health::table
            .filter(host_health::host_id.eq(host_id))
            .order((host_health::checked_at.desc(), host_health::id.desc()))
            .limit(limit)
            .select(HostHealth::as_select())
            .load(conn)
    }

    /// Removes attempts older than `before`; returns how many.
    pub fn prune(conn: &mut PgConnection, before: DateTime<Utc>) -> QueryResult<usize> {
        diesel::delete(host_health::table.filter(host_health::checked_at.lt(before))).execute(conn)
    }
}
