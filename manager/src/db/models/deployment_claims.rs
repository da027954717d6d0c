//! The deployer's claims on `deployment_targets` (DESIGN §5.3 "exactly once"): due targets and running
//! ones are taken with `FOR UPDATE SKIP LOCKED` and a lease, so two manager processes never work on one
//! target at once and a dead process's targets are taken over when its lease ends. Then what became of
//! each (dispatched, retried later, ended).

use crate::db::schema::{deployment_targets as dt, deployments as d};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Jsonb, Nullable, Text, Timestamptz};

/// A claimed target with what dispatching or following it needs.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Claimed {
    /// Target id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Deployment id.
    #[diesel(sql_type = BigInt)]
    pub deployment_id: i64,
    /// Host id.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub host_id: Option<i64>,
    /// State before the claim (`dispatching` again = re-sending the same attempt).
    #[diesel(sql_type = Text)]
    pub state_before: String,
    /// The attempt (the Idempotency-Key is `<id>.<attempts>`).
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// Failed POSTs in a row.
    #[diesel(sql_type = Integer)]
    pub dispatch_failures: i32,
    /// Window cut-off.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub dispatch_until: Option<DateTime<Utc>>,
    /// The agent's job (running targets).
    #[diesel(sql_type = Nullable<Text>)]
    pub agent_job_id: Option<String>,
    /// The host's address.
    #[diesel(sql_type = Nullable<Text>)]
    pub ip: Option<String>,
    /// The host's agent port.
    #[diesel(sql_type = Nullable<Integer>)]
    pub port: Option<i32>,
    /// The deployment's operation.
    #[diesel(sql_type = Text)]
    pub operation: String,
    /// Its packages.
    #[diesel(sql_type = Jsonb)]
    pub packages: serde_json::Value,
    /// Its reboot option (`never`, `if_required`).
    #[diesel(sql_type = Text)]
    pub reboot: String,
    /// For a rollback: the agent job of the same host in the deployment undone.
    #[diesel(sql_type = Nullable<Text>)]
    pub rollback_source: Option<String>,
}

const CLAIM_DUE: &str = "
WITH c AS (
  SELECT t.id, t.state FROM deployment_targets t JOIN deployments dp ON dp.id = t.deployment_id
  WHERE (dp.status = 'active' AND t.state IN ('queued', 'waiting_window', 'retrying') AND t.due_at <= $2)
     OR (t.state = 'dispatching' AND t.lease_until < $2)
  ORDER BY t.due_at, t.id
  LIMIT $4
  FOR UPDATE OF t SKIP LOCKED
), u AS (
  UPDATE deployment_targets t
  SET state = 'dispatching',
      attempts = CASE WHEN c.state = 'dispatching' THEN t.attempts ELSE t.attempts + 1 END,
      lease_owner = $1, lease_until = $3, updated_at = $2, started_at = COALESCE(t.started_at, $2)
  FROM c WHERE t.id = c.id
  RETURNING t.id, t.deployment_id, t.host_id, c.state AS state_before, t.attempts, t.dispatch_failures,
            t.dispatch_until, t.agent_job_id
)
SELECT u.id, u.deployment_id, u.host_id, u.state_before, u.attempts, u.dispatch_failures, u.dispatch_until,
       u.agent_job_id, h.ip, h.port, dp.operation, dp.packages, dp.reboot, o.agent_job_id AS rollback_source
FROM u JOIN deployments dp ON dp.id = u.deployment_id
LEFT JOIN hosts h ON h.id = u.host_id
LEFT JOIN deployment_targets o ON o.deployment_id = dp.rollback_of AND o.host_id = u.host_id
ORDER BY u.id";

const CLAIM_RUNNING: &str = "
WITH c AS (
  SELECT t.id FROM deployment_targets t
  WHERE t.state = 'running' AND (t.lease_until < $2 OR t.lease_owner = $1) AND t.id > $5
  ORDER BY t.id
  LIMIT $4
  FOR UPDATE OF t SKIP LOCKED
), u AS (
  UPDATE deployment_targets t SET lease_owner = $1, lease_until = $3
  FROM c WHERE t.id = c.id
  RETURNING t.id, t.deployment_id, t.host_id, t.state AS state_before, t.attempts, t.dispatch_failures,
            t.dispatch_until, t.agent_job_id
)
SELECT u.id, u.deployment_id, u.host_id, u.state_before, u.attempts, u.dispatch_failures, u.dispatch_until,
       u.agent_job_id, h.ip, h.port, dp.operation, dp.packages, dp.reboot, NULL::text AS rollback_source
