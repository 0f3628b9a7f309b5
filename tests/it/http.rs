//! The HTTP API on a real server (127.0.0.1:0, in process and once as a child process): the
//! goal cycle with several tokens, 401/403, bad input answered with problem+json and the digest
//! unchanged, idempotent retries, 409/412, the live event feed, graceful shutdown with writes in
//! flight, and the OpenAPI document.

use futures_util::StreamExt;
use goal_ledger::api::ROUTES;
use serde_json::{json, Value};

use crate::ledger::exported;
use crate::support::*;

async fn adopted(app: &App) {
    let (status, body) = app
        .send(app.post("/goals", Some("alice"), goal_body("web-traffic-q3")))
        .await;
    assert_eq!(status, 201, "{body}");
    for who in ["alice", "sam"] {
        let (status, body) = app
            .send(app.post(
                "/goals/web-traffic-q3/votes",
                Some(who),
                json!({"choice": "agree"}),
            ))
            .await;
        assert_eq!(status, 201, "{body}");
    }
}

#[tokio::test]
async fn the_goal_cycle_over_http_records_the_tokens_actors() {
    let app = spawn_app().await;
    let (status, body) = app
        .send(app.post("/goals", Some("alice"), goal_body("web-traffic-q3")))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["goal"]["status"], "proposed");
    assert_eq!(body["goal"]["proposed_by"], "alice");
    app.send(app.post(
        "/goals/web-traffic-q3/votes",
        Some("alice"),
        json!({"choice": "agree"}),
    ))
    .await;
    let (_, body) = app
        .send(app.post(
            "/goals/web-traffic-q3/votes",
            Some("sam"),
            json!({"choice": "agree", "reason": "Sales needs demand"}),
        ))
        .await;
    assert_eq!(body["goal"]["status"], "active");
    assert_eq!(body["appended"]["seqs"].as_array().unwrap().len(), 2);

    let adjust = json!({"changes": {"targets": {"visits": 46000}, "due": "2026-10-15"}, "reason": "Budget cut"});
    assert_eq!(
        app.send(app.post("/goals/web-traffic-q3/adjustments", Some("sam"), adjust))
            .await
            .0,
        201
    );
    for who in ["alice", "sam"] {
        app.send(app.post(
            "/goals/web-traffic-q3/votes",
            Some(who),
            json!({"choice": "agree"}),
        ))
        .await;
    }
    let check_in =
        json!({"key_result": "visits", "value": 43000, "health": "on-track", "confidence": 7});
    let (status, body) = app
        .send(app.post("/goals/web-traffic-q3/check-ins", Some("alice"), check_in))
        .await;
    assert_eq!(status, 201, "{body}");
    let close = json!({"outcome": "achieved", "score": 0.9, "summary": "Done"});
    assert_eq!(
        app.send(app.post("/goals/web-traffic-q3/close", Some("alice"), close))
            .await
            .0,
        201
    );
    let note = json!({"section": "action-item", "text": "Review monthly", "owner": "alice", "due": "2026-10-31"});
    assert_eq!(
        app.send(app.post("/goals/web-traffic-q3/notes", Some("sam"), note))
            .await
            .0,
        201
    );

    let response = app
        .get("/goals/web-traffic-q3", Some("reader"))
        .send()
        .await
        .unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let goal: Value = response.json().await.unwrap();
    assert_eq!(etag, format!("\"{}\"", goal["version"]));
    assert_eq!(
        (goal["status"].as_str(), goal["outcome"].as_str()),
        (Some("closed"), Some("achieved"))
    );
    assert_eq!(goal["key_results"][0]["target"], 46000.0);

    let (_, history) = app
        .send(app.get("/goals/web-traffic-q3/history", Some("reader")))
        .await;
    let adjusted = &history["entries"][1];
    assert_eq!(adjusted["kind"], "adjusted");
    assert_eq!(adjusted["by"], "sam");
    assert_eq!(adjusted["reason"], "Budget cut");

    let (_, old) = app
        .send(app.get("/goals/web-traffic-q3?at_seq=21", Some("reader")))
        .await;
    assert_eq!(old["key_results"][0]["target"], 48000.0);
    let (_, timeline) = app
        .send(app.get("/timeline?team=sales", Some("reader")))
        .await;
    assert!(timeline["entries"].as_array().unwrap().len() > 10);
    let (_, list) = app
        .send(app.get("/goals?status=closed&team=marketing", Some("reader")))
        .await;
    assert_eq!(list["goals"].as_array().unwrap().len(), 1);
    let (_, verify) = app.send(app.get("/ledger/verify", Some("reader"))).await;
    assert_eq!(verify["ok"], true);
    let (_, digest) = app.send(app.get("/ledger/digest", Some("reader"))).await;
    assert_eq!(digest["seq"], app.ledger.digest().seq);
    let (_, events) = app
        .send(app.get("/events?after=22&limit=2", Some("reader")))
        .await;
    assert_eq!(events["records"][0]["seq"], 23);
    assert_eq!(events["records"][0]["type"], "CheckInRecorded");
    assert_eq!(
        events["records"][0]["actor"], "alice",
        "the recorded actor is the token's"
    );
}

