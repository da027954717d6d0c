//! `discovery_ranges`: the IPv4 ranges an administrator allowed operators to scan.

use crate::db::schema::discovery_ranges;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

/// One allowed range.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, schemars::JsonSchema)]
#[diesel(table_name = discovery_ranges, check_for_backend(diesel::pg::Pg))]
pub struct DiscoveryRange {
    /// Primary key.
    pub id: i64,
    /// The range, normalised CIDR text (`10.20.0.0/16`).
    pub cidr: String,
    /// The administrator who allowed it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl DiscoveryRange {
    /// Every allowed range, in address order of their text (a short, capped list).
    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<DiscoveryRange>> {
        discovery_ranges::table
            .order(discovery_ranges::id)
            .select(DiscoveryRange::as_select())
            .load(conn)
    }

    /// How many there are.
    pub fn count(conn: &mut PgConnection) -> QueryResult<i64> {
        discovery_ranges::table.count().get_result(conn)
    }

    /// Adds `cidr` (already validated and normalised); `None` when it is already on the list.
    pub fn insert(
        conn: &mut PgConnection,
        cidr: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> QueryResult<Option<DiscoveryRange>> {
        diesel::insert_into(discovery_ranges::table)
            .values((
                discovery_ranges::cidr.eq(cidr),
                discovery_ranges::created_by.eq(by),
                discovery_ranges::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .returning(DiscoveryRange::as_returning())
            .get_result(conn)
            .optional()
    }

    /// Removes range `id`; the removed row, if it existed.
    pub fn delete(conn: &mut PgConnection, id: i64) -> QueryResult<Option<DiscoveryRange>> {
        diesel::delete(discovery_ranges::table.find(id))
            .returning(DiscoveryRange::as_returning())
            .get_result(conn)
            .optional()
    }
}
