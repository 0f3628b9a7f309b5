//! `/openapi.json`: the OpenAPI 3.0 description of the API, built from the wire contract's route
//! table (`api::ROUTES`) and the JSON Schemas of its request and answer types. The router in
//! `mod.rs` and that table are checked against each other by a test that calls every documented
//! route; another checks every JSON answer of a walk through the goal cycle against its schema.

use schemars::gen::SchemaSettings;
use serde_json::{json, Map, Value};

use crate::api::{routes, ROUTES};

/// The schema of a query parameter, by name.
fn query_schema(name: &str) -> Value {
    match name {
        "after" | "at_seq" | "seq" | "size" | "from" | "to" | "before" => {
            json!({"type": "integer", "minimum": 0})
        }
        "limit" => json!({"type": "integer", "minimum": 1, "maximum": 1000}),
        // An empty value means "any".
        "status" => {
            json!({"type": "string", "enum": ["", "proposed", "active", "rejected", "withdrawn", "closed"]})
        }
        "team" => {
            json!({"type": "string", "pattern": "^([a-z0-9]([a-z0-9-]*[a-z0-9])?)?$", "maxLength": 64})
        }
        _ => json!({"type": "string", "description": "RFC 3339 time, or a date YYYY-MM-DD"}),
    }
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

/// Builds the OpenAPI document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let mut paths = Map::new();
    for r in ROUTES {
        let mut parameters: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        parameters.extend(
            r.query
                .iter()
                .map(|name| json!({"name": name, "in": "query", "required": false, "schema": query_schema(name)})),
        );
        let answer = match (crate::web::retro_answer(r.path, &mut generator), r.answer) {
            (Some(retro), _) => retro,
            (None, Some(answer)) => answer(&mut generator),
            // The OpenAPI document itself.
            (None, None) => schemars::schema::Schema::Bool(true),
        };
        let json_schema = match answer {
            schemars::schema::Schema::Bool(true) => json!({"type": "object"}),
            answer => serde_json::to_value(answer).unwrap_or(Value::Null),
        };
        let content = if r.path.ends_with(".svg") {
            json!({"image/svg+xml": {"schema": {"type": "string"}}})
        } else if r.path == "/" || r.path.ends_with("retro") {
            json!({
                "application/json": {"schema": json_schema},
                "text/html": {"schema": {"type": "string"}},
                "text/markdown": {"schema": {"type": "string"}}
            })
        } else if r.path == "/ledger/export" {
            // One record per line, exactly as stored; the head in the Ledger-Digest header.
            json!({"application/jsonl": {"schema": {"type": "string"}}})
        } else if r.path == "/events/stream" {
            // Each event: its id is the record's sequence number, its data the record as stored.
            json!({"text/event-stream": {"schema": {
                "type": "object",
                "required": ["id", "event", "data"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[0-9]+$"},
                    "event": {"type": "string", "enum": ["record"]},
                    "data": {"type": "string", "description": "A StoredRecord, exactly as stored"}
                }
            }}})
        } else if r.answer.is_none() && r.path != routes::OPENAPI {
            // Signed notes, keys, proofs and metrics in their standard text formats.
            json!({"text/plain": {"schema": {"type": "string"}}})
        } else {
            json!({"application/json": {"schema": json_schema}})
        };
        let mut responses = Map::new();
        responses.insert(
            r.ok.to_string(),
            json!({"description": "Success", "content": content}),
        );
        responses.insert("400".into(), problem("Malformed request"));
        if r.role.is_some() {
            responses.insert("401".into(), problem("No, unknown or revoked token"));
            responses.insert("403".into(), problem("The token's role is too low"));
        }
        // Any route answers 404 for a goal or team it names that does not exist.
        responses.insert("404".into(), problem("No such goal or team"));
        if r.role.is_some() {
            responses.insert(
                "503".into(),
                problem("The store cannot serve this now (disk full or failing)"),
            );
        }
        if r.method != "get" {
            for (code, what) in [
                ("404", "No such goal or team"),
                ("409", "Conflict: exists already, or the version moved"),
                ("412", "If-Match does not match the current version"),
                ("413", "Body or record too large"),
                ("415", "Not application/json"),
                ("422", "Well-formed but invalid, or a rule forbids it"),
            ] {
                responses.insert(code.into(), problem(what));
            }
        }
        let mut op = json!({
            "summary": r.summary,
            "operationId": format!("{}{}", r.method, r.path.replace(['/', '{', '}', '.', '-'], "_")),
            "parameters": parameters,
            "responses": responses,
        });
        if let Some(body) = r.body {
            let schema = body(&mut generator);
            op["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": schema}}});
            for (code, what) in [
                ("409", "Conflict: exists already, or the version moved"),
                ("412", "If-Match does not match the current version"),
                ("413", "Body or record too large"),
                ("415", "Not application/json"),
                ("422", "Well-formed but invalid, or a rule forbids it"),
                ("503", "The store cannot write now"),
            ] {
                op["responses"][code] = problem(what);
            }
            if let Some(p) = op["parameters"].as_array_mut() {
                for header in ["Idempotency-Key", "If-Match"] {
                    p.push(json!({"name": header, "in": "header", "required": false, "schema": {"type": "string"}}));
                }
            }
        }
        if r.role.is_some() {
            op["security"] = json!([{"bearer": []}]);
        }
        let entry = paths.entry(r.path.to_owned()).or_insert_with(|| json!({}));
        entry[r.method] = op;
    }
    let mut schemas = Map::new();
    for (name, schema) in generator.definitions() {
        schemas.insert(
            name.clone(),
            serde_json::to_value(schema).unwrap_or(Value::Null),
        );
    }
    schemas.insert(
        "Problem".into(),
        json!({
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"}
            }
        }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "goal-ledger",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Cross-team goals on an immutable, hash-chained event log."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}
