//! The `Relay` actor: fans a deployment's live state out to every watching browser or script. It looks at
//! a watched deployment when a watcher arrives and after every deployer round (one query per deployment,
//! not per watcher), sends only what changed, and holds one upstream agent WebSocket per running job that
//! someone watches (`upstream.rs`), dropping replayed events by `seq` and filling gaps from `GET /jobs/{id}`.
//! RBAC is checked by the caller before subscribing and again at every look for watching operators.

mod upstream;

use super::deployer::RoundDone;
use crate::agents::Agents;
use crate::db::Db;
use crate::error::ManagerError;
use crate::relay::load::{self, Look};
use crate::relay::{self as logic, Message as Msg, Seq, SeqTracker, Tail, TargetView, Wanted};
use actix::prelude::*;
use linux_patch_shared::api::jobs::{JobEvent, JobEventKind};
use linux_patch_shared::clock::SharedClock;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

/// A text frame for a watcher (shared by every watcher it goes to).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Push(pub Arc<str>);

/// Event to a watcher: the relay dropped it (too slow to read, or no longer allowed); `0` says why.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Dropped(pub String);

/// What the relay needs, passed in explicitly.
#[derive(Clone)]
pub struct RelayDeps {
    /// The database.
    pub db: Db,
    /// Agent clients (pinned per host).
    pub agents: Agents,
    /// Where time comes from (certificate validity of the pins).
    pub clock: SharedClock,
}

/// One watcher.
struct Watcher {
    to: Recipient<Push>,
    gone: Recipient<Dropped>,
    /// The operator's user id (administrators: `None`, they see everything).
    operator: Option<i64>,
    wanted: Wanted,
    /// Still waits for its snapshot.
    fresh: bool,
}

/// One followed agent job.
struct Follow {
    job: String,
    agent: Option<(SocketAddr, Vec<String>)>,
    seq: SeqTracker,
    tail: Tail,
    tries: u32,
    handle: Option<SpawnHandle>,
    finished: bool,
}

/// One watched deployment.
#[derive(Default)]
struct Watched {
    watchers: HashMap<u64, Watcher>,
    known: HashMap<i64, TargetView>,
    summary: Option<logic::SummaryView>,
    since: Option<chrono::DateTime<chrono::Utc>>,
    loaded: bool,
    looking: bool,
    look_again: bool,
    follows: HashMap<i64, Follow>,
}

/// The actor.
pub struct Relay {
    deps: RelayDeps,
    next_id: u64,
    watched: HashMap<i64, Watched>,
}

impl Actor for Relay {
    type Context = Context<Self>;
}

/// Command: watch deployment `deployment` (the caller checked the watcher may see it); answers its id.
#[derive(Message)]
#[rtype(result = "u64")]
pub struct Subscribe {
    /// The deployment.
    pub deployment: i64,
    /// The operator's user id, `None` for an administrator.
    pub operator: Option<i64>,
    /// Targets asked for.
    pub wanted: Wanted,
    /// Where frames go.
    pub to: Recipient<Push>,
    /// Told when the relay drops the watcher.
    pub gone: Recipient<Dropped>,
}

/// Command: stop watching.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unsubscribe {
    /// The deployment.
    pub deployment: i64,
    /// The watcher.
    pub id: u64,
}

/// Event: deployments changed outside a deployer round (cancelled, rolled back); empty = every one.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Changed(pub Vec<i64>);

/// Query: what the relay holds now.
#[derive(Message)]
#[rtype(result = "RelayStatus")]
pub struct GetStatus;

/// What the relay holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, MessageResponse)]
pub struct RelayStatus {
    /// Deployments watched.
    pub deployments: usize,
    /// Watchers.
    pub watchers: usize,
    /// Upstream agent sockets open.
    pub upstreams: usize,
}

impl Handler<Subscribe> for Relay {
    type Result = u64;

    fn handle(&mut self, m: Subscribe, ctx: &mut Self::Context) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        let w = self.watched.entry(m.deployment).or_default();
        w.watchers.insert(
            id,
            Watcher {
                to: m.to,
                gone: m.gone,
                operator: m.operator,
                wanted: m.wanted,
                fresh: true,
            },
        );
        if w.loaded {
            self.snapshots(m.deployment);
        }
        self.look(m.deployment, ctx);
        id
    }
}

impl Handler<Unsubscribe> for Relay {
    type Result = ();

    fn handle(&mut self, m: Unsubscribe, ctx: &mut Self::Context) {
        if let Some(w) = self.watched.get_mut(&m.deployment) {
            w.watchers.remove(&m.id);
            if w.watchers.is_empty() {
                self.forget(m.deployment, ctx);
            } else {
                self.follow_wanted(m.deployment, ctx);
            }
        }
    }
}

