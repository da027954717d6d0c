//! JSON of the runtime settings (admins): `GET /api/v1/settings` (secrets redacted), `PUT /api/v1/settings` (the sections given replace theirs; applied without a restart), `POST /api/v1/settings/smtp/test`; and every user's own `GET/PUT /api/v1/account/notifications`.

use super::ok_json;
use super::views::TestSent;
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

/// `POST /settings/smtp/test`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestBody {
    /// The recipient.
    to: String,
}

pub(crate) async fn smtp_test(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<TestBody>,
) -> Result<HttpResponse, ManagerError> {
    services::notifications::send_test(&state, &who.as_actor(), &body.to).await?;
    Ok(ok_json(
        &req,
        state.now(),
        TestSent {
            sent: true,
            to: body.to.clone(),
        },
    ))
}

/// `PUT /account/notifications`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrefsBody {
    /// Where e-mails go (empty: none).
    #[serde(default)]
    email: String,
    /// The events chosen (names as `GET` lists them).
    #[serde(default)]
    events: Vec<String>,
}

pub(crate) async fn my_notifications(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let p = services::notifications::prefs(&state, &who.as_actor()).await?;
    Ok(ok_json(&req, state.now(), p))
}

pub(crate) async fn set_my_notifications(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<PrefsBody>,
) -> Result<HttpResponse, ManagerError> {
    let p = services::notifications::set_prefs(&state, &who.as_actor(), &body.email, &body.events).await?;
    Ok(ok_json(&req, state.now(), p))
}
