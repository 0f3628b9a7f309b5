//! Promises the README and DESIGN make that no other test held the code to, checked through the
//! real server and the built binary: a reused Idempotency-Key, the `Idempotent-Replayed`
//! header, a goal as it was (`as_of`, `at_seq`), `log --follow`, `/metrics`, and the clamp that
//! keeps `recorded_at` from going back when the clock does.

use std::io::BufRead;
use std::time::Duration as StdDuration;

use chrono::Duration;
use goal_ledger::ledger::Ledger;
use serde_json::{json, Value};

use crate::ledger::{exported, setup};
use crate::support::*;

/// The stored record `seq`, as JSON.
fn record(ledger: &Ledger, seq: u64) -> Value {
    let records = ledger.records_after(seq - 1, 1).unwrap();
    assert_eq!(records[0].0, seq);
    serde_json::from_slice(&records[0].1).unwrap()
}

#[tokio::test]
async fn a_reused_idempotency_key_with_a_different_body_is_422_and_appends_nothing() {
    // Given a check-in sent with an idempotency key,
    let app = spawn_app().await;
    app.adopted("web-traffic-q3").await;
    let key = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b";
    let check_in = |value: u32| {
        app.post(
            "/goals/web-traffic-q3/check-ins",
            Some("alice"),
            json!({"key_result": "visits", "value": value, "health": "on-track"}),
        )
        .header("idempotency-key", key)
    };
    let (status, body) = app.send(check_in(43000)).await;
    assert_eq!(status, 201, "{body}");
    let before = exported(&app.ledger);
    // when the same key comes back with another value,
    let (status, problem) = app.send(check_in(44000)).await;
    // then it is refused as a reused key and nothing is appended.
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        problem["type"], "urn:goal-ledger:problem:idempotency-key-reused",
        "{problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains(key),
        "{problem}"
    );
    assert_eq!(exported(&app.ledger), before);
}

#[tokio::test]
async fn a_replayed_write_says_so_in_the_idempotent_replayed_header() {
    // Given a vote sent with an idempotency key,
    let app = spawn_app().await;
    let (status, body) = app
        .send(app.post("/goals", Some("alice"), goal_body("web-traffic-q3")))
        .await;
    assert_eq!(status, 201, "{body}");
    let send = || {
        app.post(
            "/goals/web-traffic-q3/votes",
            Some("sam"),
            json!({"choice": "agree"}),
        )
        .header("idempotency-key", "vote-sam-1")
        .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    assert_eq!(first.headers().get("idempotent-replayed"), None);
    // when it is retried,
    let again = send().await.unwrap();
    // then the answer is the first one again, marked as a replay.
    assert_eq!(again.status(), 201);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap()),
        Some("true")
    );
}

