//! JSON of the SSO settings (admins): read (secret redacted), replace (validated, audited), test the connection.

use super::ok_json;
use super::views::Linked;
use crate::app::AppContext;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services::{sso, sso_test};
use crate::sso::settings::SettingsInput;
use actix_web::{web, HttpRequest, HttpResponse};

pub(crate) async fn get(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let v = sso::get(&state, &who.as_actor()).await?;
    Ok(ok_json(&req, state.now(), v))
}

pub(crate) async fn put(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<SettingsInput>,
) -> Result<HttpResponse, ManagerError> {
    let v = sso::put(&state, &who.as_actor(), body.into_inner()).await?;
    Ok(ok_json(&req, state.now(), v))
}

pub(crate) async fn test(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let r = sso_test::run(&state, &who.as_actor()).await?;
    Ok(ok_json(&req, state.now(), r))
}

/// `POST /api/v1/settings/sso/links`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkBody {
    /// The local user.
    user_id: i64,
    /// The Entra tenant id (`tid`).
    tid: String,
    /// The Entra object id (`oid`).
    oid: String,
}

pub(crate) async fn link(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<LinkBody>,
) -> Result<HttpResponse, ManagerError> {
    let b = body.into_inner();
    sso::link(&state, &who.as_actor(), b.user_id, &b.tid, &b.oid).await?;
    Ok(ok_json(&req, state.now(), Linked { linked: true }))
}
