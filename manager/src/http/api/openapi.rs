//! `GET /api/v1/openapi.json`: the OpenAPI 3 document generated from the route table and its DTO types.

use super::table::{routes, ApiRoute, Body, SchemaFn};
use actix_web::HttpResponse;
use linux_patch_shared::Envelope;
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// Serves the document (built once).
pub async fn get() -> HttpResponse {
    static DOC: OnceLock<Value> = OnceLock::new();
    HttpResponse::Ok().json(DOC.get_or_init(document))
}

/// Where the request bodies' definitions are put before they join `components/schemas`.
const INPUTS: &str = "/components/x-inputs";

/// Points the bodies' `$ref`s (`#/components/x-inputs/Name`) at their final names in `components/schemas`.
fn relink(v: &mut Value, renamed: &Map<String, Value>) {
    match v {
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                if k == "$ref" {
                    if let Some(name) = child
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/x-inputs/"))
                    {
                        let to = renamed.get(name).and_then(Value::as_str).unwrap_or(name);
                        *child = Value::String(format!("#/components/schemas/{to}"));
                    }
                } else {
                    relink(child, renamed);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| relink(x, renamed)),
        _ => {}
    }
}

/// OpenAPI 3.0 has no tuples: `items: [a, b]` (a Rust tuple) becomes one `items` schema (`anyOf` the parts
/// when they differ) with the length fixed by `minItems`/`maxItems`.
fn untuple(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::Array(parts)) = o.get("items").cloned() {
                let n = parts.len();
                let mut distinct: Vec<Value> = Vec::new();
                for p in parts {
                    if !distinct.contains(&p) {
                        distinct.push(p);
                    }
                }
                let items = match distinct.len() {
                    1 => distinct.remove(0),
                    _ => json!({ "anyOf": distinct }),
                };
                o.insert("items".into(), items);
                o.insert("minItems".into(), n.into());
                o.insert("maxItems".into(), n.into());
                o.remove("additionalItems");
            }
            o.values_mut().for_each(untuple);
        }
        Value::Array(a) => a.iter_mut().for_each(untuple),
        _ => {}
    }
}

/// The operation id of a route: method and path words (`get_hosts_id_packages`).
pub fn operation_id(r: &ApiRoute) -> String {
    let words: Vec<String> = r
        .path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    format!("{}_{}", r.method.as_str().to_lowercase(), words.join("_"))
}

/// The whole document.
pub fn document() -> Value {
    document_of(&routes())
}

/// The document of `table` (the tests check one with a route left undescribed).
pub fn document_of(table: &[ApiRoute]) -> Value {
    let mut g = SchemaSettings::openapi3().for_serialize().into_generator();
    // Request bodies are described as they are read (defaults optional): their own definitions, merged below.
    let mut bodies = SchemaSettings::openapi3()
        .for_deserialize()
        .with(|s| s.definitions_path = INPUTS.into())
        .into_generator();
    let error = g.subschema_for::<Envelope<()>>().to_value();
    let mut paths = Map::new();
    for r in table {
        let op = operation(r, &mut g, &mut bodies, &error);
        let entry = paths.entry(r.path.to_owned()).or_insert_with(|| json!({}));
        if let Some(o) = entry.as_object_mut() {
            o.insert(r.method.as_str().to_lowercase(), op);
        }
    }
    let mut schemas = g.take_definitions(true);
    let mut renamed = Map::new();
    let inputs = bodies.take_definitions(true);
    for (name, s) in &inputs {
        // A type read and written alike keeps one definition; one whose read form differs gets `…Input`.
        let same = schemas.get(name).is_none_or(|out| *out == *s);
        let to = if same {
            name.clone()
        } else {
            format!("{name}Input")
        };
        renamed.insert(name.clone(), Value::String(to));
    }
    for (name, s) in inputs {
        let to = renamed
            .get(&name)
            .and_then(Value::as_str)
            .unwrap_or(&name)
            .to_owned();
        schemas.entry(to).or_insert(s);
    }
    let mut paths = Value::Object(paths);
    let mut schemas = Value::Object(schemas);
    relink(&mut paths, &renamed);
    relink(&mut schemas, &renamed);
    untuple(&mut paths);
    untuple(&mut schemas);
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Linux Patch Manager API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The manager's REST API for scripts. Authenticate with `Authorization: Bearer <API token>` \
                            (create one on the account page or with POST /tokens) or a session's access token. \
                            Every answer except this document is the envelope {success, request_id, timestamp, data, error}.",
        },
        "servers": [{ "url": "/api/v1" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer",
                "description": "An API token (`lpmt_...`) or a session's access token" } },
        },
    })
}

