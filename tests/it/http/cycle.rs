//! A goal's whole cycle over HTTP: the token's actor on every record, idempotent retries,
//! If-Match preconditions and conflicts.

use goal_ledger::domain::TokenHash;

use super::*;

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
    let (status, proposed) = app
        .send(app.post("/goals/web-traffic-q3/close", Some("alice"), close))
        .await;
    assert_eq!(status, 201, "{proposed}");
    assert_eq!(proposed["goal"]["status"], "active", "{proposed}");
    let proposal = &proposed["goal"]["open_proposal"];
    assert_eq!(
        (&proposal["kind"], &proposal["closing"]["score"]),
        (&json!("closing"), &json!(0.9))
    );
    app.all_agree("web-traffic-q3", &["alice", "sam"]).await;
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
    let alice = TokenHash::of(&app.tokens["alice"]);
    assert_eq!(
        events["records"][0]["auth"],
        json!({"via": "token", "token": alice.fingerprint()}),
        "the record names the token it came through"
    );
    let raw = String::from_utf8(app.ledger.records_after(22, 1).unwrap()[0].1.clone()).unwrap();
    assert!(
        raw.contains(&format!(
            r#""actor":"alice","auth":{{"via":"token","token":"{}"}},"recorded_at":"#,
            alice.fingerprint()
        )),
        "auth sits between actor and recorded_at: {raw}"
    );
    let sam = entry_auth(&timeline, "sam voted agree");
    assert_eq!(
        sam["token"],
        TokenHash::of(&app.tokens["sam"]).fingerprint()
    );
    assert_eq!(adjusted["auth"]["via"], "token", "{adjusted}");
}

/// The `auth` of the first timeline entry whose summary starts with `summary`.
fn entry_auth<'a>(timeline: &'a Value, summary: &str) -> &'a Value {
    let entry = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"].as_str().unwrap().starts_with(summary))
        .unwrap_or_else(|| panic!("no entry {summary:?} in {timeline}"));
    &entry["auth"]
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
async fn the_server_decides_a_proposal_at_its_closing_time_without_any_further_request() {
    // Given a running server and a consent proposal closing a moment from now,
    let app = spawn_app().await;
    let mut head = app.ledger.subscribe();
    let closes_at = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let mut body = goal_body("web-traffic-q3");
    body["rule"] = json!("consent");
    body["closes_at"] = json!(closes_at.to_rfc3339());
    let (status, created) = app.send(app.post("/goals", Some("alice"), body)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["goal"]["status"], "proposed");
    // when nobody votes or writes, and the closing time passes,
    // then the server's own timer decides it: wait for the ledger's head to move, reading the
    // goal after each move, for at most 20 seconds.
    let goal = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            let (_, goal) = app
                .send(app.get("/goals/web-traffic-q3", Some("reader")))
                .await;
            if goal["status"] != "proposed" {
                return goal;
            }
            head.changed().await.unwrap();
        }
    })
    .await
    .expect("the proposal was still undecided 20 seconds after it was proposed");
    assert_eq!(goal["status"], "active", "{goal}");
    let decided = app
        .ledger
        .records_after(app.ledger.digest().seq - 1, 1)
        .unwrap();
    let record: Value = serde_json::from_slice(&decided[0].1).unwrap();
    assert_eq!(
        (
            &record["type"],
            &record["actor"],
            &record["payload"]["decided_by"]
        ),
        (
            &json!("ProposalDecided"),
            &json!("system"),
            &json!("closing-time")
        ),
        "{record}"
    );
    assert_eq!(
        record["auth"],
        json!({"via": "system"}),
        "the ledger's own decision"
    );
}

#[tokio::test]
async fn a_check_in_before_the_goals_start_is_refused_and_changes_nothing_unless_marked() {
    // Given a goal adopted today that starts in a month (on the server's real clock),
    let app = spawn_app().await;
    let today = chrono::Utc::now().date_naive();
    let mut body = goal_body("next-quarter");
    body["start"] = json!((today + chrono::Days::new(30)).to_string());
    body["due"] = json!((today + chrono::Days::new(120)).to_string());
    let (status, answer) = app.send(app.post("/goals", Some("alice"), body)).await;
    assert_eq!(status, 201, "{answer}");
    app.all_agree("next-quarter", &["alice", "sam"]).await;
    let before = exported(&app.ledger);
    // when alice checks in today,
    let reading = json!({"key_result": "visits", "value": 41000, "health": "on-track"});
    let path = "/goals/next-quarter/check-ins";
    let (status, problem) = app
        .send(app.post(path, Some("alice"), reading.clone()))
        .await;
    // then it is refused, saying why and how, and the ledger is byte for byte unchanged;
    assert_eq!(status, 422, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("before goal `next-quarter`'s period") && detail.contains("outside_period"),
        "{detail}"
    );
    assert_eq!(exported(&app.ledger), before);
    // marked as outside the period, it is recorded with the mark.
    let mut marked = reading;
    marked["outside_period"] = json!(true);
    let (status, answer) = app.send(app.post(path, Some("alice"), marked)).await;
    assert_eq!(status, 201, "{answer}");
    let seq = answer["appended"]["seqs"][0].as_u64().unwrap();
    let bytes = app.ledger.store().record(seq).unwrap().unwrap();
    let record: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        (&record["schema"], &record["payload"]["outside_period"]),
        (&json!(2), &json!(true))
    );
}
