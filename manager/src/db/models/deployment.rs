//! `deployments` and `deployment_targets`: a deployment as created (operation, mode, the hosts recorded),
//! each target's state, and the listings the pages and the API read (keyset-paginated). The dispatch
//! claims are in `deployment_claims.rs`.

use crate::db::models::scope::Scope;
use crate::db::schema::{deployment_targets as dt, deployments as d};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

/// One row of `deployments`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, schemars::JsonSchema)]
#[diesel(table_name = d, check_for_backend(diesel::pg::Pg))]
pub struct Deployment {
    /// Primary key.
    pub id: i64,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// `apply_all`, `security_only`, `packages`, `install`, `remove`, `reboot`, `rollback`.
    pub operation: String,
    /// Package names (for `packages`, `install`, `remove`).
    #[schemars(with = "Vec<String>")]
    pub packages: serde_json::Value,
    /// For `rollback`: the deployment it undoes.
    pub rollback_of: Option<i64>,
    /// `next_window` or `now`.
    pub mode: String,
    /// `never` or `if_required`.
    pub reboot: String,
    /// Pause the rest when more than this % failed.
    pub stop_failed_pct: Option<i32>,
    /// `active`, `paused`, `cancelled`, `finished`.
    pub status: String,
    /// Groups named at creation (already resolved into targets).
    #[schemars(with = "Vec<i64>")]
    pub group_ids: serde_json::Value,
    /// When the last target ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A new deployment.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = d)]
pub struct NewDeployment {
    /// Who.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Operation.
    pub operation: String,
    /// Package names.
    pub packages: serde_json::Value,
    /// Deployment undone.
    pub rollback_of: Option<i64>,
    /// Mode.
    pub mode: String,
    /// Reboot option.
    pub reboot: String,
    /// Stop rule.
    pub stop_failed_pct: Option<i32>,
    /// Groups named.
    pub group_ids: serde_json::Value,
}

/// One row of `deployment_targets`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, schemars::JsonSchema)]
#[diesel(table_name = dt, check_for_backend(diesel::pg::Pg))]
pub struct Target {
    /// Primary key.
    pub id: i64,
    /// Its deployment.
    pub deployment_id: i64,
    /// The host (None once the host was removed).
    pub host_id: Option<i64>,
    /// The host's name at creation.
    pub hostname: String,
    /// State (`deploy::target::TargetState`).
    pub state: String,
    /// Agent jobs started.
    pub attempts: i32,
    /// Failed POSTs in a row.
    pub dispatch_failures: i32,
    /// No dispatch before this.
    pub due_at: Option<DateTime<Utc>>,
    /// The window's cut-off.
    pub dispatch_until: Option<DateTime<Utc>>,
    /// Manager process holding it.
    pub lease_owner: Option<String>,
    /// Until when.
    pub lease_until: Option<DateTime<Utc>>,
    /// The agent's job id.
    pub agent_job_id: Option<String>,
    /// The agent's job status as last seen.
    pub agent_status: String,
    /// Why it failed (or the last dispatch error).
    pub error: String,
    /// The job's change set.
    #[schemars(with = "Option<linux_patch_shared::api::jobs::ChangeSet>")]
    pub change_set: Option<serde_json::Value>,
    /// The last lines of output.
    #[schemars(with = "Vec<String>")]
    pub output_tail: serde_json::Value,
    /// The rollback job that undid it.
    pub rollback_job_id: Option<String>,
    /// First dispatch.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A target to create.
#[derive(Debug, Clone)]
pub struct NewTarget {
    /// Host.
    pub host_id: i64,
    /// Its name.
    pub hostname: String,
    /// `queued` or `waiting_window`.
    pub state: &'static str,
    /// First dispatch time.
    pub due_at: DateTime<Utc>,
    /// Cut-off of its window (None: mode `now`).
    pub dispatch_until: Option<DateTime<Utc>>,
}

/// Targets of a deployment counted by state.
pub type Counts = Vec<(String, i64)>;

impl Deployment {
    /// Inserts the deployment and its targets; returns the deployment.
    pub fn create(
        conn: &mut PgConnection,
        new: &NewDeployment,
        targets: &[NewTarget],
        now: DateTime<Utc>,
    ) -> QueryResult<Deployment> {
        let dep: Deployment = diesel::insert_into(d::table)
            .values(new)
            .returning(Deployment::as_returning())
            .get_result(conn)?;
        let rows: Vec<_> = targets
            .iter()
            .map(|t| {
                (
                    dt::deployment_id.eq(dep.id),
                    dt::host_id.eq(Some(t.host_id)),
                    dt::hostname.eq(&t.hostname),
                    dt::state.eq(t.state),
                    dt::due_at.eq(Some(t.due_at)),
                    dt::dispatch_until.eq(t.dispatch_until),
                    dt::updated_at.eq(now),
                )
            })
            .collect();
        for chunk in rows.chunks(5000) {
            diesel::insert_into(dt::table).values(chunk).execute(conn)?;
        }
        Ok(dep)
    }

