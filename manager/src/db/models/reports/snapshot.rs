//! `compliance_snapshots`: one row per host per UTC day, taken by the housekeeping actor.

use super::STATE_SQL;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::Date;

/// Records every host's compliance state for `day` (a second run the same day overwrites it); rows.
pub fn take(conn: &mut PgConnection, day: NaiveDate) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "INSERT INTO compliance_snapshots (day, host_id, state, pending_security) \
         SELECT $1, h.id, {STATE_SQL}, h.pending_security FROM hosts h \
         ON CONFLICT (day, host_id) DO UPDATE SET state = EXCLUDED.state, \
         pending_security = EXCLUDED.pending_security"
    ))
    .bind::<Date, _>(day)
    .execute(conn)
}

/// Deletes snapshots from before `keep_from`; rows deleted.
pub fn prune(conn: &mut PgConnection, keep_from: NaiveDate) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM compliance_snapshots WHERE day < $1")
        .bind::<Date, _>(keep_from)
        .execute(conn)
}
