//! `GET /ws/deployments/{id}[?targets=1,2]`: a deployment's live state as JSON text frames from the relay,
//! for the console (session cookie, same origin only) and for scripts (`Authorization: Bearer`). RBAC is
//! checked before the upgrade (404 as for the page) and by the relay while the socket lives.

use super::identity::{Signed, Via};
use crate::actors::relay::{Dropped, Push};
use crate::app::AppContext;
use crate::error::ManagerError;
use crate::relay::{Message as RelayMessage, Wanted};
use crate::services::deployments::{self as svc, Watch};
use actix::prelude::*;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use serde::Deserialize;
use std::time::{Duration, Instant};

/// How often the server pings; a client silent for three intervals is dropped.
const HEARTBEAT: Duration = Duration::from_secs(20);

/// Frames queued for one socket before the relay calls it too slow.
const MAILBOX: usize = 1024;

/// Query of `GET /ws/deployments/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchQuery {
    /// Target ids to follow (comma-separated; all when absent).
    pub targets: Option<String>,
}

/// One watching socket.
pub struct WatchSession {
    state: web::Data<AppContext>,
    watch: Watch,
    wanted: Option<Wanted>,
    id: Option<u64>,
    last_seen: Instant,
}

impl Actor for WatchSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(MAILBOX);
        let (state, watch) = (self.state.clone(), self.watch);
        let wanted = self.wanted.take().unwrap_or_default();
        let (to, gone) = (ctx.address().recipient(), ctx.address().recipient());
        async move { svc::watch(&state, watch, wanted, to, gone).await }
            .into_actor(self)
            .map(|res, act, ctx| match res {
                Ok(id) => act.id = Some(id),
                Err(e) => {
                    log::error!("watching deployment #{} failed: {e}", act.watch.deployment);
                    ctx.close(Some(ws::CloseReason {
                        code: ws::CloseCode::Error,
                        description: Some("the live view is not available".into()),
                    }));
                    ctx.stop();
                }
            })
            .wait(ctx);
        ctx.run_interval(HEARTBEAT, |act, ctx| {
            if act.last_seen.elapsed() > HEARTBEAT * 3 {
                ctx.stop();
            } else {
                ctx.ping(b"");
            }
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        if let Some(id) = self.id.take() {
            svc::unwatch(&self.state, self.watch.deployment, id);
        }
    }
}

impl Handler<Push> for WatchSession {
    type Result = ();

    fn handle(&mut self, Push(text): Push, ctx: &mut Self::Context) {
        ctx.text(&*text);
    }
}

impl Handler<Dropped> for WatchSession {
    type Result = ();

    fn handle(&mut self, Dropped(reason): Dropped, ctx: &mut Self::Context) {
        self.id = None;
        ctx.text(
            RelayMessage::Resync {
                reason: reason.clone(),
            }
            .text(),
        );
        ctx.close(Some(ws::CloseReason {
            code: ws::CloseCode::Again,
            description: Some(reason),
        }));
        ctx.stop();
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for WatchSession {
    fn handle(&mut self, item: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_seen = Instant::now();
        match item {
            Ok(ws::Message::Ping(p)) => ctx.pong(&p),
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Ok(_) => {}
            Err(_) => ctx.stop(),
        }
    }
}

/// Refuses a cookie-authenticated handshake from another site (cross-site WebSocket hijacking): the
/// browser's `Origin` must name this very host.
fn same_origin(req: &HttpRequest) -> Result<(), ManagerError> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let host = req.connection_info().host().to_owned();
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    if !authority.is_empty() && authority.eq_ignore_ascii_case(&host) {
        Ok(())
    } else {
        Err(ManagerError::Forbidden(format!(
            "a console WebSocket must come from this console's own pages (Origin `{}`); scripts use a \
             bearer token",
            origin.escape_default()
        )))
    }
}

/// `GET /ws/deployments/{id}`.
pub async fn deployment(
    req: HttpRequest,
    stream: web::Payload,
    id: web::Path<i64>,
    q: web::Query<WatchQuery>,
    who: Signed,
    state: web::Data<AppContext>,
) -> Result<HttpResponse, ManagerError> {
    if who.via == Via::Cookie {
        same_origin(&req)?;
    }
    let wanted = Wanted::parse(q.targets.as_deref()).map_err(ManagerError::Invalid)?;
    let watch = svc::watchable(&state, &who.as_actor(), *id).await?;
    let session = WatchSession {
        state: state.clone(),
        watch,
        wanted: Some(wanted),
        id: None,
        last_seen: Instant::now(),
    };
    ws::start(session, &req, stream)
        .map_err(|e| ManagerError::Invalid(format!("not a WebSocket handshake: {e}")))
}
