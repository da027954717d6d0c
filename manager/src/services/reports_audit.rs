//! The audit trail report (administrators): filtered rows newest first in keyset pages, the chain's
//! verification with every page and export, and the CSV stream.

use super::reports::ReportScope;
use super::reports_csv::{preamble, CsvStream};
use crate::app::AppContext;
use crate::db::models::reports::audit_trail::{self as q, TrailFilter, TrailRow};
use crate::error::ManagerError;
use crate::reports::csv::record;
use actix_web::web::Bytes;
use chrono::{NaiveDate, TimeZone, Utc};
use futures_util::stream;
use serde::Serialize;

/// The raw filters of a request.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
pub struct TrailQuery {
    /// User name.
    pub user: Option<String>,
    /// Action prefix.
    pub action: Option<String>,
    /// Host name or id.
    pub host: Option<String>,
    /// First day (YYYY-MM-DD, UTC).
    pub from: Option<String>,
    /// Last day (inclusive).
    pub to: Option<String>,
    /// Keyset: rows older than this id.
    pub before: Option<i64>,
    /// Rows per page.
    pub limit: Option<i64>,
}

impl TrailQuery {
    /// The query an export loads: the filters without the page (the CSV and PDF read every row themselves).
    pub(crate) fn for_export(self) -> Self {
        TrailQuery {
            before: None,
            limit: Some(1),
            ..self
        }
    }
}

/// A `YYYY-MM-DD` day parameter.
pub fn day(s: Option<&str>, what: &str) -> Result<Option<NaiveDate>, ManagerError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ManagerError::Invalid(format!("{what} must be a date (YYYY-MM-DD), not {s:?}"))),
    }
}

fn text(s: Option<&str>, what: &str) -> Result<Option<String>, ManagerError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > 200 || s.chars().any(char::is_control) => Err(ManagerError::Invalid(
            format!("{what} is too long or holds control characters"),
        )),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

impl TrailQuery {
    /// Checks the filters.
    pub fn filter(&self) -> Result<TrailFilter, ManagerError> {
        let from = day(self.from.as_deref(), "from")?;
        let to = day(self.to.as_deref(), "to")?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(ManagerError::Invalid("from must not be after to".into()));
            }
        }
        let at = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
        Ok(TrailFilter {
            user: text(self.user.as_deref(), "user")?,
            action: text(self.action.as_deref(), "action")?,
            host: text(self.host.as_deref(), "host")?,
            from: from.and_then(at),
            until: to.and_then(|d| d.succ_opt()).and_then(at),
        })
    }
}

/// One page of the trail.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Trail {
    /// What it covers.
    pub scope: ReportScope,
    /// The chain's verification, in words.
    pub chain: String,
    /// Whether the chain holds.
    pub chain_ok: bool,
    /// The filters applied.
    pub filter: TrailFilter,
    /// Rows, newest first.
    pub rows: Vec<TrailRow>,
    /// `before=` of the next page.
    pub next_before: Option<i64>,
}

/// The chain's status (verified now) in words, and whether it holds.
pub async fn chain(ctx: &AppContext) -> Result<(String, bool), ManagerError> {
    let v = ctx.db(|c| Ok(crate::audit::verify(c)?)).await?;
    Ok(match v.broken {
        Some(b) => (format!("BROKEN at row {}: {}", b.id, b.reason), false),
        None => (format!("verified ({} rows hash-chained)", v.rows), true),
    })
}

/// One page (administrators only).
pub async fn trail(ctx: &AppContext, rs: ReportScope, q: &TrailQuery) -> Result<Trail, ManagerError> {
    rs.scope.require_admin()?;
    let filter = q.filter()?;
    let limit = q.limit.unwrap_or(super::reports::PAGE).clamp(1, 1000);
    let (before, f) = (q.before, filter.clone());
    let (chain, chain_ok) = chain(ctx).await?;
    let mut rows = ctx.db(move |c| Ok(q::rows(c, &f, before, limit + 1)?)).await?;
    let n = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_before = if rows.len() > n {
        rows.truncate(n);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok(Trail {
        scope: rs,
        chain,
        chain_ok,
        filter,
        rows,
        next_before,
    })
}

/// The table's header.
pub const HEADER: [&str; 6] = ["#", "When (UTC)", "Who", "Action", "Target", "Details"];

/// One row as cells.
pub fn cells(r: &TrailRow) -> Vec<String> {
    vec![
        r.id.to_string(),
        r.at.format("%Y-%m-%d %H:%M:%S").to_string(),
        r.actor.clone(),
        r.action.clone(),
        r.target.clone(),
        r.details.to_string(),
    ]
}

/// Every matching row as CSV (batches, newest first), the chain status in the preamble.
pub fn csv(ctx: &AppContext, t: &Trail) -> CsvStream {
    let head = preamble("Audit trail", &t.scope, &[("Audit chain", t.chain.clone())]) + &record(&HEADER);
    let (ctx, f) = (ctx.clone(), t.filter.clone());
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
                match ctx.db(move |c| Ok(q::rows(c, &f, before, b)?)).await {
                    Err(e) => Some((Err(e), (None, None, true))),
                    Ok(rows) if rows.is_empty() => None,
                    Ok(rows) => {
                        let last = rows.last().map(|r| r.id);
                        let end = i64::try_from(rows.len()).unwrap_or(0) < b;
                        let out: String = rows.iter().map(|r| record(&cells(r))).collect();
                        Some((Ok(Bytes::from(out)), (None, last, end)))
                    }
                }
            }
        },
    ))
}
