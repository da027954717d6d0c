//! The poller's columns of `hosts`: the slim rows it schedules from, and the batched updates it writes
//! (one statement per batch: `UPDATE hosts ... FROM unnest($1::bigint[], ...)`).

use crate::db::models::poll_rows::Timing;
use crate::db::models::poll_rows::{HealthUpdate, PatchFailure, PatchUpdate};
use crate::db::schema::hosts;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use std::collections::HashMap;

/// What the poller needs to know of a host.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = hosts, check_for_backend(diesel::pg::Pg))]
pub struct PollRow {
    /// Host id.
    pub id: i64,
    /// IPv4 address.
    pub ip: String,
    /// Agent port.
    pub port: i32,
    /// Consecutive failures.
    pub failures: i32,
    /// Last health attempt.
    pub health_checked_at: Option<DateTime<Utc>>,
    /// Last successful patch-data fetch.
    pub patches_checked_at: Option<DateTime<Utc>>,
    /// Backoff.
    pub retry_at: Option<DateTime<Utc>>,
    /// Last successful contact.
    pub last_seen_at: Option<DateTime<Utc>>,
}

impl PollRow {
    /// The scheduling view of the row.
    pub fn timing(&self) -> Timing {
        Timing {
            failures: self.failures,
            health_checked_at: self.health_checked_at,
            patches_checked_at: self.patches_checked_at,
            retry_at: self.retry_at,
            last_seen_at: self.last_seen_at,
        }
    }

    /// Every host (the poller decides in code which are due).
    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<PollRow>> {
        hosts::table
            .order(hosts::id.asc())
            .select(PollRow::as_select())
            .load(conn)
    }

    /// The hosts with these ids (unknown ids are skipped).
    pub fn by_ids(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<PollRow>> {
        hosts::table
            .filter(hosts::id.eq_any(ids))
            .order(hosts::id.asc())
            .select(PollRow::as_select())
            .load(conn)
    }
}

/// Keeps the last item per key, in first-seen order (a host polled twice in one batch is written once).
fn last_per_key<T: Clone, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> Vec<T> {
    let mut index: HashMap<K, usize> = HashMap::new();
    let mut out: Vec<T> = Vec::new();
    for it in items {
        match index.get(&key(it)) {
            Some(&i) => out[i] = it.clone(),
            None => {
                index.insert(key(it), out.len());
                out.push(it.clone());
            }
        }
    }
    out
}

/// Health results as parallel arrays (one entry per host).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthColumns {
    /// Host ids.
    pub ids: Vec<i64>,
    /// States.
    pub states: Vec<String>,
    /// Reasons.
    pub reasons: Vec<String>,
    /// Failure counts.
    pub failures: Vec<i32>,
    /// Retry times.
    pub retry_at: Vec<Option<DateTime<Utc>>>,
    /// Attempt times.
    pub checked_at: Vec<DateTime<Utc>>,
    /// Whether the agent answered.
    pub answered: Vec<bool>,
    /// Agent versions (None = keep).
    pub versions: Vec<Option<String>>,
    /// Backends (None = keep).
    pub backends: Vec<Option<String>>,
}

impl HealthColumns {
    /// The columns of `updates`, the last update per host winning.
    pub fn of(updates: &[HealthUpdate]) -> Self {
        let mut c = Self::default();
        for u in last_per_key(updates, |u| u.host_id) {
            c.ids.push(u.host_id);
            c.states.push(u.state.as_str().to_owned());
            c.reasons.push(u.reason);
            c.failures.push(u.failures);
            c.retry_at.push(u.retry_at);
            c.checked_at.push(u.checked_at);
            c.answered.push(u.answered);
            c.versions.push(u.agent_version);
            c.backends.push(u.backend);
        }
        c
    }
}

/// The batched health update. A success after failures clears the retry time; a success of a host that
/// was already answering keeps it (it may hold a patch-data retry wait).
pub const HEALTH_SQL: &str = "UPDATE hosts AS h SET state = v.state, state_reason = v.reason, \
     failures = v.failures, health_checked_at = v.checked_at, \
     retry_at = CASE WHEN NOT v.answered THEN v.retry_at WHEN h.failures = 0 THEN h.retry_at ELSE NULL END, \
     last_seen_at = CASE WHEN v.answered THEN v.checked_at ELSE h.last_seen_at END, \
     agent_version = COALESCE(v.version, h.agent_version), backend = COALESCE(v.backend, h.backend) \
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[], \
     $7::bool[], $8::text[], $9::text[]) AS v(id, state, reason, failures, retry_at, checked_at, answered, \
     version, backend) WHERE h.id = v.id";

