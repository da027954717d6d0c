//! The reports as the console and the API read them: the RBAC scope a report covers (and says it covers),
//! the compliance report page by page; CSV streams are in `reports_csv`, PDF documents in `reports_pdf`.

use crate::app::AppContext;
use crate::audit::Actor;
use crate::db::models::fleet_view;
use crate::db::models::reports::compliance::{self as q, AgedKey, AgedRow, Counts, GroupCounts, HostRow};
use crate::db::models::reports::GroupSel;
use crate::db::models::scope::Scope;
use crate::error::ManagerError;
use crate::reports::compliance::{self as calc, TrendPoint};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Rows per page of a report's lists (console and API).
pub const PAGE: i64 = 100;
/// Groups fetched per query when an export gathers all of them.
pub const GROUP_BATCH: i64 = 1000;

/// What a report covers, in words and as a query restriction.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReportScope {
    /// Whose scope.
    #[serde(skip)]
    pub scope: Scope,
    /// The group selected (`None`: every host of the scope).
    pub group: Option<GroupSel>,
    /// The selected group's name.
    pub group_name: Option<String>,
    /// Whether the scope is narrowed by RBAC (an operator's report).
    pub restricted: bool,
    /// The header line, e.g. "All hosts" or "Hosts visible to operator op: groups web, and ungrouped hosts".
    pub label: String,
    /// Who generated it.
    pub generated_by: String,
    /// When.
    pub generated_at: DateTime<Utc>,
}

/// Checks `?group=` (an id or `ungrouped`) for `who`: a group the account may not see is a 404 like any
/// other object out of scope. Builds the report's header.
pub async fn scope_of(
    ctx: &AppContext,
    who: &Actor,
    group: Option<&str>,
) -> Result<ReportScope, ManagerError> {
    let scope = who.scope;
    let known = ctx
        .db(move |c| Ok(fleet_view::groups_in_scope(c, scope)?))
        .await?;
    let (group, group_name) = match group.map(str::trim).filter(|g| !g.is_empty()) {
        None => (None, None),
        Some("ungrouped") => (Some(GroupSel::Ungrouped), Some("ungrouped hosts".to_owned())),
        Some(g) => {
            let id: i64 = g.parse().map_err(|_| {
                ManagerError::Invalid(format!("group must be a group id or 'ungrouped', not {g:?}"))
            })?;
            let name = known
                .iter()
                .find(|(k, _)| *k == id)
                .map(|(_, n)| n.clone())
                .ok_or_else(|| ManagerError::NotFound(format!("there is no group with id {id}")))?;
            (Some(GroupSel::Id(id)), Some(name))
        }
    };
    let base = match scope {
        Scope::All => "All hosts".to_owned(),
        Scope::GroupsOf(_) => {
            let names: Vec<&str> = known.iter().map(|(_, n)| n.as_str()).collect();
            let groups = if names.is_empty() {
                "no groups".to_owned()
            } else {
                format!("groups {}", names.join(", "))
            };
            format!(
                "Only the hosts operator {} may see ({groups}, and ungrouped hosts); other groups' hosts are not included",
                who.name
            )
        }
    };
    let label = match &group_name {
        Some(n) => format!("{base}; group: {n}"),
        None => base,
    };
    Ok(ReportScope {
        scope,
        group,
        group_name,
        restricted: !scope.is_admin(),
        label,
        generated_by: who.name.clone(),
        generated_at: ctx.now(),
    })
}

/// A keyset cursor as an opaque URL-safe token.
pub fn encode_cursor<T: Serialize>(c: &T) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(c).unwrap_or_default())
}

/// Reads a cursor made by [`encode_cursor`]; a bad one is refused.
pub fn decode_cursor<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, ManagerError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            ManagerError::Invalid("the page cursor is not valid; start from the first page".into())
        })
}

/// The compliance report (one page of each list).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Compliance {
    /// What it covers.
    pub scope: ReportScope,
    /// Hosts by state.
    pub counts: Counts,
    /// Compliant share of hosts with data.
    pub percent: Option<f64>,
    /// By group (when no group is selected), one page by name: the scope's groups, then (on the last page)
    /// ungrouped hosts (`group_id` 0).
    pub groups: Vec<GroupCounts>,
    /// Cursor of the next page of `groups`.
    pub groups_next: Option<String>,
    /// Daily trend over [`calc::TREND_DAYS`].
    pub trend: Vec<TrendPoint>,
    /// PCI-DSS 6.3.3: critical security updates pending more than 30 days (rows, hosts).
    pub aged_total: i64,
    /// Hosts with at least one.
    pub aged_hosts: i64,
    /// One page of them, oldest first.
    pub aged: Vec<AgedRow>,
    /// Cursor of the next page of `aged`.
    pub aged_next: Option<String>,
    /// One page of the hosts, by name.
    pub hosts: Vec<HostRow>,
    /// Cursor of the next page of `hosts`.
    pub hosts_next: Option<String>,
}