FROM u JOIN deployments dp ON dp.id = u.deployment_id
LEFT JOIN hosts h ON h.id = u.host_id
ORDER BY u.id";

/// Claims up to `limit` targets due at `now` (and dispatches whose owner's lease ended) for `owner` until
/// `lease_until`; each becomes `dispatching` with its attempt counted (a re-sent one keeps its attempt).
pub fn claim_due(
    conn: &mut PgConnection,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    diesel::sql_query(CLAIM_DUE)
        .bind::<Text, _>(owner)
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(lease_until)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// Claims up to `limit` running targets with an id above `after` whose lease ended or that `owner` already
/// follows.
pub fn claim_running(
    conn: &mut PgConnection,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    diesel::sql_query(CLAIM_RUNNING)
        .bind::<Text, _>(owner)
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(lease_until)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(after)
        .load(conn)
}

/// What to write for one target after the deployer worked on it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The agent accepted the job: `running`.
    Dispatched {
        /// The agent's job id.
        job_id: String,
        /// Its status.
        status: String,
    },
    /// Still running on the agent (progress seen).
    Progress {
        /// Its status.
        status: String,
        /// Output tail.
        output_tail: serde_json::Value,
    },
    /// Tried again later, waiting in `state` until `due_at`.
    Again {
        /// `queued`, `waiting_window` or `retrying`.
        state: &'static str,
        /// No dispatch before this.
        due_at: DateTime<Utc>,
        /// Why (the failed POST or the failed job).
        error: String,
        /// Failed POSTs in a row now.
        dispatch_failures: i32,
    },
    /// Ended in `state`.
    Ended {
        /// Final state.
        state: &'static str,
        /// Why, for failures.
        error: String,
        /// The agent's job status.
        agent_status: String,
        /// Its change set.
        change_set: Option<serde_json::Value>,
        /// Output tail.
        output_tail: serde_json::Value,
    },
}

