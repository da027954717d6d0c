//! JSON twins of the Dashboard, Hosts and Host detail pages: `GET /dashboard`, `GET /hosts?filters` (keyset pages),
//! `GET /hosts/{id}`, `GET /hosts/{id}/packages`, `POST /hosts/refresh` — same queries, same RBAC.

use super::ok_json;
use super::views::{GroupRef, HostDetail, HostPackages, Queued};
use crate::app::AppContext;
use crate::db::models::fleet_view::detail::PatchJson;
use crate::db::models::fleet_view::page::API_LIMIT;
use crate::db::models::fleet_view::{FilterQuery, PageQuery};
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services::fleet;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub(crate) async fn get_dashboard(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let d = fleet::dashboard(&state, &who.as_actor()).await?;
    Ok(ok_json(&req, state.now(), d))
}

/// `GET /hosts?group=&state=&os=&security=&reboot=&q=&after=&limit=`: one page of the hosts in scope
/// matching the filters (`data` stays the array of rows). `X-Total-Count` counts every match; when more
/// follow, `X-Next-After` is the cursor for `after=` and `Link` holds the `rel="next"` URL (filters kept).
pub(crate) async fn list_hosts(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<FilterQuery>,
    p: web::Query<PageQuery>,
) -> Result<HttpResponse, ManagerError> {
    let f = fleet::checked_filter(&state, &who.as_actor(), &q).await?;
    let spec = fleet::checked_page(&p, API_LIMIT)?;
    let filters = f.query_string();
    let page = fleet::page(&state, &who.as_actor(), f, spec.clone()).await?;
    let mut resp = ok_json(&req, state.now(), &page.rows);
    let h = resp.headers_mut();
    h.insert(
        HeaderName::from_static("x-total-count"),
        HeaderValue::from(page.total),
    );
    let mut links = vec![format!(
        "</api/v1/hosts?{}>; rel=\"first\"",
        spec.link(&filters, None)
    )];
    if let Some(next) = &page.next {
        links.insert(
            0,
            format!(
                "</api/v1/hosts?{}>; rel=\"next\"",
                spec.link(&filters, Some(next))
            ),
        );
        if let Ok(v) = HeaderValue::from_str(&next.encode()) {
            h.insert(HeaderName::from_static("x-next-after"), v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        h.insert(header::LINK, v);
    }
    Ok(resp)
}

pub(crate) async fn get_host(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let d = fleet::load(&state, &who.as_actor(), id.into_inner()).await?;
    let groups = GroupRef::list(d.groups);
    let patches: Vec<_> = d
        .patches
        .iter()
        .map(|p| PatchJson {
            patch: p,
            cves: p.cves(),
        })
        .collect();
    Ok(ok_json(
        &req,
        state.now(),
        HostDetail {
            host: d.host,
            groups,
            patches,
            health: d.recent,
            health_days: d.days,
        },
    ))
}

/// Installed packages, asked of the agent now: `packages` on success, else `packages: null` and
/// `unavailable` saying why.
pub(crate) async fn packages(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let id = id.into_inner();
    let scope = who.scope;
    let host = state
        .db(move |c| {
            crate::db::models::Host::find(c, scope, id)?.ok_or_else(|| crate::services::hosts::not_found(id))
        })
        .await?;
    let body = match fleet::fetch_packages(&state, &host).await {
        Ok(p) => HostPackages {
            host_id: id,
            packages: Some(p),
            unavailable: None,
        },
        Err(why) => HostPackages {
            host_id: id,
            packages: None,
            unavailable: Some(why),
        },
    };
    Ok(ok_json(&req, state.now(), body))
}

/// `POST /hosts/refresh`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshBody {
    /// The hosts to poll now.
    ids: Vec<i64>,
}

/// `POST /hosts/refresh {"ids": [...]}`: queue an immediate refresh (409 when no poller runs).
pub(crate) async fn refresh(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<RefreshBody>,
) -> Result<HttpResponse, ManagerError> {
    let ids = body.into_inner().ids;
    let queued = fleet::refresh(&state, &who.as_actor(), &ids).await?;
    Ok(ok_json(&req, state.now(), Queued { queued }))
}
