//! Bad input gets a precise problem and changes nothing: malformed, unknown, mistyped and
//! hostile bodies on every write endpoint, with the ledger byte-for-byte unchanged.

use super::*;

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
