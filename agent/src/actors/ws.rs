//! WebSocket session of `GET /ws/jobs`: job events as JSON text messages (one job, or all).

use super::job_manager::{JobEventMsg, JobManager, Subscribe, Unsubscribe};
use crate::net::listener::EdgeState;
use actix::prelude::*;
use actix_web_actors::ws;
use linux_patch_shared::api::jobs::JobEventKind;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// How often the server pings; a client silent for three intervals is dropped.
const HEARTBEAT: Duration = Duration::from_secs(20);

/// Events queued for one client before it counts as too slow.
const MAILBOX: usize = 1024;

/// How often an open session re-checks that its client's address is still on the (reloadable) allow-list.
pub const ALLOW_CHECK: Duration = Duration::from_secs(1);

/// One WebSocket client.
#[derive(Debug)]
pub struct JobEventsSession {
    manager: Addr<JobManager>,
    job: Option<String>,
    subscription: Option<u64>,
    last_seen: std::time::Instant,
    guard: Option<(Arc<EdgeState>, IpAddr)>,
}

impl JobEventsSession {
    /// A session following `job` (or every job when `None`).
    pub fn new(manager: Addr<JobManager>, job: Option<String>) -> Self {
        Self {
            manager,
            job,
            subscription: None,
            last_seen: std::time::Instant::now(),
            guard: None,
        }
    }

    /// Closes the session (policy violation) as soon as `peer` is no longer on `edge`'s allow-list, e.g.
    /// after the config watcher reloaded `whitelist.yaml` without it.
    pub fn guarded(mut self, edge: Arc<EdgeState>, peer: IpAddr) -> Self {
        self.guard = Some((edge, peer));
        self
    }
}

impl Actor for JobEventsSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Room for a burst of output lines: a live event that finds the mailbox full drops the subscriber.
        ctx.set_mailbox_capacity(MAILBOX);
        let msg = Subscribe {
            recipient: ctx.address().recipient(),
            job: self.job.clone(),
        };
        self.manager
            .send(msg)
            .into_actor(self)
            .then(|res, act, ctx| {
                match res {
                    Ok(id) => act.subscription = Some(id),
                    Err(_) => ctx.stop(),
                }
                fut::ready(())
            })
            .wait(ctx);
        if self.guard.is_some() {
            ctx.run_interval(ALLOW_CHECK, |act, ctx| {
                let Some((edge, peer)) = &act.guard else {
                    return;
                };
                if !edge.allows(*peer) {
                    log::info!("closing the job-events WebSocket of {peer}: no longer on the allow-list");
                    ctx.close(Some(ws::CloseReason {
                        code: ws::CloseCode::Policy,
                        description: Some("this address is no longer on the allow-list".into()),
                    }));
                    ctx.stop();
                }
            });
        }
        ctx.run_interval(HEARTBEAT, |act, ctx| {
            if act.last_seen.elapsed() > HEARTBEAT * 3 {
                ctx.stop();
            } else {
                ctx.ping(b"");
            }
        });
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        if let Some(id) = self.subscription.take() {
            self.manager.do_send(Unsubscribe { id });
        }
    }
}

impl Handler<JobEventMsg> for JobEventsSession {
    type Result = ();

    fn handle(&mut self, msg: JobEventMsg, ctx: &mut Self::Context) {
        let done = self.job.as_deref() == Some(msg.0.job_id.as_str())
            && matches!(msg.0.event, JobEventKind::Finished { .. });
        match serde_json::to_string(&msg.0) {
            Ok(text) => ctx.text(text),
            Err(e) => log::error!("cannot encode a job event: {e}"),
        }
        if done {
            // A client following one job is done when it finishes.
            ctx.close(Some(ws::CloseReason {
                code: ws::CloseCode::Normal,
                description: Some("job finished".into()),
            }));
            ctx.stop();
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for JobEventsSession {
    fn handle(&mut self, item: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_seen = std::time::Instant::now();
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
