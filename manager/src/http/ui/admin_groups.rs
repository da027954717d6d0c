//! Groups page (admins): create, rename, delete, and set a group's members (users and hosts).

use super::login::CsrfOnly;
use super::{flash_result, html, Flash, Page, Shown};
use crate::app::AppContext;
use crate::db::models::group::GroupSummary;
use crate::db::models::{Group, Host, User};
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::services::groups;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::HashSet;

#[derive(Template)]
#[template(path = "console/groups.html")]
struct GroupsPage {
    page: Page,
    groups: Vec<GroupSummary>,
}

#[derive(Template)]
#[template(path = "console/group.html")]
struct GroupPage {
    page: Page,
    group: Group,
    users: Vec<(i64, String, bool)>,
    hosts: Vec<(i64, String, bool)>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NameForm {
    #[serde(default)]
    csrf: String,
    name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MembersForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    users: Vec<i64>,
    #[serde(default)]
    hosts: Vec<i64>,
}
crate::has_csrf!(NameForm, MembersForm);

pub(crate) async fn list(
    state: web::Data<AppContext>,
    who: Signed,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let groups = state.db(|c| Ok(Group::summaries(c)?)).await?;
    html(&GroupsPage {
        page: flash.apply(Page::signed("Groups", &who, "groups")),
        groups,
    })
}

/// Turns a user mistake into a message on `back`; other errors propagate.
fn back_with(back: &str, r: Result<String, ManagerError>) -> Result<HttpResponse, ManagerError> {
    flash_result(back, r, Shown::Mistakes)
}

pub(crate) async fn create(
    state: web::Data<AppContext>,
    f: SignedForm<NameForm>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = f.who.as_actor();
    let name = f.form.name;
    let r = state
        .db(move |c| groups::create(c, now, &a, &name).map(|g| format!("group {} created", g.name)))
        .await;
    back_with("/groups", r)
}

pub(crate) async fn detail(
    state: web::Data<AppContext>,
    who: Signed,
    id: web::Path<i64>,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let id = id.into_inner();
    let scope = who.scope;
    let (group, users, hosts) = state
        .db(move |c| {
            let g = Group::by_id(c, id)?
                .ok_or_else(|| ManagerError::NotFound(format!("no group with id {id}")))?;
            let (member_users, member_hosts) = Group::member_ids(c, id)?;
            let (member_users, member_hosts): (HashSet<i64>, HashSet<i64>) = (
                member_users.into_iter().collect(),
                member_hosts.into_iter().collect(),
            );
            let users = User::all(c)?
                .into_iter()
                .map(|u| (u.id, u.username, member_users.contains(&u.id)))
                .collect();
            let hosts = Host::list(c, scope)?
                .into_iter()
                .map(|h| (h.id, h.hostname, member_hosts.contains(&h.id)))
                .collect();
            Ok((g, users, hosts))
        })
        .await?;
    html(&GroupPage {
        page: flash.apply(Page::signed(&group.name, &who, "groups")),
        group,
        users,
        hosts,
    })
}

pub(crate) async fn rename(
    state: web::Data<AppContext>,
    f: SignedForm<NameForm>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = f.who.as_actor();
    let (id, name) = (id.into_inner(), f.form.name);
    let r = state
        .db(move |c| groups::rename(c, now, &a, id, &name).map(|()| format!("renamed to {name}")))
        .await;
    back_with(&format!("/groups/{id}"), r)
}

pub(crate) async fn delete(
    state: web::Data<AppContext>,
    f: SignedForm<CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = f.who.as_actor();
    let id = id.into_inner();
    let r = state
        .db(move |c| groups::delete(c, now, &a, id).map(|()| "group deleted".to_owned()))
        .await;
    back_with("/groups", r)
}

pub(crate) async fn members(
    state: web::Data<AppContext>,
    f: SignedForm<MembersForm>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = f.who.as_actor();
    let id = id.into_inner();
    let (users, hosts) = (f.form.users, f.form.hosts);
    let r = state
        .db(move |c| groups::set_members(c, now, &a, id, &users, &hosts).map(|()| "members saved".to_owned()))
        .await;
    back_with(&format!("/groups/{id}"), r)
}
