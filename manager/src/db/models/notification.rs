//! `notification_outbox` and `notification_prefs`: e-mails waiting to be sent (with their retry state) and each user's address and chosen events.

use crate::db::schema::{notification_outbox as o, notification_prefs as p};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

pub use super::notification_lease::{claim, failed, sent, Claimed, Lease};
use serde::Serialize;

/// One e-mail in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = o, check_for_backend(diesel::pg::Pg))]
pub struct OutboxRow {
    /// Primary key.
    pub id: i64,
    /// The event kind's name.
    pub event: String,
    /// Addresses (JSON array of strings).
    pub recipients: serde_json::Value,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// When queued.
    pub created_at: DateTime<Utc>,
    /// Attempts made.
    pub attempts: i32,
    /// Not before.
    pub next_attempt_at: DateTime<Utc>,
    /// When the server took it.
    pub sent_at: Option<DateTime<Utc>>,
    /// The last failure.
    pub last_error: String,
}

/// Queues an e-mail.
pub fn enqueue(
    c: &mut PgConnection,
    event: &str,
    recipients: &[String],
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    enqueue_with(c, event, recipients, subject, body, None, now)
}

/// Queues an e-mail with an optional attachment (file name, bytes).
pub fn enqueue_with(
    c: &mut PgConnection,
    event: &str,
    recipients: &[String],
    subject: &str,
    body: &str,
    attachment: Option<(&str, &[u8])>,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    diesel::insert_into(o::table)
        .values((
            o::event.eq(event),
            o::recipients.eq(serde_json::json!(recipients)),
            o::subject.eq(subject),
            o::body.eq(body),
            o::created_at.eq(now),
            o::next_attempt_at.eq(now),
            o::attachment_name.eq(attachment.map(|a| a.0)),
            o::attachment.eq(attachment.map(|a| a.1)),
        ))
        .returning(o::id)
        .get_result(c)
}

/// Every e-mail (newest first, a page).
pub fn recent(c: &mut PgConnection, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    o::table
        .order(o::id.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(c)
}

/// (unsent, the last error of the oldest unsent).
pub fn pending(c: &mut PgConnection) -> QueryResult<(i64, Option<String>)> {
    let n = o::table.filter(o::sent_at.is_null()).count().get_result(c)?;
    let last = o::table
        .filter(o::sent_at.is_null().and(o::last_error.ne("")))
        .order(o::id)
        .select(o::last_error)
        .first(c)
        .optional()?;
    Ok((n, last))
}

/// A user's address and chosen event names.
pub fn prefs(c: &mut PgConnection, user: i64) -> QueryResult<Option<(String, Vec<String>)>> {
    let row: Option<(String, serde_json::Value)> = p::table
        .filter(p::user_id.eq(user))
        .select((p::email, p::events))
        .first(c)
        .optional()?;
    Ok(row.map(|(e, ev)| (e, serde_json::from_value(ev).unwrap_or_default())))
}

/// Stores a user's address and chosen event names.
pub fn set_prefs(
    c: &mut PgConnection,
    user: i64,
    email: &str,
    events: &[&str],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let ev = serde_json::json!(events);
    diesel::insert_into(p::table)
        .values((
            p::user_id.eq(user),
            p::email.eq(email),
            p::events.eq(&ev),
            p::updated_at.eq(now),
        ))
        .on_conflict(p::user_id)
        .do_update()
        .set((p::email.eq(email), p::events.eq(&ev), p::updated_at.eq(now)))
        .execute(c)
        .map(|_| ())
}

#[derive(QueryableByName)]
struct Addr {
    #[diesel(sql_type = Text)]
    email: String,
}

/// Addresses of enabled users who chose `event`: administrators, plus operators of one of `host`'s groups
/// (when given) and the user named `also` (when given).
pub fn recipients(
    c: &mut PgConnection,
    event: &str,
    host: Option<i64>,
    also: Option<&str>,
) -> QueryResult<Vec<String>> {
    let rows: Vec<Addr> = diesel::sql_query(
        "SELECT DISTINCT p.email FROM notification_prefs p JOIN users u ON u.id = p.user_id \
         WHERE p.email <> '' AND NOT u.disabled AND p.events ? $1 AND (u.role = 'admin' \
           OR ($2 IS NOT NULL AND EXISTS (SELECT 1 FROM user_groups ug JOIN host_groups hg ON hg.group_id = ug.group_id \
               WHERE ug.user_id = u.id AND hg.host_id = $2)) \
           OR ($3 IS NOT NULL AND u.username = $3)) ORDER BY p.email",
    )
    .bind::<Text, _>(event)
    .bind::<diesel::sql_types::Nullable<BigInt>, _>(host)
    .bind::<diesel::sql_types::Nullable<Text>, _>(also)
    .load(c)?;
    Ok(rows.into_iter().map(|a| a.email).collect())
}
