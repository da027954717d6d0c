//! Hosts pages: the fleet list (RBAC-scoped), registration by name or address, host detail, removal.

use super::{html, see_other, see_other_with, Flash, Page};
use crate::admin::hosts;
use crate::db::models::{Group, Host};
use crate::error::ManagerError;
use crate::http::api::fleet::actor;
use crate::http::form::SignedForm;
use crate::http::session::Signed;
use crate::http::state::AppState;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// Routes of this module.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/hosts", web::get().to(list))
        .route("/hosts", web::post().to(add))
        .route("/hosts/{id}", web::get().to(detail))
        .route("/hosts/{id}/delete", web::post().to(remove))
        .route("/hosts/{id}/groups", web::post().to(set_groups));
}

#[derive(Template)]
#[template(path = "console/hosts.html")]
struct HostsPage {
    page: Page,
    hosts: Vec<Host>,
}

#[derive(Template)]
#[template(path = "console/host.html")]
struct HostPage {
    page: Page,
    host: Host,
    groups: Vec<(i64, String, bool)>,
}

#[derive(Debug, Deserialize)]
struct AddForm {
    #[serde(default)]
    csrf: String,
    hostname: String,
    #[serde(default)]
    ip: String,
}

#[derive(Debug, Deserialize)]
struct GroupsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    groups: Vec<i64>,
}

crate::has_csrf!(AddForm, GroupsForm);

async fn home(_who: Signed) -> HttpResponse {
    see_other("/hosts")
}

async fn list(
    state: web::Data<AppState>,
    who: Signed,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, ManagerError> {
    let scope = who.scope;
    let hosts = state.db(move |c| Ok(Host::list(c, scope)?)).await?;
    html(&HostsPage {
        page: flash.into_inner().apply(Page::signed("Hosts", &who, "hosts")),
        hosts,
    })
}

async fn add(state: web::Data<AppState>, f: SignedForm<AddForm>) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = actor(&f.who);
    let form = f.form;
    match state
        .db(move |c| hosts::add(c, now, &a, &form.hostname, &form.ip, 12443))
        .await
    {
        Ok(h) => Ok(see_other_with(
            "/hosts",
            "notice",
            &format!("host {} registered", h.hostname),
        )),
        Err(e @ (ManagerError::Invalid(_) | ManagerError::Refused(_))) => {
            Ok(see_other_with("/hosts", "error", &e.public_message()))
        }
        Err(e) => Err(e),
    }
}

async fn detail(
    state: web::Data<AppState>,
    who: Signed,
    id: web::Path<i64>,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, ManagerError> {
    let id = id.into_inner();
    let scope = who.scope;
    let (host, groups) = state
        .db(move |c| {
            let h = Host::find(c, scope, id)?.ok_or_else(|| hosts::not_found(id))?;
            let mine: Vec<i64> = Host::groups(c, id)?.into_iter().map(|(g, _)| g).collect();
            let all = Group::all(c)?;
            Ok((
                h,
                all.into_iter()
                    .map(|g| (g.id, g.name, mine.contains(&g.id)))
                    .collect(),
            ))
        })
        .await?;
    html(&HostPage {
        page: flash
            .into_inner()
            .apply(Page::signed(&host.hostname, &who, "hosts")),
        host,
        groups,
    })
}

async fn remove(
    state: web::Data<AppState>,
    f: SignedForm<super::login::CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = actor(&f.who);
    let id = id.into_inner();
    let h = state.db(move |c| hosts::remove(c, now, &a, id)).await?;
    Ok(see_other_with(
        "/hosts",
        "notice",
        &format!("host {} removed", h.hostname),
    ))
}

async fn set_groups(
    state: web::Data<AppState>,
    f: SignedForm<GroupsForm>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = actor(&f.who);
    let id = id.into_inner();
    let groups = f.form.groups;
    state
        .db(move |c| hosts::set_groups(c, now, &a, id, &groups))
        .await?;
    Ok(see_other_with(&format!("/hosts/{id}"), "notice", "groups saved"))
}
