//! The `/api/v1` route table: each entry is how a route is served (method guard + handler) and documented.

use super::{auth, certificates, deployments, discovery, enroll, fleet, hosts_view, openapi, poller, tokens};
use crate::deploy::request::DeploymentRequest;
use actix_web::http::Method;
use actix_web::{web, Route};
use schemars::{JsonSchema, Schema, SchemaGenerator};

/// Builds the schema of a type in a generator.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// One route of the API. Routes are registered only from [`routes`], with the method guard taken from
/// `method`, so a route cannot be served without its documentation.
#[derive(Debug, Clone)]
pub struct ApiRoute {
    /// HTTP method (the route's guard).
    pub method: Method,
    /// Path under `/api/v1`, `{param}` segments as actix writes them.
    pub path: &'static str,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
    /// Whether it needs a signed-in session or API token (false: public, e.g. agent enrolment).
    pub signed: bool,
    /// Query-string parameters.
    pub query: Option<SchemaFn>,
    /// JSON request body.
    pub body: Option<SchemaFn>,
    /// Whether the body is described field by field (then it is required); otherwise "a JSON object, if any".
    pub body_typed: bool,
    /// The envelope's `data` on success.
    pub data: SchemaFn,
    /// The success status.
    pub status: u16,
    /// Whether the answer is the JSON envelope (false: this document itself, or a download).
    pub enveloped: bool,
    /// The success answer's media type (`application/json`, or a download's: `text/csv`, `application/pdf`).
    pub content: &'static str,
    /// Attaches the handler to a route carrying the method guard.
    pub to: fn(Route) -> Route,
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

fn any(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "description": "See the summary; not yet described field by field." })
}

fn object(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "object" })
}

pub(super) fn route(
    method: Method,
    path: &'static str,
    summary: &'static str,
    to: fn(Route) -> Route,
) -> ApiRoute {
    let has_body = method == Method::POST || method == Method::PUT;
    ApiRoute {
        method,
        path,
        summary,
        signed: true,
        query: None,
        body: has_body.then_some(object as SchemaFn),
        body_typed: false,
        data: any,
        status: 200,
        enveloped: true,
        content: "application/json",
        to,
    }
}

pub(super) fn get(path: &'static str, summary: &'static str, to: fn(Route) -> Route) -> ApiRoute {
    route(Method::GET, path, summary, to)
}

pub(super) fn post(path: &'static str, summary: &'static str, to: fn(Route) -> Route) -> ApiRoute {
    route(Method::POST, path, summary, to)
}

pub(super) fn put(path: &'static str, summary: &'static str, to: fn(Route) -> Route) -> ApiRoute {
    route(Method::PUT, path, summary, to)
}

pub(super) fn delete(path: &'static str, summary: &'static str, to: fn(Route) -> Route) -> ApiRoute {
    route(Method::DELETE, path, summary, to)
}

impl ApiRoute {
    fn public(mut self) -> Self {
        self.signed = false;
        self
    }
    fn query<T: JsonSchema>(mut self) -> Self {
        self.query = Some(schema::<T>);
        self
    }
    fn body<T: JsonSchema>(mut self) -> Self {
        self.body = Some(schema::<T>);
        self.body_typed = true;
        self
    }
    fn data<T: JsonSchema>(mut self) -> Self {
        self.data = schema::<T>;
        self
    }
    fn created(mut self) -> Self {
        self.status = 201;
        self
    }

    /// The actix route: the method guard from `method`, then the handler.
    pub fn actix_route(&self) -> Route {
        (self.to)(web::route().method(self.method.clone()))
    }
}

/// Every `/api/v1` route, in registration order (a literal segment before a `{param}` at the same place).
pub fn routes() -> Vec<ApiRoute> {
    let mut all = core();
    all.extend(super::table_admin::routes());
    all
}

