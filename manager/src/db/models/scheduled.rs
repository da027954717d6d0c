//! `scheduled_emails`: the last period each scheduled e-mail was queued for, claimed with a conditional
//! upsert so one period is queued once across restarts and managers.

use crate::db::schema::scheduled_emails as s;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz};

/// The last period `name` was queued for.
pub fn last_period(c: &mut PgConnection, name: &str) -> QueryResult<Option<String>> {
    s::table.find(name).select(s::period).first(c).optional()
}

/// Records `period` for `name` unless it (or a later period) is recorded already; answers whether this call
/// recorded it (the caller then queues the e-mail in the same transaction).
pub fn claim_period(c: &mut PgConnection, name: &str, period: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    let n = diesel::sql_query(
        "INSERT INTO scheduled_emails (name, period, queued_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET period = EXCLUDED.period, queued_at = EXCLUDED.queued_at \
         WHERE scheduled_emails.period < EXCLUDED.period",
    )
    .bind::<Text, _>(name)
    .bind::<Text, _>(period)
    .bind::<Timestamptz, _>(now)
    .execute(c)?;
    Ok(n == 1)
}
