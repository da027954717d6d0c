//! JSON of the runtime settings (admins): `GET /api/v1/settings` (secrets redacted) and `PUT /api/v1/settings` (the sections given replace theirs; applied without a restart).

use super::ok_json;
use crate::app::AppContext;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services;
use crate::settings::Change;
use actix_web::{web, HttpRequest, HttpResponse};

pub(crate) async fn get(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let v = services::settings::read(&state, &who.as_actor()).await?;
    Ok(ok_json(&req, state.now(), v))
}

pub(crate) async fn put(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<Change>,
) -> Result<HttpResponse, ManagerError> {
    let caller = req.peer_addr().map(|a| a.ip());
    let v = services::settings::update(&state, &who.as_actor(), caller, body.into_inner()).await?;
    Ok(ok_json(&req, state.now(), v))
}
