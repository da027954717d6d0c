//! A real manager polling a simulated fleet: `fleet-sim` issuing every certificate from the manager's own
//! CA, every simulated host registered in the manager's database, a signed-in admin (bearer token), and
//! page fetches timed by the manager's `Server-Timing` header — for the benchmark and the browser test.

use crate::agent::{free_port, wait_a_little};
use crate::client::{client_config, connect, request, Response};
use crate::fleet::{FleetProc, HostRecord};
use crate::manager::ManagerProc;
use crate::pg::TestDb;
use crate::signin::{api_token, ready_user};
use diesel::prelude::*;
use linux_patch_manager::db::models::user::Role;
use linux_patch_manager::db::schema::hosts;
use linux_patch_shared::clock::{Clock, SystemClock};
use std::time::{Duration, Instant};

/// A manager, its simulated fleet, and a signed-in admin.
#[derive(Debug)]
pub struct ScaleRig {
    /// The manager (running).
    pub manager: ManagerProc,
    /// The simulated fleet (running, certificates from the manager's CA).
    pub fleet: FleetProc,
    /// Bearer access token of admin `bench` (15 minutes).
    pub token: String,
    /// The TOTP secret of `bench` (for a browser sign-in).
    pub totp_secret: String,
    /// When `serve` was launched (the poller starts with it).
    pub launched: Instant,
}

impl ScaleRig {
    /// `hosts` simulated hosts on `base`.. (fleet-sim `--base`), all registered before the manager starts;
    /// `manager_cfg` is extra manager YAML, `fleet_args` extra fleet-sim arguments.
    pub fn start(hosts: usize, base: &str, manager_cfg: &str, fleet_args: &[&str]) -> ScaleRig {
        let mut manager = ManagerProc::prepare_configured(manager_cfg);
        let ca_dir = manager.data_dir().join("ca");
        let port = free_port().to_string();
        let n = hosts.to_string();
        let ca = ca_dir.to_string_lossy().into_owned();
        let mut args = vec![
            "--hosts",
            &n,
            "--port",
            &port,
            "--base",
            base,
            "--ca",
            &ca,
            "--time-scale",
            "0",
        ];
        args.extend_from_slice(fleet_args);
        let fleet = FleetProc::start(&args, Duration::from_secs(900));
        register(manager.db(), &fleet.file.hosts);
        let (_, totp_secret) = ready_user(&mut manager.db().conn(), "bench", Role::Admin);
        let launched = Instant::now();
        manager.launch();
        let token = api_token(&manager, "bench", &totp_secret);
        ScaleRig {
            manager,
            fleet,
            token,
            totp_secret,
            launched,
        }
    }

    /// Hosts whose column `column` (`health_checked_at`, `patches_checked_at`) is set.
    pub fn count_set(&self, column: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = match column {
            "health_checked_at" => "SELECT count(*) AS n FROM hosts WHERE health_checked_at IS NOT NULL",
            "patches_checked_at" => "SELECT count(*) AS n FROM hosts WHERE patches_checked_at IS NOT NULL",
            other => panic!("unknown column {other}"),
        };
        diesel::sql_query(sql)
            .get_result::<N>(&mut self.manager.db().conn())
            .unwrap()
            .n
    }

