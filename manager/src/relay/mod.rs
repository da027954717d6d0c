//! What the WebSocket relay sends to a watching browser or script, and the bookkeeping it keeps apart from
//! its actor: the message forms, which targets a watcher asked for, each followed job's `seq` (duplicates
//! dropped, gaps detected) and its last output lines, and which target rows changed since the last look.

pub mod load;

use crate::db::models::deployment::Target;
use chrono::{DateTime, Utc};
use linux_patch_shared::api::jobs::JobEvent;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// Target ids one watcher may name (`?targets=`): a page of the Deployment view and then some.
pub const MAX_WATCHED_TARGETS: usize = 500;

/// Targets a snapshot lists when the watcher named none (a script): the first ones by id.
pub const MAX_SNAPSHOT_TARGETS: usize = 2000;

/// Agent jobs one deployment follows upstream at once (the deployer follows every job anyway; the relay
/// adds live output for what someone watches).
pub const MAX_UPSTREAM_PER_DEPLOYMENT: usize = 100;

/// Output lines kept per followed job (sent to a watcher that arrives late).
pub const TAIL_LINES: usize = 20;

/// A target as a watcher sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetView {
    /// Target id.
    pub target_id: i64,
    /// Host id (none once removed).
    pub host_id: Option<i64>,
    /// Host name at creation.
    pub hostname: String,
    /// Target state.
    pub state: String,
    /// The agent's job status as last seen.
    pub agent_status: String,
    /// Agent jobs started.
    pub attempts: i32,
    /// Why it failed.
    pub error: String,
    /// The agent's job id.
    pub agent_job_id: Option<String>,
}

impl From<&Target> for TargetView {
    fn from(t: &Target) -> Self {
        Self {
            target_id: t.id,
            host_id: t.host_id,
            hostname: t.hostname.clone(),
            state: t.state.clone(),
            agent_status: t.agent_status.clone(),
            attempts: t.attempts,
            error: t.error.clone(),
            agent_job_id: t.agent_job_id.clone(),
        }
    }
}

/// A deployment's summary line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryView {
    /// Deployment id.
    pub id: i64,
    /// `active`, `paused`, `cancelled`, `finished`.
    pub status: String,
    /// Targets.
    pub total: i64,
    /// Targets that ended without doing their work.
    pub failed: i64,
    /// Targets per state.
    pub counts: BTreeMap<String, i64>,
}

/// One message to a watcher (JSON text frame, `type` names the form).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// Everything the watcher asked for, as it is now (first message, and after a resync).
    Snapshot {
        /// The summary.
        deployment: SummaryView,
        /// The targets asked for (or the first [`MAX_SNAPSHOT_TARGETS`]).
        targets: Vec<TargetView>,
        /// More targets exist than listed.
        truncated: bool,
        /// Last output lines of followed jobs, by target id.
        tails: BTreeMap<i64, Vec<String>>,
    },
    /// The summary changed.
    Deployment(SummaryView),
    /// A target's row changed.
    Target(TargetView),
    /// An event of a target's agent job (the agent's own form, `seq` per job).
    Job {
        /// Target id.
        target_id: i64,
        /// The agent's event.
        #[serde(flatten)]
        event: JobEvent,
    },
    /// Events of a job were lost upstream (the agent restarted); its status and output tail as the agent
    /// reports them now.
    JobState {
        /// Target id.
        target_id: i64,
        /// The agent's job id.
        job_id: String,
        /// The agent's job status.
        status: String,
        /// Its last output lines.
        output_tail: Vec<String>,
    },
    /// This socket is closed by the relay; reconnect for a fresh snapshot.
    Resync {
        /// Why.
        reason: String,
    },
}

impl Message {
    /// The JSON text (serializing these types cannot fail; an empty object if it ever did).
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// Which targets one watcher asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted(Option<BTreeSet<i64>>);

impl Wanted {
    /// Every target of the deployment.
    pub fn all() -> Self {
        Self(None)
    }

