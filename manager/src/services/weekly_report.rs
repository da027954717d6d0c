//! The optional weekly compliance e-mail: from Monday 06:00 UTC (by the Clock) the fleet compliance report
//! (administrator scope, the same PDF as the Reports page) is queued in the outbox for the addresses in the
//! settings, once per ISO week across restarts and managers (`scheduled_emails`), so an SMTP outage delays it
//! and loses nothing. [`start`] checks every few minutes; tests call [`run_due`] with a manual clock.

use super::reports::{self, Cursors, ReportScope};
use crate::app::AppContext;
use crate::db::models::scope::Scope;
use crate::db::models::{notification, scheduled};
use crate::error::ManagerError;
use crate::reports::compliance::percent_text;
use crate::reports::schedule::week_due;
use diesel::Connection;
use std::time::Duration;

/// The schedule's name in `scheduled_emails` and the outbox's `event`.
pub const NAME: &str = "weekly_compliance";

/// Real time between checks.
pub const CHECK_EVERY: Duration = Duration::from_secs(300);

/// Queues this week's compliance PDF if it is due and not queued yet (by this or another manager); answers
/// the week queued, or `None` (not due, already queued, no addresses, or e-mail off).
pub async fn run_due(ctx: &AppContext) -> Result<Option<String>, ManagerError> {
    let now = ctx.now();
    let Some(week) = week_due(now) else {
        return Ok(None);
    };
    let settings = super::settings::current(ctx).await?;
    let to = settings.reports.weekly_compliance_to.clone();
    if to.is_empty() || !settings.smtp.enabled {
        return Ok(None);
    }
    let w = week.clone();
    let last = ctx.db(move |c| Ok(scheduled::last_period(c, NAME)?)).await?;
    if last.is_some_and(|l| l >= w) {
        return Ok(None);
    }
    let rs = ReportScope {
        scope: Scope::All,
        group: None,
        group_name: None,
        restricted: false,
        label: "All hosts".into(),
        generated_by: "the weekly schedule".into(),
        generated_at: now,
    };
    let r = reports::compliance(ctx, rs, None, Cursors::default(), 1).await?;
    let subject = format!(
        "[Linux Patch Manager] Weekly compliance report {week}: {} compliant",
        percent_text(r.percent)
    );
    let body = format!(
        "The fleet compliance report for {week} is attached (PDF).\n\n\
         Compliant (of hosts with data): {}\nCompliant hosts: {}\nNot compliant hosts: {}\nHosts without data: {}\n\
         Critical updates pending more than 30 days (PCI-DSS 6.3.3): {} on {} hosts\n\n\
         Generated at {}.\n\nYou receive this because your address is in Settings > Scheduled reports.\n",
        percent_text(r.percent),
        r.counts.compliant,
        r.counts.noncompliant,
        r.counts.nodata,
        r.aged_total,
        r.aged_hosts,
        now.format("%Y-%m-%d %H:%M UTC"),
    );
    let file = format!("compliance-{}.pdf", now.format("%Y-%m-%d"));
    let pdf = super::reports_pdf::compliance(ctx, r).await?;
    let w = week.clone();
    let queued = ctx
        .db(move |c| {
            Ok(c.transaction(|c| {
                if !scheduled::claim_period(c, NAME, &w, now)? {
                    return Ok::<_, diesel::result::Error>(false);
                }
                notification::enqueue_with(c, NAME, &to, &subject, &body, Some((&file, &pdf)), now)?;
                Ok(true)
            })?)
        })
        .await?;
    if queued {
        log::info!("weekly compliance report {week} queued");
    }
    Ok(queued.then_some(week))
}

/// Checks every [`CHECK_EVERY`] on the current arbiter (the serving manager).
pub fn start(ctx: AppContext) {
    actix_rt::spawn(async move {
        let mut tick = actix_rt::time::interval(CHECK_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = run_due(&ctx).await {
                log::error!("weekly compliance report: {e}");
            }
        }
    });
}
