//! `logging.remote_syslog` against a real rsyslogd on loopback: RFC 5424 with structured data over UDP and
//! TCP, requests never held up while the collector is down, drops counted in health and audited locally,
//! delivery resumed when it is back.

use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::api::Api;
use linux_patch_tests::rsyslog::Rsyslog;
use serde_json::Value;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

fn agent_logging_to(url: String) -> AgentProc {
    AgentProc::start(&AgentSetup {
        remote_syslog: Some(url),
        rate_limit_per_minute: 0,
        ..AgentSetup::default()
    })
}

async fn health_with_id(api: &Api, id: &str) -> Value {
    let r = api
        .call("GET", "/api/v1/health", &[("X-Request-ID", id)], None)
        .await;
    assert_eq!(r.status, 200);
    r.json()
}

fn request_message(id: &str) -> impl Fn(&Value) -> bool + '_ {
    move |m: &Value| {
        m["msgid"] == "http.request"
            && m["sd"]
                .as_str()
                .is_some_and(|sd| sd.contains(&format!("request_id=\"{id}\"")))
    }
}

/// Checks one received message is RFC 5424 as documented: facility authpriv, severity from the level,
/// the agent's pid, the event as MSGID and SD, the audit line as MSG.
fn assert_rfc5424(m: &Value, agent: &AgentProc, id: &str) {
    assert_eq!(m["facility"], "10", "{m}");
    assert_eq!(m["severity"], "6", "{m}");
    assert_eq!(m["app"], "linux-patch-api", "{m}");
    assert_eq!(m["procid"], agent.pid().to_string(), "{m}");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(m["hostname"], host.trim(), "{m}");
    let sd = m["sd"].as_str().unwrap();
    assert!(sd.starts_with("[audit@32473 event=\"http.request\""), "{sd}");
    assert!(
        sd.contains(" status=\"200\"") && sd.contains(" path=\"/api/v1/health\""),
        "{sd}"
    );
    let line: Value = serde_json::from_str(m["msg"].as_str().unwrap().trim()).unwrap();
    assert_eq!(
        (line["event"].as_str(), line["request_id"].as_str()),
        (Some("http.request"), Some(id)),
        "{m}"
    );
}

#[tokio::test]
async fn audit_events_go_to_rsyslog_over_udp_and_resume_after_it_restarts() {
    let mut rs = Rsyslog::start();
    let agent = agent_logging_to(rs.udp_url());
    let api = Api::of(&agent);
    rs.wait_for(WAIT, |m| m["msgid"] == "agent.started");
    let h = health_with_id(&api, "udp-first").await;
    let m = rs.wait_for(WAIT, request_message("udp-first"));
    assert_rfc5424(&m, &agent, "udp-first");
    assert_eq!(h["data"]["remote_syslog"]["target"], rs.udp_url().as_str(), "{h}");

    rs.stop();
    for i in 0..30 {
        let started = Instant::now();
        health_with_id(&api, &format!("udp-down-{i}")).await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "a request waited for the collector"
        );
    }
    rs.resume();
    // Datagrams sent while nobody listened are lost (UDP); new ones arrive again.
    let deadline = Instant::now() + WAIT;
    let mut n = 0;
    while !rs
        .messages()
        .iter()
        .any(|m| m["sd"].as_str().unwrap_or("").contains("udp-back-"))
    {
        assert!(Instant::now() < deadline, "no message after rsyslogd came back");
        health_with_id(&api, &format!("udp-back-{n}")).await;
        n += 1;
        linux_patch_tests::agent::wait_a_little();
    }
    let st = api.get("/api/v1/health").await["data"]["remote_syslog"].clone();
    assert!(st["sent"].as_u64().unwrap() >= 3, "{st}");
    assert_eq!(st["queued"], 0, "{st}");
}

#[tokio::test]
async fn tcp_delivery_queues_while_rsyslog_is_down_drops_beyond_the_queue_and_reports_it() {
    let mut rs = Rsyslog::start();
    let agent = agent_logging_to(rs.tcp_url());
    let api = Api::of(&agent);
    health_with_id(&api, "tcp-first").await;
    let m = rs.wait_for(WAIT, request_message("tcp-first"));
    assert_rfc5424(&m, &agent, "tcp-first");
    let st = api.get("/api/v1/health").await["data"]["remote_syslog"].clone();
    assert_eq!(
        (st["connected"].as_bool(), st["dropped"].as_u64()),
        (Some(true), Some(0)),
        "{st}"
    );

    // Collector down: every request still answers at once; the queue (1,000) fills, then drops count.
    rs.stop();
    let mut slowest = Duration::ZERO;
    for i in 0..650 {
        let started = Instant::now();
        health_with_id(&api, &format!("tcp-down-{i}")).await;
        slowest = slowest.max(started.elapsed());
    }
    assert!(slowest < Duration::from_secs(3), "slowest request {slowest:?}");
    let h = api.get("/api/v1/health").await;
    let st = &h["data"]["remote_syslog"];
    assert_eq!(st["connected"], false, "{h}");
    assert!(st["dropped"].as_u64().unwrap() > 0, "{h}");
    assert!(st["queued"].as_u64().unwrap() >= 900, "{h}");
    assert!(
        st["last_error"].as_str().is_some_and(|e| e.contains("tcp")),
        "{h}"
    );
    assert_eq!(
        h["data"]["status"], "healthy",
        "a collector outage is reported, not a degraded host"
    );

    // Back: the queue drains (the first requests of the outage arrive), new events flow, and the drops
    // are audited locally and sent on.
    rs.resume();
    rs.wait_for(Duration::from_secs(30), request_message("tcp-down-0"));
    health_with_id(&api, "tcp-back").await;
    rs.wait_for(Duration::from_secs(30), request_message("tcp-back"));
    let local = agent.wait_audit(WAIT, |r| r["event"] == "syslog.dropped");
    assert!(local["dropped"].as_u64().unwrap() > 0, "{local}");
    assert_eq!(local["target"], rs.tcp_url().as_str());
    rs.wait_for(WAIT, |m| m["msgid"] == "syslog.dropped");
    let st = api.get("/api/v1/health").await["data"]["remote_syslog"].clone();
    assert_eq!(st["connected"], true, "{st}");
    assert!(
        st["dropped"].as_u64() >= local["dropped_total"].as_u64(),
        "{st} {local}"
    );
}
