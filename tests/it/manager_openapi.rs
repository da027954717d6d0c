//! The manager's `openapi.json` against the routes actix really registered: every `/api/v1` resource in the
//! app's resource map is documented, every documented operation reaches a handler with its method, and the
//! document is valid OpenAPI 3 (`openapi-spec-validator`, as the agent's contract test uses it); no operation
//! is described by an untyped fallback; and a real manager's answers match their schemas (`answers`).

mod answers;

use actix_web::dev::ResourceMap;
use actix_web::{test, web, App, HttpResponse};
use linux_patch_manager::http::api::openapi;
use linux_patch_manager::http::api::table::{self, Body};
use linux_patch_tests::console::{resp, state};
use linux_patch_tests::pg::TestDb;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

/// `/api/v1` patterns in actix's resource map: the children of the `/api/v1` scope's node, read from the map's
/// `Debug` form (actix has no public iterator).
fn registered_api_patterns(rmap: &ResourceMap) -> BTreeSet<String> {
    let debug = format!("{rmap:?}");
    let mut out = BTreeSet::new();
    let mut rest = debug.as_str();
    // Every `/api/v1` scope (the table's, and any other registered beside it).
    while let Some(at) = rest.find("Single(\"/api/v1\")") {
        rest = &rest[at + 1..];
        let Some(n) = rest.find("nodes: Some([") else {
            break;
        };
        let body = &rest[n + "nodes: Some(".len()..];
        let mut depth = 0usize;
        let mut end = body.len();
        for (i, ch) in body.char_indices() {
            match ch {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        for piece in body[..end].split("Single(\"").skip(1) {
            let Some(pattern) = piece.split('"').next() else {
                continue;
            };
            let full = format!("/api/v1{pattern}");
            out.insert(full);
        }
    }
    out
}

fn documented() -> BTreeSet<String> {
    table::routes()
        .iter()
        .map(|r| format!("/api/v1{}", r.path))
        .collect()
}

/// The resource map of the manager's app (`extra`: the API scope as `routes.rs` builds it plus one route
/// added beside the table, as an edit of `routes.rs` would), captured from a request.
async fn resource_map(st: web::Data<linux_patch_manager::app::AppContext>, extra: bool) -> ResourceMap {
    let seen: Rc<RefCell<Option<ResourceMap>>> = Rc::default();
    let keep = seen.clone();
    let app = test::init_service(
        App::new()
            .app_data(st)
            .wrap_fn(move |req, srv| {
                *keep.borrow_mut() = Some(req.request().resource_map().clone());
                actix_web::dev::Service::call(srv, req)
            })
            .configure(move |cfg| {
                if extra {
                    cfg.service(
                        web::scope("/api/v1")
                            .configure(table::register)
                            .route("/undocumented", web::get().to(HttpResponse::Ok)),
                    );
                } else {
                    linux_patch_manager::http::configure(cfg);
                }
            }),
    )
    .await;
    let _ = test::call_service(&app, test::TestRequest::get().uri("/api/v1/health").to_request()).await;
    let map = seen.borrow_mut().take().unwrap();
    map
}

#[actix_web::test]
async fn every_registered_api_route_is_documented_and_every_documented_route_is_served() {
    let db = TestDb::new();
    let (st, _clock) = state(&db);
    let rmap = resource_map(st.clone(), false).await;
    let registered = registered_api_patterns(&rmap);
    assert!(registered.len() >= 40, "{registered:?}");
    let docs = documented();
    let undocumented: Vec<_> = registered.difference(&docs).collect();
    assert!(
        undocumented.is_empty(),
        "registered but not in the OpenAPI table: {undocumented:?}"
    );
    let missing: Vec<_> = documented()
        .into_iter()
        .filter(|p| !registered.contains(p))
        .collect();
    assert!(missing.is_empty(), "documented but not registered: {missing:?}");

    // The check sees a route added outside the table.
    let extra = registered_api_patterns(&resource_map(st.clone(), true).await);
    assert!(extra.contains("/api/v1/undocumented") && !documented().contains("/api/v1/undocumented"));

    // Each documented method reaches a handler (a method without a route falls to the scope's 404).
    let app = linux_patch_tests::console::app(st).await;
    for r in table::routes() {
        let uri = format!(
            "/api/v1{}",
            r.path
                .replace("{id}", "1")
                .replace("{target}", "1")
                .replace("{token}", "x")
        );
        let req = test::TestRequest::default()
            .method(r.method.clone())
            .uri(&uri)
            .to_request();
        let got = resp(test::call_service(&app, req).await).await;
        assert!(
            !got.body.contains("no such page or endpoint"),
            "{} {uri}: {}",
            r.method,
            got.body
        );
    }
    let req = test::TestRequest::default()
        .method(actix_web::http::Method::PUT)
        .uri("/api/v1/tokens")
        .to_request();
    let got = resp(test::call_service(&app, req).await).await;
    assert_eq!(
        got.status, 404,
        "an undocumented method is not served: {}",
        got.body
    );

    // The served document lists the same operations, and is valid OpenAPI 3 by the validator.
    let req = test::TestRequest::get().uri("/api/v1/openapi.json").to_request();
    let doc = resp(test::call_service(&app, req).await).await;
    assert_eq!(doc.status, 200);
    let v = doc.json();
    for r in table::routes() {
        assert!(
            v["paths"][r.path][r.method.as_str().to_lowercase()].is_object(),
            "{} {}",
            r.method,
            r.path
        );
    }
    validate(&doc.body);
}

fn validate(doc: &str) {
    let venv =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/.venv/bin/openapi-spec-validator");
    assert!(
        venv.exists(),
        "{} missing: run scripts/install-prereqs.sh (make test does)",
        venv.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("manager-openapi.json");
    std::fs::write(&file, doc).unwrap();
    let out = std::process::Command::new(venv).arg(&file).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("OK"),
        "openapi-spec-validator: {text}"
    );
}

/// `s` resolved through `components/schemas` (a `$ref`, or `allOf: [$ref]` as a described reference).
fn resolve<'a>(s: &'a Value, schemas: &'a Value) -> &'a Value {
    let r = s["$ref"].as_str().or_else(|| s["allOf"][0]["$ref"].as_str());
    match r.and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => resolve(&schemas[name], schemas),
        None => s,
    }
}

/// Whether `s` says what the value is: a type (an object with its properties or its values' schema, an
/// array with its items), an enumeration, or a choice of such.
fn typed(s: &Value, schemas: &Value) -> bool {
    let s = resolve(s, schemas);
    if s.to_string().contains("not yet described") {
        return false;
    }
    if let Some(alts) = s["anyOf"].as_array().or(s["oneOf"].as_array()) {
        return !alts.is_empty() && alts.iter().all(|a| typed(a, schemas));
    }
    match s["type"].as_str() {
        Some("object") => s["properties"].is_object() || s["additionalProperties"].is_object(),
        Some("array") => typed(&s["items"], schemas),
        Some(_) => true,
        None => s["enum"].is_array(),
    }
}

/// What of `table`'s document is untyped: `METHOD PATH: what`.
fn untyped(table: &[table::ApiRoute]) -> Vec<String> {
    let doc = openapi::document_of(table);
    let schemas = &doc["components"]["schemas"];
    let mut out = Vec::new();
    for r in table {
        let op = &doc["paths"][r.path][r.method.as_str().to_lowercase()];
        let at = format!("{} {}", r.method, r.path);
        if r.enveloped {
            if r.data.is_none() {
                out.push(format!("{at}: no data type"));
            }
            for (status, answer) in op["responses"].as_object().unwrap() {
                let data = &answer["content"]["application/json"]["schema"]["properties"]["data"];
                if status != "default" && !typed(data, schemas) {
                    out.push(format!("{at}: {status} data {data}"));
                }
            }
        }
        match r.body {
            Body::Undeclared => out.push(format!("{at}: body undeclared")),
            Body::Required(_) | Body::Optional(_) => {
                let body = &op["requestBody"]["content"]["application/json"]["schema"];
                if !typed(body, schemas) {
                    out.push(format!("{at}: body {body}"));
                }
            }
            Body::None => {}
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            if !typed(&p["schema"], schemas) {
                out.push(format!("{at}: parameter {p}"));
            }
        }
    }
    out
}

#[actix_web::test]
async fn no_route_is_described_by_an_untyped_fallback() {
    let all = table::routes();
    let found = untyped(&all);
    assert!(found.is_empty(), "untyped in openapi.json: {found:#?}");
    let described = all.iter().filter(|r| r.enveloped).count();
    assert!(described >= 60, "only {described} JSON answers");

    // The check sees each kind of gap: a route whose data type was dropped, a POST that never said what it
    // reads, and schemas that say nothing (the old fallbacks) or only "an object".
    let mut gaps = all.clone();
    let i = gaps.iter().position(|r| r.path == "/groups").unwrap();
    gaps[i].data = None;
    let j = gaps.iter().position(|r| r.path == "/hosts/refresh").unwrap();
    gaps[j].body = Body::Undeclared;
    let found = untyped(&gaps);
    for gap in [
        "GET /groups: no data type",
        "POST /hosts/refresh: body undeclared",
    ] {
        assert!(found.iter().any(|f| f == gap), "{gap} not seen: {found:#?}");
    }
    let none = Value::Null;
    for vague in [
        serde_json::json!({}),
        serde_json::json!({ "type": "object" }),
        serde_json::json!({ "description": "See the summary; not yet described field by field." }),
        serde_json::json!({ "type": "array", "items": {} }),
    ] {
        assert!(!typed(&vague, &none), "{vague} passed as typed");
    }
    let doc = openapi::document();
    let groups = &doc["paths"]["/groups"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        ["properties"]["data"];
    assert!(typed(groups, &doc["components"]["schemas"]), "{groups}");
}
