//! The relay's upstream side: which running jobs of a watched deployment to follow (those someone watches,
//! at most `MAX_UPSTREAM_PER_DEPLOYMENT`), one agent WebSocket each over the host's pinned client,
//! reconnected with backoff while the job runs (the agent replays, `seq` drops what was seen), and the
//! agent's `GET /jobs/{id}` when events were lost.

use super::{Follow, Relay};
use crate::relay::load;
use crate::relay::{self as logic, Message as Msg, SeqTracker, Tail};
use actix::prelude::*;
use linux_patch_shared::api::jobs::{Job, JobEvent};
use std::collections::HashMap;
use std::net::SocketAddr;

/// Event: one job event from upstream.
struct Upstream(i64, i64, JobEvent);

impl Message for Upstream {
    type Result = ();
}

impl Handler<Upstream> for Relay {
    type Result = ();

    fn handle(&mut self, Upstream(id, target, ev): Upstream, ctx: &mut Self::Context) {
        self.job_event(id, target, ev, ctx);
    }
}

/// Event: an upstream socket ended (`Some(why)` when it broke).
struct Ended(i64, i64, Option<String>);

impl Message for Ended {
    type Result = ();
}

impl Handler<Ended> for Relay {
    type Result = ();

    fn handle(&mut self, Ended(id, target, why): Ended, ctx: &mut Self::Context) {
        let running = self
            .watched
            .get(&id)
            .is_some_and(|w| w.known.get(&target).is_some_and(|t| t.state == "running"));
        let Some(f) = self.watched.get_mut(&id).and_then(|w| w.follows.get_mut(&target)) else {
            return;
        };
        f.handle = None;
        if f.finished || !running {
            return;
        }
        f.tries += 1;
        if f.tries > 6 {
            log::info!(
                "relay: gave up following job {} of deployment #{id} after {} tries ({}); the deployer \
                 still follows it",
                f.job,
                f.tries - 1,
                why.unwrap_or_else(|| "closed".into())
            );
            return;
        }
        log::debug!(
            "relay: job {} stream ended ({}); again in {:?}",
            f.job,
            why.unwrap_or_else(|| "closed before the job finished".into()),
            logic::reconnect_delay(f.tries)
        );
        f.handle = Some(ctx.run_later(logic::reconnect_delay(f.tries), move |act, ctx| {
            act.open(id, target, ctx);
        }));
    }
}

/// Event: where the agents of newly followed jobs live (by target id).
struct Found(i64, HashMap<i64, (SocketAddr, Vec<String>)>);

impl Message for Found {
    type Result = ();
}

impl Handler<Found> for Relay {
    type Result = ();

    fn handle(&mut self, Found(id, found): Found, ctx: &mut Self::Context) {
        for (target, agent) in found {
            let Some(f) = self.watched.get_mut(&id).and_then(|w| w.follows.get_mut(&target)) else {
                continue;
            };
            if f.agent.is_none() {
                f.agent = Some(agent);
                self.open(id, target, ctx);
            }
        }
    }
}

/// Event: the agent's view of a job whose events were lost.
struct Fetched(i64, i64, Result<Job, String>);

impl Message for Fetched {
    type Result = ();
}

impl Handler<Fetched> for Relay {
    type Result = ();

