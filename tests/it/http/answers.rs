//! Every JSON answer matches `/openapi.json`: a walk through the whole goal cycle on a real
//! server validates each answer it gets (successes and problems) against the schema the
//! document gives for that route and status, and every route documented with a JSON answer is
//! walked. A generated client can trust the types.

use std::collections::BTreeSet;

use super::*;

/// OpenAPI 3.0's `nullable: true` as JSON Schema: the schema, or null.
fn as_json_schema(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut map: serde_json::Map<String, Value> = map
                .iter()
                .filter(|(k, _)| *k != "nullable")
                .map(|(k, v)| (k.clone(), as_json_schema(v)))
                .collect();
            if value["nullable"] == json!(true) {
                map = serde_json::Map::from_iter([(
                    "anyOf".to_owned(),
                    json!([Value::Object(map), {"type": "null"}]),
                )]);
            }
            Value::Object(map)
        }
        Value::Array(items) => Value::Array(items.iter().map(as_json_schema).collect()),
        other => other.clone(),
    }
}

/// The documented answers, checked as they come.
struct Checker {
    /// The OpenAPI document as JSON Schema, its `$ref`s resolving inside it.
    doc: Value,
    /// (method, path template) of every success answer checked.
    covered: BTreeSet<(String, String)>,
}

impl Checker {
    /// Sends `request` (for the route `method template`) and checks its answer's body against
    /// the schema documented for the status it got.
    async fn check(
        &mut self,
        method: &str,
        template: &str,
        request: reqwest::RequestBuilder,
    ) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let media = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        let pointer = format!(
            "/paths/{}/{method}/responses/{status}/content/{}/schema",
            template.replace('~', "~0").replace('/', "~1"),
            media.replace('/', "~1"),
        );
        assert!(
            self.doc.pointer(&pointer).is_some(),
            "{method} {template} answered {status} {media}, which /openapi.json does not document"
        );
        let mut root = self.doc.clone();
        // A URI fragment: the template's braces percent-encoded.
        root["$ref"] = json!(format!(
            "#{}",
            pointer.replace('{', "%7B").replace('}', "%7D")
        ));
        let validator = jsonschema::draft7::new(&root).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {template} ({status}) does not match its schema:\n{}\n{body:#}",
            errors.join("\n")
        );
        if status < 300 {
            self.covered
                .insert((method.to_owned(), template.to_owned()));
        }
        (status, body)
    }
}

