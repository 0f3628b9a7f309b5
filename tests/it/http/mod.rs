//! The HTTP API on a real server (127.0.0.1:0, in process and once as a child process): the
//! goal cycle with several tokens, 401/403, bad input answered with problem+json and the digest
//! unchanged, idempotent retries, 409/412, the live event feed, graceful shutdown with writes in
//! flight, the OpenAPI document, and tokens managed while serving.
//! One file per concern; the requests they share are built here.

mod answers;
mod auth;
mod bad_input;
mod cycle;
mod feed;
mod paging;
mod proofs;
mod remote;
mod server;
mod session;
mod tls;
mod tokens;

use futures_util::StreamExt;
use goal_ledger::api::ROUTES;
use serde_json::{json, Value};

use crate::ledger::exported;
use crate::support::*;

async fn adopted(app: &App) {
    app.adopted("web-traffic-q3").await;
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