/// Every write route with a body that would otherwise be valid for it.
fn writes() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "POST",
            "/teams",
            json!({"id": "finance", "name": "Finance"}),
        ),
        ("POST", "/teams/sales/members", json!({"member": "sean"})),
        ("DELETE", "/teams/sales/members/sofia", json!(null)),
        ("POST", "/goals", goal_body("new-goal")),
        (
            "POST",
            "/goals/web-traffic-q3/votes",
            json!({"choice": "agree"}),
        ),
        (
            "POST",
            "/goals/web-traffic-q3/adjustments",
            json!({"changes": {"targets": {"visits": 1}}, "reason": "r"}),
        ),
        (
            "POST",
            "/goals/web-traffic-q3/check-ins",
            json!({"key_result": "visits", "value": 1, "health": "on-track"}),
        ),
        (
            "POST",
            "/goals/web-traffic-q3/close",
            json!({"outcome": "missed", "score": 0.1, "summary": "s"}),
        ),
        (
            "POST",
            "/goals/web-traffic-q3/reopen",
            json!({"reason": "r"}),
        ),
        (
            "POST",
            "/goals/web-traffic-q3/withdraw",
            json!({"reason": "r"}),
        ),
        (
            "POST",
            "/goals/web-traffic-q3/notes",
            json!({"section": "lesson", "text": "t"}),
        ),
    ]
}

fn request(app: &App, method: &str, path: &str, body: &Value) -> reqwest::RequestBuilder {
    let url = format!("{}{path}", app.url);
    match method {
        "DELETE" => app.client.delete(url),
        _ => app.client.post(url).json(body),
    }
}

#[tokio::test]
async fn every_write_refuses_no_token_an_unknown_or_revoked_token_and_a_reader() {
    let app = spawn_app().await;
    adopted(&app).await;
    let revoke = goal_ledger::domain::Command::RevokeToken {
        token: goal_ledger::domain::TokenHash::of(&app.tokens["carol"]),
        reason: "left".into(),
    };
    run(&app.ledger, "olivia", revoke).await.unwrap();
    let before = exported(&app.ledger);
    for (method, path, body) in writes() {
        let (status, problem) = app.send(request(&app, method, path, &body)).await;
        assert_eq!(status, 401, "{method} {path} without a token: {problem}");
        let (status, _) = app
            .send(request(&app, method, path, &body).bearer_auth("not-a-token"))
            .await;
        assert_eq!(status, 401, "{method} {path} with an unknown token");
        let (status, problem) = app
            .send(request(&app, method, path, &body).bearer_auth(&app.tokens["carol"]))
            .await;
        assert_eq!(
            status, 401,
            "{method} {path} with a revoked token: {problem}"
        );
        let (status, problem) = app
            .send(request(&app, method, path, &body).bearer_auth(&app.tokens["reader"]))
            .await;
        assert_eq!(
            status, 403,
            "{method} {path} with a reader token: {problem}"
        );
        assert!(
            problem["detail"].as_str().unwrap().contains("reader role"),
            "{problem}"
        );
    }
    // Team management needs an admin.
    let (status, _) = app
        .send(app.post(
            "/teams",
            Some("alice"),
            json!({"id": "finance", "name": "Finance"}),
        ))
        .await;
    assert_eq!(status, 403);
    assert_eq!(exported(&app.ledger), before);
    // Reads need a token without --public-read.
    assert_eq!(app.send(app.get("/goals", None)).await.0, 401);
    // No token, hash or secret, appears in a response.
    let (_, events) = app
        .send(app.get("/events?limit=1000", Some("reader")))
        .await;
    assert!(!events.to_string().contains("test-token-"));
}