/// Writes health results (one statement); returns the rows updated.
pub fn apply_health(conn: &mut PgConnection, c: &HealthColumns) -> QueryResult<usize> {
    if c.ids.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(HEALTH_SQL)
        .bind::<Array<BigInt>, _>(&c.ids)
        .bind::<Array<Text>, _>(&c.states)
        .bind::<Array<Text>, _>(&c.reasons)
        .bind::<Array<Integer>, _>(&c.failures)
        .bind::<Array<Nullable<Timestamptz>>, _>(&c.retry_at)
        .bind::<Array<Timestamptz>, _>(&c.checked_at)
        .bind::<Array<Bool>, _>(&c.answered)
        .bind::<Array<Nullable<Text>>, _>(&c.versions)
        .bind::<Array<Nullable<Text>>, _>(&c.backends)
        .execute(conn)
}

/// Patch-data results (system info part) as parallel arrays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatchColumns {
    /// Host ids.
    pub ids: Vec<i64>,
    /// Fetch times.
    pub checked_at: Vec<DateTime<Utc>>,
    /// Kernels.
    pub kernels: Vec<String>,
    /// OS names.
    pub os: Vec<String>,
    /// Machine ids ('' = keep).
    pub machine_ids: Vec<String>,
    /// Backends.
    pub backends: Vec<String>,
    /// Pending totals.
    pub totals: Vec<i32>,
    /// Pending security.
    pub security: Vec<i32>,
    /// Reboot state.
    pub reboot: Vec<String>,
    /// Reboot reason.
    pub reboot_reasons: Vec<String>,
}

impl PatchColumns {
    /// The columns of `updates`, the last update per host winning.
    pub fn of(updates: &[PatchUpdate]) -> Self {
        let mut c = Self::default();
        for u in last_per_key(updates, |u| u.host_id) {
            c.ids.push(u.host_id);
            c.checked_at.push(u.checked_at);
            c.totals.push(u.total());
            c.security.push(u.security());
            c.kernels.push(u.kernel);
            c.os.push(u.os);
            c.machine_ids.push(u.machine_id);
            c.backends.push(u.backend);
            c.reboot.push(u.reboot_required.to_owned());
            c.reboot_reasons.push(u.reboot_reason);
        }
        c
    }
}

/// The batched system-info/patch-count update.
pub const PATCH_SQL: &str = "UPDATE hosts AS h SET patches_checked_at = v.checked_at, kernel = v.kernel, \
     os = v.os, machine_id = COALESCE(NULLIF(v.machine_id, ''), h.machine_id), backend = v.backend, \
     pending_total = v.total, pending_security = v.security, reboot_required = v.reboot, \
     reboot_reason = v.reboot_reason, retry_at = CASE WHEN h.failures = 0 THEN NULL ELSE h.retry_at END \
     FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], \
     $7::int[], $8::int[], $9::text[], $10::text[]) AS v(id, checked_at, kernel, os, machine_id, backend, \
     total, security, reboot, reboot_reason) WHERE h.id = v.id";

/// Writes the host part of patch-data results; returns the rows updated.
pub fn apply_patches(conn: &mut PgConnection, c: &PatchColumns) -> QueryResult<usize> {
    if c.ids.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(PATCH_SQL)
        .bind::<Array<BigInt>, _>(&c.ids)
        .bind::<Array<Timestamptz>, _>(&c.checked_at)
        .bind::<Array<Text>, _>(&c.kernels)
        .bind::<Array<Text>, _>(&c.os)
        .bind::<Array<Text>, _>(&c.machine_ids)
        .bind::<Array<Text>, _>(&c.backends)
        .bind::<Array<Integer>, _>(&c.totals)
        .bind::<Array<Integer>, _>(&c.security)
        .bind::<Array<Text>, _>(&c.reboot)
        .bind::<Array<Text>, _>(&c.reboot_reasons)
        .execute(conn)
}

/// Failed patch fetches: yellow with the reason and a retry time, only for hosts that still answer.
pub const PATCH_FAILED_SQL: &str = "UPDATE hosts AS h SET state = 'degraded', state_reason = v.reason, \
     retry_at = v.retry_at FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS v(id, reason, retry_at) \
     WHERE h.id = v.id AND h.failures = 0";

/// Writes failed patch fetches; returns the rows updated.
pub fn apply_patch_failures(conn: &mut PgConnection, fails: &[PatchFailure]) -> QueryResult<usize> {
    let fails = last_per_key(fails, |f| f.host_id);
    if fails.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = fails.iter().map(|f| f.host_id).collect();
    let reasons: Vec<&str> = fails.iter().map(|f| f.reason.as_str()).collect();
    let retry: Vec<DateTime<Utc>> = fails.iter().map(|f| f.retry_at).collect();
    diesel::sql_query(PATCH_FAILED_SQL)
        .bind::<Array<BigInt>, _>(&ids)
        .bind::<Array<Text>, _>(&reasons)
        .bind::<Array<Timestamptz>, _>(&retry)
        .execute(conn)
}

#[cfg(test)]
#[path = "host_status_tests.rs"]
mod tests;