    fn handle(&mut self, Fetched(id, target, job): Fetched, _: &mut Self::Context) {
        let job = match job {
            Ok(j) => j,
            Err(e) => {
                log::debug!("relay: cannot read a job after a gap: {e}");
                return;
            }
        };
        if let Some(f) = self.watched.get_mut(&id).and_then(|w| w.follows.get_mut(&target)) {
            f.tail.replace(&job.output_tail);
        }
        let status = serde_json::to_value(job.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let m = Msg::JobState {
            target_id: target,
            job_id: job.id,
            status,
            output_tail: job.output_tail,
        };
        self.broadcast(id, Some(target), &m);
    }
}

/// Asks the agent for job `job` (after a gap) and passes its status on.
pub(super) fn fetch_job(
    relay: &Relay,
    ctx: &mut Context<Relay>,
    id: i64,
    target: i64,
    addr: SocketAddr,
    pins: Vec<String>,
    job: String,
) {
    let agents = relay.deps.agents.clone();
    let me = ctx.address();
    ctx.spawn(actix::fut::wrap_future(async move {
        let res = match agents.client_pinned(&pins) {
            Ok(c) => c.connect().job(addr, &job).await.map_err(|e| e.0),
            Err(e) => Err(e),
        };
        me.do_send(Fetched(id, target, res));
    }));
}

impl Relay {
    /// Follows the running jobs watchers want (up to the cap), stops following the others.
    pub(super) fn follow_wanted(&mut self, id: i64, ctx: &mut Context<Self>) {
        let Some(w) = self.watched.get_mut(&id) else {
            return;
        };
        let wanted = |t: i64| w.watchers.values().any(|x| x.wanted.wants(t));
        let running: HashMap<i64, (i64, String)> = w
            .known
            .values()
            .filter(|t| t.state == "running" && wanted(t.target_id))
            .filter_map(|t| Some((t.target_id, (t.host_id?, t.agent_job_id.clone()?))))
            .collect();
        let stale: Vec<i64> = w
            .follows
            .iter()
            .filter(|(t, f)| running.get(t).is_none_or(|(_, job)| *job != f.job))
            .map(|(t, _)| *t)
            .collect();
        for t in stale {
            if let Some(h) = w.follows.remove(&t).and_then(|f| f.handle) {
                ctx.cancel_future(h);
            }
        }
        let room = logic::MAX_UPSTREAM_PER_DEPLOYMENT.saturating_sub(w.follows.len());
        let mut new: Vec<(i64, i64, String)> = running
            .into_iter()
            .filter(|(t, _)| !w.follows.contains_key(t))
            .map(|(t, (h, j))| (t, h, j))
            .collect();
        new.sort_unstable();
        new.truncate(room);
        if new.is_empty() {
            return;
        }
        let mut hosts: HashMap<i64, Vec<i64>> = HashMap::new();
        for (t, h, job) in new {
            hosts.entry(h).or_default().push(t);
            w.follows.insert(
                t,
                Follow {
                    job,
                    agent: None,
                    seq: SeqTracker::default(),
                    tail: Tail::default(),
                    tries: 0,
                    handle: None,
                    finished: false,
                },
            );
        }
        let (db, now, me) = (self.deps.db.clone(), self.deps.clock.now(), ctx.address());
        ctx.spawn(actix::fut::wrap_future(async move {
            let ids: Vec<i64> = hosts.keys().copied().collect();
            match db.run(move |c| Ok(load::agents_of(c, &ids, now)?)).await {
                Ok(agents) => {
                    let found = hosts
                        .into_iter()
                        .filter_map(|(h, ts)| agents.get(&h).map(|a| (ts, a.clone())))
                        .flat_map(|(ts, a)| ts.into_iter().map(move |t| (t, a.clone())))
                        .collect();
                    me.do_send(Found(id, found));
                }
                Err(e) => log::warn!("relay: cannot read the agents to follow: {e}"),
            }
        }));
    }

    /// Opens (or re-opens) the upstream socket of target `target`'s job.
    fn open(&mut self, id: i64, target: i64, ctx: &mut Context<Self>) {
        let agents = self.deps.agents.clone();
        let Some(f) = self.watched.get_mut(&id).and_then(|w| w.follows.get_mut(&target)) else {
            return;
        };
        let Some((addr, pins)) = f.agent.clone() else {
            return;
        };
        let (job, me) = (f.job.clone(), ctx.address());
        f.handle = Some(ctx.spawn(actix::fut::wrap_future(async move {
            let conn = match agents.client_pinned(&pins) {
                Ok(c) => c.connect(),
                Err(e) => return me.do_send(Ended(id, target, Some(e))),
            };
            let mut events = match conn.job_events(addr, &job).await {
                Ok(s) => s,
                Err(e) => return me.do_send(Ended(id, target, Some(e.0))),
            };
            let mut why = None;
            while let Some(item) = events.next().await {
                match item {
                    Ok(ev) => me.do_send(Upstream(id, target, ev)),
                    Err(e) => {
                        why = Some(e.0);
                        break;
                    }
                }
            }
            me.do_send(Ended(id, target, why));
        })));
    }
}