#[tokio::test]
async fn bad_input_gets_a_precise_problem_and_changes_nothing() {
    let app = spawn_app().await;
    adopted(&app).await;
    let before = exported(&app.ledger);
    let raw = |path: &str, body: &str| {
        app.client
            .post(format!("{}{path}", app.url))
            .bearer_auth(&app.tokens["alice"])
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "malformed JSON",
            raw("/goals/web-traffic-q3/check-ins", "{\"key_result\": "),
            400,
            "not valid JSON",
        ),
        (
            "unknown field",
            raw(
                "/goals/web-traffic-q3/check-ins",
                r#"{"key_result":"visits","value":1,"health":"on-track","mood":"good"}"#,
            ),
            422,
            "unknown field `mood`",
        ),
        (
            "wrong type",
            raw(
                "/goals/web-traffic-q3/check-ins",
                r#"{"key_result":"visits","value":"lots","health":"on-track"}"#,
            ),
            422,
            "invalid type",
        ),
        (
            "missing field",
            raw(
                "/goals/web-traffic-q3/check-ins",
                r#"{"key_result":"visits","health":"on-track"}"#,
            ),
            422,
            "missing field `value`",
        ),
        (
            "duplicated key",
            raw(
                "/goals/web-traffic-q3/check-ins",
                r#"{"key_result":"visits","value":1,"value":2,"health":"on-track"}"#,
            ),
            422,
            "duplicate field `value`",
        ),
        (
            "huge number",
            raw(
                "/goals/web-traffic-q3/check-ins",
                r#"{"key_result":"visits","value":1e400,"health":"on-track"}"#,
            ),
            400,
            "number out of range",
        ),
        (
            "out-of-range number",
            raw(
                "/goals/web-traffic-q3/check-ins",
                r#"{"key_result":"visits","value":1e300,"health":"on-track"}"#,
            ),
            422,
            "out of range",
        ),
        (
            "NaN",
            raw(
                "/goals/web-traffic-q3/check-ins",
                r#"{"key_result":"visits","value":NaN,"health":"on-track"}"#,
            ),
            400,
            "not valid JSON",
        ),
        (
            "invalid id in path",
            raw(
                "/goals/Web%20Traffic/check-ins",
                r#"{"key_result":"visits","value":1,"health":"on-track"}"#,
            ),
            400,
            "invalid goal id",
        ),
        (
            "NUL in id",
            raw(
                "/goals/a%00b/check-ins",
                r#"{"key_result":"visits","value":1,"health":"on-track"}"#,
            ),
            400,
            "invalid goal id",
        ),
        (
            "invalid id in body",
            raw("/goals", &goal_body("../etc").to_string()),
            422,
            "invalid goal id",
        ),
        (
            "control character",
            raw(
                "/goals/web-traffic-q3/notes",
                r#"{"section":"lesson","text":"a\u0007b"}"#,
            ),
            422,
            "control character",
        ),
        (
            "empty text",
            raw(
                "/goals/web-traffic-q3/notes",
                r#"{"section":"lesson","text":""}"#,
            ),
            422,
            "must not be empty",
        ),
        (
            "rule violation",
            raw("/goals/web-traffic-q3/votes", r#"{"choice":"agree"}"#),
            422,
            "no open proposal",
        ),
        (
            "unknown goal",
            raw("/goals/nope/votes", r#"{"choice":"agree"}"#),
            404,
            "no goal `nope`",
        ),
        (
            "wrong content type",
            app.client
                .post(format!("{}/goals/web-traffic-q3/votes", app.url))
                .bearer_auth(&app.tokens["alice"])
                .body("choice=agree"),
            415,
            "application/json",
        ),
        (
            "oversized body",
            raw(
                "/goals/web-traffic-q3/notes",
                &format!(
                    r#"{{"section":"lesson","text":"{}"}}"#,
                    "x".repeat(10 << 20)
                ),
            ),
            413,
            "too large",
        ),
        (
            "invalid UTF-8",
            app.client
                .post(format!("{}/goals/web-traffic-q3/notes", app.url))
                .bearer_auth(&app.tokens["alice"])
                .header("content-type", "application/json")
                .body(vec![b'{', b'"', 0xff, b'"', b':', b'1', b'}']),
            400,
            "not valid JSON",
        ),
        (
            "bad Idempotency-Key",
            raw(
                "/goals/web-traffic-q3/notes",
                r#"{"section":"lesson","text":"t"}"#,
            )
            .header("idempotency-key", "a/b"),
            400,
            "Idempotency-Key",
        ),
        (
            "bad If-Match",
            raw(
                "/goals/web-traffic-q3/notes",
                r#"{"section":"lesson","text":"t"}"#,
            )
            .header("if-match", "yesterday"),
            400,
            "If-Match",
        ),
        ("unknown route", raw("/goalz", "{}"), 404, "no such route"),
    ];
    for (name, request, status, says) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{name}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(content_type, "application/problem+json", "{name}");
        let problem: Value = response.json().await.unwrap();
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains(says),
            "{name}: {detail:?} does not say {says:?}"
        );
        assert_eq!(problem["status"], status, "{name}");
    }
    // Path tricks sent byte for byte (an HTTP client would normalize them away).
    for path in [
        "/goals/%2e%2e/check-ins",
        "/goals/..%2Fetc/check-ins",
        "/goals/%2E%2E/votes",
    ] {
        let (status, body) = raw_post(&app, path, &app.tokens["alice"]).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains("invalid goal id"), "{path}: {body}");
    }
    assert_eq!(
        exported(&app.ledger),
        before,
        "no bad request appended anything"
    );
}

