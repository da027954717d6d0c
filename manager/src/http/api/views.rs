//! What the `/api/v1` handlers answer when the answer is not a service's own type: each is serialised by its
//! handler and documented in `openapi.json` from the same definition (so the two cannot drift).

use crate::db::models::deployment::Target;
use crate::db::models::enrollment::Enrollment;
use crate::db::models::window::MaintenanceWindow;
use crate::db::models::{Certificate, Host, User};
use crate::deploy::window::{Opening, WindowSpec};
use crate::services::deployments::Summary;
use crate::services::windows::WindowView;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

pub use super::views_more::*;

/// A group's id and name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GroupRef {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
}

impl GroupRef {
    /// The pairs `(id, name)` as the API lists them.
    pub fn list(groups: Vec<(i64, String)>) -> Vec<GroupRef> {
        groups
            .into_iter()
            .map(|(id, name)| GroupRef { id, name })
            .collect()
    }
}

/// `POST /auth/logout`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LoggedOut {
    /// The session ended.
    pub session: String,
    /// Always true.
    pub revoked: bool,
}

/// The API token a request came with (`GET /me`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct MeToken {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Only reads.
    pub read_only: bool,
    /// Refused from then on.
    pub expires_at: DateTime<Utc>,
}

/// `GET /me`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Me {
    /// User id.
    pub id: i64,
    /// User name.
    pub username: String,
    /// `admin` or `operator`.
    pub role: String,
    /// The user's groups.
    pub groups: Vec<GroupRef>,
    /// The session id (null for an API token).
    pub session: Option<String>,
    /// The console theme.
    pub theme: String,
    /// The API token used (null for a session).
    pub api_token: Option<MeToken>,
}

/// `GET /health`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: &'static str,
    /// The database's state as the watch sees it.
    pub database: &'static str,
    /// The manager's version.
    pub version: &'static str,
    /// SHA-256 fingerprint of the manager's root CA.
    pub ca_fingerprint: String,
}

/// A certificate as the API shows it (no key material, ever).
#[derive(Debug, Serialize, JsonSchema)]
pub struct CertView {
    /// Id.
    pub id: i64,
    /// Serial (hex).
    pub serial: String,
    /// `manager_client`, `agent_server` or `web`.
    pub kind: String,
    /// Subject.
    pub subject: String,
    /// Subject alternative names.
    pub sans: String,
    /// The host it belongs to.
    pub host_id: Option<i64>,
    /// That host's name (in lists).
    pub host: Option<String>,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why.
    pub revoke_reason: Option<String>,
    /// The certificate that replaced it.
    pub superseded_by: Option<i64>,
    /// `valid`, `expiring`, `expired`, `revoked` or `superseded`.
    pub status: &'static str,
    /// The certificate (PEM, public).
    pub cert_pem: String,
}

impl CertView {
    /// `c` (of host `host`) at `now`.
    pub fn of(c: &Certificate, host: Option<&str>, now: DateTime<Utc>) -> Self {
        CertView {
            id: c.id,
            serial: c.serial.clone(),
            kind: c.kind.clone(),
            subject: c.subject.clone(),
            sans: c.sans.clone(),
            host_id: c.host_id,
            host: host.map(str::to_owned),
            not_before: c.not_before,
            not_after: c.not_after,
            created_at: c.created_at,
            revoked_at: c.revoked_at,
            revoke_reason: c.revoke_reason.clone(),
            superseded_by: c.superseded_by,
            status: c.status(now),
            cert_pem: c.cert_pem.clone(),
        }
    }
}

/// `POST /certificates/{id}/renew`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Renewed {
    /// The certificate renewed (now superseded).
    pub renewed: CertView,
    /// Its successor.
    pub certificate: CertView,
}

/// `POST /certificates/{id}/revoke`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Revoked {
    /// The certificate revoked.
    pub revoked: CertView,
    /// The replacement issued at once (the manager's own certificates).
    pub replacement: Option<CertView>,
}

/// What a `DELETE` removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Removed<T> {
    /// The row as it was.
    pub removed: T,
}

/// `DELETE /groups/{id}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Deleted {
    /// The group's id.
    pub deleted: i64,
}

/// `POST /deployments/{id}/cancel`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TargetsCancelled {
    /// Targets cancelled (those not started).
    pub targets_cancelled: usize,
}

/// `POST /deployments/{id}/targets/{target}/cancel`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TargetCancelled {
    /// The target's id.
    pub cancelled: i64,
}