/// A walk through the whole cycle, a step a line: method, route, token, path, body. Some steps
/// are refused on purpose (a goal that exists, a value of the wrong type, a team or a page size
/// that is not there): their problems are checked too.
const WALK: &str = r#"
post   /teams                                   admin  /teams                                         {"id": "finance", "name": "Finance"}
post   /teams/{id}/members                      admin  /teams/finance/members                         {"member": "fiona"}
delete /teams/{id}/members/{member}             admin  /teams/finance/members/fiona                   null
post   /goals                                   alice  /goals                                         GOAL
post   /goals                                   alice  /goals                                         GOAL
post   /goals/{id}/votes                        alice  /goals/web-traffic-q3/votes                    {"choice": "agree", "reason": "Marketing can deliver"}
post   /goals/{id}/votes                        sam    /goals/web-traffic-q3/votes                    {"choice": "agree"}
post   /goals/{id}/check-ins                    alice  /goals/web-traffic-q3/check-ins                {"key_result": "visits", "value": 43000, "health": "on-track", "confidence": 7, "note": "Campaign live"}
post   /goals/{id}/check-ins                    alice  /goals/web-traffic-q3/check-ins                {"key_result": "visits", "value": "lots", "health": "on-track"}
post   /goals/{id}/adjustments                  sam    /goals/web-traffic-q3/adjustments              {"changes": {"targets": {"visits": 46000}}, "reason": "Budget cut"}
post   /goals/{id}/withdraw                     sam    /goals/web-traffic-q3/withdraw                 {"reason": "Budget restored"}
post   /goals/{id}/close                        alice  /goals/web-traffic-q3/close                    {"outcome": "achieved", "score": 0.9, "summary": "Done"}
post   /goals/{id}/votes                        alice  /goals/web-traffic-q3/votes                    {"choice": "agree"}
post   /goals/{id}/votes                        sam    /goals/web-traffic-q3/votes                    {"choice": "agree"}
post   /goals/{id}/notes                        sam    /goals/web-traffic-q3/notes                    {"section": "action-item", "text": "Review monthly", "owner": "alice", "due": "2026-10-31"}
post   /goals/{id}/notes                        sam    /goals/web-traffic-q3/notes                    {"section": "went-well", "text": "Joint planning"}
post   /goals/{id}/action-items/{item}/resolve  alice  /goals/web-traffic-q3/action-items/1/resolve   {"status": "done", "note": "Monthly review set up"}
post   /goals/{id}/reopen                       alice  /goals/web-traffic-q3/reopen                   {"reason": "Q4 planning starts"}
post   /tokens                                  admin  /tokens                                        {"actor": "sean", "role": "member"}
get    /tokens                                  admin  /tokens                                        null
get    /tokens/me                               alice  /tokens/me                                     null
get    /teams                                   reader /teams                                         null
get    /teams/{id}                              reader /teams/sales                                   null
get    /teams/{id}                              reader /teams/nope                                    null
get    /goals                                   reader /goals?status=active                           null
get    /goals/{id}                              reader /goals/web-traffic-q3                          null
get    /goals/{id}                              reader /goals/web-traffic-q3?at_seq=30                null
get    /goals/{id}/history                      reader /goals/web-traffic-q3/history?limit=5          null
get    /goals/{id}/history                      reader /goals/web-traffic-q3/history?limit=0          null
get    /goals/{id}/timeline                     reader /goals/web-traffic-q3/timeline?limit=5         null
get    /timeline                                reader /timeline?team=sales                           null
get    /events                                  reader /events?after=20&limit=5                       null
get    /ledger/digest                           reader /ledger/digest                                 null
get    /ledger/verify                           reader /ledger/verify                                 null
get    /ledger/checkpoints                      reader /ledger/checkpoints                            null
get    /healthz                                 reader /healthz                                       null
get    /                                        reader /                                              null
get    /goals/{id}/retro                        reader /goals/web-traffic-q3/retro                    null
get    /retro                                   reader /retro?team=marketing&since=2026-07-01         null
post   /cycles                                  admin  /cycles                                        {"name": "2026-Q3", "start": "2026-07-01", "end": "2026-09-30"}
post   /cycles                                  admin  /cycles                                        {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}
post   /cycles                                  admin  /cycles                                        {"name": "late-2026", "start": "2026-12-01", "end": "2027-01-31"}
post   /cycles/{name}/close                     admin  /cycles/2026-Q3/close                          null
post   /goals/{id}/votes                        alice  /goals/web-traffic-q3/votes                    {"choice": "agree"}
post   /goals/{id}/votes                        sam    /goals/web-traffic-q3/votes                    {"choice": "agree"}
post   /goals/{id}/carry-over                   sam    /goals/web-traffic-q3/carry-over               {"targets": {"visits": 52000}, "reason": "Q4 campaign continues"}
post   /goals/{id}/votes                        alice  /goals/web-traffic-q3/votes                    {"choice": "agree"}
post   /goals/{id}/votes                        sam    /goals/web-traffic-q3/votes                    {"choice": "agree"}
post   /cycles/{name}/close                     admin  /cycles/2026-Q3/close                          null
get    /cycles                                  reader /cycles                                        null
get    /cycles/{name}                           reader /cycles/2026-Q3                                null
get    /cycles/{name}                           reader /cycles/2026-Q9                                null
get    /due                                     reader /due?actor=alice                               null
get    /due                                     alice  /due                                           null
get    /due                                     reader /due?team=nope                                 null
get    /retro                                   reader /retro?team=marketing&cycle=2026-Q3            null
post   /webhooks                                admin  /webhooks                                      {"url": "ftp://127.0.0.1/hook", "events": ["goal-closed"]}
post   /webhooks                                admin  /webhooks                                      {"url": "http://127.0.0.1:9/hook", "events": ["goal-closed", "vote-needed"], "team": "sales"}
get    /webhooks                                admin  /webhooks                                      null
"#;

