//! The vulnerability exposure report: CVEs on the hosts in scope (sortable by severity or age, keyset
//! pages), one CVE's hosts, and its CSV stream.

use super::reports::{decode_cursor, encode_cursor, ReportScope};
use super::reports_csv::{preamble, CsvStream};
use crate::app::AppContext;
use crate::db::models::reports::exposure::{self as q, CveKey, CveRow, ExposedHost, Sort};
use crate::db::models::scope::Scope;
use crate::error::ManagerError;
use crate::reports::csv::record;
use crate::reports::exposure::{rank_label, valid_cve};
use actix_web::web::Bytes;
use futures_util::stream;
use serde::Serialize;

/// The report (one page of CVEs).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Exposure {
    /// What it covers.
    pub scope: ReportScope,
    /// Sort order.
    pub sort: Sort,
    /// CVEs by severity: (severity, count), highest first.
    pub by_severity: Vec<(String, i64)>,
    /// CVEs in all.
    pub total: i64,
    /// Hosts exposed to at least one.
    pub hosts_exposed: i64,
    /// One page of CVEs.
    pub cves: Vec<CveRow>,
    /// Cursor of the next page.
    pub next: Option<String>,
}

/// `?sort=severity|age` (default severity).
pub fn checked_sort(s: Option<&str>) -> Result<Sort, ManagerError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("severity") => Ok(Sort::Severity),
        Some("age") => Ok(Sort::Age),
        Some(o) => Err(ManagerError::Invalid(format!(
            "sort must be severity or age, not {o:?}"
        ))),
    }
}

/// One page of the CVEs in `rs`'s scope.
pub async fn exposure(
    ctx: &AppContext,
    rs: ReportScope,
    sort: Sort,
    after: Option<String>,
    limit: i64,
) -> Result<Exposure, ManagerError> {
    let limit = limit.clamp(1, 1000);
    let after: Option<CveKey> = after.as_deref().map(decode_cursor).transpose()?;
    let (scope, group) = (rs.scope, rs.group);
    let ((ranks, hosts_exposed), mut cves) = ctx
        .db(move |c| {
            Ok((
                q::totals(c, scope, group)?,
                q::cves(c, scope, group, sort, after, limit + 1)?,
            ))
        })
        .await?;
    let n = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if cves.len() > n {
        cves.truncate(n);
        cves.last()
            .map(|r| encode_cursor(&(r.rank, r.first_seen_at, r.cve.clone())))
    } else {
        None
    };
    Ok(Exposure {
        scope: rs,
        sort,
        total: ranks.iter().map(|(_, n)| n).sum(),
        by_severity: ranks
            .into_iter()
            .map(|(r, n)| (rank_label(r).to_owned(), n))
            .collect(),
        hosts_exposed,
        cves,
        next,
    })
}

/// One page of the hosts in `scope` with `cve` pending; a CVE no host in scope has is a 404.
pub async fn cve_hosts(
    ctx: &AppContext,
    scope: Scope,
    cve: &str,
    after: Option<String>,
    limit: i64,
) -> Result<(Vec<ExposedHost>, Option<String>), ManagerError> {
    if !valid_cve(cve) {
        return Err(ManagerError::Invalid(format!(
            "{cve:?} is not a CVE id (CVE-YYYY-NNNN)"
        )));
    }
    let limit = limit.clamp(1, 1000);
    let first = after.is_none();
    let after: Option<(String, i64, String)> = after.as_deref().map(decode_cursor).transpose()?;
    let id = cve.to_owned();
    let mut rows = ctx
        .db(move |c| Ok(q::hosts_of(c, scope, &id, after, limit + 1)?))
        .await?;
    if first && rows.is_empty() {
        return Err(ManagerError::NotFound(format!(
            "no host you can see has {cve} pending"
        )));
    }
    let n = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if rows.len() > n {
        rows.truncate(n);
        rows.last()
            .map(|h| encode_cursor(&(h.hostname.clone(), h.host_id, h.name.clone())))
    } else {
        None
    };
    Ok((rows, next))
}

/// The CVE table's header.
pub const HEADER: [&str; 6] = [
    "CVE",
    "Severity",
    "Hosts",
    "Packages",
    "First seen (UTC)",
    "Fix available",
];

/// One CVE as cells (CSV and PDF).
pub fn cells(r: &CveRow) -> Vec<String> {
    vec![
        r.cve.clone(),
        rank_label(r.rank).to_owned(),
        r.hosts.to_string(),
        r.packages.join(" "),
        r.first_seen_at.format("%Y-%m-%d").to_string(),
        if r.fix_available { "yes" } else { "no" }.to_owned(),
    ]
}

/// The report as CSV: figures, then every CVE in `summary.sort` order, fetched in batches.
pub fn csv(ctx: &AppContext, summary: &Exposure) -> CsvStream {
    let rs = summary.scope.clone();
    let sev = summary
        .by_severity
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let head = preamble(
        "Vulnerability exposure",
        &rs,
        &[
            ("CVEs", summary.total.to_string()),
            ("By severity", sev),
            ("Hosts exposed", summary.hosts_exposed.to_string()),
        ],
    ) + &record(&HEADER);
    let (ctx, sort) = (ctx.clone(), summary.sort);
    Box::pin(stream::unfold(
        (Some(head), None::<CveKey>, false),
        move |(head, after, done)| {
            let (ctx, rs) = (ctx.clone(), rs.clone());
            async move {
                if let Some(h) = head {
                    return Some((Ok(Bytes::from(h)), (None, None, false)));
                }
                if done {
                    return None;
                }
                let (scope, group) = (rs.scope, rs.group);
                let b = super::reports_csv::BATCH;
                match ctx
                    .db(move |c| Ok(q::cves(c, scope, group, sort, after, b)?))
                    .await
                {
                    Err(e) => Some((Err(e), (None, None, true))),
                    Ok(rows) if rows.is_empty() => None,
                    Ok(rows) => {
                        let last = rows.last().map(|r| (r.rank, r.first_seen_at, r.cve.clone()));
                        let end = i64::try_from(rows.len()).unwrap_or(0) < b;
                        let out: String = rows.iter().map(|r| record(&cells(r))).collect();
                        Some((Ok(Bytes::from(out)), (None, last, end)))
                    }
                }
            }
        },
    ))
}
