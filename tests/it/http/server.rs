//! The server as a process: graceful shutdown with writes in flight, the OpenAPI document
//! against the real router, the binary's request log and SIGTERM, and `serve --demo`.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_down_with_writes_in_flight_loses_no_acknowledged_write() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    let mut app = spawn_app().await;
    adopted(&app).await;
    // Each writer counts a request as started before sending it and as answered once its status
    // is back, and reports every acknowledgement on `acks`.
    let started = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let (acks, mut acked_so_far) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut tasks = Vec::new();
    for i in 0..32 {
        let client = app.client.clone();
        let url = format!("{}/goals/web-traffic-q3/check-ins", app.url);
        let token = app.tokens["alice"].clone();
        let (started, answered, acks) = (started.clone(), answered.clone(), acks.clone());
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for j in 0..20 {
                let (value, note) = (i * 100 + j, format!("writer {i}, write {j}"));
                let body = json!({"key_result": "visits", "value": value, "health": "on-track", "note": note});
                started.fetch_add(1, SeqCst);
                let response = client.post(&url).bearer_auth(&token).json(&body).send().await;
                answered.fetch_add(1, SeqCst);
                match response {
                    Ok(r) if r.status() == 201 => {
                        let v: Value = r.json().await.unwrap();
                        let seq = v["appended"]["seqs"][0].as_u64().unwrap();
                        acked.push((seq, f64::from(value), note));
                        let _ = acks.send(());
                    }
                    _ => break,
                }
            }
            acked
        }));
    }
    drop(acks);
    // Shut down once 64 writes are acknowledged, with the writers still sending.
    for n in 0..64 {
        acked_so_far
            .recv()
            .await
            .unwrap_or_else(|| panic!("the writers stopped after {n} acknowledgements"));
    }
    // Started before this moment and still unanswered after it: in flight when shutdown began.
    let started_before = started.load(SeqCst);
    let in_flight = started_before.saturating_sub(answered.load(SeqCst));
    app.shutdown().await;
    assert!(
        in_flight > 0,
        "no write was in flight when shutdown began ({started_before} started)"
    );
    let mut acked = Vec::new();
    for t in tasks {
        acked.extend(t.await.unwrap());
    }
    assert!(acked.len() >= 64, "{} acknowledged", acked.len());
    let dir = app.dir.path().to_owned();
    let App { ledger, .. } = app;
    ledger.close();
    let reopened = goal_ledger::ledger::Ledger::open(&dir, Default::default()).unwrap();
    // Every acknowledged write is on disk at the seq it was acknowledged with, as that check-in.
    for (seq, value, note) in &acked {
        let record = reopened.records_after(seq - 1, 1).unwrap();
        assert_eq!(
            record.first().map(|r| r.0),
            Some(*seq),
            "acknowledged record {seq} is on disk"
        );
        let record = goal_ledger::record::decode(&record[0].1).unwrap();
        match &record.event {
            goal_ledger::domain::Event::CheckInRecorded(c) => assert!(
                c.goal.as_str() == "web-traffic-q3"
                    && c.value == *value
                    && c.note.as_deref() == Some(note.as_str()),
                "record {seq} is {c:?}, not the acknowledged check-in {value} ({note})"
            ),
            other => panic!("record {seq} is {other:?}, not the acknowledged check-in {value}"),
        }
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

const SECRET: &str = "glt_secret-token-never-logged";

/// Serves a data directory where `SECRET` is alice's token with the binary (`args` added to
/// `serve`, `env` set), sends a health check and a refused vote, stops it with SIGTERM; returns
/// its log and the refusal's body.
fn serve_a_refusal(args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    use std::io::{BufRead, Read};
    let dir = temp_dir();
    let data = dir.path().join("data");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ledger = goal_ledger::ledger::Ledger::open(&data, Default::default()).unwrap();
        let grant = goal_ledger::domain::Command::GrantToken {
            token: goal_ledger::domain::TokenHash::of(SECRET),
            actor: actor("alice"),
            role: goal_ledger::domain::Role::Member,
            expires_at: None,
        };
        run(&ledger, "olivia", grant).await.unwrap();
        ledger.close();
    });
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("goal-ledger"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .args(args)
        .env_remove("GOAL_LEDGER_LOG")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
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
            .bearer_auth(SECRET)
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
    let hash = goal_ledger::domain::TokenHash::of(SECRET);
    for secret in [SECRET, hash.as_str()] {
        assert!(!log.contains(secret), "the log shows a token: {log}");
        assert!(
            !refused.contains(secret),
            "an error shows a token: {refused}"
        );
    }
    (log, refused)
}

#[test]
fn the_server_binary_serves_logs_each_request_without_tokens_and_stops_cleanly_on_sigterm() {
    let (log, _) = serve_a_refusal(&[], &[]);
    let refusal = log
        .lines()
        .find(|l| l.contains("refused"))
        .unwrap_or_else(|| panic!("a refusal is logged at info: {log}"));
    for field in [
        "request_id=",
        "route=/goals/{id}/votes",
        "actor=alice",
        "client=127.0.0.1:",
        "problem=\"not-found\"",
        "there is no goal",
    ] {
        assert!(refusal.contains(field), "{field} in {refusal}");
    }
    assert!(
        log.contains("latency="),
        "one line per request with its latency: {log}"
    );
}

#[test]
fn log_lines_are_json_for_log_shippers_and_rust_log_sets_the_level() {
    let (log, _) = serve_a_refusal(&["--log-format", "json"], &[]);
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let refusal = lines
        .iter()
        .find(|l| l["fields"]["message"] == "refused")
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(refusal["fields"]["problem"], "not-found", "{refusal}");
    assert_eq!(refusal["span"]["actor"], "alice", "{refusal}");
    assert_eq!(refusal["span"]["route"], "/goals/{id}/votes", "{refusal}");
    let done = lines
        .iter()
        .find(|l| l["fields"]["status"] == 404 && l["fields"]["latency"].is_string())
        .unwrap_or_else(|| panic!("{log}"));
    assert!(done["span"]["request_id"].is_string(), "{done}");
    // RUST_LOG works as GOAL_LEDGER_LOG does: at `warn`, no request lines.
    let (quiet, _) = serve_a_refusal(&[], &[("RUST_LOG", "warn")]);
    assert!(
        !quiet.contains("refused") && !quiet.contains("latency"),
        "{quiet}"
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