/// Writes the outcome of every target of one round's batch and releases the leases, in one statement per
/// kind of outcome (at most four, whatever the batch size); rows whose lease `owner` no longer holds are left
/// alone. Answers how many rows were written.
pub fn record_all(
    conn: &mut PgConnection,
    owner: &str,
    outcomes: &[(i64, &Outcome)],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let mut dispatched = (Vec::new(), Vec::new(), Vec::new());
    let mut progress = (Vec::new(), Vec::new(), Vec::new());
    let mut again = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut ended = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (id, o) in outcomes {
        match o {
            Outcome::Dispatched { job_id, status } => {
                dispatched.0.push(*id);
                dispatched.1.push(job_id.as_str());
                dispatched.2.push(status.as_str());
            }
            Outcome::Progress { status, output_tail } => {
                progress.0.push(*id);
                progress.1.push(status.as_str());
                progress.2.push(output_tail);
            }
            Outcome::Again {
                state,
                due_at,
                error,
                dispatch_failures,
            } => {
                again.0.push(*id);
                again.1.push(*state);
                again.2.push(*due_at);
                again.3.push(error.as_str());
                again.4.push(*dispatch_failures);
            }
            Outcome::Ended {
                state,
                error,
                agent_status,
                change_set,
                output_tail,
            } => {
                ended.0.push(*id);
                ended.1.push(*state);
                ended.2.push(error.as_str());
                ended.3.push(agent_status.as_str());
                ended.4.push(change_set.as_ref());
                ended.5.push(output_tail);
            }
        }
    }
    let mut n = 0;
    if !dispatched.0.is_empty() {
        n += diesel::sql_query(
            "UPDATE deployment_targets t SET state = 'running', agent_job_id = v.job, agent_status = v.status, \
             dispatch_failures = 0, error = '', updated_at = $2 \
             FROM unnest($3::bigint[], $4::text[], $5::text[]) AS v(id, job, status) \
             WHERE t.id = v.id AND t.lease_owner = $1",
        )
        .bind::<Text, _>(owner)
        .bind::<Timestamptz, _>(now)
        .bind::<Array<BigInt>, _>(&dispatched.0)
        .bind::<Array<Text>, _>(&dispatched.1)
        .bind::<Array<Text>, _>(&dispatched.2)
        .execute(conn)?;
    }
    if !progress.0.is_empty() {
        n += diesel::sql_query(
            "UPDATE deployment_targets t SET agent_status = v.status, output_tail = v.tail, lease_until = $2, \
             updated_at = $2 \
             FROM unnest($3::bigint[], $4::text[], $5::jsonb[]) AS v(id, status, tail) \
             WHERE t.id = v.id AND t.lease_owner = $1",
        )
        .bind::<Text, _>(owner)
        .bind::<Timestamptz, _>(now)
        .bind::<Array<BigInt>, _>(&progress.0)
        .bind::<Array<Text>, _>(&progress.1)
        .bind::<Array<Jsonb>, _>(&progress.2)
        .execute(conn)?;
    }
    if !again.0.is_empty() {
        n += diesel::sql_query(
            "UPDATE deployment_targets t SET state = v.state, due_at = v.due, error = v.error, \
             dispatch_failures = v.failures, agent_job_id = NULL, lease_owner = NULL, lease_until = NULL, \
             updated_at = $2 \
             FROM unnest($3::bigint[], $4::text[], $5::timestamptz[], $6::text[], $7::int[]) \
               AS v(id, state, due, error, failures) \
             WHERE t.id = v.id AND t.lease_owner = $1",
        )
        .bind::<Text, _>(owner)
        .bind::<Timestamptz, _>(now)
        .bind::<Array<BigInt>, _>(&again.0)
        .bind::<Array<Text>, _>(&again.1)
        .bind::<Array<Timestamptz>, _>(&again.2)
        .bind::<Array<Text>, _>(&again.3)
        .bind::<Array<Integer>, _>(&again.4)
        .execute(conn)?;
    }
    if !ended.0.is_empty() {
        n += diesel::sql_query(
            "UPDATE deployment_targets t SET state = v.state, error = v.error, agent_status = v.status, \
             change_set = v.change_set, output_tail = v.tail, finished_at = $2, lease_owner = NULL, \
             lease_until = NULL, updated_at = $2 \
             FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[]) \
               AS v(id, state, error, status, change_set, tail) \
             WHERE t.id = v.id AND t.lease_owner = $1",
        )
        .bind::<Text, _>(owner)
        .bind::<Timestamptz, _>(now)
        .bind::<Array<BigInt>, _>(&ended.0)
        .bind::<Array<Text>, _>(&ended.1)
        .bind::<Array<Text>, _>(&ended.2)
        .bind::<Array<Text>, _>(&ended.3)
        .bind::<Array<Nullable<Jsonb>>, _>(&ended.4)
        .bind::<Array<Jsonb>, _>(&ended.5)
        .execute(conn)?;
    }
    Ok(n)
}

/// Marks the targets of the deployment `undone` on `host` rolled back by `job` (a rollback succeeded).
pub fn mark_rolled_back(
    conn: &mut PgConnection,
    undone: i64,
    host: i64,
    job: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        dt::table
            .filter(dt::deployment_id.eq(undone))
            .filter(dt::host_id.eq(host))
            .filter(dt::state.eq("succeeded")),
    )
    .set((
        dt::state.eq("rolled_back"),
        dt::rollback_job_id.eq(Some(job)),
        dt::updated_at.eq(now),
    ))
    .execute(conn)
}

/// Sets deployment `id`'s status (`finished` also records when), unless it is already `status` or finished.
pub fn set_status(conn: &mut PgConnection, id: i64, status: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    let finished = (status == "finished").then_some(now);
    diesel::update(
        d::table
            .find(id)
            .filter(d::status.ne(status))
            .filter(d::status.ne("finished")),
    )
    .set((d::status.eq(status), d::finished_at.eq(finished)))
    .execute(conn)
    .map(|n| n == 1)
}

/// When the next pending target of an active deployment is due (re-sends of a dead process's dispatches
/// count at their lease's end).
pub fn next_due(conn: &mut PgConnection) -> QueryResult<Option<DateTime<Utc>>> {
    let pending: Option<DateTime<Utc>> = dt::table
        .inner_join(d::table)
        .filter(d::status.eq("active"))
        .filter(dt::state.eq_any(["queued", "waiting_window", "retrying"]))
        .select(diesel::dsl::min(dt::due_at))
        .first(conn)?;
    let resend: Option<DateTime<Utc>> = dt::table
        .filter(dt::state.eq("dispatching"))
        .select(diesel::dsl::min(dt::lease_until))
        .first(conn)?;
    Ok(match (pending, resend) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}
