//! `/openapi.json`: the OpenAPI 3.0 description of the API, built from the route table below and
//! the JSON Schemas of the request types. The router in `mod.rs` and this table are checked
//! against each other by a test that calls every documented route.

use schemars::gen::{SchemaGenerator, SchemaSettings};
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

use super::requests::*;

type BodySchema = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// One documented route.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// The least role needed; `None` for routes open to all.
    pub role: Option<&'static str>,
    pub query: &'static [&'static str],
    pub body: Option<BodySchema>,
    pub ok: u16,
}

macro_rules! route {
    ($m:literal $p:literal, $s:literal, $role:expr, [$($q:literal),*], $body:expr, $ok:literal) => {
        Route { method: $m, path: $p, summary: $s, role: $role, query: &[$($q),*], body: $body, ok: $ok }
    };
}

const READ: Option<&str> = Some("reader");
const MEMBER: Option<&str> = Some("member");
const ADMIN: Option<&str> = Some("admin");

/// Every route the server answers.
pub const ROUTES: &[Route] = &[
    route!("post" "/teams", "Register a team", ADMIN, [], Some(schema_of::<CreateTeam>), 201),
    route!("get" "/teams", "List teams", READ, [], None, 200),
    route!("get" "/teams/{id}", "Show a team", READ, [], None, 200),
    route!("post" "/teams/{id}/members", "Add a member", ADMIN, [], Some(schema_of::<AddMember>), 201),
    route!("delete" "/teams/{id}/members/{member}", "Remove a member", ADMIN, [], None, 201),
    route!("post" "/goals", "Propose a goal", MEMBER, [], Some(schema_of::<CreateGoal>), 201),
    route!("get" "/goals", "List goals", READ, ["status", "team"], None, 200),
    route!("get" "/goals/{id}", "Show a goal (ETag = version), now or as_of a time or at_seq", READ, ["as_of", "at_seq"], None, 200),
    route!("post" "/goals/{id}/votes", "Vote on the open proposal", MEMBER, [], Some(schema_of::<CastVote>), 201),
    route!("post" "/goals/{id}/adjustments", "Propose an adjustment", MEMBER, [], Some(schema_of::<ProposeAdjustment>), 201),
    route!("post" "/goals/{id}/check-ins", "Record a check-in", MEMBER, [], Some(schema_of::<CheckIn>), 201),
    route!("post" "/goals/{id}/close", "Close the goal", MEMBER, [], Some(schema_of::<Close>), 201),
    route!("post" "/goals/{id}/reopen", "Reopen the goal", MEMBER, [], Some(schema_of::<WithReason>), 201),
    route!("post" "/goals/{id}/withdraw", "Withdraw the open proposal", MEMBER, [], Some(schema_of::<WithReason>), 201),
    route!("post" "/goals/{id}/notes", "Write a post-mortem note", MEMBER, [], Some(schema_of::<Note>), 201),
    route!("get" "/goals/{id}/history", "Why the goal changed", READ, [], None, 200),
    route!("get" "/goals/{id}/timeline", "The goal's timeline", READ, [], None, 200),
    route!("get" "/timeline", "The timeline of a team or the ledger", READ, ["team", "since", "until"], None, 200),
    route!("get" "/events", "Raw records, exactly as stored", READ, ["after", "limit"], None, 200),
    route!("get" "/events/stream", "Server-sent events: catch up, then live", READ, ["after"], None, 200),
    route!("get" "/ledger/digest", "The head digest", READ, [], None, 200),
    route!("get" "/ledger/verify", "Verify the hash chain", READ, [], None, 200),
    route!("get" "/healthz", "Liveness", None, [], None, 200),
    route!("get" "/metrics", "Prometheus metrics", None, [], None, 200),
    route!("get" "/openapi.json", "This document", None, [], None, 200),
    route!("get" "/", "The goals list: an HTML page for browsers, JSON otherwise", READ, ["status", "team"], None, 200),
    route!("get" "/goals/{id}/retro", "The goal's retrospective (Accept: text/html, text/markdown or application/json)", READ, ["format"], None, 200),
    route!("get" "/retro", "A team's retrospective over a period", READ, ["team", "since", "until", "format"], None, 200),
    route!("get" "/goals/{id}/key-results/{name}/chart.svg", "An SVG chart of one key result", READ, [], None, 200),
];

/// The schema of a query parameter, by name.
fn query_schema(name: &str) -> Value {
    match name {
        "after" | "at_seq" => json!({"type": "integer", "minimum": 0}),
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
        let content = if r.path.ends_with(".svg") {
            json!({"image/svg+xml": {"schema": {"type": "string"}}})
        } else if r.path == "/" || r.path.ends_with("retro") {
            json!({
                "application/json": {"schema": {"type": "object"}},
                "text/html": {"schema": {"type": "string"}},
                "text/markdown": {"schema": {"type": "string"}}
            })
        } else if r.path == "/metrics" {
            json!({"text/plain": {"schema": {"type": "string"}}})
        } else if r.path == "/events/stream" {
            // Each event's data is one record.
            json!({"text/event-stream": {"schema": {"type": "object"}}})
        } else {
            json!({"application/json": {"schema": {"type": "object"}}})
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
