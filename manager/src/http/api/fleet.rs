//! JSON for what the console pages show and do: adding/removing hosts (RBAC-scoped), users and groups
//! (admins), audit. Host listings and detail are in `hosts_view`.

use super::{created_json, ok_json};
use crate::app::AppContext;
use crate::db::models::{Group, Role, User};
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services::{self, groups, hosts, users};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewHost {
    hostname: String,
    #[serde(default)]
    ip: String,
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
    Ok(ok_json(&req, now, serde_json::json!({"removed": host})))
}

fn user_json(u: &User, groups: &[(i64, String)]) -> serde_json::Value {
    serde_json::json!({
        "id": u.id, "username": u.username, "role": u.role, "disabled": u.disabled,
        "must_change_password": u.must_change_password, "created_at": u.created_at,
        "last_login_at": u.last_login_at, "locked_until": u.locked_until,
        "groups": groups.iter().map(|(id, n)| serde_json::json!({"id": id, "name": n})).collect::<Vec<_>>(),
    })
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
                out.push(user_json(&u, &g));
            }
            Ok(out)
        })
        .await?;
    Ok(ok_json(&req, state.now(), rows))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    username: String,
    role: String,
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
        serde_json::json!({"id": created.user.id, "username": created.user.username,
            "one_time_password": created.one_time_password, "must_change_password": true}),
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
        serde_json::json!({"user_id": id, "sessions_revoked": true}),
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
        serde_json::json!({"user_id": id, "unlocked": true, "throttled_addresses_cleared": cleared}),
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
        .map(|s| serde_json::json!({"id": s.group.id, "name": s.group.name, "users": s.users, "hosts": s.hosts}))
        .collect();
    Ok(ok_json(&req, state.now(), rows))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewGroup {
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
        serde_json::json!({"id": g.id, "name": g.name}),
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
    Ok(ok_json(&req, now, serde_json::json!({"deleted": id})))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuditQuery {
    #[serde(default)]
    before: Option<i64>,
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
    let rows: Vec<_> = rows
        .into_iter()
        .map(|r| {
            serde_json::json!({"id": r.id, "at": r.at, "actor": r.actor, "action": r.action,
            "target": r.target, "details": r.details, "prev_hash": r.prev_hash, "hash": r.hash})
        })
        .collect();
    Ok(ok_json(&req, state.now(), rows))
}

pub(crate) async fn audit_verify(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let v = services::audit::verify(&state, who.scope).await?;
    Ok(ok_json(
        &req,
        state.now(),
        serde_json::json!({
            "ok": v.broken.is_none(), "rows": v.rows, "range": v.range, "checkpoint": v.checkpoint,
            "broken": v.broken.map(|b| serde_json::json!({"id": b.id, "reason": b.reason})),
        }),
    ))
}