/// Sign-in, certificates, discovery, enrolment, fleet, deployments, tokens.
fn core() -> Vec<ApiRoute> {
    vec![
        post(
            "/auth/token",
            "Sign in (user name, password, TOTP code): an access and refresh token pair",
            |r| r.to(auth::token),
        )
        .public(),
        post(
            "/auth/refresh",
            "Rotate a refresh token (reuse revokes the session)",
            |r| r.to(auth::refresh),
        )
        .public(),
        post("/auth/logout", "End this session (not for API tokens)", |r| {
            r.to(auth::logout)
        }),
        get(
            "/me",
            "Who the credential is: user, role, groups, session or API token",
            |r| r.to(auth::me),
        ),
        get("/health", "Manager and database status", |r| r.to(auth::health)).public(),
        get(
            "/openapi.json",
            "This OpenAPI document (not wrapped in the envelope)",
            |r| r.to(openapi::get),
        )
        .public()
        .raw(),
        get("/certificates", "Issued certificates", |r| {
            r.to(certificates::list)
        }),
        post("/certificates/{id}/renew", "Renew a certificate", |r| {
            r.to(certificates::renew)
        }),
        post(
            "/certificates/{id}/revoke",
            "Revoke a certificate (reason in the body)",
            |r| r.to(certificates::revoke),
        ),
        post(
            "/hosts/{id}/bundle",
            "A manually registered host's certificate bundle (handed over once)",
            |r| r.to(certificates::bundle),
        ),
        get("/discovery", "Discovery scans", |r| r.to(discovery::list)),
        post("/discovery", "Start a discovery scan of an IPv4 range", |r| {
            r.to(discovery::start)
        }),
        get("/discovery/ranges", "Ranges operators may scan", |r| {
            r.to(discovery::ranges)
        }),
        post(
            "/discovery/ranges",
            "Allow a range for operators (administrators)",
            |r| r.to(discovery::allow_range),
        ),
        delete("/discovery/ranges/{id}", "Remove an allowed range", |r| {
            r.to(discovery::remove_range)
        }),
        get("/discovery/{id}", "One scan and what it found", |r| {
            r.to(discovery::get)
        }),
        post("/discovery/{id}/register", "Register hosts a scan found", |r| {
            r.to(discovery::register)
        }),
        get(
            "/deployments",
            "Deployments, newest first (`before`, `limit`)",
            |r| r.to(deployments::list),
        ),
        post("/deployments", "Queue a deployment (next window or now)", |r| {
            r.to(deployments::create)
        })
        .body::<DeploymentRequest>()
        .data::<crate::services::deployments::Summary>()
        .created(),
        get(
            "/deployments/{id}",
            "A deployment and its targets (`after`, `limit`)",
            |r| r.to(deployments::detail),
        ),
        post("/deployments/{id}/cancel", "Cancel what has not started", |r| {
            r.to(deployments::cancel)
        }),
        post("/deployments/{id}/rollback", "Roll a deployment back", |r| {
            r.to(deployments::rollback)
        }),
        post(
            "/deployments/{id}/targets/{target}/cancel",
            "Cancel one target",
            |r| r.to(deployments::cancel_target),
        ),
        get("/windows", "Maintenance windows", |r| {
            r.to(deployments::list_windows)
        }),
        post(
            "/windows",
            "Add a maintenance window (to hosts or a group's hosts)",
            |r| r.to(deployments::create_window),
        ),
        delete("/windows/{id}", "Remove a maintenance window", |r| {
            r.to(deployments::delete_window)
        }),
        get(
            "/hosts/{id}/windows",
            "A host's maintenance windows and next openings",
            |r| r.to(deployments::host_windows),
        ),
        post("/enroll", "Agent enrolment request (CSR)", |r| {
            r.to(enroll::enroll)
        })
        .public(),
        get("/enroll/status/{token}", "Agent enrolment status", |r| {
            r.to(enroll::status)
        })
        .public(),
        post("/enroll/renew", "Agent certificate renewal", |r| {
            r.to(enroll::renew)
        })
        .public(),
        get("/enrollments", "Pending and decided agent enrolments", |r| {
            r.to(enroll::list)
        }),
        post("/enrollments/{id}/approve", "Approve an agent enrolment", |r| {
            r.to(enroll::approve)
        }),
        post("/enrollments/{id}/deny", "Deny an agent enrolment", |r| {
            r.to(enroll::deny)
        }),
        post("/hosts", "Add a host by address", |r| r.to(fleet::add_host)),
        delete("/hosts/{id}", "Remove a host", |r| r.to(fleet::remove_host)),
        get("/users", "Users (administrators)", |r| r.to(fleet::list_users)),
        post("/users", "Create a user (one-time password returned once)", |r| {
            r.to(fleet::create_user)
        }),
        post(
            "/users/{id}/revoke-sessions",
            "End every session of a user",
            |r| r.to(fleet::revoke_sessions),
        ),
        post("/users/{id}/unlock", "Clear a user's failed sign-ins", |r| {
            r.to(fleet::unlock_user)
        }),
        get("/groups", "Manager groups", |r| r.to(fleet::list_groups)),
        post("/groups", "Create a group", |r| r.to(fleet::create_group)),
        delete("/groups/{id}", "Delete a group", |r| r.to(fleet::delete_group)),
        get("/audit", "Audit rows (filters, pages)", |r| {
            r.to(fleet::audit_rows)
        }),
        get("/audit/verify", "Verify the audit hash chain", |r| {
            r.to(fleet::audit_verify)
        }),
        get("/dashboard", "Fleet counts as the Dashboard shows them", |r| {
            r.to(hosts_view::get_dashboard)
        }),
        get(
            "/hosts",
            "Hosts: filters, keyset pages (`Link: rel=next`, `X-Total-Count`)",
            |r| r.to(hosts_view::list_hosts),
        )
        .query::<crate::db::models::fleet_view::PageQuery>()
        .data::<Vec<crate::db::models::fleet_view::FleetRow>>(),
        post("/hosts/refresh", "Poll hosts now", |r| r.to(hosts_view::refresh)),
        get("/hosts/{id}", "One host", |r| r.to(hosts_view::get_host)),
        get("/hosts/{id}/packages", "A host's pending updates", |r| {
            r.to(hosts_view::packages)
        }),
        get("/poller", "Poller status", |r| r.to(poller::status)),
        post("/poller/sweep", "Run a poller sweep now", |r| r.to(poller::sweep)),
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

impl ApiRoute {
    fn raw(mut self) -> Self {
        self.enveloped = false;
        self
    }
    /// A file answer (CSV, PDF) instead of the envelope.
    pub(super) fn download(mut self, media: &'static str) -> Self {
        self.enveloped = false;
        self.content = media;
        self
    }
}

/// Registers every route of [`routes`] (and nothing else) on the `/api/v1` scope.
pub fn register(cfg: &mut web::ServiceConfig) {
    for r in routes() {
        cfg.route(r.path, r.actix_route());
    }
}