fn path_params(r: &ApiRoute) -> Vec<Value> {
    r.path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = if r.text_path {
                json!({ "type": "string" })
            } else {
                json!({ "type": "integer", "format": "int64" })
            };
            json!({ "name": name, "in": "path", "required": true, "schema": schema })
        })
        .collect()
}

/// The fields of one query-string type, as parameters.
fn query_params(query: SchemaFn) -> Vec<Value> {
    let mut qg = SchemaSettings::openapi3()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let mut schema = query(&mut qg);
    for t in qg.transforms_mut() {
        t.transform(&mut schema);
    }
    let schema = schema.to_value();
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default().to_owned();
            qg.take_definitions(true).remove(&name).unwrap_or(schema)
        }
        None => schema,
    };
    let Some(props) = resolved.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, prop)| {
            let desc = prop.get("description").cloned();
            let mut s = prop.clone();
            if let Some(o) = s.as_object_mut() {
                for k in ["description", "nullable", "default"] {
                    o.remove(k);
                }
            }
            let mut p = json!({ "name": name, "in": "query", "required": false, "schema": s });
            if let (Some(o), Some(d)) = (p.as_object_mut(), desc) {
                o.insert("description".into(), d);
            }
            p
        })
        .collect()
}

/// The schema of `f` in `g`, with the generator's transforms applied (nullable, no `prefixItems`).
fn schema_in(f: SchemaFn, g: &mut schemars::SchemaGenerator) -> Value {
    let mut s = f(g);
    for t in g.transforms_mut() {
        t.transform(&mut s);
    }
    s.to_value()
}

/// The success answer: the envelope with `data` of the type the handler serialises, or a file.
fn success(r: &ApiRoute, data: Option<SchemaFn>, g: &mut schemars::SchemaGenerator) -> Value {
    if !r.enveloped {
        let schema = if r.content == "application/json" {
            json!({ "type": "object", "description": "The OpenAPI 3 document" })
        } else {
            json!({ "type": "string", "format": "binary" })
        };
        return json!({ "description": "Success", "content": { r.content: { "schema": schema } } });
    }
    let mut props = Map::new();
    props.insert("success".into(), json!({ "type": "boolean" }));
    props.insert("request_id".into(), json!({ "type": "string" }));
    props.insert(
        "timestamp".into(),
        json!({ "type": "string", "format": "date-time" }),
    );
    props.insert(
        "error".into(),
        json!({ "type": "object", "nullable": true, "description": "Always null on success" }),
    );
    let mut required = vec![json!("success"), json!("request_id"), json!("timestamp")];
    if let Some(f) = data {
        props.insert("data".into(), schema_in(f, g));
        required.push(json!("data"));
    }
    let ok = json!({ "type": "object", "required": required, "properties": props });
    json!({ "description": "Success", "content": { r.content: { "schema": ok } } })
}