    /// Parses `?targets=1,2,3` (at most [`MAX_WATCHED_TARGETS`] ids); empty or absent means all.
    pub fn parse(q: Option<&str>) -> Result<Self, String> {
        let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
            return Ok(Self::all());
        };
        let mut ids = BTreeSet::new();
        for part in q.split(',') {
            let id: i64 = part.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                format!(
                    "`targets` holds target ids separated by commas, not `{}`",
                    part.escape_default()
                )
            })?;
            ids.insert(id);
            if ids.len() > MAX_WATCHED_TARGETS {
                return Err(format!("at most {MAX_WATCHED_TARGETS} targets per socket"));
            }
        }
        Ok(Self(Some(ids)))
    }

    /// Whether target `id` is wanted.
    pub fn wants(&self, id: i64) -> bool {
        self.0.as_ref().is_none_or(|s| s.contains(&id))
    }

    /// The ids named, if any.
    pub fn ids(&self) -> Option<&BTreeSet<i64>> {
        self.0.as_ref()
    }
}

/// What became of an event's `seq` for a followed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seq {
    /// The next one: pass it on.
    Next,
    /// Seen already (a replay after a reconnect): drop it.
    Seen,
    /// Events `from..=to` never arrived and the agent cannot replay them.
    Gap {
        /// First missing.
        from: u64,
        /// Last missing.
        to: u64,
    },
}

/// The last `seq` passed on for one job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeqTracker {
    last: u64,
}

impl SeqTracker {
    /// Judges `seq` and, unless seen, moves past it.
    pub fn accept(&mut self, seq: u64) -> Seq {
        if seq <= self.last {
            return Seq::Seen;
        }
        let verdict = if seq == self.last + 1 {
            Seq::Next
        } else {
            Seq::Gap {
                from: self.last + 1,
                to: seq - 1,
            }
        };
        self.last = seq;
        verdict
    }

    /// The last `seq` passed on (0: none).
    pub fn last(&self) -> u64 {
        self.last
    }
}

/// The last [`TAIL_LINES`] output lines of a job.
#[derive(Debug, Clone, Default)]
pub struct Tail(VecDeque<String>);

impl Tail {
    /// Keeps `line`, forgetting the oldest beyond [`TAIL_LINES`].
    pub fn push(&mut self, line: &str) {
        if self.0.len() == TAIL_LINES {
            self.0.pop_front();
        }
        self.0.push_back(line.to_owned());
    }

    /// The lines, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }

    /// Replaces the lines (the agent's own tail after a gap).
    pub fn replace(&mut self, lines: &[String]) {
        self.0.clear();
        for l in lines.iter().rev().take(TAIL_LINES).rev() {
            self.push(l);
        }
    }
}

/// The rows of `fresh` that differ from what `known` holds, and `known` brought up to date.
pub fn changed(known: &mut HashMap<i64, TargetView>, fresh: Vec<TargetView>) -> Vec<TargetView> {
    let mut out = Vec::new();
    for t in fresh {
        if known.get(&t.target_id) != Some(&t) {
            known.insert(t.target_id, t.clone());
            out.push(t);
        }
    }
    out.sort_by_key(|t| t.target_id);
    out
}

/// Where to read changed rows from next time: the newest `updated_at` seen (rows written in the same
/// instant are read again and dropped by [`changed`]).
pub fn next_since(since: Option<DateTime<Utc>>, rows: &[Target]) -> Option<DateTime<Utc>> {
    rows.iter().map(|t| t.updated_at).max().max(since)
}

/// Backoff before re-opening a dropped upstream socket: 1 s doubling to 30 s.
pub fn reconnect_delay(tries: u32) -> std::time::Duration {
    std::time::Duration::from_secs((1u64 << tries.min(5)).min(30))
}

#[cfg(test)]
mod tests;