#[tokio::test]
async fn a_goal_read_as_of_a_time_or_at_a_sequence_is_the_goal_as_it_was_then() {
    // Given an adopted goal whose target was later adjusted from 48000 to 46000,
    let app = spawn_app().await;
    let before_goal = app.ledger.digest().seq;
    app.adopted("web-traffic-q3").await;
    let adopted_at = app.ledger.digest().seq;
    let adopted_time = record(&app.ledger, adopted_at)["recorded_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let adjust = json!({"changes": {"targets": {"visits": 46000}}, "reason": "Budget cut"});
    let (status, body) = app
        .send(app.post("/goals/web-traffic-q3/adjustments", Some("sam"), adjust))
        .await;
    assert_eq!(status, 201, "{body}");
    app.all_agree("web-traffic-q3", &["alice", "sam"]).await;
    let target = |goal: &Value| goal["key_results"][0]["target"].as_f64();
    let (status, now) = app
        .send(app.get("/goals/web-traffic-q3", Some("reader")))
        .await;
    assert_eq!((status, target(&now)), (200, Some(46000.0)), "{now}");
    // when it is read as of the time it was adopted, and at that sequence number,
    let as_of = format!(
        "/goals/web-traffic-q3?as_of={}",
        adopted_time.replace('+', "%2B")
    );
    let (status, then) = app.send(app.get(&as_of, Some("reader"))).await;
    let (seq_status, at_seq) = app
        .send(app.get(
            &format!("/goals/web-traffic-q3?at_seq={adopted_at}"),
            Some("reader"),
        ))
        .await;
    // then both show the goal as it was: active, with the old target, at its old version,
    for (status, goal) in [(status, &then), (seq_status, &at_seq)] {
        assert_eq!(status, 200, "{goal}");
        assert_eq!(target(goal), Some(48000.0), "{goal}");
        assert_eq!(goal["status"], "active", "{goal}");
        assert!(goal["version"].as_u64() < now["version"].as_u64(), "{goal}");
    }
    // and before it was proposed it did not exist.
    let (status, problem) = app
        .send(app.get(
            &format!("/goals/web-traffic-q3?at_seq={before_goal}"),
            Some("reader"),
        ))
        .await;
    assert_eq!(status, 404, "{problem}");
}

/// A child process that is killed and reaped when the test ends, passing or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// Two workers: the test thread blocks reading the child's output while the server answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_follow_prints_the_records_appended_after_it_started() {
    // Given a running server and `goal-ledger log --follow` reading it from the last record,
    let mut app = spawn_app().await;
    let head = app.ledger.digest().seq;
    let mut child = Killed(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("goal-ledger"))
            .args(["--server", &app.url, "--token", &app.tokens["reader"]])
            .args(["log", "--follow", "--after", &(head - 1).to_string()])
            .env_remove("GOAL_LEDGER_DATA")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let next_seq = |what: &str| -> u64 {
        let line = lines
            .recv_timeout(StdDuration::from_secs(20))
            .unwrap_or_else(|e| panic!("log --follow printed no {what} within 20 s: {e}"));
        let record: Value = serde_json::from_str(&line).unwrap();
        record["seq"].as_u64().unwrap()
    };
    assert_eq!(next_seq("caught-up record"), head);
    // when a goal is proposed afterwards,
    let (status, body) = app
        .send(app.post("/goals", Some("alice"), goal_body("web-traffic-q3")))
        .await;
    assert_eq!(status, 201, "{body}");
    // then the follower prints its record, exactly as stored.
    assert_eq!(next_seq("new record"), head + 1);
    drop(child);
    reader.join().unwrap();
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_time_every_append() {
    // Given a server that answered three writes (one refused) and a read,
    let app = spawn_app().await;
    app.adopted("web-traffic-q3").await;
    let (status, _) = app
        .send(app.post("/goals", Some("alice"), goal_body("web-traffic-q3")))
        .await;
    assert_eq!(status, 409);
    app.send(app.get("/goals/web-traffic-q3", Some("reader")))
        .await;
    // when /metrics is read,
    let text = app
        .get("/metrics", Some("reader"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| scraped(&text, name);
    // then each route and status is counted,
    for (series, n) in [
        (r#"method="POST",route="/goals",status="201""#, 1.0),
        (r#"method="POST",route="/goals",status="409""#, 1.0),
        (
            r#"method="POST",route="/goals/{id}/votes",status="201""#,
            2.0,
        ),
        (r#"method="GET",route="/goals/{id}",status="200""#, 1.0),
    ] {
        let name = format!("goal_ledger_http_requests_total{{{series}}}");
        assert_eq!(value(&name), Some(n), "{name} in\n{text}");
    }
    // and the append histogram saw all four writes, refused or not.
    assert_eq!(
        value("goal_ledger_append_seconds_count"),
        Some(4.0),
        "{text}"
    );
    assert_eq!(
        value(r#"goal_ledger_append_seconds_bucket{le="+Inf"}"#),
        Some(4.0),
        "{text}"
    );
    assert!(
        value("goal_ledger_append_seconds_sum").unwrap() > 0.0,
        "{text}"
    );
    assert_eq!(
        value("goal_ledger_head_seq"),
        Some(app.ledger.digest().seq as f64),
        "{text}"
    );
}

/// The value of the series `name` (with its labels) in a Prometheus scrape.
fn scraped(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_show_the_store_the_commits_the_feed_subscribers_and_the_build() {
    // Given a server whose ledger appended its set-up records, and a client following the feed,
    let mut app = spawn_app().await;
    let scrape = || async {
        let response = app.get("/metrics", Some("reader")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        response.text().await.unwrap()
    };
    let before = scrape().await;
    let feed = app
        .get("/events/stream", Some("reader"))
        .send()
        .await
        .unwrap();
    // when /metrics is read,
    let text = scrape().await;
    drop(feed);
    // then the feed's subscriber is counted,
    assert_eq!(
        scraped(&before, "goal_ledger_stream_subscribers"),
        Some(0.0)
    );
    assert_eq!(scraped(&text, "goal_ledger_stream_subscribers"), Some(1.0));
    // every record appended since the ledger opened was in a group commit, with its bytes,
    let head = app.ledger.digest().seq;
    let stats = app.ledger.stats();
    let record_bytes: usize = (1..=head)
        .map(|seq| app.ledger.store().record(seq).unwrap().unwrap().len())
        .sum();
    assert_eq!(
        scraped(&text, "goal_ledger_commit_batch_size_sum"),
        Some(head as f64)
    );
    assert_eq!(
        scraped(&text, "goal_ledger_commit_batch_size_count"),
        Some(stats.commits as f64)
    );
    assert_eq!(
        scraped(&text, "goal_ledger_appended_bytes_total"),
        Some(record_bytes as f64)
    );
    // each commit's durable write was timed,
    assert_eq!(
        scraped(
            &text,
            r#"goal_ledger_store_commit_seconds_bucket{le="+Inf"}"#
        ),
        Some(stats.commits as f64)
    );
    assert!(scraped(&text, "goal_ledger_store_commit_seconds_sum").unwrap() > 0.0);
    // the store's log and index are measured on disk, the index has caught up or nearly,
    let log = scraped(&text, r#"goal_ledger_store_bytes{part="log"}"#).unwrap();
    assert!(log >= record_bytes as f64, "{text}");
    assert!(scraped(&text, r#"goal_ledger_store_bytes{part="index"}"#).unwrap() > 0.0);
    assert!(scraped(&text, "goal_ledger_index_lag_records").unwrap() <= head as f64);
    // and the build is named.
    let build = format!(
        "goal_ledger_build_info{{version=\"{}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(scraped(&text, &build), Some(1.0), "{text}");
    app.shutdown().await;
}

#[tokio::test]
async fn recorded_at_never_goes_back_when_the_clock_does() {
    // Given a ledger whose last record was written at 10:00,
    let (_dir, ledger, clock) = temp_ledger();
    clock.set("2026-07-01T10:00:00Z");
    setup(&ledger).await;
    let last = ledger.digest().seq;
    // when the clock is set back an hour and another command is written,
    clock.advance(-Duration::hours(1));
    run(&ledger, "alice", propose("g", "per-team"))
        .await
        .unwrap();
    // then its record is stamped 10:00, not 09:00, and a later clock is used as it is.
    let stamp = |seq| {
        record(&ledger, seq)["recorded_at"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(stamp(last), "2026-07-01T10:00:00.000000Z");
    assert_eq!(stamp(last + 1), "2026-07-01T10:00:00.000000Z");
    clock.set("2026-07-01T11:00:00Z");
    run(
        &ledger,
        "alice",
        vote("g", goal_ledger::domain::Choice::Agree),
    )
    .await
    .unwrap();
    assert_eq!(stamp(last + 2), "2026-07-01T11:00:00.000000Z");
    assert!(ledger.verify(None, &mut |_| {}).unwrap().ok());
}

#[tokio::test]
async fn metrics_follow_the_read_policy_unless_the_server_makes_them_public() {
    // A server whose reads need a token: /metrics too.
    let mut app = spawn_app().await;
    let anonymous = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let reader = app.get("/metrics", Some("reader")).send().await.unwrap();
    assert_eq!(reader.status(), 200);
    app.shutdown().await;
    // With `--metrics-public` (Config::metrics_public) a scraper needs no token, other reads do.
    let dir = temp_dir();
    let ledger = goal_ledger::ledger::Ledger::open(dir.path(), Default::default()).unwrap();
    let config = goal_ledger::server::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        metrics_public: true,
        ..Default::default()
    };
    let server = goal_ledger::server::start(ledger, config).await.unwrap();
    let url = format!("http://{}", server.addr);
    let client = reqwest::Client::new();
    let metrics = client.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics
        .text()
        .await
        .unwrap()
        .contains("goal_ledger_build_info"));
    let goals = client.get(format!("{url}/goals")).send().await.unwrap();
    assert_eq!(goals.status(), 401);
    server.shutdown().await.unwrap();
}
