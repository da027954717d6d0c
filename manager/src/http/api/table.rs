//! The `/api/v1` route table: each entry is how a route is served (method guard + handler) and documented.

use actix_web::http::Method;
use actix_web::{web, Route};
use schemars::{JsonSchema, Schema, SchemaGenerator};

/// Builds the schema of a type in a generator.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// A route's JSON request body.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// Not declared yet: a POST or PUT route must say [`ApiRoute::body`], [`ApiRoute::optional_body`] or
    /// [`ApiRoute::no_body`] (the tests refuse a route left like this).
    Undeclared,
    /// The handler reads no body.
    None,
    /// This type, required.
    Required(SchemaFn),
    /// This type, or no body at all.
    Optional(SchemaFn),
}

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
    /// The query-string types the handler extracts (their fields are the parameters).
    pub query: Vec<SchemaFn>,
    /// Whether the `{param}` segments are text (`web::Path<String>`); otherwise 64-bit integer ids.
    pub text_path: bool,
    /// The JSON request body.
    pub body: Body,
    /// The envelope's `data` on success: the type the handler serialises (`None` only for an answer that
    /// is not the envelope: this document, a download).
    pub data: Option<SchemaFn>,
    /// The success status.
    pub status: u16,
    /// A second success status and its `data` (e.g. 202 while an enrolment is pending).
    pub also: Option<(u16, SchemaFn)>,
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
        query: Vec::new(),
        text_path: false,
        body: if has_body { Body::Undeclared } else { Body::None },
        data: None,
        status: 200,
        also: None,
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
    pub(super) fn public(mut self) -> Self {
        self.signed = false;
        self
    }
    /// A query-string type the handler extracts (several when it extracts several).
    pub(super) fn query<T: JsonSchema>(mut self) -> Self {
        self.query.push(schema::<T>);
        self
    }
    /// The `{param}` segments are text, not integer ids.
    pub(super) fn text_path(mut self) -> Self {
        self.text_path = true;
        self
    }
    /// The JSON body the handler requires.
    pub(super) fn body<T: JsonSchema>(mut self) -> Self {
        self.body = Body::Required(schema::<T>);
        self
    }
    /// A JSON body the handler accepts but does not require.
    pub(super) fn optional_body<T: JsonSchema>(mut self) -> Self {
        self.body = Body::Optional(schema::<T>);
        self
    }
    /// The handler reads no body.
    pub(super) fn no_body(mut self) -> Self {
        self.body = Body::None;
        self
    }
    /// The type of the envelope's `data` on success.
    pub(super) fn data<T: JsonSchema>(mut self) -> Self {
        self.data = Some(schema::<T>);
        self
    }
    /// Answers 201 Created.
    pub(super) fn created(mut self) -> Self {
        self.status = 201;
        self
    }
    /// Also answers `status` with `T` as `data`.
    pub(super) fn also<T: JsonSchema>(mut self, status: u16) -> Self {
        self.also = Some((status, schema::<T>));
        self
    }
    /// Answers `status` (instead of 200).
    pub(super) fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
    /// Not the envelope (this document).
    pub(super) fn raw(mut self) -> Self {
        self.enveloped = false;
        self
    }
    /// A file answer (CSV, PDF, tar.gz) instead of the envelope.
    pub(super) fn download(mut self, media: &'static str) -> Self {
        self.enveloped = false;
        self.content = media;
        self
    }

    /// The actix route: the method guard from `method`, then the handler.
    pub fn actix_route(&self) -> Route {
        (self.to)(web::route().method(self.method.clone()))
    }
}

/// Every `/api/v1` route, in registration order (a literal segment before a `{param}` at the same place).
pub fn routes() -> Vec<ApiRoute> {
    let mut all = super::table_core::routes();
    all.extend(super::table_fleet::routes());
    all.extend(super::table_admin::routes());
    all
}

/// Registers every route of [`routes`] (and nothing else) on the `/api/v1` scope.
pub fn register(cfg: &mut web::ServiceConfig) {
    for r in routes() {
        cfg.route(r.path, r.actix_route());
    }
}
