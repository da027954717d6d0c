//! Outbox leases: a manager claims due e-mails with `FOR UPDATE SKIP LOCKED` and a lease (`leased_by`,
//! `leased_until`), so two managers on one database never offer one e-mail twice; sent or failed is recorded
//! only while the claim still holds, and a lease that ran out (a crashed manager) is claimed again.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer, Jsonb, Nullable, Text, Timestamptz};

/// Who holds a claim and until when (both must still match to record what became of an e-mail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The claiming manager (`host:pid:ulid`).
    pub owner: String,
    /// The claim's end.
    pub until: DateTime<Utc>,
}

/// A claimed e-mail with what sending it needs.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Claimed {
    /// Primary key.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Addresses (JSON array of strings).
    #[diesel(sql_type = Jsonb)]
    pub recipients: serde_json::Value,
    /// Subject.
    #[diesel(sql_type = Text)]
    pub subject: String,
    /// Plain-text body.
    #[diesel(sql_type = Text)]
    pub body: String,
    /// Attempts made before this one.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// The attachment's file name, if any.
    #[diesel(sql_type = Nullable<Text>)]
    pub attachment_name: Option<String>,
    /// The attachment's bytes, if any.
    #[diesel(sql_type = Nullable<Binary>)]
    pub attachment: Option<Vec<u8>>,
}

const CLAIM: &str = "
WITH c AS (
  SELECT id FROM notification_outbox
  WHERE sent_at IS NULL AND next_attempt_at <= $2 AND (leased_until IS NULL OR leased_until <= $2)
  ORDER BY id
  LIMIT $4
  FOR UPDATE SKIP LOCKED
)
UPDATE notification_outbox o SET leased_by = $1, leased_until = $3
FROM c WHERE o.id = c.id
RETURNING o.id, o.recipients, o.subject, o.body, o.attempts, o.attachment_name, o.attachment";

/// Claims up to `limit` unsent e-mails due at `now` (unleased, or whose lease ended) for `lease`, oldest first.
pub fn claim(
    c: &mut PgConnection,
    lease: &Lease,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    let mut rows: Vec<Claimed> = diesel::sql_query(CLAIM)
        .bind::<Text, _>(&lease.owner)
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(lease.until)
        .bind::<BigInt, _>(limit)
        .load(c)?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Marks `id` sent if `lease` still holds it (answers 0 when another manager took it over).
pub fn sent(c: &mut PgConnection, id: i64, lease: &Lease, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE notification_outbox SET sent_at = $4, attempts = attempts + 1, last_error = '', leased_until = NULL \
         WHERE id = $1 AND sent_at IS NULL AND leased_by = $2 AND leased_until = $3",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(&lease.owner)
    .bind::<Timestamptz, _>(lease.until)
    .bind::<Timestamptz, _>(now)
    .execute(c)
}

/// Records a failed attempt if `lease` still holds `id` and releases it; the next attempt not before `next`.
pub fn failed(
    c: &mut PgConnection,
    id: i64,
    lease: &Lease,
    next: DateTime<Utc>,
    error: &str,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = $4, last_error = $5, \
         leased_until = NULL WHERE id = $1 AND sent_at IS NULL AND leased_by = $2 AND leased_until = $3",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(&lease.owner)
    .bind::<Timestamptz, _>(lease.until)
    .bind::<Timestamptz, _>(next)
    .bind::<Text, _>(error)
    .execute(c)
}
