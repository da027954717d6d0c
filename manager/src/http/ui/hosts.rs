//! Hosts page: the fleet in keyset pages (RBAC-scoped, filtered in SQL, total counted), bulk refresh / add
//! to group / deploy on the ticked rows, registration by name or address, removal and group membership of one
//! host.

use super::{html, html_status, see_other_with, Flash, Page};
use crate::app::AppContext;
use crate::db::models::fleet_view::page::PAGE_LIMIT;
use crate::db::models::fleet_view::{self, FilterQuery, FleetRow, HostFilter, PageQuery, PageSpec};
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::services::fleet;
use crate::services::hosts;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console/hosts.html")]
struct HostsPage {
    page: Page,
    rows: Vec<FleetRow>,
    filter: HostFilter,
    /// Hosts matching the filters, all pages together.
    total: i64,
    /// Rows per page.
    limit: i64,
    /// A `limit` other than the default, kept by the filter form.
    custom_limit: Option<i64>,
    /// Query string of the next page (filters kept), when more hosts follow.
    next_qs: Option<String>,
    /// Query string of the first page, when this is a later one.
    first_qs: Option<String>,
    /// The filters and this page as a query string (kept across bulk actions).
    back: String,
    groups: Vec<(i64, String)>,
    os_values: Vec<String>,
    /// The filters were refused (the table is not shown).
    refused: bool,
}