    /// Waits (up to `timeout`) until `count_set(column) >= want`; returns the time since launch.
    pub fn wait_for(&self, column: &str, want: i64, timeout: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let n = self.count_set(column);
            if n >= want {
                return self.launched.elapsed();
            }
            assert!(
                started.elapsed() < timeout,
                "only {n} of {want} hosts have {column} after {timeout:?}; manager log:\n{}",
                tail(&self.manager.stderr(), 40)
            );
            wait_a_little();
        }
    }

    /// The hosts that answer (not `unreachable` in the simulator).
    pub fn listening(&self) -> usize {
        self.fleet
            .file
            .hosts
            .iter()
            .filter(|h| h.state != "unreachable")
            .count()
    }

    /// `GET path` with the admin's bearer token, `runs` times on one keep-alive connection; returns the last
    /// response and the manager's `Server-Timing` durations (ms) of every run.
    pub async fn timed_get(&self, path: &str, runs: usize) -> (Response, Vec<f64>) {
        let (r, parts) = self.timed_get_parts(path, runs).await;
        (r, parts.iter().map(|p| p[0]).collect())
    }

    /// Like [`ScaleRig::timed_get`], with each request's `[app, db, dbwait]` milliseconds (handler, inside
    /// queries, waiting for a connection).
    pub async fn timed_get_parts(&self, path: &str, runs: usize) -> (Response, Vec<[f64; 3]>) {
        let ca = self.manager.ca();
        let cfg = client_config(&ca, None, &[&rustls::version::TLS13]);
        let mut tls = connect(self.manager.addr, cfg, None).await.unwrap();
        let auth = format!("Bearer {}", self.token);
        let mut times = Vec::with_capacity(runs);
        let mut last = None;
        for _ in 0..runs {
            let r = request(&mut tls, "GET", path, &[("Authorization", &auth)], b"")
                .await
                .unwrap();
            times.push(["app", "db", "dbwait"].map(|m| server_timing(&r, m).unwrap_or(f64::NAN)));
            last = Some(r);
        }
        (last.unwrap(), times)
    }
}

impl ScaleRig {
    /// `POST path` with a JSON body and the admin's bearer token.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        let ca = self.manager.ca();
        let cfg = client_config(&ca, None, &[&rustls::version::TLS13]);
        let mut tls = connect(self.manager.addr, cfg, None).await.unwrap();
        let auth = format!("Bearer {}", self.token);
        request(
            &mut tls,
            "POST",
            path,
            &[("Authorization", &auth), ("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        )
        .await
        .unwrap()
    }
}

/// The `app;dur=` value of a response's `Server-Timing` header (the whole handler).
pub fn server_ms(r: &Response) -> Option<f64> {
    server_timing(r, "app")
}

/// The `dur=` of metric `name` in a response's `Server-Timing` header (`app`, `db`, `dbwait`).
pub fn server_timing(r: &Response, name: &str) -> Option<f64> {
    r.header("server-timing")?.split(',').find_map(|entry| {
        let mut parts = entry.split(';').map(str::trim);
        (parts.next()? == name).then_some(())?;
        parts.find_map(|p| p.strip_prefix("dur="))?.parse().ok()
    })
}

/// Median and 95th percentile of `v` (NaN-free).
pub fn median_p95(v: &[f64]) -> (f64, f64) {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Registers every simulated host (name, address, port) in one transaction, with its server certificate
/// recorded as the one issued to it (the manager pins each host to its recorded certificates).
pub fn register(db: &TestDb, records: &[HostRecord]) {
    register_on(&mut db.conn(), records);
}

/// [`register`] on any connection (e.g. a manager's embedded cluster).
pub fn register_on(c: &mut PgConnection, records: &[HostRecord]) {
    let now = SystemClock.now();
    c.transaction(|c| {
        for chunk in records.chunks(1000) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|h| {
                    (
                        hosts::hostname.eq(h.hostname.clone()),
                        hosts::ip.eq(h.address.ip().to_string()),
                        hosts::port.eq(i32::from(h.address.port())),
                        hosts::created_at.eq(now),
                    )
                })
                .collect();
            let ids: Vec<i64> = diesel::insert_into(hosts::table)
                .values(rows)
                .returning(hosts::id)
                .get_results(c)?;
            let certs: Vec<_> = chunk
                .iter()
                .zip(ids)
                .filter_map(|(h, id)| h.cert_pem.clone().map(|pem| (h, id, pem)))
                .map(|(h, id, pem)| {
                    use linux_patch_manager::db::schema::certificates as ct;
                    (
                        ct::serial.eq(format!("{:x}", 0x5ca1_e000_0000_u64 + h.index as u64)),
                        ct::kind.eq("agent_server"),
                        ct::subject.eq(h.hostname.clone()),
                        ct::sans.eq(String::new()),
                        ct::host_id.eq(Some(id)),
                        ct::cert_pem.eq(pem),
                        ct::key_file.eq(String::new()),
                        ct::not_before.eq(now - chrono::Duration::days(1)),
                        ct::not_after.eq(now + chrono::Duration::days(30)),
                        ct::created_at.eq(now),
                    )
                })
                .collect();
            diesel::insert_into(linux_patch_manager::db::schema::certificates::table)
                .values(certs)
                .execute(c)?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
}