    /// Deployment `id` if `scope` may see it: admins every one; operators those whose every target host is
    /// in their scope (a deployment touching a host they cannot see is not theirs to see).
    pub fn find(conn: &mut PgConnection, scope: Scope, id: i64) -> QueryResult<Option<Deployment>> {
        let dep = d::table
            .find(id)
            .select(Deployment::as_select())
            .first(conn)
            .optional()?;
        match (dep, scope) {
            (Some(dep), Scope::GroupsOf(user)) => Ok(visible_to(conn, user, &[dep.id])?
                .contains(&dep.id)
                .then_some(dep)),
            (dep, _) => Ok(dep),
        }
    }

    /// Deployments newest first, after `before` (keyset), at most `limit`, visible to `scope`, each with its
    /// targets counted by state: one statement (the Jobs page and `GET /api/v1/deployments` run it on every
    /// load, also while a large deployment writes its targets).
    pub fn page(
        conn: &mut PgConnection,
        scope: Scope,
        before: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<(Deployment, Counts)>> {
        let mut q = d::table.into_boxed();
        if let Some(b) = before {
            q = q.filter(d::id.lt(b));
        }
        newest_with_counts(conn, q, scope, limit)
    }

    /// Of the last [`FAILURE_LOOKBACK`] deployments, the newest `n` with a failed target (failed, timed out,
    /// interrupted or missed its window) that `scope` may see, with their counts: one statement, which finds
    /// failed targets through a partial index instead of counting every target of every deployment.
    pub fn recent_with_failures(
        conn: &mut PgConnection,
        scope: Scope,
        n: i64,
    ) -> QueryResult<Vec<(Deployment, Counts)>> {
        use diesel::dsl::sql;
        use diesel::sql_types::{BigInt, Bool};
        let q = d::table
            .filter(d::id.ge(sql::<BigInt>(&format!(
                "(SELECT coalesce(min(x.id), 0) FROM (SELECT id FROM deployments ORDER BY id DESC LIMIT \
                 {FAILURE_LOOKBACK}) x)"
            ))))
            .filter(sql::<Bool>(FAILED_TARGET_SQL))
            .into_boxed();
        newest_with_counts(conn, q, scope, n)
    }

    /// Targets of deployment `id` counted by state.
    pub fn counts(conn: &mut PgConnection, id: i64) -> QueryResult<Counts> {
        dt::table
            .filter(dt::deployment_id.eq(id))
            .group_by(dt::state)
            .select((dt::state, diesel::dsl::count_star()))
            .load(conn)
    }

    /// Targets of deployment `id` after target `after` (keyset), at most `limit`.
    pub fn targets(
        conn: &mut PgConnection,
        id: i64,
        after: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<Target>> {
        let mut q = dt::table.filter(dt::deployment_id.eq(id)).into_boxed();
        if let Some(a) = after {
            q = q.filter(dt::id.gt(a));
        }
        q.order(dt::id.asc())
            .limit(limit)
            .select(Target::as_select())
            .load(conn)
    }

    /// Cancels the targets of deployment `id` not yet handed to an agent and marks it cancelled; returns how
    /// many targets were cancelled (running ones finish on their agent).
    pub fn cancel(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> QueryResult<usize> {
        let n = diesel::update(
            dt::table
                .filter(dt::deployment_id.eq(id))
                .filter(dt::state.eq_any(["queued", "waiting_window", "retrying"])),
        )
        .set((
            dt::state.eq("cancelled"),
            dt::finished_at.eq(Some(now)),
            dt::updated_at.eq(now),
        ))
        .execute(conn)?;
        diesel::update(d::table.find(id).filter(d::status.ne("finished")))
            .set(d::status.eq("cancelled"))
            .execute(conn)?;
        Ok(n)
    }

    /// Cancels one target if it was not handed to an agent yet; whether it was.
    pub fn cancel_target(conn: &mut PgConnection, target: i64, now: DateTime<Utc>) -> QueryResult<bool> {
        diesel::update(dt::table.find(target).filter(dt::state.eq_any([
            "queued",
            "waiting_window",
            "retrying",
        ])))
        .set((
            dt::state.eq("cancelled"),
            dt::finished_at.eq(Some(now)),
            dt::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// One target.
    pub fn target(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Target>> {
        dt::table
            .find(id)
            .select(Target::as_select())
            .first(conn)
            .optional()
    }

    /// The jobs of host `host_id` newest first (Host detail), at most `limit`.
    pub fn host_history(
        conn: &mut PgConnection,
        host_id: i64,
        limit: i64,
    ) -> QueryResult<Vec<(Target, Deployment)>> {
        dt::table
            .inner_join(d::table)
            .filter(dt::host_id.eq(host_id))
            .order(dt::id.desc())
            .limit(limit)
            .select((Target::as_select(), Deployment::as_select()))
            .load(conn)
    }
}

/// The deployments `q` selects that `scope` may see, newest first, at most `limit`, each with its targets
/// counted by state (one statement).
fn newest_with_counts(
    conn: &mut PgConnection,
    mut q: d::BoxedQuery<'static, diesel::pg::Pg>,
    scope: Scope,
    limit: i64,
) -> QueryResult<Vec<(Deployment, Counts)>> {
    use diesel::sql_types::{Jsonb, Nullable};
    if let Scope::GroupsOf(user) = scope {
        q = q.filter(visible_to_user(user));
    }
    let rows: Vec<(Deployment, Option<serde_json::Value>)> = q
        .order(d::id.desc())
        .limit(limit)
        .select((
            Deployment::as_select(),
            diesel::dsl::sql::<Nullable<Jsonb>>(COUNTS_SQL),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(dep, counts)| (dep, counts_of(counts)))
        .collect())
}

/// How many of the newest deployments the Dashboard's failed list looks at.
pub const FAILURE_LOOKBACK: i64 = 200;

/// Whether `deployments.id` has a target in a failure state (the target states whose `is_failure` holds; the
/// same list as the partial index `deployment_targets_failed`, which serves it).
pub const FAILED_TARGET_SQL: &str =
    "EXISTS (SELECT 1 FROM deployment_targets t WHERE t.deployment_id = deployments.id \
     AND t.state IN ('failed', 'timed_out', 'interrupted', 'missed_window'))";

/// `deployments.id`'s targets counted by state as one JSON object (`NULL` without targets).
const COUNTS_SQL: &str = "(SELECT jsonb_object_agg(s.state, s.n) FROM (SELECT t.state, count(*) AS n \
     FROM deployment_targets t WHERE t.deployment_id = deployments.id GROUP BY t.state) s)";

/// Whether operator `user` may see `deployments.id`: every target host is ungrouped or shares a group with
/// the user (targets whose host was removed do not hide a deployment).
fn visible_to_user(user: i64) -> VisibleTo {
    diesel::dsl::sql::<diesel::sql_types::Bool>(
        "NOT EXISTS (SELECT 1 FROM deployment_targets t \
         WHERE t.deployment_id = deployments.id AND t.host_id IS NOT NULL \
           AND EXISTS (SELECT 1 FROM host_groups hg WHERE hg.host_id = t.host_id) \
           AND NOT EXISTS (SELECT 1 FROM host_groups hg JOIN user_groups ug ON ug.group_id = hg.group_id \
                           WHERE hg.host_id = t.host_id AND ug.user_id = ",
    )
    .bind::<diesel::sql_types::BigInt, _>(user)
    .sql("))")
}

/// The SQL expression type of [`visible_to_user`].
type VisibleTo = diesel::expression::SqlLiteral<
    diesel::sql_types::Bool,
    diesel::expression::UncheckedBind<
        diesel::expression::SqlLiteral<diesel::sql_types::Bool>,
        diesel::dsl::AsExprOf<i64, diesel::sql_types::BigInt>,
    >,
>;

/// The `{state: n}` object of [`COUNTS_SQL`] as counts (none: no targets).
fn counts_of(v: Option<serde_json::Value>) -> Counts {
    match v {
        Some(serde_json::Value::Object(m)) => m
            .into_iter()
            .filter_map(|(state, n)| n.as_i64().map(|n| (state, n)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Of `ids`, the deployments operator `user` may see (see [`visible_to_user`]).
pub fn visible_to(conn: &mut PgConnection, user: i64, ids: &[i64]) -> QueryResult<Vec<i64>> {
    d::table
        .filter(d::id.eq_any(ids.to_vec()))
        .filter(visible_to_user(user))
        .select(d::id)
        .load(conn)
}

/// Of `ids`, the hosts `scope` may see (id order).
pub fn hosts_by_ids(
    conn: &mut PgConnection,
    scope: Scope,
    ids: &[i64],
) -> QueryResult<Vec<crate::db::models::Host>> {
    use crate::db::schema::hosts;
    crate::db::models::host::visible(scope)
        .filter(hosts::id.eq_any(ids.to_vec()))
        .order(hosts::id.asc())
        .select(crate::db::models::Host::as_select())
        .load(conn)
}

/// Of `names` (host names, lower case), the `(id, name)` of those `scope` may see.
pub fn host_ids_by_name(
    conn: &mut PgConnection,
    scope: Scope,
    names: &[String],
) -> QueryResult<Vec<(i64, String)>> {
    use crate::db::schema::hosts;
    crate::db::models::host::visible(scope)
        .filter(hosts::hostname.eq_any(names.to_vec()))
        .select((hosts::id, hosts::hostname))
        .load(conn)
}