/// `GET /deployments`: one page, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeploymentPage {
    /// The deployments.
    pub deployments: Vec<Summary>,
    /// `before` of the next page (null: last page).
    pub next_before: Option<i64>,
}

/// `GET /deployments/{id}`: the deployment and one page of its targets.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeploymentDetail {
    /// The deployment.
    pub deployment: Summary,
    /// Its targets, by id.
    pub targets: Vec<Target>,
    /// `after` of the next page (null: last page).
    pub next_after: Option<i64>,
}

/// A maintenance window and its next openings.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WindowOut {
    /// Id.
    pub id: i64,
    /// The host.
    pub host_id: i64,
    /// Name.
    pub name: String,
    /// When it opens (as written when it was added).
    #[schemars(with = "WindowSpec")]
    pub spec: serde_json::Value,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Its next openings (UTC).
    pub next_openings: Vec<Opening>,
}

impl WindowOut {
    /// The view of `v`.
    pub fn of(v: &WindowView) -> Self {
        WindowOut {
            id: v.row.id,
            host_id: v.row.host_id,
            name: v.row.name.clone(),
            spec: v.row.spec.clone(),
            created_by: v.row.created_by.clone(),
            created_at: v.row.created_at,
            next_openings: v.next.clone(),
        }
    }
}

/// A maintenance window as added or removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WindowRow {
    /// Id.
    pub id: i64,
    /// The host.
    pub host_id: i64,
    /// Name.
    pub name: String,
    /// When it opens (as written when it was added).
    #[schemars(with = "WindowSpec")]
    pub spec: serde_json::Value,
    /// Who added it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<MaintenanceWindow> for WindowRow {
    fn from(w: MaintenanceWindow) -> Self {
        WindowRow {
            id: w.id,
            host_id: w.host_id,
            name: w.name,
            spec: w.spec,
            created_by: w.created_by,
            created_at: w.created_at,
        }
    }
}

/// A window in `GET /windows`: with its host's name.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListedWindow {
    /// The window.
    #[serde(flatten)]
    pub window: WindowOut,
    /// The host's name.
    pub hostname: String,
}

/// `GET /enrollments`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EnrollmentPage {
    /// One page of pending requests, oldest first.
    pub pending: Vec<Enrollment>,
    /// `after` of the next page of `pending` (null: last page).
    pub next_after: Option<i64>,
    /// Recently decided requests.
    pub decided: Vec<Enrollment>,
}

/// `POST /enrollments/{id}/approve`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Approved {
    /// The request.
    pub enrollment: Enrollment,
    /// The host it made.
    pub host: Host,
}

/// `POST /enrollments/{id}/deny`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Denied {
    /// The request.
    pub enrollment: Enrollment,
}

/// A user (`GET /users`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserView {
    /// Id.
    pub id: i64,
    /// Name.
    pub username: String,
    /// `admin` or `operator`.
    pub role: String,
    /// Cannot sign in.
    pub disabled: bool,
    /// Must change the one-time password first.
    pub must_change_password: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Locked out until.
    pub locked_until: Option<DateTime<Utc>>,
    /// Groups.
    pub groups: Vec<GroupRef>,
}

impl UserView {
    /// `u` in `groups`.
    pub fn of(u: &User, groups: Vec<(i64, String)>) -> Self {
        UserView {
            id: u.id,
            username: u.username.clone(),
            role: u.role.clone(),
            disabled: u.disabled,
            must_change_password: u.must_change_password,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
            locked_until: u.locked_until,
            groups: GroupRef::list(groups),
        }
    }
}

/// `POST /users`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedUser {
    /// Id.
    pub id: i64,
    /// Name.
    pub username: String,
    /// Shown once: to be changed at the first sign-in.
    pub one_time_password: String,
    /// Always true.
    pub must_change_password: bool,
}

/// `POST /users/{id}/revoke-sessions`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionsRevoked {
    /// The user.
    pub user_id: i64,
    /// Always true.
    pub sessions_revoked: bool,
}

/// `POST /users/{id}/unlock`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Unlocked {
    /// The user.
    pub user_id: i64,
    /// Always true.
    pub unlocked: bool,
    /// Source addresses whose sign-in throttle was cleared.
    pub throttled_addresses_cleared: usize,
}

/// A group (`GET /groups`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct GroupView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Its users' names.
    pub users: Vec<String>,
    /// Its hosts' names.
    pub hosts: Vec<String>,
}
