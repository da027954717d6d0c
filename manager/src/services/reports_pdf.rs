//! Reports as PDF: the data gathered in batches on the blocking pool, the document built by
//! `reports::pdf` (title page with scope, period, generator and the audit chain's status; charts; tables).

use super::reports::Compliance;
use crate::app::AppContext;
use crate::db::models::reports::compliance::{self as q, AgedRow, GroupCounts, HostRow};
use crate::error::ManagerError;
use crate::reports::compliance::{days_pending, percent, percent_text, state_label, TREND_DAYS};
use crate::reports::pdf::charts::{Bars, TrendChart};
use crate::reports::pdf::{Doc, Title};
use genpdf::style::Color;

/// Rows per database batch.
const BATCH: i64 = 2000;

/// The audit chain's status in words (shown on every report's title page and in exports).
pub async fn chain_status(ctx: &AppContext) -> Result<String, ManagerError> {
    let v = ctx.db(|c| Ok(crate::audit::verify(c)?)).await?;
    Ok(match v.broken {
        Some(b) => format!("BROKEN at row {}: {}", b.id, b.reason),
        None => format!("verified ({} rows hash-chained)", v.rows),
    })
}

async fn all_hosts(ctx: &AppContext, r: &Compliance) -> Result<Vec<HostRow>, ManagerError> {
    let (scope, group) = (r.scope.scope, r.scope.group);
    ctx.db(move |c| {
        let mut out: Vec<HostRow> = Vec::new();
        loop {
            let after = out.last().map(|h| (h.hostname.clone(), h.id));
            let rows = q::hosts(c, scope, group, None, after, BATCH)?;
            let n = rows.len();
            out.extend(rows);
            if i64::try_from(n).unwrap_or(0) < BATCH {
                return Ok(out);
            }
        }
    })
    .await
}

async fn all_aged(ctx: &AppContext, r: &Compliance) -> Result<Vec<AgedRow>, ManagerError> {
    let (scope, group) = (r.scope.scope, r.scope.group);
    let cutoff = crate::reports::compliance::pci_cutoff(r.scope.generated_at);
    ctx.db(move |c| {
        let mut out: Vec<AgedRow> = Vec::new();
        loop {
            let after = out.last().map(|a| {
                (
                    a.first_seen_at,
                    a.host_id,
                    a.package.clone(),
                    a.architecture.clone(),
                )
            });
            let rows = q::aged(c, scope, group, cutoff, after, BATCH)?;
            let n = rows.len();
            out.extend(rows);
            if i64::try_from(n).unwrap_or(0) < BATCH {
                return Ok(out);
            }
        }
    })
    .await
}

/// The compliance report as a PDF.
pub async fn compliance(ctx: &AppContext, mut r: Compliance) -> Result<Vec<u8>, ManagerError> {
    if r.scope.group.is_none() {
        r.groups = super::reports::all_groups(ctx, r.scope.scope).await?;
        r.groups_next = None;
    }
    let chain = chain_status(ctx).await?;
    let hosts = all_hosts(ctx, &r).await?;
    let aged = all_aged(ctx, &r).await?;
    actix_web::web::block(move || build_compliance(&r, &chain, &hosts, &aged))
        .await
        .map_err(|e| ManagerError::Internal(format!("pdf: {e}")))?
        .map_err(ManagerError::Internal)
}

fn build_compliance(
    r: &Compliance,
    chain: &str,
    hosts: &[HostRow],
    aged: &[AgedRow],
) -> Result<Vec<u8>, String> {
    let now = r.scope.generated_at;
    let (first, last) = (
        r.trend.first().map(|p| p.day.to_string()).unwrap_or_default(),
        r.trend.last().map(|p| p.day.to_string()).unwrap_or_default(),
    );
    let mut d = Doc::new(&Title {
        title: "Compliance report".into(),
        scope: r.scope.label.clone(),
        period: format!(
            "Trend over {TREND_DAYS} days, {first} to {last}; state as of {}",
            now.format("%Y-%m-%d %H:%M UTC")
        ),
        generator: format!(
            "{} UTC by {} with Linux Patch Manager {}",
            now.format("%Y-%m-%d %H:%M"),
            r.scope.generated_by,
            env!("CARGO_PKG_VERSION")
        ),
        chain: chain.to_owned(),
    })?;
    d.heading("Compliant hosts");
    d.para(&format!(
        "{} of hosts with data are compliant: {} compliant, {} not compliant; {} hosts without data (counted apart). \
         A host is compliant when it has no pending security update and needs no reboot.",
        percent_text(r.percent),
        r.counts.compliant,
        r.counts.noncompliant,
        r.counts.nodata
    ));
    d.heading("Trend (compliant hosts per day, %)");
    d.push(TrendChart {
        values: r.trend.iter().map(|p| p.percent).collect(),
        first,
        last,
    });
    if !r.groups.is_empty() {
        group_section(&mut d, &r.groups)?;
    }
    d.heading("PCI-DSS 6.3.3: critical security updates pending more than 30 days");
    d.para(&format!(
        "{} updates on {} hosts (from when the manager first saw each update pending).",
        r.aged_total, r.aged_hosts
    ));
    let aged_rows: Vec<Vec<String>> = aged
        .iter()
        .map(|a| {
            vec![
                a.hostname.clone(),
                a.package.clone(),
                format!(
                    "{} -> {}",
                    a.installed_version.as_deref().unwrap_or("-"),
                    a.candidate_version
                ),
                a.cves
                    .as_array()
                    .map(|v| v.iter().filter_map(|c| c.as_str()).collect::<Vec<_>>().join(" "))
                    .unwrap_or_default(),
                a.first_seen_at.format("%Y-%m-%d").to_string(),
                days_pending(a.first_seen_at, now).to_string(),
            ]
        })
        .collect();
    d.table(
        "Critical updates pending more than 30 days",
        &[
            "Host",
            "Package",
            "Installed -> candidate",
            "CVEs",
            "First seen",
            "Days",
        ],
        &[9, 6, 8, 8, 5, 3],
        &aged_rows,
    )?;
    let host_rows: Vec<Vec<String>> = hosts
        .iter()
        .map(|h| {
            vec![
                h.hostname.clone(),
                h.ip.clone(),
                h.groups.join(", "),
                state_label(&h.state).to_owned(),
                h.pending_security.to_string(),
                h.reboot_required.clone(),
                h.patches_checked_at
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "never".into()),
            ]
        })
        .collect();
    d.table(
        "Hosts",
        &[
            "Host",
            "Address",
            "Groups",
            "Compliance",
            "Pending security",
            "Reboot",
            "Last patch data (UTC)",
        ],
        &[9, 5, 6, 5, 4, 3, 6],
        &host_rows,
    )?;
    d.render()
}

