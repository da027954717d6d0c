//! The `/api/v1` route table's fleet part: hosts, users and groups, audit, dashboard, poller, API tokens.

use super::table::{delete, get, post, ApiRoute};
use super::views as v;
use super::{fleet, hosts_view, poller, tokens};
use crate::db::models::fleet_view::{Dashboard, FilterQuery};
use crate::db::models::Host;
use crate::poll::status::{PollerStatus, SweepReport};

/// Hosts, users and groups, audit, dashboard, poller, API tokens and service accounts.
pub(super) fn routes() -> Vec<ApiRoute> {
    vec![
        post("/hosts", "Add a host by address", |r| r.to(fleet::add_host))
            .body::<fleet::NewHost>()
            .data::<Host>()
            .created(),
        delete("/hosts/{id}", "Remove a host", |r| r.to(fleet::remove_host)).data::<v::Removed<Host>>(),
        get("/users", "Users (administrators)", |r| r.to(fleet::list_users)).data::<Vec<v::UserView>>(),
        post("/users", "Create a user (one-time password returned once)", |r| {
            r.to(fleet::create_user)
        })
        .body::<fleet::NewUser>()
        .data::<v::CreatedUser>()
        .created(),
        post(
            "/users/{id}/revoke-sessions",
            "End every session of a user",
            |r| r.to(fleet::revoke_sessions),
        )
        .no_body()
        .data::<v::SessionsRevoked>(),
        post("/users/{id}/unlock", "Clear a user's failed sign-ins", |r| {
            r.to(fleet::unlock_user)
        })
        .no_body()
        .data::<v::Unlocked>(),
        get("/groups", "Manager groups", |r| r.to(fleet::list_groups)).data::<Vec<v::GroupView>>(),
        post("/groups", "Create a group", |r| r.to(fleet::create_group))
            .body::<fleet::NewGroup>()
            .data::<v::GroupRef>()
            .created(),
        delete("/groups/{id}", "Delete a group", |r| r.to(fleet::delete_group)).data::<v::Deleted>(),
        get("/audit", "Audit rows (filters, pages)", |r| {
            r.to(fleet::audit_rows)
        })
        .query::<fleet::AuditQuery>()
        .data::<Vec<v::AuditRow>>(),
        get("/audit/verify", "Verify the audit hash chain", |r| {
            r.to(fleet::audit_verify)
        })
        .data::<v::Chain>(),
        get("/dashboard", "Fleet counts as the Dashboard shows them", |r| {
            r.to(hosts_view::get_dashboard)
        })
        .data::<Dashboard>(),
        get(
            "/hosts",
            "Hosts: filters, keyset pages (`Link: rel=next`, `X-Total-Count`)",
            |r| r.to(hosts_view::list_hosts),
        )
        .query::<crate::db::models::fleet_view::PageQuery>()
        .data::<Vec<crate::db::models::fleet_view::FleetRow>>()
        .query::<FilterQuery>(),
        post("/hosts/refresh", "Poll hosts now", |r| r.to(hosts_view::refresh))
            .body::<hosts_view::RefreshBody>()
            .data::<v::Queued>(),
        get("/hosts/{id}", "One host", |r| r.to(hosts_view::get_host)).data::<v::HostDetail<'static>>(),
        get(
            "/hosts/{id}/packages",
            "A host's installed packages, asked of its agent now",
            |r| r.to(hosts_view::packages),
        )
        .data::<v::HostPackages>(),
        get("/poller", "Poller status", |r| r.to(poller::status)).data::<PollerStatus>(),
        post("/poller/sweep", "Run a poller sweep now", |r| r.to(poller::sweep))
            .optional_body::<poller::SweepBody>()
            .data::<SweepReport>(),
        get(
            "/tokens",
            "API tokens: your own, or everyone's with `all=true` (administrators)",
            |r| r.to(tokens::list),
        )
        .query::<tokens::TokenQuery>()
        .data::<tokens::TokenPage>(),
        post(
            "/tokens",
            "Create an API token (a session and a fresh TOTP or recovery code); the secret is shown once",
            |r| r.to(tokens::create),
        )
        .body::<tokens::CreateToken>()
        .data::<tokens::CreatedToken>()
        .created(),
        delete(
            "/tokens/{id}",
            "Revoke an API token (yours; administrators: any)",
            |r| r.to(tokens::revoke),
        )
        .data::<tokens::TokenView>(),
        get("/service-accounts", "Service accounts (administrators)", |r| {
            r.to(tokens::list_service_accounts)
        })
        .query::<tokens::PageQuery>()
        .data::<tokens::ServiceAccountPage>(),
        post(
            "/service-accounts",
            "Create a service account: a role and groups, no password sign-in",
            |r| r.to(tokens::create_service_account),
        )
        .body::<tokens::CreateServiceAccount>()
        .data::<tokens::ServiceAccountView>()
        .created(),
    ]
}