fn operation(
    r: &ApiRoute,
    g: &mut schemars::SchemaGenerator,
    bodies: &mut schemars::SchemaGenerator,
    error: &Value,
) -> Value {
    let mut responses = Map::new();
    responses.insert(r.status.to_string(), success(r, r.data, g));
    if let Some((status, data)) = r.also {
        responses.insert(status.to_string(), success(r, Some(data), g));
    }
    responses.insert(
        "default".into(),
        json!({ "description": "Error (in the envelope)",
                "content": { "application/json": { "schema": error } } }),
    );
    let mut params = path_params(r);
    for q in &r.query {
        params.extend(query_params(*q));
    }
    let mut op = json!({
        "operationId": operation_id(r),
        "summary": r.summary,
        "responses": responses,
    });
    if let Some(o) = op.as_object_mut() {
        if !params.is_empty() {
            o.insert("parameters".into(), Value::Array(params));
        }
        let body = match r.body {
            Body::Required(f) => Some((f, true)),
            Body::Optional(f) => Some((f, false)),
            Body::None | Body::Undeclared => None,
        };
        if let Some((f, required)) = body {
            let schema = schema_in(f, bodies);
            o.insert(
                "requestBody".into(),
                json!({ "required": required, "content": { "application/json": { "schema": schema } } }),
            );
        }
        if !r.signed {
            o.insert("security".into(), json!([]));
        }
    }
    op
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_route_is_one_operation_with_its_path_parameters() {
        let doc = document();
        let mut ids = std::collections::BTreeSet::new();
        for r in routes() {
            let op = &doc["paths"][r.path][r.method.as_str().to_lowercase()];
            assert_eq!(op["summary"], r.summary, "{} {}", r.method, r.path);
            assert!(ids.insert(operation_id(&r)), "duplicate {} {}", r.method, r.path);
            let n = r.path.matches('{').count();
            let p = op["parameters"]
                .as_array()
                .map(|a| a.iter().filter(|x| x["in"] == "path").count());
            assert_eq!(p.unwrap_or(0), n, "{}", r.path);
        }
        let documented: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(documented, routes().len());
        assert!(doc["components"]["schemas"]["CreateToken"]["properties"]["code"].is_object());
        assert_eq!(doc["paths"]["/enroll"]["post"]["security"], json!([]));
        let schemas = &doc["components"]["schemas"];
        assert!(
            schemas["FleetRow"]["properties"]["hostname"].is_object(),
            "{}",
            schemas["FleetRow"]
        );
        assert!(
            schemas["Summary"]["properties"]["total"].is_object(),
            "{}",
            schemas["Summary"]
        );
        let host_params = doc["paths"]["/hosts"]["get"]["parameters"].to_string();
        for p in ["after", "limit", "group", "state", "q"] {
            assert!(host_params.contains(&format!("\"{p}\"")), "{p}: {host_params}");
        }
    }

    #[test]
    fn every_json_answer_has_its_data_type_and_every_post_or_put_says_what_it_reads() {
        for r in routes() {
            assert_eq!(
                r.data.is_some(),
                r.enveloped,
                "{} {}: an envelope answer names its `data` type (a file or this document none)",
                r.method,
                r.path
            );
            assert!(
                !matches!(r.body, Body::Undeclared),
                "{} {}: say .body::<T>(), .optional_body::<T>() or .no_body()",
                r.method,
                r.path
            );
        }
    }

    #[test]
    fn every_reference_resolves_and_text_paths_are_strings() {
        let doc = document();
        let text = doc.to_string();
        assert!(!text.contains("x-inputs"), "a body reference was not relinked");
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "dangling $ref {name}");
        }
        assert!(
            !text.contains("\"items\":["),
            "a tuple left as `items: [...]` (not OpenAPI 3.0)"
        );
        let range = &schemas["Chain"]["properties"]["range"];
        assert_eq!(range["maxItems"], 2, "{range}");
        let cve = &doc["paths"]["/reports/vulnerabilities/{cve}"]["get"]["parameters"][0];
        assert_eq!(cve["schema"]["type"], "string", "{cve}");
        let status = &doc["paths"]["/enroll/status/{token}"]["get"]["responses"];
        assert!(status["200"].is_object() && status["202"].is_object(), "{status}");
    }
}
