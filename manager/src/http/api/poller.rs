//! JSON of the poller (administrators): `GET /api/v1/poller` (last sweeps, what runs, the last prune) and
//! `POST /api/v1/poller/sweep` (sweep every host now, audited).

use super::ok_json;
use crate::actors::poller::Refresh;
use crate::app::AppContext;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub(crate) async fn status(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let st = state.actors.poller.status().await?;
    Ok(ok_json(&req, state.now(), st))
}

/// `POST /poller/sweep` (optional).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SweepBody {
    /// `health` or `all` (default).
    #[serde(default)]
    what: Option<String>,
}

pub(crate) async fn sweep(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Bytes,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let body: SweepBody = if body.iter().all(u8::is_ascii_whitespace) {
        SweepBody { what: None }
    } else {
        serde_json::from_slice(&body).map_err(|e| ManagerError::Invalid(format!("invalid JSON body: {e}")))?
    };
    let what = match body.what.as_deref() {
        None | Some("all") => Refresh::All,
        Some("health") => Refresh::Health,
        Some(other) => {
            return Err(ManagerError::Invalid(format!(
                "`what` is `health` or `all`, not `{}`",
                other.escape_default()
            )))
        }
    };
    let now = state.now();
    let a = who.as_actor();
    state
        .db(move |c| {
            a.audit(
                c,
                now,
                "poller.sweep",
                "poller",
                serde_json::json!({"what": if what == Refresh::All { "all" } else { "health" }}),
            )
        })
        .await?;
    let report = state.actors.poller.sweep_all(what).await?;
    Ok(ok_json(&req, state.now(), report))
}
