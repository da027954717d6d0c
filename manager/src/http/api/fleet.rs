//! JSON for what the console pages show and do: adding/removing hosts (RBAC-scoped), users and groups
//! (admins), audit. Host listings and detail are in `hosts_view`.

use super::views::{
    AuditRow, Chain, CreatedUser, Deleted, GroupRef, GroupView, Removed, SessionsRevoked, Unlocked, UserView,
};
use super::{created_json, ok_json};
use crate::app::AppContext;
use crate::db::models::{Group, Role, User};
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services::{self, groups, hosts, users};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// `POST /hosts`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewHost {
    /// Its name (resolved when `ip` is empty).
    hostname: String,
    /// Its address.
    #[serde(default)]
    ip: String,
    /// The agent's port (default 12443).
    #[serde(default = "default_port")]
    port: u16,
}

fn default_port() -> u16 {
    12443
}

pub(crate) async fn add_host(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<NewHost>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let b = body.into_inner();
    let a = who.as_actor();
    let reserved = state.console_names.clone();
    let host = state
        .db(move |c| hosts::add(c, now, &a, &reserved, &b.hostname, &b.ip, b.port))
        .await?;
    Ok(created_json(&req, now, host))
}

pub(crate) async fn remove_host(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = who.as_actor();
    let id = id.into_inner();
    let host = state.db(move |c| hosts::remove(c, now, &a, id)).await?;
    Ok(ok_json(&req, now, Removed { removed: host }))
}

fn user_json(u: &User, groups: Vec<(i64, String)>) -> UserView {
    UserView::of(u, groups)
}

pub(crate) async fn list_users(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let rows = state
        .db(|c| {
            let mut out = Vec::new();
            for u in User::all(c)? {
                let g = User::groups(c, u.id)?;
                out.push(user_json(&u, g));
            }
            Ok(out)
        })
        .await?;
    Ok(ok_json(&req, state.now(), rows))
}

/// `POST /users`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    /// User name.
    username: String,
    /// `admin` or `operator`.
    role: String,
    /// Group ids (an operator sees their hosts).
    #[serde(default)]
    groups: Vec<i64>,
}

pub(crate) async fn create_user(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let b = body.into_inner();
    let role = Role::parse(&b.role).ok_or_else(|| {
        ManagerError::Invalid(format!("role must be `admin` or `operator`, not `{}`", b.role))
    })?;
    let a = who.as_actor();
    let clock = state.clock.clone();
    let created = state
        .db(move |c| users::create(c, &*clock, &a, &b.username, role, &b.groups))
        .await?;
    Ok(created_json(
        &req,
        state.now(),
        CreatedUser {
            id: created.user.id,
            username: created.user.username,
            one_time_password: created.one_time_password,
            must_change_password: true,
        },
    ))
}

pub(crate) async fn revoke_sessions(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = who.as_actor();
    let id = id.into_inner();
    state
        .db(move |c| users::apply(c, now, &a, id, &users::Change::RevokeSessions))
        .await?;
    Ok(ok_json(
        &req,
        now,
        SessionsRevoked {
            user_id: id,
            sessions_revoked: true,
        },
    ))
}

pub(crate) async fn unlock_user(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let id = id.into_inner();
    let cleared = users::unlock(&state, &who.as_actor(), id).await?;
    Ok(ok_json(
        &req,
        now,
        Unlocked {
            user_id: id,
            unlocked: true,
            throttled_addresses_cleared: cleared,
        },
    ))
}

pub(crate) async fn list_groups(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let rows = state.db(|c| Ok(Group::summaries(c)?)).await?;
    let rows: Vec<_> = rows
        .into_iter()
        .map(|s| GroupView {
            id: s.group.id,
            name: s.group.name,
            users: s.users,
            hosts: s.hosts,
        })
        .collect();
    Ok(ok_json(&req, state.now(), rows))
}

/// `POST /groups`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewGroup {
    /// Its name.
    name: String,
}

pub(crate) async fn create_group(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<NewGroup>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = who.as_actor();
    let name = body.into_inner().name;
    let g = state.db(move |c| groups::create(c, now, &a, &name)).await?;
    Ok(created_json(
        &req,
        now,
        GroupRef {
            id: g.id,
            name: g.name,
        },
    ))
}

pub(crate) async fn delete_group(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let a = who.as_actor();
    let id = id.into_inner();
    state.db(move |c| groups::delete(c, now, &a, id)).await?;
    Ok(ok_json(&req, now, Deleted { deleted: id }))
}

/// `?before=ID&limit=N` (newest first).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct AuditQuery {
    /// Only rows with a smaller id.
    #[serde(default)]
    before: Option<i64>,
    /// Rows per page (default 100, at most 1000).
    #[serde(default)]
    limit: Option<i64>,
}

pub(crate) async fn audit_rows(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, ManagerError> {
    let limit = q.limit.unwrap_or(100);
    let rows = services::audit::recent(&state, who.scope, q.before, limit).await?;
    let rows: Vec<AuditRow> = rows.into_iter().map(AuditRow::from).collect();
    Ok(ok_json(&req, state.now(), rows))
}

pub(crate) async fn audit_verify(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let v = services::audit::verify(&state, who.scope).await?;
    Ok(ok_json(&req, state.now(), Chain::from(v)))
}