impl Handler<RoundDone> for Relay {
    type Result = ();

    fn handle(&mut self, _: RoundDone, ctx: &mut Self::Context) {
        let ids: Vec<i64> = self.watched.keys().copied().collect();
        for id in ids {
            self.look(id, ctx);
        }
    }
}

impl Handler<Changed> for Relay {
    type Result = ();

    fn handle(&mut self, m: Changed, ctx: &mut Self::Context) {
        let ids: Vec<i64> = if m.0.is_empty() {
            self.watched.keys().copied().collect()
        } else {
            m.0.into_iter()
                .filter(|id| self.watched.contains_key(id))
                .collect()
        };
        for id in ids {
            self.look(id, ctx);
        }
    }
}

impl Handler<GetStatus> for Relay {
    type Result = RelayStatus;

    fn handle(&mut self, _: GetStatus, _: &mut Self::Context) -> RelayStatus {
        RelayStatus {
            deployments: self.watched.len(),
            watchers: self.watched.values().map(|w| w.watchers.len()).sum(),
            upstreams: self
                .watched
                .values()
                .flat_map(|w| w.follows.values())
                .filter(|f| f.handle.is_some())
                .count(),
        }
    }
}

/// Event: a look at a deployment came back.
struct Looked(i64, Result<Look, ManagerError>);

impl Message for Looked {
    type Result = ();
}

impl Handler<Looked> for Relay {
    type Result = ();

    fn handle(&mut self, Looked(id, res): Looked, ctx: &mut Self::Context) {
        let Some(w) = self.watched.get_mut(&id) else {
            return;
        };
        w.looking = false;
        let look = match res {
            Ok(l) => l,
            Err(e) => {
                log::warn!("relay: cannot read deployment #{id}: {e}");
                return;
            }
        };
        let Some(summary) = look.summary else {
            for (_, watcher) in w.watchers.drain() {
                watcher
                    .gone
                    .do_send(Dropped(format!("deployment #{id} no longer exists")));
            }
            self.forget(id, ctx);
            return;
        };
        let hidden: Vec<u64> = w
            .watchers
            .iter()
            .filter(|(_, x)| x.operator.is_some_and(|u| look.hidden_from.contains(&u)))
            .map(|(k, _)| *k)
            .collect();
        for k in hidden {
            if let Some(x) = w.watchers.remove(&k) {
                x.gone
                    .do_send(Dropped("you may no longer see this deployment".into()));
            }
        }
        w.since = look.since;
        let rows = logic::changed(&mut w.known, look.rows);
        let first = !w.loaded;
        w.loaded = true;
        if !first {
            if w.summary.as_ref() != Some(&summary) {
                self.broadcast(id, None, &Msg::Deployment(summary.clone()));
            }
            for t in rows {
                self.broadcast(id, Some(t.target_id), &Msg::Target(t));
            }
        }
        if let Some(w) = self.watched.get_mut(&id) {
            w.summary = Some(summary);
        }
        self.snapshots(id);
        self.follow_wanted(id, ctx);
        let again = self
            .watched
            .get_mut(&id)
            .is_some_and(|w| std::mem::take(&mut w.look_again));
        if again {
            self.look(id, ctx);
        }
    }
}

impl Relay {
    /// Reads deployment `id` again (one look at a time; a look asked for meanwhile runs after it).
    fn look(&mut self, id: i64, ctx: &mut Context<Self>) {
        let Some(w) = self.watched.get_mut(&id) else {
            return;
        };
        if w.watchers.is_empty() {
            return;
        }
        if w.looking {
            w.look_again = true;
            return;
        }
        w.looking = true;
        let since = w.since;
        let mut operators: Vec<i64> = w.watchers.values().filter_map(|x| x.operator).collect();
        operators.sort_unstable();
        operators.dedup();
        let db = self.deps.db.clone();
        let me = ctx.address();
        ctx.spawn(actix::fut::wrap_future(async move {
            let res = db.run(move |c| Ok(load::look(c, id, since, &operators)?)).await;
            me.do_send(Looked(id, res));
        }));
    }

