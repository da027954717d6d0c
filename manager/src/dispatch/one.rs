//! One target, one step: send its job (or re-send the same attempt after a crash) or look at its running
//! job, and say what to write. Errors in words; nothing here touches the database.

use crate::agents::{AgentConn, JobCall};
use crate::db::models::deployment_claims::{Claimed, Outcome};
use crate::deploy::target::{self, Next, TargetState};
use chrono::{DateTime, Utc};
use linux_patch_shared::api::jobs::{Job, JobStatus};
use std::net::{IpAddr, SocketAddr};

fn address(c: &Claimed) -> Result<SocketAddr, String> {
    let (Some(ip), Some(port)) = (c.ip.as_deref(), c.port) else {
        return Err("the host was removed from the manager".into());
    };
    let ip: IpAddr = ip
        .parse()
        .map_err(|_| format!("`{}` is not an IP address", ip.escape_default()))?;
    let port = u16::try_from(port).map_err(|_| format!("port {port} is out of range"))?;
    Ok(SocketAddr::new(ip, port))
}

fn call(c: &Claimed) -> Result<JobCall, String> {
    let packages: Vec<String> = serde_json::from_value(c.packages.clone()).unwrap_or_default();
    Ok(match c.operation.as_str() {
        "apply_all" => JobCall::ApplyAll,
        "security_only" => JobCall::SecurityOnly,
        "packages" => JobCall::Update(packages),
        "install" => JobCall::Install(packages),
        "remove" => JobCall::Remove(packages.into_iter().next().ok_or("no package to remove")?),
        "reboot" => JobCall::Reboot(60),
        "rollback" => JobCall::Rollback(
            c.rollback_source
                .clone()
                .ok_or("the deployment undone has no job on this host")?,
        ),
        other => return Err(format!("unknown operation `{other}`")),
    })
}

fn ended(state: TargetState, error: String, job: Option<&Job>) -> Outcome {
    Outcome::Ended {
        state: state.as_str(),
        error,
        agent_status: job.map(|j| status_str(j.status)).unwrap_or_default(),
        change_set: job
            .and_then(|j| j.change_set.as_ref())
            .and_then(|cs| serde_json::to_value(cs).ok()),
        output_tail: serde_json::json!(job.map(|j| j.output_tail.clone()).unwrap_or_default()),
    }
}

