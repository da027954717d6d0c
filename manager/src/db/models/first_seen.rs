//! `patch_first_seen`: when the manager first saw each pending update (host, package, arch, candidate).

use crate::db::models::poll_rows::PatchUpdate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Timestamptz};

/// New pending updates of the hosts in `$1` get `$2` (that host's fetch time) as first seen; known ones keep
/// theirs. Reads the `host_patches` rows the same transaction just wrote (two small arrays bound).
pub const RECORD_SQL: &str = "INSERT INTO patch_first_seen (host_id, name, architecture, candidate_version, \
     first_seen_at) SELECT p.host_id, p.name, p.architecture, p.candidate_version, v.at \
     FROM unnest($1::bigint[], $2::timestamptz[]) AS v(host_id, at) \
     JOIN host_patches p ON p.host_id = v.host_id ON CONFLICT DO NOTHING";

/// Updates no longer pending on the hosts in `$1` lose their clock (a later return starts a new one).
pub const FORGET_SQL: &str = "DELETE FROM patch_first_seen f WHERE f.host_id = ANY($1::bigint[]) \
     AND NOT EXISTS (SELECT 1 FROM host_patches p WHERE p.host_id = f.host_id AND p.name = f.name \
     AND p.architecture = f.architecture AND p.candidate_version = f.candidate_version)";

/// Records first-seen times for the pending updates just written for `updates` (one per host) and forgets
/// those no longer pending; two set-based statements per flush.
pub fn record(conn: &mut PgConnection, updates: &[PatchUpdate]) -> QueryResult<()> {
    if updates.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = updates.iter().map(|u| u.host_id).collect();
    let at: Vec<chrono::DateTime<chrono::Utc>> = updates.iter().map(|u| u.checked_at).collect();
    diesel::sql_query(FORGET_SQL)
        .bind::<Array<BigInt>, _>(&ids)
        .execute(conn)?;
    diesel::sql_query(RECORD_SQL)
        .bind::<Array<BigInt>, _>(&ids)
        .bind::<Array<Timestamptz>, _>(&at)
        .execute(conn)?;
    Ok(())
}
