//! A small API client for tests: JSON calls over fresh mTLS connections, job polling, the job WebSocket.

use crate::agent::{wait_a_little, AgentProc};
use crate::certs::Issued;
use crate::client::{connect, request, tls13, Response};
use futures_util::StreamExt;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Talks to one agent with its valid client certificate.
#[derive(Debug, Clone)]
pub struct Api {
    addr: SocketAddr,
    ca_pem: String,
    cert: Issued,
}

impl Api {
    /// A client of `agent`.
    pub fn of(agent: &AgentProc) -> Self {
        Self {
            addr: agent.addr,
            ca_pem: agent.pki.ca.cert_pem(),
            cert: agent.pki.client.clone(),
        }
    }

    /// One request on a fresh connection.
    pub async fn call(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        let mut s = connect(self.addr, tls13(&self.ca_pem, Some(&self.cert)), None)
            .await
            .unwrap();
        let mut hs: Vec<(&str, &str)> = headers.to_vec();
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        if body.is_some() {
            hs.push(("Content-Type", "application/json"));
        }
        request(&mut s, method, target, &hs, bytes.as_bytes())
            .await
            .unwrap()
    }

    /// GET and return the envelope.
    pub async fn get(&self, target: &str) -> Value {
        let r = self.call("GET", target, &[], None).await;
        assert_eq!(
            r.status,
            200,
            "GET {target}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()
    }

    /// Submits a job (expects 202) and returns its id.
    pub async fn submit(&self, method: &str, target: &str, body: Option<Value>) -> String {
        let r = self.call(method, target, &[], body.as_ref()).await;
        assert_eq!(
            r.status,
            202,
            "{method} {target}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let v = r.json();
        assert!(
            matches!(v["data"]["status"].as_str(), Some("queued" | "running")),
            "{v}"
        );
        v["data"]["id"].as_str().unwrap().to_owned()
    }

    /// Polls `GET /jobs/{id}` until the job has finished (or `timeout` passes); returns the job.
    pub async fn wait_job(&self, id: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let r = self.call("GET", &format!("/api/v1/jobs/{id}"), &[], None).await;
            if r.status == 200 {
                let job = r.json()["data"].clone();
                if !matches!(job["status"].as_str(), Some("queued" | "running")) {
                    return job;
                }
            } else {
                // 503 while a rollback holds the agent: keep waiting.
                assert_eq!(
                    r.status,
                    503,
                    "GET job {id}: {}",
                    String::from_utf8_lossy(&r.body)
                );
            }
            assert!(
                Instant::now() < deadline,
                "job {id} did not finish in {timeout:?}"
            );
            wait_a_little();
        }
    }

    /// Submits a job and waits (up to two minutes) for it to finish; returns the finished job.
    pub async fn run(&self, method: &str, target: &str, body: Option<Value>) -> Value {
        let id = self.submit(method, target, body).await;
        self.wait_job(&id, Duration::from_secs(120)).await
    }

    /// Rolls back `job` (a job object with an `id`) and waits for the rollback job to finish.
    pub async fn rollback(&self, job: &Value) -> Value {
        let id = job["id"].as_str().unwrap_or_else(|| panic!("not a job: {job}"));
        self.run("POST", &format!("/api/v1/jobs/{id}/rollback"), None)
            .await
    }

    /// Opens `GET /ws/jobs?job=ID` and collects every event until the server closes (or `timeout`).
    pub async fn job_events(&self, id: &str, timeout: Duration) -> Vec<Value> {
        let tls = connect(self.addr, tls13(&self.ca_pem, Some(&self.cert)), None)
            .await
            .unwrap();
        let url = format!("wss://localhost/api/v1/ws/jobs?job={id}");
        let (mut ws, resp) = tokio_tungstenite::client_async(url, tls).await.unwrap();
        assert_eq!(resp.status(), 101);
        let mut events = Vec::new();
        let _ = tokio::time::timeout(timeout, async {
            while let Some(Ok(msg)) = ws.next().await {
                if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
                    events.push(serde_json::from_str::<Value>(t.as_str()).unwrap());
                }
            }
        })
        .await;
        events
    }
}