/// Sends a POST over a raw TCP connection so the path arrives exactly as written.
async fn raw_post(app: &App, path: &str, token: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = r#"{"key_result":"visits","value":1,"health":"on-track"}"#;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_returns_the_first_answer() {
    let app = spawn_app().await;
    adopted(&app).await;
    let check_in = json!({"key_result": "visits", "value": 43000, "health": "on-track"});
    let send = || {
        app.post(
            "/goals/web-traffic-q3/check-ins",
            Some("alice"),
            check_in.clone(),
        )
        .header("idempotency-key", "2b9c0f5e-1d7a-4c3e-9f41-6a8d2e7b5c10")
    };
    let (status, first) = app.send(send()).await;
    assert_eq!(status, 201);
    let before = exported(&app.ledger);
    let (status, again) = app.send(send()).await;
    assert_eq!(status, 201);
    assert_eq!(again["appended"]["seqs"], first["appended"]["seqs"]);
    assert_eq!(again["appended"]["replayed"], true);
    assert_eq!(exported(&app.ledger), before);
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_an_existing_team_is_409() {
    let app = spawn_app().await;
    adopted(&app).await;
    let version = app.ledger.goal(&goal_id("web-traffic-q3")).unwrap().version;
    let check_in = json!({"key_result": "visits", "value": 43000, "health": "on-track"});
    let with = |v: u64| {
        app.post(
            "/goals/web-traffic-q3/check-ins",
            Some("alice"),
            check_in.clone(),
        )
        .header("if-match", format!("\"{v}\""))
    };
    assert_eq!(app.send(with(version)).await.0, 201);
    let before = exported(&app.ledger);
    let (status, problem) = app.send(with(version)).await;
    assert_eq!(status, 412, "{problem}");
    let (status, _) = app
        .send(app.post(
            "/teams",
            Some("admin"),
            json!({"id": "sales", "name": "Sales"}),
        ))
        .await;
    assert_eq!(status, 409);
    assert_eq!(exported(&app.ledger), before);
}

#[tokio::test]
async fn the_event_stream_catches_up_then_delivers_new_records_live_in_order() {
    let app = spawn_app().await;
    let head = app.ledger.digest().seq;
    let response = app
        .get("/events/stream?after=3", Some("reader"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let mut seqs = Vec::new();
    let mut wrote = false;
    while seqs.last() != Some(&(head + 1)) {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), body.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if let Some(id) = event.lines().find_map(|l| l.strip_prefix("id: ")) {
                let data = event
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap();
                let record: Value = serde_json::from_str(data).unwrap();
                assert_eq!(record["seq"].to_string(), id);
                seqs.push(id.parse::<u64>().unwrap());
            }
        }
        if seqs.last() == Some(&head) && !wrote {
            // Caught up: now a live write.
            app.send(app.post("/goals", Some("alice"), goal_body("web-traffic-q3")))
                .await;
            wrote = true;
        }
    }
    assert_eq!(seqs, (4..=head + 1).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_down_with_writes_in_flight_loses_no_acknowledged_write() {
    let mut app = spawn_app().await;
    adopted(&app).await;
    let mut tasks = Vec::new();
    for i in 0..32 {
        let client = app.client.clone();
        let url = format!("{}/goals/web-traffic-q3/check-ins", app.url);
        let token = app.tokens["alice"].clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for j in 0..20 {
                let body =
                    json!({"key_result": "visits", "value": i * 100 + j, "health": "on-track"});
                match client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 201 => {
                        let v: Value = r.json().await.unwrap();
                        acked.push(v["appended"]["seqs"][0].as_u64().unwrap());
                    }
                    _ => break,
                }
            }
            acked
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    app.shutdown().await;
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    let dir = app.dir.path().to_owned();
    let App { ledger, .. } = app;
    ledger.close();
    let reopened = goal_ledger::ledger::Ledger::open(&dir, Default::default()).unwrap();
    for seq in &acked {
        let record = reopened.records(seq - 1, 1).unwrap();
        assert_eq!(record[0].0, *seq, "acknowledged record {seq} is on disk");
    }
    assert!(reopened.verify(None, &mut |_| {}).unwrap().ok());
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_every_route_in_it_is_served() {
    let app = spawn_app().await;
    let (status, doc) = app.send(app.get("/openapi.json", None)).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    for route in ROUTES {
        let op = &paths[route.path][route.method];
        assert!(
            op["responses"].is_object(),
            "{} {}",
            route.method,
            route.path
        );
        if route.body.is_some() {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let name = schema["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "schema {name} is defined"
            );
        }
        let path = route
            .path
            .replace("{id}", "web-traffic-q3")
            .replace("{member}", "sofia");
        let url = format!("{}{path}", app.url);
        let request = match route.method {
            "get" => app.client.get(url),
            "post" => app.client.post(url),
            "delete" => app.client.delete(url),
            other => panic!("{other}"),
        };
        let response = request
            .timeout(std::time::Duration::from_secs(2))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        // A 404 for the goal named in the path is fine; the router's own 404 is not.
        assert!(
            !body.contains("no such route"),
            "{} {path} is not routed",
            route.method
        );
        assert_ne!(status, 405, "{} {path}", route.method);
    }
}

#[test]
fn the_server_binary_serves_logs_each_request_without_tokens_and_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, Read};
    let dir = temp_dir();
    let data = dir.path().join("data");
    let token = "glt_secret-token-never-logged";
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ledger = goal_ledger::ledger::Ledger::open(&data, Default::default()).unwrap();
        let grant = goal_ledger::domain::Command::GrantToken {
            token: goal_ledger::domain::TokenHash::of(token),
            actor: actor("alice"),
            role: goal_ledger::domain::Role::Member,
        };
        run(&ledger, "olivia", grant).await.unwrap();
        ledger.close();
    });
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("goal-ledger"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    let (health, refused) = rt.block_on(async {
        let client = reqwest::Client::new();
        let health: Value = client
            .get(format!("{url}/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let refused = client
            .post(format!("{url}/goals/nope/votes"))
            .bearer_auth(token)
            .json(&json!({"choice": "agree"}))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        (health, refused)
    });
    assert_eq!(health["status"], "ok");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains("request_id="),
        "one line per request with its id: {log}"
    );
    let hash = goal_ledger::domain::TokenHash::of(token);
    for secret in [token, hash.as_str()] {
        assert!(!log.contains(secret), "the log shows a token: {log}");
        assert!(
            !refused.contains(secret),
            "an error shows a token: {refused}"
        );
    }
}

#[tokio::test]
async fn the_cli_with_server_sends_every_command_to_the_running_server() {
    let app = spawn_app().await;
    let url = app.url.clone();
    let tokens = app.tokens.clone();
    let data = app.dir.path().join("unused");
    let cli = move |token: &str, args: &[&str]| {
        let mut c = assert_cmd::Command::cargo_bin("goal-ledger").unwrap();
        c.env("GOAL_LEDGER_SERVER", &url)
            .env("GOAL_LEDGER_TOKEN", &tokens[token])
            .env("GOAL_LEDGER_DATA", &data)
            .args(args);
        c
    };
    let run = |token: &'static str, args: &'static [&'static str]| {
        let cli = cli.clone();
        tokio::task::spawn_blocking(move || cli(token, args).assert())
    };
    run(
        "alice",
        &[
            "propose",
            "web-traffic-q3",
            "--title",
            "Increase website traffic",
            "--team",
            "marketing",
            "--team",
            "sales",
            "--kr",
            "visits:40000:48000:visits/month",
            "--start",
            "2026-07-01",
            "--due",
            "2026-09-30",
            "--rule",
            "threshold:0.5",
            "--reason",
            "Supports customer acquisition",
        ],
    )
    .await
    .unwrap()
    .success();
    run("alice", &["vote", "web-traffic-q3", "agree"])
        .await
        .unwrap()
        .success();
    let out = run("sam", &["vote", "web-traffic-q3", "agree"])
        .await
        .unwrap()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("[active]"));
    run(
        "sam",
        &[
            "check-in",
            "web-traffic-q3",
            "--kr",
            "visits",
            "--value",
            "43000",
            "--health",
            "on-track",
        ],
    )
    .await
    .unwrap()
    .success();
    // Rules and roles answer with the same exit codes as local mode.
    let refused = run("carol", &["vote", "web-traffic-q3", "agree"])
        .await
        .unwrap()
        .code(1);
    assert!(String::from_utf8_lossy(&refused.get_output().stderr).contains("no open proposal"));
    run(
        "reader",
        &[
            "check-in",
            "web-traffic-q3",
            "--kr",
            "visits",
            "--value",
            "1",
            "--health",
            "on-track",
        ],
    )
    .await
    .unwrap()
    .code(1);
    run(
        "alice",
        &[
            "check-in",
            "web-traffic-q3",
            "--kr",
            "visits",
            "--value",
            "1",
            "--health",
            "on-track",
            "--confidence",
            "11",
        ],
    )
    .await
    .unwrap()
    .code(2);

    let show = run("reader", &["--output", "json", "show", "web-traffic-q3"])
        .await
        .unwrap()
        .success();
    let goal: Value = serde_json::from_slice(&show.get_output().stdout).unwrap();
    assert_eq!(goal["key_results"][0]["current"], 43000.0);
    let recorded = app.ledger.goal(&goal_id("web-traffic-q3")).unwrap();
    assert_eq!(
        recorded.current[&kr("visits")].by,
        actor("sam"),
        "the token's actor, not --actor"
    );
    run("reader", &["history", "web-traffic-q3"])
        .await
        .unwrap()
        .success();
    run("reader", &["timeline", "--team", "sales"])
        .await
        .unwrap()
        .success();
    run("reader", &["list", "--status", "active"])
        .await
        .unwrap()
        .success();
    run("reader", &["verify"]).await.unwrap().success();
    let digest = run("reader", &["digest"]).await.unwrap().success();
    assert_eq!(
        String::from_utf8_lossy(&digest.get_output().stdout).trim(),
        app.ledger.digest().to_string()
    );
    let log = run("reader", &["log", "--after", "0", "--limit", "1000"])
        .await
        .unwrap()
        .success();
    assert_eq!(
        log.get_output().stdout,
        exported(&app.ledger),
        "raw records, exactly as stored"
    );
    run("admin", &["import", "x.jsonl"]).await.unwrap().code(2);
}

/// Mutations of a valid body that must each be refused.
fn hostile(body: &Value) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = vec![
        ("truncated".into(), b"{\"a\": ".to_vec()),
        ("array".into(), b"[]".to_vec()),
        ("null".into(), b"null".to_vec()),
        ("string".into(), b"\"x\"".to_vec()),
        (
            "invalid UTF-8".into(),
            vec![b'{', b'"', 0xc3, 0x28, b'"', b':', b'1', b'}'],
        ),
        ("NaN".into(), b"{\"x\": NaN}".to_vec()),
        (
            "10 MB string".into(),
            format!("{{\"x\": \"{}\"}}", "y".repeat(10 << 20)).into_bytes(),
        ),
    ];
    if let Some(map) = body.as_object() {
        let mut extra = map.clone();
        extra.insert("actor".into(), json!("mallory"));
        out.push((
            "unknown field `actor`".into(),
            serde_json::to_vec(&extra).unwrap(),
        ));
        for key in map.keys() {
            let mut wrong = map.clone();
            wrong.insert(key.clone(), json!([1, 2]));
            out.push((
                format!("wrong type for {key}"),
                serde_json::to_vec(&wrong).unwrap(),
            ));
            let mut huge = map.clone();
            huge.insert(key.clone(), json!(1e300));
            out.push((
                format!("huge number for {key}"),
                serde_json::to_vec(&huge).unwrap(),
            ));
            // Every field of these bodies is required.
            let mut missing = map.clone();
            missing.remove(key);
            out.push((
                format!("missing {key}"),
                serde_json::to_vec(&missing).unwrap(),
            ));
        }
    }
    out
}

