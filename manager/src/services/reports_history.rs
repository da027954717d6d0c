//! The patch history report: deployment targets by host or group and date range (newest first, keyset on
//! the target id), and its CSV stream.

use super::reports::ReportScope;
use super::reports_audit::day;
use super::reports_csv::{preamble, CsvStream};
use crate::app::AppContext;
use crate::db::models::reports::history::{self as q, HistoryRow};
use crate::db::models::Host;
use crate::error::ManagerError;
use crate::reports::csv::record;
use crate::reports::history::{changes, packages};
use actix_web::web::Bytes;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use futures_util::stream;
use serde::Serialize;

/// `?group=&host=&from=&to=&before=&limit=`.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct HistoryQuery {
    /// Group id or `ungrouped`.
    pub group: Option<String>,
    /// Host id ('' = any: the page's empty field).
    pub host: Option<String>,
    /// First day (UTC).
    pub from: Option<String>,
    /// Last day (inclusive).
    pub to: Option<String>,
    /// Keyset: targets with a lower id.
    pub before: Option<i64>,
    /// Rows per page.
    pub limit: Option<i64>,
}

impl HistoryQuery {
    /// The query an export loads: the filters without the page (the CSV and PDF read every row themselves).
    pub(crate) fn for_export(self) -> Self {
        HistoryQuery {
            before: None,
            limit: Some(1),
            ..self
        }
    }
}

/// The checked range and host.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct HistoryFilter {
    /// Host id.
    pub host: Option<i64>,
    /// Host name.
    pub host_name: Option<String>,
    /// From (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until (exclusive).
    pub until: Option<DateTime<Utc>>,
}

/// One page.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct History {
    /// What it covers.
    pub scope: ReportScope,
    /// The filters.
    pub filter: HistoryFilter,
    /// Targets, newest first.
    pub rows: Vec<HistoryRow>,
    /// `before=` of the next page.
    pub next_before: Option<i64>,
}

/// Checks the host (visible to the scope, else 404) and the dates.
pub async fn checked(
    ctx: &AppContext,
    rs: &ReportScope,
    q: &HistoryQuery,
) -> Result<HistoryFilter, ManagerError> {
    let from = day(q.from.as_deref(), "from")?;
    let to = day(q.to.as_deref(), "to")?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ManagerError::Invalid("from must not be after to".into()));
        }
    }
    let at = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
    let host = match q.host.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        None => None,
        Some(h) => Some(
            h.parse::<i64>()
                .map_err(|_| ManagerError::Invalid(format!("host must be a host id, not {h:?}")))?,
        ),
    };
    let host_name = match host {
        None => None,
        Some(id) => {
            let scope = rs.scope;
            let h = ctx.db(move |c| Ok(Host::find(c, scope, id)?)).await?;
            Some(
                h.ok_or_else(|| ManagerError::NotFound(format!("there is no host with id {id}")))?
                    .hostname,
            )
        }
    };
    Ok(HistoryFilter {
        host,
        host_name,
        from: from.and_then(at),
        until: to.and_then(|d| d.succ_opt()).and_then(at),
    })
}

/// One page of the history.
pub async fn history(ctx: &AppContext, rs: ReportScope, q: &HistoryQuery) -> Result<History, ManagerError> {
    let filter = checked(ctx, &rs, q).await?;
    let limit = q.limit.unwrap_or(super::reports::PAGE).clamp(1, 1000);
    let (scope, group, f, before) = (rs.scope, rs.group, filter.clone(), q.before);
    let mut rows = ctx
        .db(move |c| {
            Ok(q::rows(
                c,
                scope,
                group,
                f.host,
                f.from,
                f.until,
                before,
                limit + 1,
            )?)
        })
        .await?;
    let n = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_before = if rows.len() > n {
        rows.truncate(n);
        rows.last().map(|r| r.target_id)
    } else {
        None
    };
    Ok(History {
        scope: rs,
        filter,
        rows,
        next_before,
    })
}

/// The table's header.
pub const HEADER: [&str; 9] = [
    "When (UTC)",
    "Host",
    "Deployment",
    "Operation",
    "Packages",
    "Changes (from -> to)",
    "Outcome",
    "Agent job",
    "Triggered by",
];

/// One target as cells.
pub fn cells(r: &HistoryRow) -> Vec<String> {
    let mut outcome = r.state.clone();
    if !r.error.is_empty() {
        outcome = format!("{outcome}: {}", r.error);
    }
    vec![
        r.finished_at
            .unwrap_or(r.created_at)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        r.hostname.clone(),
        r.deployment_id.to_string(),
        r.operation.clone(),
        packages(&r.packages),
        changes(r.change_set.as_ref()),
        outcome,
        r.agent_job_id.clone().unwrap_or_default(),
        r.created_by.clone(),
    ]
}

/// Every matching target as CSV, in batches.
pub fn csv(ctx: &AppContext, h: &History) -> CsvStream {
    let mut extra = Vec::new();
    if let Some(n) = &h.filter.host_name {
        extra.push(("Host", n.clone()));
    }
    let range = format!(
        "{} to {}",
        h.filter
            .from
            .map_or("start".into(), |t| t.format("%Y-%m-%d").to_string()),
        h.filter
            .until
            .map_or("now".into(), |t| t.format("%Y-%m-%d (exclusive)").to_string())
    );
    extra.push(("Period", range));
    let head = preamble("Patch history", &h.scope, &extra) + &record(&HEADER);
    let (ctx, f, scope, group) = (ctx.clone(), h.filter.clone(), h.scope.scope, h.scope.group);
    Box::pin(stream::unfold(
        (Some(head), None::<i64>, false),
        move |(head, before, done)| {
            let (ctx, f) = (ctx.clone(), f.clone());
            async move {
                if let Some(h) = head {
                    return Some((Ok(Bytes::from(h)), (None, None, false)));
                }
                if done {
                    return None;
                }
                let b = super::reports_csv::BATCH;
                match ctx
                    .db(move |c| Ok(q::rows(c, scope, group, f.host, f.from, f.until, before, b)?))
                    .await
                {
                    Err(e) => Some((Err(e), (None, None, true))),
                    Ok(rows) if rows.is_empty() => None,
                    Ok(rows) => {
                        let last = rows.last().map(|r| r.target_id);
                        let end = i64::try_from(rows.len()).unwrap_or(0) < b;
                        let out: String = rows.iter().map(|r| record(&cells(r))).collect();
                        Some((Ok(Bytes::from(out)), (None, last, end)))
                    }
                }
            }
        },
    ))
}