fn status_str(s: JobStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The state a target waited in before this claim (a re-sent dispatch waits as it did before).
fn waited_in(c: &Claimed) -> TargetState {
    match TargetState::parse(&c.state_before) {
        Some(s) if s.is_pending() => s,
        _ if c.dispatch_until.is_some() => TargetState::WaitingWindow,
        _ => TargetState::Queued,
    }
}

/// Sends the job of claimed target `c` at `now` (`Idempotency-Key: <id>.<attempt>`).
pub async fn dispatch(conn: &AgentConn, c: Claimed, now: DateTime<Utc>) -> (Claimed, Outcome) {
    let resend = c.state_before == TargetState::Dispatching.as_str();
    if !resend && !target::may_start(now, c.dispatch_until) {
        let o = ended(
            TargetState::MissedWindow,
            "its maintenance window reached its cut-off before the job could start".into(),
            None,
        );
        return (c, o);
    }
    let (addr, job) = match address(&c).and_then(|a| call(&c).map(|j| (a, j))) {
        Ok(x) => x,
        Err(why) => return (c.clone(), ended(TargetState::Failed, why, None)),
    };
    let key = format!("{}.{}", c.id, c.attempts);
    let o = match conn.submit(addr, &job, &key).await {
        Ok(j) => Outcome::Dispatched {
            job_id: j.id,
            status: status_str(j.status),
        },
        Err(e) => {
            let failures = c.dispatch_failures + 1;
            let why = format!("the agent did not take the job (try {failures}): {}", e.explain());
            match target::after_dispatch_error(e.retryable(), failures, waited_in(&c), now, c.dispatch_until)
            {
                Next::Final(state) => ended(state, why, None),
                Next::Again { state, due_at } => Outcome::Again {
                    state: state.as_str(),
                    due_at,
                    error: why,
                    dispatch_failures: failures,
                },
            }
        }
    };
    (c, o)
}

/// Looks at the running job of claimed target `c` at `now`.
pub async fn follow(conn: &AgentConn, c: Claimed, now: DateTime<Utc>) -> (Claimed, Outcome) {
    let (Ok(addr), Some(id)) = (address(&c), c.agent_job_id.clone()) else {
        let o = ended(TargetState::Failed, "the host or its job is gone".into(), None);
        return (c, o);
    };
    let job = match conn.job(addr, &id).await {
        Ok(j) => j,
        Err(e) => {
            // The job runs on regardless; look again next round.
            let o = Outcome::Progress {
                status: format!("unknown (the agent did not answer: {e})"),
                output_tail: serde_json::json!([]),
            };
            return (c, o);
        }
    };
    if !job.status.is_finished() {
        let o = Outcome::Progress {
            status: status_str(job.status),
            output_tail: serde_json::json!(job.output_tail),
        };
        return (c, o);
    }
    let why = job.message.clone().unwrap_or_default();
    let o = match target::after_job(job.status, c.attempts, now, c.dispatch_until) {
        Next::Final(TargetState::Succeeded) => {
            let note = reboot_if_required(conn, addr, &c, now).await;
            let mut o = ended(TargetState::Succeeded, String::new(), Some(&job));
            if let (Some(note), Outcome::Ended { agent_status, .. }) = (note, &mut o) {
                agent_status.push_str(&format!("; {note}"));
            }
            o
        }
        Next::Final(state) => ended(state, why, Some(&job)),
        Next::Again { state, due_at } => Outcome::Again {
            state: state.as_str(),
            due_at,
            error: format!("attempt {} {}: {why}", c.attempts, status_str(job.status)),
            dispatch_failures: 0,
        },
    };
    (c, o)
}

/// With the reboot option `if_required`, after a successful job: asks the agent whether the host needs a
/// reboot and, if so and the window still allows starting a job, starts one (`Idempotency-Key:
/// <target>.reboot`); what happened, in words.
async fn reboot_if_required(
    conn: &AgentConn,
    addr: SocketAddr,
    c: &Claimed,
    now: DateTime<Utc>,
) -> Option<String> {
    if c.reboot != "if_required" || c.operation == "reboot" {
        return None;
    }
    let info = match conn.system_info(addr).await {
        Ok(i) => i,
        Err(e) => return Some(format!("reboot not checked: {e}")),
    };
    if info.reboot_required.state != linux_patch_shared::api::agent::TriState::Yes {
        return Some("no reboot needed".into());
    }
    if !target::may_start(now, c.dispatch_until) {
        return Some(format!(
            "reboot needed ({}) but the window's cut-off has passed: not rebooted",
            info.reboot_required.reason
        ));
    }
    Some(
        match conn
            .submit(addr, &JobCall::Reboot(60), &format!("{}.reboot", c.id))
            .await
        {
            Ok(j) => format!("reboot started (job {}): {}", j.id, info.reboot_required.reason),
            Err(e) => format!("reboot needed but refused: {e}"),
        },
    )
}

/// The manager lost its client certificate between the claim and the call: the target waits as it was and
/// is looked at again in a minute.
pub fn no_trust(c: Claimed, now: DateTime<Utc>) -> (Claimed, Outcome) {
    let o = Outcome::Again {
        state: waited_in(&c).as_str(),
        due_at: now + chrono::Duration::minutes(1),
        error: crate::agents::NO_TRUST.to_owned(),
        dispatch_failures: c.dispatch_failures,
    };
    (c, o)
}

/// A running job that cannot be looked at now (no client certificate): it stays running, looked at later.
pub fn not_followed(c: Claimed) -> (Claimed, Outcome) {
    let o = Outcome::Progress {
        status: format!("unknown ({})", crate::agents::NO_TRUST),
        output_tail: serde_json::json!([]),
    };
    (c, o)
}