impl HostsPage {
    fn admin(&self) -> bool {
        self.page.user.as_ref().is_some_and(|u| u.is_admin)
    }
    fn state_is(&self, s: &str) -> bool {
        self.filter.state == Some(s)
    }
    fn reboot_is(&self, s: &str) -> bool {
        self.filter.reboot == Some(s)
    }
    fn group_is(&self, id: &i64) -> bool {
        self.filter.group == Some(fleet_view::GroupFilter::Id(*id))
    }
    fn os_is(&self, os: &str) -> bool {
        self.filter.os.as_deref() == Some(os)
    }
    fn q_value(&self) -> &str {
        self.filter.q.as_deref().unwrap_or("")
    }
    /// How many pages the matching hosts fill.
    fn pages(&self) -> i64 {
        ((self.total + self.limit - 1) / self.limit.max(1)).max(1)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddForm {
    #[serde(default)]
    csrf: String,
    hostname: String,
    #[serde(default)]
    ip: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GroupsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    groups: Vec<i64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BulkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    ids: Vec<i64>,
    #[serde(default)]
    group: String,
    #[serde(default)]
    back: String,
}

crate::has_csrf!(AddForm, GroupsForm, BulkForm);

pub(crate) async fn list(
    state: web::Data<AppContext>,
    who: Signed,
    flash: Flash,
    q: web::Query<FilterQuery>,
    p: web::Query<PageQuery>,
) -> Result<HttpResponse, ManagerError> {
    let scope = who.scope;
    let (groups, os_values) = state
        .db(move |c| {
            Ok((
                fleet_view::groups_in_scope(c, scope)?,
                fleet_view::os_values(c, scope)?,
            ))
        })
        .await?;
    let mut page = flash.apply(Page::signed("Hosts", &who, "hosts"));
    let checked = match fleet::checked_filter(&state, &who.as_actor(), &q).await {
        Ok(f) => fleet::checked_page(&p, PAGE_LIMIT).map(|s| (f, s)),
        Err(e) => Err(e),
    };
    let (filter, spec, found, refused) = match checked {
        Ok((f, spec)) => {
            let found = fleet::page(&state, &who.as_actor(), f.clone(), spec.clone()).await?;
            (f, spec, Some(found), false)
        }
        Err(ManagerError::Invalid(m)) => {
            page.error = Some(format!("filter refused: {m}"));
            (HostFilter::default(), PageSpec::first(PAGE_LIMIT), None, true)
        }
        Err(e) => return Err(e),
    };
    let filters = filter.query_string();
    let (rows, total, next) = found.map_or((Vec::new(), 0, None), |f| (f.rows, f.total, f.next));
    let t = HostsPage {
        page,
        back: spec.link(&filters, spec.after.as_ref()),
        next_qs: next.as_ref().map(|c| spec.link(&filters, Some(c))),
        first_qs: spec.after.is_some().then(|| spec.link(&filters, None)),
        custom_limit: spec.limit_pair().map(|_| spec.limit),
        limit: spec.limit,
        total,
        rows,
        filter,
        groups,
        os_values,
        refused,
    };
    if refused {
        html_status(StatusCode::BAD_REQUEST, &t)
    } else {
        html(&t)
    }
}

/// `/hosts` with the filters and page of `back` (re-checked; anything unparsable falls back to the first
/// page without filters).
fn hosts_url(back: &str) -> String {
    let checked = || -> Option<String> {
        let f = serde_html_form::from_str::<FilterQuery>(back)
            .ok()?
            .parse()
            .ok()?;
        let p = serde_html_form::from_str::<PageQuery>(back)
            .ok()?
            .parse(PAGE_LIMIT)
            .ok()?;
        Some(p.link(&f.query_string(), p.after.as_ref()))
    };
    let qs = checked().unwrap_or_default();
    if qs.is_empty() {
        "/hosts".into()
    } else {
        format!("/hosts?{qs}")
    }
}

/// The Patch Deployment review page of hosts `ids` (`/deployments/new?host=1&host=2`), if any is given.
fn deploy_url(ids: &[i64]) -> Option<String> {
    if ids.is_empty() {
        return None;
    }
    let pairs: Vec<(&str, i64)> = ids.iter().map(|id| ("host", *id)).collect();
    Some(format!(
        "/deployments/new?{}",
        serde_html_form::to_string(pairs).unwrap_or_default()
    ))
}

/// A user mistake becomes a message on `to`; other errors propagate.
fn flash_result(to: &str, r: Result<String, ManagerError>) -> Result<HttpResponse, ManagerError> {
    super::flash_result(to, r, super::Shown::MistakesAndMissing)
}

pub(crate) async fn bulk(
    state: web::Data<AppContext>,
    f: SignedForm<BulkForm>,
) -> Result<HttpResponse, ManagerError> {
    let to = hosts_url(&f.form.back);
    let who = f.who;
    let form = f.form;
    if form.action == "deploy" {
        // The Patch Deployment review of the ticked hosts (it checks each is in the user's scope: 404).
        return Ok(match deploy_url(&form.ids) {
            Some(url) => super::see_other(&url),
            None => see_other_with(&to, "error", "select the hosts to deploy to"),
        });
    }
    let r = match form.action.as_str() {
        "refresh" => fleet::refresh(&state, &who.as_actor(), &form.ids)
            .await
            .map(|n| format!("refresh queued for {n} hosts")),
        "add_group" => match form.group.trim().parse::<i64>() {
            Ok(g) => fleet::add_to_group(&state, &who.as_actor(), g, &form.ids)
                .await
                .map(|n| format!("{n} hosts added to the group")),
            Err(_) => Err(ManagerError::Invalid("choose a group to add the hosts to".into())),
        },
        other => Err(ManagerError::Invalid(format!(
            "unknown bulk action `{}`",
            other.chars().take(40).collect::<String>().escape_default()
        ))),
    };
    flash_result(&to, r)
}

pub(crate) async fn add(
    state: web::Data<AppContext>,
    f: SignedForm<AddForm>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = f.who.as_actor();
    let form = f.form;
    let reserved = state.console_names.clone();
    let r = state
        .db(move |c| hosts::add(c, now, &a, &reserved, &form.hostname, &form.ip, 12443))
        .await
        .map(|h| format!("host {} registered", h.hostname));
    match r {
        Err(e @ (ManagerError::NotFound(_) | ManagerError::Forbidden(_))) => Err(e),
        r => flash_result("/hosts", r),
    }
}

pub(crate) async fn remove(
    state: web::Data<AppContext>,
    f: SignedForm<super::login::CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = f.who.as_actor();
    let id = id.into_inner();
    let h = state.db(move |c| hosts::remove(c, now, &a, id)).await?;
    Ok(see_other_with(
        "/hosts",
        "notice",
        &format!("host {} removed", h.hostname),
    ))
}

pub(crate) async fn set_groups(
    state: web::Data<AppContext>,
    f: SignedForm<GroupsForm>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = f.who.as_actor();
    let id = id.into_inner();
    let groups = f.form.groups;
    state
        .db(move |c| hosts::set_groups(c, now, &a, id, &groups))
        .await?;
    Ok(see_other_with(&format!("/hosts/{id}"), "notice", "groups saved"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_selected_goes_to_the_review_of_those_hosts() {
        assert_eq!(deploy_url(&[]), None);
        assert_eq!(deploy_url(&[7]).as_deref(), Some("/deployments/new?host=7"));
        assert_eq!(
            deploy_url(&[3, 12, 5]).as_deref(),
            Some("/deployments/new?host=3&host=12&host=5")
        );
    }

    #[test]
    fn bulk_redirects_keep_only_checked_filters() {
        assert_eq!(hosts_url(""), "/hosts");
        assert_eq!(hosts_url("state=degraded&q=web"), "/hosts?state=degraded&q=web");
        assert_eq!(hosts_url("state=evil"), "/hosts");
        assert_eq!(hosts_url("//evil.example/"), "/hosts");
        assert_eq!(hosts_url("q=%2F%2Fevil"), "/hosts?q=%2F%2Fevil");
    }

    #[test]
    fn bulk_redirects_return_to_the_same_page() {
        let c = fleet_view::Cursor {
            hostname: "web-07.lan".into(),
            id: 7,
        }
        .encode();
        assert_eq!(
            hosts_url(&format!("state=healthy&after={c}&limit=50")),
            format!("/hosts?state=healthy&after={c}&limit=50")
        );
        assert_eq!(hosts_url("limit=100"), "/hosts");
        assert_eq!(hosts_url("state=healthy&after=evil"), "/hosts");
        assert_eq!(hosts_url("limit=5000"), "/hosts");
    }
}