    /// Sends `m` to every watcher of deployment `id` that wants `target` (all for `None`); drops watchers
    /// that cannot keep up.
    fn broadcast(&mut self, id: i64, target: Option<i64>, m: &Msg) {
        let Some(w) = self.watched.get_mut(&id) else {
            return;
        };
        let text: Arc<str> = Arc::from(m.text());
        let mut slow = Vec::new();
        for (k, x) in &w.watchers {
            if x.fresh || target.is_some_and(|t| !x.wanted.wants(t)) {
                continue;
            }
            if x.to.try_send(Push(text.clone())).is_err() {
                slow.push(*k);
            }
        }
        for k in slow {
            if let Some(x) = w.watchers.remove(&k) {
                x.gone.do_send(Dropped(
                    "too slow to keep up: reconnect for a fresh snapshot".into(),
                ));
            }
        }
    }

    /// Sends each watcher still waiting its snapshot.
    fn snapshots(&mut self, id: i64) {
        let Some(w) = self.watched.get_mut(&id) else {
            return;
        };
        let Some(summary) = w.summary.clone() else {
            return;
        };
        for x in w.watchers.values_mut().filter(|x| x.fresh) {
            let mut targets: Vec<TargetView> = w
                .known
                .values()
                .filter(|t| x.wanted.wants(t.target_id))
                .cloned()
                .collect();
            targets.sort_by_key(|t| t.target_id);
            let truncated = targets.len() > logic::MAX_SNAPSHOT_TARGETS;
            targets.truncate(logic::MAX_SNAPSHOT_TARGETS);
            let tails: BTreeMap<i64, Vec<String>> = targets
                .iter()
                .filter_map(|t| w.follows.get(&t.target_id).map(|f| (t.target_id, f.tail.lines())))
                .filter(|(_, l)| !l.is_empty())
                .collect();
            let m = Msg::Snapshot {
                deployment: summary.clone(),
                targets,
                truncated,
                tails,
            };
            // A full mailbox at the first message: the next look tries again.
            x.fresh = x.to.try_send(Push(Arc::from(m.text()))).is_err();
        }
    }

    /// Stops following deployment `id` (no watcher left).
    fn forget(&mut self, id: i64, ctx: &mut Context<Self>) {
        if let Some(w) = self.watched.remove(&id) {
            for f in w.follows.into_values() {
                if let Some(h) = f.handle {
                    ctx.cancel_future(h);
                }
            }
        }
    }

    /// A job event from upstream: drop replays, keep output, pass it on; a gap asks the agent for the job.
    fn job_event(&mut self, id: i64, target: i64, ev: JobEvent, ctx: &mut Context<Self>) {
        let Some(f) = self.watched.get_mut(&id).and_then(|w| w.follows.get_mut(&target)) else {
            return;
        };
        let verdict = f.seq.accept(ev.seq);
        if verdict == Seq::Seen {
            return;
        }
        f.tries = 0;
        match &ev.event {
            JobEventKind::Output { line } => f.tail.push(line),
            JobEventKind::Finished { .. } => f.finished = true,
            _ => {}
        }
        if let (Seq::Gap { .. }, Some((addr, pins))) = (verdict, f.agent.clone()) {
            let job = f.job.clone();
            upstream::fetch_job(self, ctx, id, target, addr, pins, job);
        }
        self.broadcast(
            id,
            Some(target),
            &Msg::Job {
                target_id: target,
                event: ev,
            },
        );
    }
}

/// How callers reach the relay.
#[derive(Debug, Clone)]
pub struct RelayHandle {
    addr: Addr<Relay>,
}

fn gone(e: MailboxError) -> ManagerError {
    ManagerError::Internal(format!("the relay is not running: {e}"))
}

impl RelayHandle {
    /// Watches deployment `m.deployment`; answers the watcher's id.
    pub async fn subscribe(&self, m: Subscribe) -> Result<u64, ManagerError> {
        self.addr.send(m).await.map_err(gone)
    }

    /// Stops watcher `id` of `deployment`.
    pub fn unsubscribe(&self, deployment: i64, id: u64) {
        self.addr.do_send(Unsubscribe { deployment, id });
    }

    /// Tells watchers of `deployments` to look again (empty: every one).
    pub fn changed(&self, deployments: Vec<i64>) {
        self.addr.do_send(Changed(deployments));
    }

    /// What the relay holds now.
    pub async fn status(&self) -> Result<RelayStatus, ManagerError> {
        self.addr.send(GetStatus).await.map_err(gone)
    }

    /// Where deployer rounds are announced.
    pub fn round_done(&self) -> Recipient<RoundDone> {
        self.addr.clone().recipient()
    }
}

/// Starts the relay on the current arbiter.
pub fn start(deps: RelayDeps) -> RelayHandle {
    RelayHandle {
        addr: Relay {
            deps,
            next_id: 0,
            watched: HashMap::new(),
        }
        .start(),
    }
}
