//! The one typed function every event site calls: queues the event's e-mail in the outbox for the users who chose it (nothing when notifications are off or nobody chose it). Never fails the caller's work.

use super::{Audience, Event};
use crate::db::models::notification;
use chrono::{DateTime, Utc};
use diesel::PgConnection;

/// Whether e-mail notifications are on (the stored settings; off when never saved).
fn enabled(c: &mut PgConnection) -> bool {
    match crate::db::models::settings_row::load(c) {
        Ok(Some(doc)) => doc["smtp"]["enabled"].as_bool().unwrap_or(false),
        _ => false,
    }
}

/// Queues `event` for its recipients; answers how many addresses (0: off, nobody, or a failure, logged).
pub fn emit(c: &mut PgConnection, now: DateTime<Utc>, event: &Event) -> usize {
    if !enabled(c) {
        return 0;
    }
    let kind = event.kind().name();
    let (host, also) = match event.audience() {
        Audience::Admins => (None, None),
        Audience::Host(h) => (Some(h), None),
        Audience::AdminsAnd(u) => (None, Some(u)),
    };
    let to = match diesel::Connection::transaction(c, |c| {
        notification::recipients(c, kind, host, also.as_deref())
    }) {
        Ok(to) => to,
        Err(e) => {
            log::error!("notifications: cannot read the recipients of {kind}: {e}");
            return 0;
        }
    };
    if to.is_empty() {
        return 0;
    }
    let (subject, body) = event.render(now);
    // A savepoint: a failure here never aborts the caller's transaction.
    let queued =
        diesel::Connection::transaction(c, |c| notification::enqueue(c, kind, &to, &subject, &body, now));
    match queued {
        Ok(_) => to.len(),
        Err(e) => {
            log::error!("notifications: cannot queue {kind}: {e}");
            0
        }
    }
}

/// A deployment target ended in failure (after its retry): looks up its deployment and host, then emits.
pub fn target_failed(c: &mut PgConnection, now: DateTime<Utc>, target: i64, error: &str) -> usize {
    use crate::db::schema::deployment_targets as t;
    use diesel::prelude::*;
    let row: Option<(i64, Option<i64>, String)> = diesel::Connection::transaction(c, |c| {
        t::table
            .find(target)
            .select((t::deployment_id, t::host_id, t::hostname))
            .first(c)
            .optional()
    })
    .unwrap_or(None);
    let Some((deployment, host_id, hostname)) = row else {
        return 0;
    };
    emit(
        c,
        now,
        &Event::TargetFailed {
            deployment,
            host_id,
            hostname,
            error: error.to_owned(),
        },
    )
}

/// Hosts among `ids` not unreachable yet (they are about to turn red), with their names.
pub fn not_yet_red(c: &mut PgConnection, ids: &[i64]) -> Vec<(i64, String)> {
    use crate::db::schema::hosts as h;
    use diesel::prelude::*;
    if ids.is_empty() {
        return Vec::new();
    }
    diesel::Connection::transaction(c, |c| {
        h::table
            .filter(h::id.eq_any(ids).and(h::state.ne("unreachable")))
            .select((h::id, h::hostname))
            .load(c)
    })
    .unwrap_or_default()
}

/// Certificates in force (not revoked or superseded) that expire within 30 days of `now` and were not
/// e-mailed about yet: one e-mail each.
pub fn expiring_certificates(c: &mut PgConnection, now: DateTime<Utc>) -> usize {
    use crate::db::schema::{certificates as k, notification_outbox as o};
    use diesel::prelude::*;
    let soon: Vec<(String, String, DateTime<Utc>)> = diesel::Connection::transaction(c, |c| {
        k::table
            .filter(k::revoked_at.is_null().and(k::superseded_by.is_null()))
            .filter(
                k::not_after
                    .gt(now)
                    .and(k::not_after.le(now + chrono::Duration::days(30))),
            )
            .select((k::subject, k::serial, k::not_after))
            .load(c)
    })
    .unwrap_or_default();
    let mut n = 0;
    for (subject, serial, not_after) in soon {
        let told: i64 = o::table
            .filter(
                o::event
                    .eq("cert_expiring")
                    .and(o::body.like(format!("%(serial {serial})%"))),
            )
            .count()
            .get_result(c)
            .unwrap_or(0);
        if told == 0 {
            n += emit(
                c,
                now,
                &Event::CertExpiring {
                    subject,
                    serial,
                    not_after,
                },
            );
        }
    }
    n
}
