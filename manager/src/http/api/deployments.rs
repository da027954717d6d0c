//! JSON of deployments and maintenance windows: create, list and read deployments (keyset pages), cancel
//! one or a target, roll one back; a host's windows, add (to hosts or a group), remove. RBAC-scoped by the
//! services (out-of-scope ids are 404s).

use super::views::{
    DeploymentDetail, DeploymentPage, ListedWindow, Removed, TargetCancelled, TargetsCancelled, WindowOut,
    WindowRow,
};
use super::{created_json, ok_json};
use crate::app::AppContext;
use crate::deploy::request::DeploymentRequest;
use crate::deploy::window::WindowSpec;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services::{deployments, windows};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// `?before=ID&limit=N` (newest first) or `?after=ID&limit=N` (oldest first).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    /// Only rows with a smaller id (the previous page's `next_before`).
    before: Option<i64>,
    /// Only rows with a larger id (the previous page's `next_after`).
    after: Option<i64>,
    /// Rows per page.
    limit: Option<i64>,
}

pub(crate) async fn create(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<DeploymentRequest>,
) -> Result<HttpResponse, ManagerError> {
    let d = deployments::create(&state, &who.as_actor(), body.into_inner()).await?;
    Ok(created_json(&req, state.now(), d))
}

pub(crate) async fn list(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ManagerError> {
    let limit = q.limit.unwrap_or(50);
    let rows = deployments::list(&state, &who.as_actor(), q.before, limit).await?;
    let next_before = (i64::try_from(rows.len()).unwrap_or(0) >= limit.clamp(1, deployments::MAX_PAGE))
        .then(|| rows.last().map(|r| r.deployment.id))
        .flatten();
    Ok(ok_json(
        &req,
        state.now(),
        DeploymentPage {
            deployments: rows,
            next_before,
        },
    ))
}

pub(crate) async fn detail(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ManagerError> {
    let limit = q.limit.unwrap_or(200);
    let (d, targets) = deployments::detail(&state, &who.as_actor(), id.into_inner(), q.after, limit).await?;
    let next_after = (i64::try_from(targets.len()).unwrap_or(0) >= limit.clamp(1, deployments::MAX_PAGE))
        .then(|| targets.last().map(|t| t.id))
        .flatten();
    Ok(ok_json(
        &req,
        state.now(),
        DeploymentDetail {
            deployment: d,
            targets,
            next_after,
        },
    ))
}

pub(crate) async fn cancel(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let n = deployments::cancel(&state, &who.as_actor(), id.into_inner()).await?;
    Ok(ok_json(
        &req,
        state.now(),
        TargetsCancelled { targets_cancelled: n },
    ))
}

pub(crate) async fn cancel_target(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    ids: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ManagerError> {
    let (id, target) = ids.into_inner();
    deployments::cancel_target(&state, &who.as_actor(), id, target).await?;
    Ok(ok_json(&req, state.now(), TargetCancelled { cancelled: target }))
}

/// `POST /deployments/{id}/rollback`: `{"host_ids": [...], "mode": "now"}` (all optional).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RollbackBody {
    /// Only these hosts (default: every host the deployment changed).
    #[serde(default)]
    host_ids: Vec<i64>,
    /// When, as `mode` of `POST /deployments` (default `now`).
    #[serde(default)]
    mode: Option<String>,
}

pub(crate) async fn rollback(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
    body: Option<web::Json<RollbackBody>>,
) -> Result<HttpResponse, ManagerError> {
    let b = body.map(web::Json::into_inner).unwrap_or_default();
    let r = DeploymentRequest {
        host_ids: b.host_ids,
        operation: "rollback".into(),
        rollback_of: Some(id.into_inner()),
        mode: Some(b.mode.unwrap_or_else(|| "now".into())),
        ..DeploymentRequest::default()
    };
    let d = deployments::create(&state, &who.as_actor(), r).await?;
    Ok(created_json(&req, state.now(), d))
}

fn window_json(v: &windows::WindowView) -> WindowOut {
    WindowOut::of(v)
}

pub(crate) async fn host_windows(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let rows = windows::for_host(&state, &who.as_actor(), id.into_inner()).await?;
    let out: Vec<_> = rows.iter().map(window_json).collect();
    Ok(ok_json(&req, state.now(), out))
}

pub(crate) async fn list_windows(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ManagerError> {
    let rows = windows::page(&state, &who.as_actor(), q.after, q.limit.unwrap_or(100)).await?;
    let out: Vec<_> = rows
        .iter()
        .map(|(host, v)| ListedWindow {
            window: window_json(v),
            hostname: host.clone(),
        })
        .collect();
    Ok(ok_json(&req, state.now(), out))
}

/// `POST /windows`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWindow {
    /// These hosts.
    #[serde(default)]
    host_ids: Vec<i64>,
    /// Or every host of this group.
    #[serde(default)]
    group_id: Option<i64>,
    /// A name.
    #[serde(default)]
    name: String,
    /// When it opens.
    spec: WindowSpec,
}

pub(crate) async fn create_window(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<NewWindow>,
) -> Result<HttpResponse, ManagerError> {
    let b = body.into_inner();
    let rows = windows::create(&state, &who.as_actor(), b.host_ids, b.group_id, b.name, b.spec).await?;
    let rows: Vec<WindowRow> = rows.into_iter().map(WindowRow::from).collect();
    Ok(created_json(&req, state.now(), rows))
}

pub(crate) async fn delete_window(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let row = windows::delete(&state, &who.as_actor(), id.into_inner()).await?;
    Ok(ok_json(
        &req,
        state.now(),
        Removed {
            removed: WindowRow::from(row),
        },
    ))
}