/// Host list filter by state (`compliant`, `noncompliant`, `nodata`).
pub fn checked_state(s: Option<&str>) -> Result<Option<&'static str>, ManagerError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some("compliant") => Ok(Some("compliant")),
        Some("noncompliant") => Ok(Some("noncompliant")),
        Some("nodata") => Ok(Some("nodata")),
        Some(o) => Err(ManagerError::Invalid(format!(
            "state must be compliant, noncompliant or nodata, not {o:?}"
        ))),
    }
}

/// Where each of the compliance report's lists starts (cursors from a previous page; `None`: the first page).
#[derive(Debug, Clone, Default)]
pub struct Cursors {
    /// Hosts.
    pub hosts: Option<String>,
    /// PCI-DSS ageing rows.
    pub aged: Option<String>,
    /// Groups.
    pub groups: Option<String>,
}

/// One page of the scope's groups by name after `after` (`limit + 1` fetched to know whether more follow);
/// the last page ends with the ungrouped hosts. Answers the page and the next page's cursor.
pub(crate) fn group_page(
    c: &mut diesel::PgConnection,
    scope: Scope,
    after: Option<String>,
    limit: i64,
) -> Result<(Vec<GroupCounts>, Option<String>), ManagerError> {
    let mut g = q::by_group(c, scope, after, limit + 1)?;
    if g.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
        g.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = g.last().map(|l| encode_cursor(&l.name));
        return Ok((g, next));
    }
    g.push(GroupCounts {
        group_id: 0,
        name: "(ungrouped)".into(),
        counts: q::counts(c, scope, Some(GroupSel::Ungrouped))?,
    });
    Ok((g, None))
}

/// Every group of `scope` with its counts, then the ungrouped hosts (for the exports), fetched in batches.
pub async fn all_groups(ctx: &AppContext, scope: Scope) -> Result<Vec<GroupCounts>, ManagerError> {
    ctx.db(move |c| {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let (page, next) = group_page(c, scope, after, GROUP_BATCH)?;
            all.extend(page);
            match next {
                Some(n) => after = Some(decode_cursor::<String>(&n)?),
                None => return Ok(all),
            }
        }
    })
    .await
}

/// Builds the compliance report for `rs`: figures, trend, one page of groups, of ageing rows and of hosts.
pub async fn compliance(
    ctx: &AppContext,
    rs: ReportScope,
    state: Option<&'static str>,
    cursors: Cursors,
    limit: i64,
) -> Result<Compliance, ManagerError> {
    let limit = limit.clamp(1, 1000);
    let hosts_after: Option<(String, i64)> = cursors.hosts.as_deref().map(decode_cursor).transpose()?;
    let aged_after: Option<AgedKey> = cursors.aged.as_deref().map(decode_cursor).transpose()?;
    let groups_after: Option<String> = cursors.groups.as_deref().map(decode_cursor).transpose()?;
    let now = rs.generated_at;
    let (scope, group) = (rs.scope, rs.group);
    let from = calc::trend_from(now);
    let cutoff = calc::pci_cutoff(now);
    let (counts, (groups, groups_next), trend, (aged_total, aged_hosts), mut aged, mut hosts) = ctx
        .db(move |c| {
            let counts = q::counts(c, scope, group)?;
            let groups = if group.is_none() {
                group_page(c, scope, groups_after, limit)?
            } else {
                (Vec::new(), None)
            };
            Ok((
                counts,
                groups,
                q::trend(c, scope, group, from)?,
                q::aged_count(c, scope, group, cutoff)?,
                q::aged(c, scope, group, cutoff, aged_after, limit + 1)?,
                q::hosts(c, scope, group, state, hosts_after, limit + 1)?,
            ))
        })
        .await?;
    let n = usize::try_from(limit).unwrap_or(usize::MAX);
    let aged_next = (aged.len() > n).then(|| {
        aged.truncate(n);
        aged.last().map(|r| {
            encode_cursor(&(
                r.first_seen_at,
                r.host_id,
                r.package.clone(),
                r.architecture.clone(),
            ))
        })
    });
    let hosts_next = (hosts.len() > n).then(|| {
        hosts.truncate(n);
        hosts.last().map(|h| encode_cursor(&(h.hostname.clone(), h.id)))
    });
    Ok(Compliance {
        scope: rs,
        percent: calc::percent(&counts),
        counts,
        groups,
        groups_next,
        trend: calc::fill_trend(&trend, from, now.date_naive()),
        aged_total,
        aged_hosts,
        aged,
        aged_next: aged_next.flatten(),
        hosts,
        hosts_next: hosts_next.flatten(),
    })
}
