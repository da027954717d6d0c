//! One agent job's event stream (`GET /api/v1/ws/jobs?job=ID`) over the same pinned mTLS client: each text
//! frame is one `JobEvent` (the agent replays the job's past events first), pings are answered.

use super::client::AgentConn;
use super::errors::AgentError;
use actix_codec::Framed;
use awc::ws::{Codec, Frame, Message};
use awc::BoxedSocket;
use futures_util::{SinkExt, StreamExt};
use linux_patch_shared::api::jobs::JobEvent;
use std::net::SocketAddr;

/// Largest frame read from an agent (an output line is far smaller).
const MAX_FRAME: usize = 1024 * 1024;

/// `wss://<ip>:<port>/api/v1/ws/jobs?job=<id>` (the id is a ULID: checked by the caller's parse).
pub fn ws_url(addr: SocketAddr, job: &str) -> String {
    let job: String = job.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("wss://{addr}/api/v1/ws/jobs?job={job}")
}

/// A job event as read (the shared type refuses unknown fields, which serde cannot combine with its
/// flattened kind; a newer agent's extra fields are ignored here).
#[derive(serde::Deserialize)]
struct Wire {
    job_id: String,
    seq: u64,
    at: chrono::DateTime<chrono::Utc>,
    #[serde(flatten)]
    event: linux_patch_shared::api::jobs::JobEventKind,
}

/// One text frame as a job event.
pub fn parse(text: &[u8]) -> Result<JobEvent, AgentError> {
    let w: Wire =
        serde_json::from_slice(text).map_err(|e| AgentError(format!("bad job event from the agent: {e}")))?;
    Ok(JobEvent {
        job_id: w.job_id,
        seq: w.seq,
        at: w.at,
        event: w.event,
    })
}

/// An open event stream of one job.
pub struct JobEvents {
    framed: Framed<BoxedSocket, Codec>,
}

impl std::fmt::Debug for JobEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobEvents").finish_non_exhaustive()
    }
}

impl AgentConn {
    /// Opens the event stream of job `id` on the agent at `addr`.
    pub async fn job_events(&self, addr: SocketAddr, id: &str) -> Result<JobEvents, AgentError> {
        let (_, framed) = self
            .client()
            .ws(ws_url(addr, id))
            .max_frame_size(MAX_FRAME)
            .connect()
            .await
            .map_err(|e| AgentError(format!("cannot open the job's event stream at {addr}: {e}")))?;
        Ok(JobEvents { framed })
    }
}

impl JobEvents {
    /// The next event; `None` once the agent closed the stream (it does when the job finished).
    pub async fn next(&mut self) -> Option<Result<JobEvent, AgentError>> {
        loop {
            match self.framed.next().await? {
                Ok(Frame::Text(b)) => return Some(parse(&b)),
                Ok(Frame::Ping(p)) => {
                    if let Err(e) = self.framed.send(Message::Pong(p)).await {
                        return Some(Err(AgentError(format!("the job's event stream broke: {e}"))));
                    }
                }
                Ok(Frame::Close(_)) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(AgentError(format!("the job's event stream broke: {e}")))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_job_and_nothing_else() {
        let a: SocketAddr = "127.0.0.1:12443".parse().unwrap();
        assert_eq!(
            ws_url(a, "01JABCDEFGHJKMNPQRSTVWXYZ0"),
            "wss://127.0.0.1:12443/api/v1/ws/jobs?job=01JABCDEFGHJKMNPQRSTVWXYZ0"
        );
        assert_eq!(
            ws_url(a, "x&job=y/../z"),
            "wss://127.0.0.1:12443/api/v1/ws/jobs?job=xjobyz"
        );
    }

    #[test]
    fn events_in_the_agents_form_are_read() {
        let out =
            br#"{"job_id":"01J","seq":4,"at":"2026-12-07T10:00:00Z","event":"output","line":"Unpacking"}"#;
        let e = parse(out).unwrap();
        assert_eq!((e.seq, e.job_id.as_str()), (4, "01J"));
        assert!(
            matches!(e.event, linux_patch_shared::api::jobs::JobEventKind::Output { ref line } if line == "Unpacking")
        );
        let done = br#"{"job_id":"01J","seq":9,"at":"2026-12-07T10:00:01Z","event":"finished","status":"succeeded","change_set":null,"message":null,"extra":1}"#;
        assert!(matches!(
            parse(done).unwrap().event,
            linux_patch_shared::api::jobs::JobEventKind::Finished { .. }
        ));
        assert!(parse(b"{\"seq\":1}").unwrap_err().0.starts_with("bad job event"));
    }
}
