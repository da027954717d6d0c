//! The WebSocket relay on the real HTTPS stack: two scripts watching one deployment on a real agent get
//! the same snapshot, the target's state changes and the agent job's own events (in `seq` order, no
//! duplicates, output lines included) up to the end; an operator of another group, a stranger, a
//! cross-site page and a malformed request are refused before the upgrade.

use super::kit::{agents, app, call, ctx, token};
use actix_web::test::TestRequest;
use diesel::prelude::*;
use futures_util::StreamExt;
use linux_patch_manager::db::models::{Group, Role};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::client::{connect, tls13};
use linux_patch_tests::live::LiveConsole;
use linux_patch_tests::pg::TestDb;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as WsError;

type Ws = tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

/// Opens `path` on the live console with `headers`; the socket, or the HTTP status of the refusal and body.
async fn open(live: &LiveConsole, path: &str, headers: &[(&str, &str)]) -> Result<Ws, (u16, String)> {
    let ca = std::fs::read_to_string(&live.ca_pem).unwrap();
    let addr = format!("127.0.0.1:{}", live.port).parse().unwrap();
    let tls = connect(addr, tls13(&ca, None), None).await.unwrap();
    let mut req = format!("wss://localhost:{}{path}", live.port)
        .into_client_request()
        .unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    match tokio_tungstenite::client_async(req, tls).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(resp)) => Err((
            resp.status().as_u16(),
            String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default()).into_owned(),
        )),
        Err(e) => panic!("handshake of {path} failed: {e}"),
    }
}

/// The next JSON message (`None` after `wait` or when the socket closed).
async fn next(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                return Some(serde_json::from_str(t.as_str()).unwrap())
            }
            Ok(Some(Ok(_))) => {}
            _ => return None,
        }
    }
}

/// Reads messages until `done` says so (or two minutes pass); returns all of them.
async fn read_until(ws: &mut Ws, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let started = Instant::now();
    let mut seen = Vec::new();
    while started.elapsed() < Duration::from_secs(120) {
        if let Some(m) = next(ws, Duration::from_secs(5)).await {
            let stop = done(&m);
            seen.push(m);
            if stop {
                return seen;
            }
        }
    }
    panic!("the expected message never came; got {seen:#?}");
}

