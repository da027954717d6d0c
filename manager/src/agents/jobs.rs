//! The agent's job calls: start a job (patch apply, install, remove, reboot, rollback) under an
//! `Idempotency-Key` so a repeated POST returns the first job, and read a job back by id.

use super::client::{decode, url, AgentConn, MAX_BODY_BYTES};
use super::errors::{self, AgentError};
use linux_patch_shared::api::jobs::Job;
use linux_patch_shared::ApiError;
use std::net::SocketAddr;

/// What a job does on the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobCall {
    /// `POST /patches/apply` with an empty body: every pending update.
    ApplyAll,
    /// `POST /patches/apply` `{"security_only": true}`.
    SecurityOnly,
    /// `POST /patches/apply` `{"packages": [...]}`: these pending updates.
    Update(Vec<String>),
    /// `POST /packages` `{"packages": [...]}`.
    Install(Vec<String>),
    /// `DELETE /packages/{name}`.
    Remove(String),
    /// `POST /system/reboot` `{"delay_secs": N}`.
    Reboot(u64),
    /// `POST /jobs/{id}/rollback`.
    Rollback(String),
}

impl JobCall {
    /// Method, path (under `/api/v1`) and JSON body.
    pub fn request(&self) -> (&'static str, String, Option<serde_json::Value>) {
        use serde_json::json;
        match self {
            JobCall::ApplyAll => ("POST", "/patches/apply".into(), None),
            JobCall::SecurityOnly => (
                "POST",
                "/patches/apply".into(),
                Some(json!({"security_only": true})),
            ),
            JobCall::Update(p) => ("POST", "/patches/apply".into(), Some(json!({"packages": p}))),
            JobCall::Install(p) => ("POST", "/packages".into(), Some(json!({"packages": p}))),
            JobCall::Remove(name) => ("DELETE", format!("/packages/{}", encode(name)), None),
            JobCall::Reboot(delay) => (
                "POST",
                "/system/reboot".into(),
                Some(json!({"delay_secs": delay})),
            ),
            JobCall::Rollback(id) => ("POST", format!("/jobs/{}/rollback", encode(id)), None),
        }
    }
}

/// Percent-encodes what is not unreserved (names are validated before, this is a second fence).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b':') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Why a job call failed: no answer (`status` None: retry later) or the agent's refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// HTTP status, when the agent answered.
    pub status: Option<u16>,
    /// The agent's error code (`ALREADY_ROLLED_BACK`, `UNAVAILABLE`, ...), when it sent one.
    pub code: Option<String>,
    /// In words.
    pub message: String,
}

impl CallError {
    /// Whether trying again later may work (no answer, 429, 5xx); a 4xx refusal will not change.
    pub fn retryable(&self) -> bool {
        self.status.is_none_or(|s| s == 429 || s >= 500)
    }

    /// The refusal in an admin's words (the agent's rollback conflicts and its exclusive mode), else the
    /// agent's own message.
    pub fn explain(&self) -> String {
        let said = match self.code.as_deref() {
            Some("ALREADY_ROLLED_BACK") => "this host's job was already rolled back",
            Some("NOTHING_TO_ROLL_BACK") => "nothing to roll back on this host: its job changed nothing",
            Some("ROLLBACK_PENDING") => "a rollback of this job is already queued on the host",
            Some("JOB_NOT_FINISHED") => "the job to roll back has not finished on the host yet",
            Some("JOB_NOT_FOUND") => "the host no longer knows the job to roll back",
            _ if self.status == Some(503) => {
                "the host is rolling back another job (exclusive mode) and takes no new job until it ends"
            }
            _ => return self.message.clone(),
        };
        format!("{said} ({})", self.message)
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<AgentError> for CallError {
    fn from(e: AgentError) -> Self {
        CallError {
            status: None,
            code: None,
            message: e.0,
        }
    }
}

impl AgentConn {
    /// Starts `call` with `Idempotency-Key: key`; the job (the first one this key created, if repeated).
    pub async fn submit(&self, addr: SocketAddr, call: &JobCall, key: &str) -> Result<Job, CallError> {
        let (method, path, body) = call.request();
        let secs = self.timeout().as_secs_f64();
        let req = match method {
            "DELETE" => self.client().delete(url(addr, &path)),
            _ => self.client().post(url(addr, &path)),
        }
        .insert_header(("Accept", "application/json"))
        .insert_header(("Idempotency-Key", key));
        let sent = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        };
        let mut resp = sent.map_err(|e| CallError::from(errors::send_error(&e, addr, secs)))?;
        let status = resp.status();
        let bytes = resp
            .body()
            .limit(MAX_BODY_BYTES)
            .await
            .map_err(|e| CallError::from(errors::payload_error(&e, secs)))?;
        if !status.is_success() {
            let code = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| serde_json::from_value::<ApiError>(v["error"].clone()).ok())
                .map(|e| e.code);
            let e = errors::status_error(status.as_u16(), status.canonical_reason(), &bytes);
            return Err(CallError {
                status: Some(status.as_u16()),
                code,
                message: e.0,
            });
        }
        decode(&bytes).map_err(CallError::from)
    }

    /// `GET /api/v1/jobs/{id}`.
    pub async fn job(&self, addr: SocketAddr, id: &str) -> Result<Job, AgentError> {
        self.get(addr, &format!("/jobs/{}", encode(id))).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_map_to_the_agents_routes() {
        assert_eq!(
            JobCall::ApplyAll.request(),
            ("POST", "/patches/apply".into(), None)
        );
        let (m, p, b) = JobCall::SecurityOnly.request();
        assert_eq!((m, p.as_str()), ("POST", "/patches/apply"));
        assert_eq!(b.unwrap()["security_only"], true);
        assert_eq!(
            JobCall::Remove("libc6:amd64".into()).request().1,
            "/packages/libc6:amd64"
        );
        assert_eq!(
            JobCall::Remove("a/../b".into()).request().1,
            "/packages/a%2F..%2Fb"
        );
        assert_eq!(JobCall::Rollback("01J".into()).request().1, "/jobs/01J/rollback");
        assert_eq!(JobCall::Reboot(60).request().2.unwrap()["delay_secs"], 60);
    }

    #[test]
    fn the_agents_refusals_are_explained() {
        let e = |status, code: Option<&str>| CallError {
            status,
            code: code.map(str::to_owned),
            message: "agent error X: details".into(),
        };
        assert!(e(Some(409), Some("ALREADY_ROLLED_BACK"))
            .explain()
            .starts_with("this host's job was already rolled back ("));
        assert!(e(Some(409), Some("NOTHING_TO_ROLL_BACK"))
            .explain()
            .starts_with("nothing to roll back"));
        assert!(e(Some(503), Some("EXCLUSIVE_MODE"))
            .explain()
            .contains("exclusive mode"));
        assert_eq!(
            e(Some(400), Some("INVALID_PACKAGE")).explain(),
            "agent error X: details"
        );
    }

    #[test]
    fn only_silence_429_and_5xx_are_retried() {
        let e = |status| CallError {
            status,
            code: None,
            message: String::new(),
        };
        assert!(e(None).retryable());
        assert!(e(Some(503)).retryable());
        assert!(e(Some(429)).retryable());
        assert!(!e(Some(409)).retryable());
        assert!(!e(Some(400)).retryable());
    }
}
