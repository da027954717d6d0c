//! `runtime_settings`: the one stored settings document (read at start and on every change).

use crate::db::schema::runtime_settings;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// The stored document, if any change was ever saved.
pub fn load(conn: &mut PgConnection) -> QueryResult<Option<serde_json::Value>> {
    runtime_settings::table
        .filter(runtime_settings::id.eq(1))
        .select(runtime_settings::doc)
        .first(conn)
        .optional()
}

/// The stored document locked for an update (inside a transaction).
pub fn load_for_update(conn: &mut PgConnection) -> QueryResult<Option<serde_json::Value>> {
    runtime_settings::table
        .filter(runtime_settings::id.eq(1))
        .select(runtime_settings::doc)
        .for_update()
        .first(conn)
        .optional()
}

/// Stores `doc` (insert or replace).
pub fn store(
    conn: &mut PgConnection,
    doc: &serde_json::Value,
    now: DateTime<Utc>,
    by: &str,
) -> QueryResult<()> {
    diesel::insert_into(runtime_settings::table)
        .values((
            runtime_settings::id.eq(1i32),
            runtime_settings::doc.eq(doc),
            runtime_settings::updated_at.eq(now),
            runtime_settings::updated_by.eq(by),
        ))
        .on_conflict(runtime_settings::id)
        .do_update()
        .set((
            runtime_settings::doc.eq(doc),
            runtime_settings::updated_at.eq(now),
            runtime_settings::updated_by.eq(by),
        ))
        .execute(conn)
        .map(|_| ())
}
