//! Discovery as the console and the API use it: start a scan (audited `discovery.scan`) that runs on this
//! arbiter, and register an address that answered (through [`hosts::add`], audited there).

use super::hosts;
use crate::app::AppContext;
use crate::audit::Actor;
use crate::db::models::discovery_range::DiscoveryRange;
use crate::db::models::Host;
use crate::discovery::ranges::{self, MAX_ALLOWED};
use crate::discovery::{addresses, parse_range, probe_all, registered_marks, Scan, ScanView, PROBE_TIMEOUT};
use crate::error::ManagerError;
use diesel::{Connection, PgConnection};
use std::net::Ipv4Addr;

/// Starts a scan of `range` on `port` for `who` (audited `discovery.scan`); with `wait` it returns after
/// the last probe, else at once with the scan running on this arbiter.
pub async fn start(
    ctx: &AppContext,
    who: &Actor,
    range: &str,
    port: u16,
    wait: bool,
) -> Result<ulid::Ulid, ManagerError> {
    let net = parse_range(range).map_err(ManagerError::Invalid)?;
    if port == 0 {
        return Err(ManagerError::Invalid(
            "the agent port must be between 1 and 65535".into(),
        ));
    }
    if !who.scope.is_admin() {
        let allowed: Vec<String> = ctx
            .db(|c| Ok(DiscoveryRange::all(c)?))
            .await?
            .into_iter()
            .map(|r| r.cidr)
            .collect();
        if !ranges::covered(net, &allowed) {
            let which = if allowed.is_empty() {
                "none is allowed yet".to_owned()
            } else {
                format!("allowed: {}", allowed.join(", "))
            };
            return Err(ManagerError::Forbidden(format!(
                "{net} is not inside a range an administrator allowed for discovery ({which})"
            )));
        }
    }
    let client = ctx.agents.client_with_timeout(PROBE_TIMEOUT).map_err(|_| {
        ManagerError::Refused(
            "no manager client certificate is loaded, so agents cannot be probed yet".into(),
        )
    })?;
    let now = ctx.now();
    let id = ctx.discovery.begin(who.id, &who.name, net, port, now)?;
    let a = who.clone();
    let n = addresses(net).len();
    let audited = ctx
        .db(move |c| {
            a.audit(
                c,
                now,
                "discovery.scan",
                &format!("range:{net}"),
                serde_json::json!({"range": net.to_string(), "port": port, "addresses": n, "scan": id.to_string()}),
            )
        })
        .await;
    if let Err(e) = audited {
        ctx.discovery.abandon(id);
        return Err(e);
    }
    let store = ctx.discovery.clone();
    let clock = ctx.clock.clone();
    let run = async move {
        let results = probe_all(&client, net, port).await;
        let answered = results.iter().filter(|r| r.probe.answered()).count();
        log::info!("discovery of {net} port {port}: {answered} of {n} addresses answered");
        store.finish(id, results, clock.now());
    };
    if wait {
        run.await;
    } else {
        actix_web::rt::spawn(run);
    }
    Ok(id)
}

/// The ranges operators may scan (everyone signed in may read them).
pub async fn allowed_ranges(ctx: &AppContext) -> Result<Vec<DiscoveryRange>, ManagerError> {
    ctx.db(|c| Ok(DiscoveryRange::all(c)?)).await
}

/// Allows operators to scan inside `range` (administrators only; audited `discovery.range_allowed`).
pub fn allow_range(
    conn: &mut PgConnection,
    now: chrono::DateTime<chrono::Utc>,
    who: &Actor,
    range: &str,
) -> Result<DiscoveryRange, ManagerError> {
    who.require_admin()?;
    let net = ranges::parse_allowed(range).map_err(ManagerError::Invalid)?;
    conn.transaction(|c| {
        if DiscoveryRange::count(c)? >= MAX_ALLOWED {
            return Err(ManagerError::Refused(format!(
                "at most {MAX_ALLOWED} ranges can be allowed; remove one or allow a wider range"
            )));
        }
        let row = DiscoveryRange::insert(c, &net.to_string(), &who.name, now)?
            .ok_or_else(|| ManagerError::Refused(format!("{net} is already allowed")))?;
        who.audit(
            c,
            now,
            "discovery.range_allowed",
            &format!("range:{net}"),
            serde_json::json!({"range": net.to_string(), "id": row.id}),
        )?;
        Ok(row)
    })
}

/// Removes allowed range `id` (administrators only; audited `discovery.range_removed`).
pub fn remove_range(
    conn: &mut PgConnection,
    now: chrono::DateTime<chrono::Utc>,
    who: &Actor,
    id: i64,
) -> Result<DiscoveryRange, ManagerError> {
    who.require_admin()?;
    conn.transaction(|c| {
        let row = DiscoveryRange::delete(c, id)?
            .ok_or_else(|| ManagerError::NotFound(format!("no allowed range with id {id}")))?;
        who.audit(
            c,
            now,
            "discovery.range_removed",
            &format!("range:{}", row.cidr),
            serde_json::json!({"range": row.cidr, "id": row.id}),
        )?;
        Ok(row)
    })
}

/// Registers `address` of `scan` (it must have answered and not be registered on that port yet) by IP,
/// through [`hosts::add`] (audited there).
pub fn register(
    conn: &mut PgConnection,
    now: chrono::DateTime<chrono::Utc>,
    who: &Actor,
    reserved: &crate::ca::ConsoleNames,
    scan: &Scan,
    address: &str,
) -> Result<Host, ManagerError> {
    let ip: Ipv4Addr = address.trim().parse().map_err(|_| {
        ManagerError::Invalid(format!("`{}` is not an IPv4 address", address.escape_default()))
    })?;
    let answered = scan.results.iter().any(|r| r.address == ip && r.probe.answered());
    if !answered {
        return Err(ManagerError::Invalid(format!(
            "{ip} did not answer in scan {} of {}; only addresses where an agent answered can be registered",
            scan.id, scan.range
        )));
    }
    let ips = [ip.to_string()];
    if registered_marks(conn, who.scope, &ips, scan.port)?.contains_key(&ips[0]) {
        return Err(ManagerError::Refused(format!(
            "{ip} port {} is already registered",
            scan.port
        )));
    }
    hosts::add(conn, now, who, reserved, &ips[0], &ips[0], scan.port)
}

/// Parses a scan id from the path (anything else is a 404, like an expired scan).
pub fn scan_id(raw: &str) -> Result<ulid::Ulid, ManagerError> {
    ulid::Ulid::from_string(raw).map_err(|_| not_found())
}

/// The error for a scan that does not exist, expired, or belongs to someone else.
pub fn not_found() -> ManagerError {
    ManagerError::NotFound(
        "no such discovery scan (scans are kept for an hour, for whoever started them)".into(),
    )
}

/// The scan `id` as `who` sees it.
pub async fn view(ctx: &AppContext, who: &Actor, id: ulid::Ulid) -> Result<ScanView, ManagerError> {
    let scan = ctx
        .discovery
        .get(id, who.id, who.scope, ctx.now())
        .ok_or_else(not_found)?;
    let scope = who.scope;
    ctx.db(move |c| ScanView::of(c, scope, &scan)).await
}