#[tokio::test]
async fn every_write_endpoint_refuses_hostile_bodies_with_a_problem_and_appends_nothing() {
    let app = spawn_app().await;
    adopted(&app).await;
    let before = exported(&app.ledger);
    let mut checked = 0;
    for (method, path, body) in writes().into_iter().filter(|(m, _, _)| *m == "POST") {
        let token = if path.starts_with("/teams") {
            "admin"
        } else {
            "alice"
        };
        for (name, bytes) in hostile(&body) {
            let response = app
                .client
                .post(format!("{}{path}", app.url))
                .bearer_auth(&app.tokens[token])
                .header("content-type", "application/json")
                .body(bytes)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            let text = response.text().await.unwrap();
            assert!(
                (400..500).contains(&status),
                "{method} {path} {name}: {status} {text}"
            );
            assert_eq!(
                content_type, "application/problem+json",
                "{method} {path} {name}"
            );
            assert!(!text.contains("internal"), "{method} {path} {name}: {text}");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} hostile requests");
    assert_eq!(
        exported(&app.ledger),
        before,
        "no hostile request appended anything"
    );
}

/// The README's quick start: `serve --demo` prints a URL and tokens, the printed commands work,
/// and SIGTERM stops it cleanly without leaving its temporary ledger behind.
#[test]
fn serve_demo_answers_the_printed_commands_and_leaves_nothing_behind() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("goal-ledger"))
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .env("GOAL_LEDGER_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lines: Vec<String> = std::io::BufReader::new(child.stdout.take().unwrap())
        .lines()
        .take(3)
        .map(Result::unwrap)
        .collect();
    // "goal-ledger serving DIR on URL", then "member token for alice: TOKEN", then the admin's
    let words: Vec<&str> = lines[0].split(' ').collect();
    let (data, url) = (std::path::PathBuf::from(words[2]), words[4].to_owned());
    assert!(
        lines[1].starts_with("member token for alice: glt_"),
        "{lines:?}"
    );
    let token = lines[1].rsplit(' ').next().unwrap().to_owned();
    assert!(data.is_dir(), "{lines:?}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (goal, reopened) = rt.block_on(async {
        let client = reqwest::Client::new();
        let goal = client
            .get(format!("{url}/goals/web-traffic-q3"))
            .send()
            .await
            .unwrap()
            .status();
        let reopened = client
            .post(format!("{url}/goals/qualified-leads-q3/reopen"))
            .bearer_auth(&token)
            .json(&json!({"reason": "Q4 planning starts"}))
            .send()
            .await
            .unwrap()
            .status();
        (goal, reopened)
    });
    assert_eq!((goal.as_u16(), reopened.as_u16()), (200, 201));
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
    let root = data.parent().unwrap();
    assert!(!root.exists(), "{} is still there", root.display());
}