/// The vulnerability exposure report as a PDF: title page, CVEs by severity (bars), every CVE.
pub async fn exposure(
    ctx: &AppContext,
    r: super::reports_exposure::Exposure,
) -> Result<Vec<u8>, ManagerError> {
    use crate::db::models::reports::exposure as x;
    let chain = chain_status(ctx).await?;
    let (scope, group, sort) = (r.scope.scope, r.scope.group, r.sort);
    let all = ctx
        .db(move |c| {
            let mut out: Vec<x::CveRow> = Vec::new();
            loop {
                let after = out.last().map(|r| (r.rank, r.first_seen_at, r.cve.clone()));
                let rows = x::cves(c, scope, group, sort, after, BATCH)?;
                let n = rows.len();
                out.extend(rows);
                if i64::try_from(n).unwrap_or(0) < BATCH {
                    return Ok(out);
                }
            }
        })
        .await?;
    actix_web::web::block(move || build_exposure(&r, &chain, &all))
        .await
        .map_err(|e| ManagerError::Internal(format!("pdf: {e}")))?
        .map_err(ManagerError::Internal)
}

fn build_exposure(
    r: &super::reports_exposure::Exposure,
    chain: &str,
    all: &[crate::db::models::reports::exposure::CveRow],
) -> Result<Vec<u8>, String> {
    let now = r.scope.generated_at;
    let mut d = Doc::new(&Title {
        title: "Vulnerability exposure".into(),
        scope: r.scope.label.clone(),
        period: format!("Pending updates as of {}", now.format("%Y-%m-%d %H:%M UTC")),
        generator: format!(
            "{} UTC by {} with Linux Patch Manager {}",
            now.format("%Y-%m-%d %H:%M"),
            r.scope.generated_by,
            env!("CARGO_PKG_VERSION")
        ),
        chain: chain.to_owned(),
    })?;
    d.heading("CVEs by severity");
    d.para(&format!("{} CVEs pending on {} hosts.", r.total, r.hosts_exposed));
    #[allow(clippy::cast_precision_loss)]
    let max = r.by_severity.iter().map(|(_, n)| *n).max().unwrap_or(0) as f64;
    d.push(Bars {
        #[allow(clippy::cast_precision_loss)]
        bars: r
            .by_severity
            .iter()
            .map(|(s, n)| (s.clone(), *n as f64, n.to_string()))
            .collect(),
        max,
        color: Color::Rgb(207, 34, 46),
    });
    let rows: Vec<Vec<String>> = all.iter().map(super::reports_exposure::cells).collect();
    d.table(
        "CVEs",
        &super::reports_exposure::HEADER,
        &[7, 5, 3, 12, 5, 4],
        &rows,
    )?;
    d.render()
}

/// Bars drawn at most in the by-group chart (the table after it lists every group).
const CHART_GROUPS: usize = 40;

/// "Compliance by group": a bar chart of the groups; past [`CHART_GROUPS`] groups the chart shows the first
/// ones by name and a table (on its own pages) lists every group.
fn group_section(d: &mut Doc, groups: &[GroupCounts]) -> Result<(), String> {
    let title = if groups.len() > CHART_GROUPS {
        format!(
            "Compliance by group (%), the first {CHART_GROUPS} of {} by name",
            groups.len()
        )
    } else {
        "Compliance by group (%)".to_owned()
    };
    d.heading(&title);
    d.push(Bars {
        bars: groups
            .iter()
            .take(CHART_GROUPS)
            .map(|g| {
                let p = percent(&g.counts);
                (g.name.clone(), p.unwrap_or(0.0), percent_text(p))
            })
            .collect(),
        max: 100.0,
        color: Color::Rgb(26, 127, 55),
    });
    if groups.len() <= CHART_GROUPS {
        return Ok(());
    }
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                g.counts.compliant.to_string(),
                g.counts.noncompliant.to_string(),
                g.counts.nodata.to_string(),
                percent_text(percent(&g.counts)),
            ]
        })
        .collect();
    d.table(
        "Compliance by group",
        &["Group", "Compliant", "Not compliant", "No data", "Compliant %"],
        &[10, 4, 4, 4, 4],
        &rows,
    )
}