#[actix_web::test]
async fn two_scripts_watch_a_deployment_live_through_the_relay() {
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let fleet = agents(&st, &db, &clock, 1);
    let host = fleet[0].1.id;
    let app = app(st.clone()).await;
    let admin = token(&app, &db, &clock, "root", Role::Admin).await;
    let live = LiveConsole::start(&st, &clock);

    let r = call(
        &app,
        &admin,
        TestRequest::post()
            .uri("/api/v1/deployments")
            .set_json(serde_json::json!({
            "host_ids": [host], "operation": "install", "packages": ["pmtest-new"], "mode": "now"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["data"]["id"].as_i64().unwrap();
    let path = format!("/ws/deployments/{id}");
    let auth = [("authorization", admin.as_str())];
    let mut a = open(&live, &path, &auth).await.unwrap();
    let mut b = open(&live, &format!("{path}?targets=1,2,3"), &auth)
        .await
        .unwrap();
    for ws in [&mut a, &mut b] {
        let snap = next(ws, Duration::from_secs(10)).await.expect("a snapshot first");
        assert_eq!(snap["type"], "snapshot", "{snap}");
        assert_eq!(snap["deployment"]["status"], "active");
        assert_eq!(snap["deployment"]["counts"]["queued"], 1, "{snap}");
        assert_eq!(snap["targets"][0]["hostname"], "deploy-0.test");
        assert_eq!(snap["targets"][0]["state"], "queued");
    }
    let status = st.actors.relay.status().await.unwrap();
    assert_eq!((status.deployments, status.watchers), (1, 2), "{status:?}");

    // Dispatch: the relay hears the round, sends the row, follows the agent's job and relays its events.
    let report = st.actors.scheduler.run_due().await.unwrap();
    assert_eq!(report.dispatched, 1, "{report:?}");
    let finished = |m: &Value| m["type"] == "job" && m["event"] == "finished";
    let seen_a = read_until(&mut a, finished).await;
    let seen_b = read_until(&mut b, finished).await;
    for seen in [&seen_a, &seen_b] {
        assert!(
            seen.iter()
                .any(|m| m["type"] == "target" && m["state"] == "running" && m["agent_job_id"].is_string()),
            "the running row: {seen:#?}"
        );
        let seqs: Vec<u64> = seen
            .iter()
            .filter(|m| m["type"] == "job")
            .map(|m| m["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs.first(), Some(&1), "from the first event: {seqs:?}");
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "in order, no duplicate, no gap: {seqs:?}"
        );
        assert!(
            seen.iter()
                .any(|m| m["event"] == "output" && m["line"].is_string()),
            "output lines relayed: {seen:#?}"
        );
    }
    let job_a: Vec<&Value> = seen_a.iter().filter(|m| m["type"] == "job").collect();
    let job_b: Vec<&Value> = seen_b.iter().filter(|m| m["type"] == "job").collect();
    assert_eq!(job_a, job_b, "every watcher gets the same events");

    // The deployer records the end: the row and the summary follow.
    let ended = |m: &Value| m["type"] == "deployment" && m["status"] == "finished";
    let started = Instant::now();
    let mut rest = Vec::new();
    while !rest.iter().any(ended) {
        assert!(started.elapsed() < Duration::from_secs(120), "{rest:#?}");
        st.actors.scheduler.run_due().await.unwrap();
        while let Some(m) = next(&mut a, Duration::from_millis(500)).await {
            rest.push(m);
        }
    }
    assert!(
        rest.iter()
            .any(|m| m["type"] == "target" && m["state"] == "succeeded"),
        "{rest:#?}"
    );
    let d = rest.iter().find(|m| ended(m)).unwrap();
    assert_eq!(d["counts"]["succeeded"], 1, "{d}");
    drop((a, b));
    let started = Instant::now();
    while st.actors.relay.status().await.unwrap().watchers > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "closed sockets are forgotten"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    live.stop().await;
}

#[actix_web::test]
async fn strangers_other_groups_and_other_sites_cannot_watch() {
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let app = app(st.clone()).await;
    let admin = token(&app, &db, &clock, "root", Role::Admin).await;
    let other = token(&app, &db, &clock, "otto", Role::Operator).await;
    let now = clock.now();
    let mut c = db.conn();
    let h =
        linux_patch_manager::db::models::Host::insert(&mut c, "db1.test", "10.9.0.1", 12443, now).unwrap();
    let g = Group::insert(&mut c, "db", now).unwrap();
    Group::set_members(&mut c, g.id, &[], &[h.id]).unwrap();
    let otto_group = Group::insert(&mut c, "web", now).unwrap();
    let otto: i64 = linux_patch_manager::db::schema::users::table
        .filter(linux_patch_manager::db::schema::users::username.eq("otto"))
        .select(linux_patch_manager::db::schema::users::id)
        .first(&mut c)
        .unwrap();
    Group::set_members(&mut c, otto_group.id, &[otto], &[]).unwrap();
    let r = call(
        &app,
        &admin,
        TestRequest::post()
            .uri("/api/v1/deployments")
            .set_json(serde_json::json!({
            "host_ids": [h.id], "operation": "apply_all", "mode": "now"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["data"]["id"].as_i64().unwrap();
    let live = LiveConsole::start(&st, &clock);
    let path = format!("/ws/deployments/{id}");

    // The other group's operator: 404 exactly like the page and the API.
    let (code, body) = open(&live, &path, &[("authorization", other.as_str())])
        .await
        .err()
        .unwrap();
    assert_eq!(code, 404, "{body}");
    let api = call(
        &app,
        &other,
        TestRequest::get().uri(&format!("/api/v1/deployments/{id}")),
    )
    .await;
    assert_eq!(api.status, 404, "{}", api.body);
    // Nobody: 401. A deployment that does not exist: 404. A bad `targets`: 400 with the reason.
    assert_eq!(open(&live, &path, &[]).await.err().unwrap().0, 401);
    let auth = [("authorization", admin.as_str())];
    assert_eq!(
        open(&live, "/ws/deployments/99999", &auth).await.err().unwrap().0,
        404
    );
    let (code, body) = open(&live, &format!("{path}?targets=1;DROP"), &auth)
        .await
        .err()
        .unwrap();
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("target ids"), "{body}");

    // The admin's browser session from another site's page (cross-site WebSocket hijacking): 403; from
    // the console's own page: the snapshot.
    let access = admin.trim_start_matches("Bearer ");
    let cookie = format!("{}={access}", linux_patch_manager::http::cookies::ACCESS);
    for origin in ["https://evil.example", "null", ""] {
        let mut h = vec![("cookie", cookie.as_str())];
        if !origin.is_empty() {
            h.push(("origin", origin));
        }
        let (code, body) = open(&live, &path, &h).await.err().unwrap();
        assert_eq!(code, 403, "Origin {origin:?}: {body}");
    }
    let own = format!("https://localhost:{}", live.port);
    let mut ws = open(
        &live,
        &path,
        &[("cookie", cookie.as_str()), ("origin", own.as_str())],
    )
    .await
    .unwrap();
    let snap = next(&mut ws, Duration::from_secs(10)).await.unwrap();
    assert_eq!(snap["type"], "snapshot", "{snap}");
    assert_eq!(st.actors.relay.status().await.unwrap().watchers, 1);
    live.stop().await;
}
