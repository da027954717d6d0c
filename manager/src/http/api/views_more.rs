//! More `/api/v1` answers (see `views`): audit rows and the chain, a host's detail and packages, small acks.

use super::views::GroupRef;
use crate::audit::verify::Verified;
use crate::audit::AuditRecord;
use crate::db::models::fleet_view::detail::{HealthDay, HealthRow, PatchJson};
use crate::db::models::reports::exposure::ExposedHost;
use crate::db::models::Host;
use chrono::{DateTime, Utc};
use linux_patch_shared::api::agent::Package;
use schemars::JsonSchema;
use serde::Serialize;

/// One audit row (`GET /audit`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditRow {
    /// Id (the chain's order).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`user:NAME`, `token:NAME`, `system`, ...).
    pub actor: String,
    /// What (`host.add`, `deployment.create`, ...).
    pub action: String,
    /// On what.
    pub target: String,
    /// The event's details: a JSON object whose fields depend on `action`.
    pub details: serde_json::Value,
    /// The previous row's hash.
    pub prev_hash: String,
    /// This row's hash.
    pub hash: String,
}

impl From<AuditRecord> for AuditRow {
    fn from(r: AuditRecord) -> Self {
        AuditRow {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.target,
            details: r.details,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Where the chain breaks.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BrokenAt {
    /// The first row that does not verify.
    pub id: i64,
    /// Why.
    pub reason: String,
}

/// `GET /audit/verify`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Chain {
    /// Every row verified.
    pub ok: bool,
    /// Rows verified.
    pub rows: u64,
    /// First and last row id verified.
    pub range: Option<(i64, i64)>,
    /// The pruning checkpoint the chain starts from.
    pub checkpoint: Option<i64>,
    /// Where it breaks (null when `ok`).
    pub broken: Option<BrokenAt>,
}

impl From<Verified> for Chain {
    fn from(v: Verified) -> Self {
        Chain {
            ok: v.broken.is_none(),
            rows: v.rows,
            range: v.range,
            checkpoint: v.checkpoint,
            broken: v.broken.map(|b| BrokenAt {
                id: b.id,
                reason: b.reason,
            }),
        }
    }
}

/// `GET /hosts/{id}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HostDetail<'a> {
    /// The host.
    pub host: Host,
    /// Its groups.
    pub groups: Vec<GroupRef>,
    /// Pending updates.
    pub patches: Vec<PatchJson<'a>>,
    /// The last health checks, newest first.
    pub health: Vec<HealthRow>,
    /// Checks per day over the last days.
    pub health_days: Vec<HealthDay>,
}

/// `GET /hosts/{id}/packages`: `packages` on success, else `packages: null` and `unavailable` saying why.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HostPackages {
    /// The host.
    pub host_id: i64,
    /// Installed packages, as the agent reports them.
    pub packages: Option<Vec<Package>>,
    /// Why the agent could not be asked (only when `packages` is null).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

/// `POST /hosts/refresh`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Queued {
    /// Hosts queued for a refresh.
    pub queued: usize,
}

/// `POST /settings/smtp/test`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TestSent {
    /// Always true (a failure is an error).
    pub sent: bool,
    /// The recipient.
    pub to: String,
}

/// `POST /settings/sso/links`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Linked {
    /// Always true.
    pub linked: bool,
}

/// `GET /reports/vulnerabilities/{cve}`: one page of the hosts a CVE affects.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CveHosts {
    /// The CVE id.
    pub cve: String,
    /// The hosts (with the package and the fix).
    pub hosts: Vec<ExposedHost>,
    /// Cursor (`after`) of the next page.
    pub next: Option<String>,
}
