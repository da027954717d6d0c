//! A scan as the page and the API show it (with "already registered" marks, scoped by RBAC), and the
//! one-click registration of an address that answered.

use super::store::{Probe, Scan};
use crate::auth::rbac::Scope;
use crate::db::models::Host;
use crate::db::schema::hosts as h;
use crate::error::ManagerError;
use diesel::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// Whether an address is already a registered host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mark {
    /// A host the viewer can see.
    Visible {
        /// Its id.
        host_id: i64,
        /// Its name.
        hostname: String,
    },
    /// A host outside the viewer's groups (neither name nor id is shown).
    OutsideYourGroups,
}

/// One address of a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RowView {
    /// The address.
    pub address: String,
    /// Whether an agent answered.
    pub answered: bool,
    /// Its version.
    pub agent_version: Option<String>,
    /// Its backend.
    pub backend: Option<String>,
    /// Why it did not answer.
    pub reason: Option<String>,
    /// Registered already.
    pub registered: Option<Mark>,
}

/// A scan with its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ScanView {
    /// Id.
    pub id: String,
    /// Range.
    pub range: String,
    /// Port.
    pub port: u16,
    /// Who started it.
    pub owner: String,
    /// Started.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Finished (None while running).
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Still probing.
    pub running: bool,
    /// Addresses in the range.
    pub addresses: usize,
    /// Agents found.
    pub answered: usize,
    /// Addresses that did not answer.
    pub silent: usize,
    /// Every address.
    pub rows: Vec<RowView>,
}

/// Registered hosts among `ips` on `port`: visible ones with name and id, others marked without detail.
pub fn registered_marks(
    conn: &mut PgConnection,
    scope: Scope,
    ips: &[String],
    port: u16,
) -> Result<HashMap<String, Mark>, ManagerError> {
    let found: Vec<(i64, String, String)> = h::table
        .filter(h::ip.eq_any(ips))
        .filter(h::port.eq(i32::from(port)))
        .order(h::id.asc())
        .select((h::id, h::hostname, h::ip))
        .load(conn)?;
    let mut out = HashMap::new();
    for (id, hostname, ip) in found {
        let mark = match Host::find(conn, scope, id)? {
            Some(_) => Mark::Visible {
                host_id: id,
                hostname,
            },
            None => Mark::OutsideYourGroups,
        };
        match out.get(&ip) {
            Some(Mark::Visible { .. }) => {}
            _ => {
                out.insert(ip, mark);
            }
        }
    }
    Ok(out)
}

impl ScanView {
    /// The view of `scan` for a viewer with `scope`.
    pub fn of(conn: &mut PgConnection, scope: Scope, scan: &Scan) -> Result<Self, ManagerError> {
        let answered_ips: Vec<String> = scan
            .results
            .iter()
            .filter(|r| r.probe.answered())
            .map(|r| r.address.to_string())
            .collect();
        let marks = registered_marks(conn, scope, &answered_ips, scan.port)?;
        let rows: Vec<RowView> = scan
            .results
            .iter()
            .map(|r| {
                let address = r.address.to_string();
                match &r.probe {
                    Probe::Answered { version, backend } => RowView {
                        registered: marks.get(&address).cloned(),
                        address,
                        answered: true,
                        agent_version: Some(version.clone()),
                        backend: Some(backend.clone()),
                        reason: None,
                    },
                    Probe::Silent { reason } => RowView {
                        address,
                        answered: false,
                        agent_version: None,
                        backend: None,
                        reason: Some(reason.clone()),
                        registered: None,
                    },
                }
            })
            .collect();
        let answered = rows.iter().filter(|r| r.answered).count();
        let addresses = super::addresses(scan.range).len();
        Ok(ScanView {
            id: scan.id.to_string(),
            range: scan.range.to_string(),
            port: scan.port,
            owner: scan.owner.clone(),
            started_at: scan.started_at,
            finished_at: scan.finished_at,
            running: scan.finished_at.is_none(),
            addresses,
            answered,
            silent: rows.len() - answered,
            rows,
        })
    }
}