#[tokio::test]
async fn every_json_answer_of_a_walk_through_the_cycle_matches_its_documented_schema() {
    // Given a server and its OpenAPI document,
    let app = spawn_app().await;
    let (_, doc) = app.send(app.get("/openapi.json", None)).await;
    let mut c = Checker {
        doc: as_json_schema(&doc),
        covered: BTreeSet::new(),
    };
    // when a goal goes through its whole cycle, with a refusal or two on the way,
    for step in WALK.lines().filter(|l| !l.trim().is_empty()) {
        let mut words = step.split_whitespace();
        let (method, template, who, path) = (
            words.next().unwrap(),
            words.next().unwrap(),
            words.next().unwrap(),
            words.next().unwrap(),
        );
        let body = match words.collect::<Vec<_>>().join(" ").as_str() {
            "GOAL" => goal_body("web-traffic-q3"),
            json => serde_json::from_str(json).unwrap(),
        };
        let url = format!("{}{path}", app.url);
        let request = match method {
            "get" => app.client.get(url),
            "post" => app.client.post(url).json(&body),
            "delete" => app.client.delete(url),
            other => panic!("{other}"),
        };
        let request = request
            .bearer_auth(&app.tokens[who])
            .header("accept", "application/json");
        c.check(method, template, request).await;
    }
    let (_, tokens) = app.send(app.get("/tokens", Some("admin"))).await;
    let sean = tokens["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["actor"] == "sean")
        .unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = app.post(
        &format!("/tokens/{sean}/revoke"),
        Some("admin"),
        json!({"reason": "Left the company"}),
    );
    let (status, _) = c
        .check("post", "/tokens/{fingerprint}/revoke", revoke)
        .await;
    assert_eq!(status, 201);
    // The webhook's routes, by the id the server made for it.
    let (_, hooks) = app.send(app.get("/webhooks", Some("admin"))).await;
    let id = hooks["webhooks"][0]["id"].as_str().unwrap().to_owned();
    for (method, template, suffix) in [
        ("get", "/webhooks/{id}", ""),
        ("post", "/webhooks/{id}/test", "/test"),
        ("get", "/webhooks/{id}/deliveries", "/deliveries"),
    ] {
        let url = format!("/webhooks/{id}{suffix}");
        let request = match method {
            "get" => app.get(&url, Some("admin")),
            _ => app.post(&url, Some("admin"), json!({})),
        };
        let (status, body) = c.check(method, template, request).await;
        assert_eq!(status, 200, "{method} {url}: {body}");
    }
    let remove = app.post(
        &format!("/webhooks/{id}/remove"),
        Some("admin"),
        json!({"reason": "Channel archived"}),
    );
    let (status, _) = c.check("post", "/webhooks/{id}/remove", remove).await;
    assert_eq!(status, 201);
    // then every answer matched its schema (checked in `check`), and every route documented
    // with a JSON answer was walked.
    let documented: BTreeSet<(String, String)> = ROUTES
        .iter()
        .filter(|r| r.path != "/openapi.json")
        .filter(|r| {
            let content = &doc["paths"][r.path][r.method]["responses"][r.ok.to_string()]["content"];
            content.get("application/json").is_some()
        })
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let missed: Vec<_> = documented.difference(&c.covered).collect();
    assert!(missed.is_empty(), "not walked: {missed:?}");
}
