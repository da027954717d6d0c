//! What the deployment tests share: a manager context with trust, real agents registered as hosts, the API
//! with a bearer token, and waiting for the real jobs to end.

use crate::manager_poller::{agent_for, agent_get, bearer, state_with};
use actix_web::test::TestRequest;
use linux_patch_manager::app::AppContext;
use linux_patch_manager::config::file::PollerSection;
use linux_patch_manager::db::models::{Host, Role};
use linux_patch_shared::clock::{Clock, ManualClock};
use linux_patch_tests::agent::AgentProc;
use linux_patch_tests::console::{self, send, Jar, Resp};
use linux_patch_tests::pg::TestDb;
use std::time::{Duration, Instant};

/// A context whose manager client certificate is loaded.
pub fn ctx(db: &TestDb) -> (actix_web::web::Data<AppContext>, ManualClock) {
    let cfg = PollerSection {
        timeout_secs: 10,
        ..PollerSection::default()
    };
    state_with(db, cfg, true)
}

/// `n` real agents on 127.0.0.1 (apt sandboxes), registered as hosts `deploy-<i>.test`.
pub fn agents(st: &AppContext, db: &TestDb, clock: &ManualClock, n: usize) -> Vec<(AgentProc, Host)> {
    (0..n)
        .map(|i| {
            let a = agent_for(st, std::net::Ipv4Addr::LOCALHOST, None);
            let h = Host::insert(
                &mut db.conn(),
                &format!("deploy-{i}.test"),
                "127.0.0.1",
                a.addr.port(),
                clock.now(),
            )
            .unwrap();
            linux_patch_tests::certs::record_agent_cert(&mut db.conn(), h.id, &a.pki.server.cert_pem);
            (a, h)
        })
        .collect()
}

/// Makes `agent`'s package index refresh fail (a source that does not exist), so every patch job fails.
pub fn break_index(agent: &AgentProc) {
    let root = agent.sandbox.as_ref().unwrap().root().to_path_buf();
    let list = root.join("etc/apt/sources.list.d/zz-broken.list");
    std::fs::write(&list, "deb [trusted=yes] file:/nonexistent-lpm-repo ./\n").unwrap();
}

/// The jobs `agent` itself lists.
pub async fn agent_jobs(agent: &AgentProc) -> Vec<serde_json::Value> {
    agent_get(agent, "/api/v1/jobs")
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// An admin (or operator) bearer token.
pub async fn token<S, B>(app: &S, db: &TestDb, clock: &ManualClock, name: &str, role: Role) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    bearer(app, db, clock, name, role).await.1
}

/// A JSON request with a bearer token.
pub async fn call<S, B>(app: &S, token: &str, req: TestRequest) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut jar = Jar::default();
    send(
        app,
        &mut jar,
        req.insert_header(("authorization", token.to_owned())),
    )
    .await
}

/// The deployment as `GET /api/v1/deployments/{id}` shows it to the admin.
pub async fn detail<S, B>(app: &S, token: &str, id: i64) -> serde_json::Value
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let r = call(
        app,
        token,
        TestRequest::get().uri(&format!("/api/v1/deployments/{id}")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["data"].clone()
}

/// Runs scheduler rounds (dispatch what is due, follow what runs) until no target of deployment `id` is
/// dispatching, running or retrying, or 120 s pass (real agents run real apt).
pub async fn settle(st: &AppContext, db: &TestDb, id: i64) {
    use diesel::prelude::*;
    use linux_patch_manager::db::schema::deployment_targets as dt;
    let started = Instant::now();
    loop {
        st.actors.scheduler.run_due().await.unwrap();
        let open: i64 = dt::table
            .filter(dt::deployment_id.eq(id))
            .filter(dt::state.eq_any(["dispatching", "running", "retrying", "queued"]))
            .count()
            .get_result(&mut db.conn())
            .unwrap();
        if open == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "deployment #{id} did not settle"
        );
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The app for `st`.
pub async fn app(
    st: actix_web::web::Data<AppContext>,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    console::app(st).await
}
