//! The patch history and audit trail reports as PDF: title page (scope, period, generator, chain status) and
//! the table (at most [`MAX_ROWS`] rows, newest first; the CSV has them all).

use super::reports_audit::{self, Trail};
use super::reports_history::{self, History};
use crate::app::AppContext;
use crate::db::models::reports::{audit_trail, history};
use crate::error::ManagerError;
use crate::reports::pdf::{Doc, Title};

/// Most rows a PDF table holds.
pub const MAX_ROWS: i64 = 10_000;

fn generator(s: &super::reports::ReportScope) -> String {
    format!(
        "{} UTC by {} with Linux Patch Manager {}",
        s.generated_at.format("%Y-%m-%d %H:%M"),
        s.generated_by,
        env!("CARGO_PKG_VERSION")
    )
}

fn period(
    from: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    format!(
        "{} to {}",
        from.map_or("the oldest kept".into(), |t| t.format("%Y-%m-%d").to_string()),
        until.map_or("now".into(), |t| format!("{} (exclusive)", t.format("%Y-%m-%d")))
    )
}

async fn render(
    doc: impl FnOnce() -> Result<Vec<u8>, String> + Send + 'static,
) -> Result<Vec<u8>, ManagerError> {
    actix_web::web::block(doc)
        .await
        .map_err(|e| ManagerError::Internal(format!("pdf: {e}")))?
        .map_err(ManagerError::Internal)
}

/// The patch history as a PDF.
pub async fn history(ctx: &AppContext, h: History) -> Result<Vec<u8>, ManagerError> {
    let chain = super::reports_pdf::chain_status(ctx).await?;
    let (scope, group, f) = (h.scope.scope, h.scope.group, h.filter.clone());
    let rows = ctx
        .db(move |c| {
            Ok(history::rows(
                c, scope, group, f.host, f.from, f.until, None, MAX_ROWS,
            )?)
        })
        .await?;
    render(move || {
        let mut d = Doc::new(&Title {
            title: "Patch history".into(),
            scope: match &h.filter.host_name {
                Some(n) => format!("{}; host {n}", h.scope.label),
                None => h.scope.label.clone(),
            },
            period: period(h.filter.from, h.filter.until),
            generator: generator(&h.scope),
            chain,
        })?;
        d.para(&format!(
            "{} deployment targets (newest first; at most {MAX_ROWS} in a PDF).",
            rows.len()
        ));
        let cells: Vec<Vec<String>> = rows.iter().map(reports_history::cells).collect();
        d.table(
            "Deployment targets",
            &[
                "When (UTC)",
                "Host",
                "Dep.",
                "Operation",
                "Pkgs",
                "Changes",
                "Outcome",
                "Job",
                "By",
            ],
            &[7, 5, 5, 6, 4, 8, 7, 3, 5],
            &cells,
        )?;
        d.render()
    })
    .await
}

/// The audit trail as a PDF (administrators; the chain's status on the title page).
pub async fn audit(ctx: &AppContext, t: Trail) -> Result<Vec<u8>, ManagerError> {
    let f = t.filter.clone();
    let rows = ctx
        .db(move |c| Ok(audit_trail::rows(c, &f, None, MAX_ROWS)?))
        .await?;
    render(move || {
        let mut d = Doc::new(&Title {
            title: "Audit trail".into(),
            scope: t.scope.label.clone(),
            period: period(t.filter.from, t.filter.until),
            generator: generator(&t.scope),
            chain: t.chain.clone(),
        })?;
        d.para(&format!(
            "{} entries (newest first; at most {MAX_ROWS} in a PDF).",
            rows.len()
        ));
        let cells: Vec<Vec<String>> = rows.iter().map(reports_audit::cells).collect();
        d.table("Entries", &reports_audit::HEADER, &[2, 7, 3, 5, 5, 8], &cells)?;
        d.render()
    })
    .await
}
