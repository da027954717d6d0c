//! `make bench`: the WebSocket relay's fan-out. The manager's whole HTTPS stack in-process (release build,
//! its own PostgreSQL cluster) with one deployment of 2,500 targets watched by 100 scripts over real TLS
//! WebSockets (each asks for a page of 100 targets, as the Deployment page does). Each round writes 100 target
//! rows (what a deployer round does) and announces it; measured: the time until every socket has every frame of
//! the round (median and p95 of 20 rounds), frames delivered per second, and the process RSS (manager and the
//! 100 clients together). Figures, not assertions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use futures_util::StreamExt;
use linux_patch_manager::audit::Actor;
use linux_patch_manager::db::models::scope::Scope;
use linux_patch_manager::db::models::{Host, Role};
use linux_patch_manager::deploy::request::DeploymentRequest;
use linux_patch_manager::services::deployments;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::client::{connect, tls13};
use linux_patch_tests::live::LiveConsole;
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::scale::median_p95;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const HOSTS: usize = 2_500;
const SOCKETS: usize = 100;
const PER_ROUND: usize = 100;
const ROUNDS: usize = 20;

fn rss_mib(field: &str) -> f64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() {
    let db = TestDb::new();
    actix_web::rt::System::new().block_on(async move {
        let (st, clock) = linux_patch_tests::console::state(&db);
        let (admin_id, secret) = linux_patch_tests::signin::ready_user(&mut db.conn(), "root", Role::Admin);
        let app = linux_patch_tests::console::app(st.clone()).await;
        let token = linux_patch_tests::signin::bearer(&app, &clock, "root", &secret).await;
        let now = clock.now();
        let mut ids = Vec::with_capacity(HOSTS);
        {
            let mut c = db.conn();
            for i in 0..HOSTS {
                let ip = format!("10.{}.{}.{}", i / 65_536, (i / 256) % 256, i % 256);
                ids.push(Host::insert(&mut c, &format!("relay-{i}.lan"), &ip, 12443, now).unwrap().id);
            }
        }
        let who = Actor {
            name: "root".into(),
            id: admin_id,
            scope: Scope::All,
        };
        let created = deployments::create(
            &st,
            &who,
            DeploymentRequest {
                host_ids: ids,
                operation: "security_only".into(),
                mode: Some("now".into()),
                ..DeploymentRequest::default()
            },
        )
        .await
        .unwrap();
        let id = created.deployment.id;
        let live = LiveConsole::start(&st, &clock);
        let ca = std::fs::read_to_string(&live.ca_pem).unwrap();
        let targets: Vec<i64> = {
            use linux_patch_manager::db::schema::deployment_targets as dt;
            dt::table
                .filter(dt::deployment_id.eq(id))
                .order(dt::id.asc())
                .select(dt::id)
                .load(&mut db.conn())
                .unwrap()
        };
        // Every socket watches the same first page of 100 targets (the worst case: all get every frame).
        let page: Vec<String> = targets[..PER_ROUND].iter().map(i64::to_string).collect();
        let path = format!("/ws/deployments/{id}?targets={}", page.join(","));
        let mut sockets = Vec::with_capacity(SOCKETS);
        for _ in 0..SOCKETS {
            let addr = format!("127.0.0.1:{}", live.port).parse().unwrap();
            let tls = connect(addr, tls13(&ca, None), None).await.unwrap();
            let mut req = format!("wss://localhost:{}{path}", live.port).into_client_request().unwrap();
            req.headers_mut()
                .insert("authorization", token.parse().unwrap());
            let (mut ws, _) = tokio_tungstenite::client_async(req, tls).await.unwrap();
            let first = ws.next().await.unwrap().unwrap();
            assert!(first.to_text().unwrap().contains("\"snapshot\""));
            sockets.push(ws);
        }
        let idle_rss = rss_mib("VmRSS");
        let mut times = Vec::with_capacity(ROUNDS);
        let mut frames = 0usize;
        let started = Instant::now();
        for round in 0..ROUNDS {
            let state = if round % 2 == 0 { "running" } else { "queued" };
            {
                use linux_patch_manager::db::schema::deployment_targets as dt;
                diesel::update(dt::table.filter(dt::id.eq_any(&targets[..PER_ROUND])))
                    .set((dt::state.eq(state), dt::updated_at.eq(clock.now())))
                    .execute(&mut db.conn())
                    .unwrap();
            }
            let t0 = Instant::now();
            st.actors.relay.changed(vec![id]);
            // Each socket: 100 target frames and one summary frame.
            let want = PER_ROUND + 1;
            let reads = sockets.iter_mut().map(|ws| async move {
                let mut n = 0;
                while n < want {
                    match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
                        Ok(Some(Ok(m))) if m.is_text() => n += 1,
                        Ok(Some(Ok(_))) => {}
                        _ => break,
                    }
                }
                n
            });
            let got: usize = futures_util::future::join_all(reads).await.into_iter().sum();
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
            frames += got;
            clock.advance(chrono::Duration::seconds(1));
        }
        let total = started.elapsed().as_secs_f64();
        let (median, p95) = median_p95(&times);
        println!(
            "relay fan-out: {SOCKETS} sockets watching {PER_ROUND} of {HOSTS} targets; {ROUNDS} rounds of \
             {PER_ROUND} changed rows"
        );
        println!("  round delivered to every socket: median {median:.1} ms, p95 {p95:.1} ms");
        println!(
            "  frames delivered: {frames} of {} ({:.0} frames/s)",
            ROUNDS * SOCKETS * (PER_ROUND + 1),
            frames as f64 / total
        );
        println!(
            "  process RSS (manager + {SOCKETS} clients): {idle_rss:.0} MiB after connecting, {:.0} MiB after, \
             peak {:.0} MiB",
            rss_mib("VmRSS"),
            rss_mib("VmHWM")
        );
        live.stop().await;
    });
}
