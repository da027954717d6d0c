//! The Dashboard's numbers: one aggregate over the hosts in scope, pending patches by severity, and the
//! red/yellow alert list with how long each host has been in its state.

use crate::db::models::host::visible;
use crate::db::models::scope::Scope;
use crate::db::schema::{host_patches, hosts};
use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamptz};
use serde::Serialize;

/// Severity buckets in display order (`unrated` = no severity reported).
pub const SEVERITIES: [&str; 5] = ["critical", "important", "moderate", "low", "unrated"];
/// Most alerts listed (the rest are counted and linked).
pub const MAX_ALERTS: i64 = 200;

/// Hosts per state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct StateCounts {
    /// Green.
    pub healthy: i64,
    /// Yellow.
    pub degraded: i64,
    /// Red.
    pub unreachable: i64,
    /// Never polled (grey).
    pub unknown: i64,
}

/// Pending updates (summed over hosts) per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SeverityCounts {
    /// Critical.
    pub critical: i64,
    /// Important (high).
    pub important: i64,
    /// Moderate (medium).
    pub moderate: i64,
    /// Low.
    pub low: i64,
    /// No severity reported.
    pub unrated: i64,
}

impl SeverityCounts {
    /// `(bucket, count)` in [`SEVERITIES`] order.
    pub fn pairs(&self) -> [(&'static str, i64); 5] {
        [
            ("critical", self.critical),
            ("important", self.important),
            ("moderate", self.moderate),
            ("low", self.low),
            ("unrated", self.unrated),
        ]
    }

    fn add(&mut self, severity: Option<&str>, n: i64) {
        match severity {
            Some("critical") => self.critical += n,
            Some("important") => self.important += n,
            Some("moderate") => self.moderate += n,
            Some("low") => self.low += n,
            _ => self.unrated += n,
        }
    }
}

/// A red or yellow host.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize, schemars::JsonSchema)]
pub struct Alert {
    /// Host id.
    pub id: i64,
    /// Host name.
    pub hostname: String,
    /// `unreachable` or `degraded`.
    pub state: String,
    /// Why.
    pub reason: String,
    /// Since when (first attempt of the current run of this state in the history; `None` without history).
    pub since: Option<DateTime<Utc>>,
}

/// Everything the Dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Dashboard {
    /// Hosts in scope.
    pub hosts: i64,
    /// Hosts whose patch data is known and shows no pending security update.
    pub compliant: i64,
    /// `compliant / hosts`, in percent (one decimal; 0 with no hosts).
    pub compliance_percent: f64,
    /// Hosts never polled (state `unknown`).
    pub never_polled: i64,
    /// Hosts with no patch data yet (not counted as compliant).
    pub without_patch_data: i64,
    /// Hosts with at least one pending security update.
    pub with_security_updates: i64,
    /// Hosts per state.
    pub states: StateCounts,
    /// Pending updates per severity.
    pub severities: SeverityCounts,
    /// Pending updates in all.
    pub pending_total: i64,
    /// Pending security updates in all.
    pub pending_security: i64,
    /// Hosts that need a reboot.
    pub reboot_required: i64,
    /// Red first, then yellow, by name (at most [`MAX_ALERTS`]).
    pub alerts: Vec<Alert>,
    /// Red plus yellow hosts, listed or not.
    pub alerts_total: i64,
}

/// The start of the current run of the host's state in its history.
const SINCE: &str = "(SELECT min(h.checked_at) FROM host_health h WHERE h.host_id = hosts.id \
     AND h.checked_at > coalesce((SELECT max(h2.checked_at) FROM host_health h2 \
     WHERE h2.host_id = hosts.id AND h2.state <> hosts.state), '-infinity'::timestamptz))";

type Totals = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

fn totals(conn: &mut PgConnection, scope: Scope) -> QueryResult<Totals> {
    let n = |cond: &str| sql::<BigInt>(&format!("count(*) FILTER (WHERE {cond})"));
    visible(scope)
        .select((
            sql::<BigInt>("count(*)"),
            n("hosts.patches_checked_at IS NOT NULL AND hosts.pending_security = 0"),
            n("hosts.patches_checked_at IS NULL"),
            n("hosts.pending_security > 0"),
            n("hosts.state = 'healthy'"),
            n("hosts.state = 'degraded'"),
            n("hosts.state = 'unreachable'"),
            n("hosts.state = 'unknown'"),
            n("hosts.reboot_required = 'yes'"),
            sql::<BigInt>("coalesce(sum(hosts.pending_total), 0)::bigint"),
            sql::<BigInt>("coalesce(sum(hosts.pending_security), 0)::bigint"),
            sql::<BigInt>("count(*) FILTER (WHERE hosts.state IN ('degraded', 'unreachable'))"),
        ))
        .first(conn)
}

/// Pending updates per severity over the hosts `scope` may see.
pub fn severities(conn: &mut PgConnection, scope: Scope) -> QueryResult<SeverityCounts> {
    let rows: Vec<(Option<String>, i64)> = host_patches::table
        .filter(host_patches::host_id.eq_any(visible(scope).select(hosts::id)))
        .group_by(host_patches::severity)
        .select((host_patches::severity, count_star()))
        .load(conn)?;
    let mut s = SeverityCounts::default();
    for (sev, n) in rows {
        s.add(sev.as_deref(), n);
    }
    Ok(s)
}

/// Red then yellow hosts `scope` may see, by name, at most `limit`.
pub fn alerts(conn: &mut PgConnection, scope: Scope, limit: i64) -> QueryResult<Vec<Alert>> {
    visible(scope)
        .filter(hosts::state.eq_any(["unreachable", "degraded"]))
        .order((hosts::state.desc(), hosts::hostname.asc()))
        .limit(limit)
        .select((
            hosts::id,
            hosts::hostname,
            hosts::state,
            hosts::state_reason,
            sql::<Nullable<Timestamptz>>(SINCE),
        ))
        .load(conn)
}

/// `part / whole` in percent with one decimal (0 when `whole` is 0).
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    // Counts of hosts are far below 2^52: the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let p = part as f64 * 100.0 / whole as f64;
    (p * 10.0).round() / 10.0
}

impl Dashboard {
    /// The Dashboard of `scope` (three statements, none per host).
    pub fn load(conn: &mut PgConnection, scope: Scope) -> QueryResult<Dashboard> {
        let t = totals(conn, scope)?;
        let (hosts, compliant, without_patch_data, with_security_updates) = (t.0, t.1, t.2, t.3);
        Ok(Dashboard {
            hosts,
            compliant,
            compliance_percent: percent(compliant, hosts),
            never_polled: t.7,
            without_patch_data,
            with_security_updates,
            states: StateCounts {
                healthy: t.4,
                degraded: t.5,
                unreachable: t.6,
                unknown: t.7,
            },
            severities: severities(conn, scope)?,
            pending_total: t.9,
            pending_security: t.10,
            reboot_required: t.8,
            alerts: alerts(conn, scope, MAX_ALERTS)?,
            alerts_total: t.11,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_has_one_decimal_and_survives_zero() {
        assert_eq!(percent(0, 0), 0.0);
        assert_eq!(percent(1, 3), 33.3);
        assert_eq!(percent(2, 3), 66.7);
        assert_eq!(percent(5, 5), 100.0);
    }

    #[test]
    fn unknown_severities_count_as_unrated() {
        let mut s = SeverityCounts::default();
        s.add(Some("critical"), 2);
        s.add(None, 3);
        s.add(Some("weird"), 1);
        assert_eq!((s.critical, s.unrated), (2, 4));
        assert_eq!(s.pairs()[0], ("critical", 2));
    }
}
