//! Webhooks against a real HTTP receiver on a real port: every delivery is signed by the
//! Standard Webhooks algorithm with the secret the registration answered; a receiver that is
//! down for a while and then up gets every event, in order, each under one `webhook-id`; the
//! server binary killed with `kill -9` and started again sends what was not acknowledged and
//! skips nothing; a removed webhook is sent nothing more.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use goal_ledger::domain::*;
use goal_ledger::ledger::Ledger;
use goal_ledger::notify::sign::{verify, Secret};
use serde_json::{json, Value};

use crate::support::*;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    timestamp: i64,
    signature: String,
    body: Vec<u8>,
    /// Whether the receiver acknowledged it (2xx).
    acked: bool,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook receiver: up (answers 204) or down (answers 503), recording every request.
#[derive(Clone, Default)]
struct Receiver {
    up: Arc<AtomicBool>,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    async fn start(up: bool) -> (Receiver, String) {
        let receiver = Receiver::default();
        receiver.up.store(up, Ordering::SeqCst);
        let r = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let r = r.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let acked = r.up.load(Ordering::SeqCst);
                    r.got.lock().unwrap().push(Got {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp").parse().unwrap_or(0),
                        signature: header("webhook-signature"),
                        body: body.to_vec(),
                        acked,
                    });
                    if acked {
                        StatusCode::NO_CONTENT
                    } else {
                        StatusCode::SERVICE_UNAVAILABLE
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// The ids of the acknowledged messages, in the order they were acknowledged.
    fn acked_ids(&self) -> Vec<String> {
        self.got()
            .into_iter()
            .filter(|g| g.acked)
            .map(|g| g.id)
            .collect()
    }

    /// Waits until `n` distinct messages were acknowledged (at most 20 s).
    async fn wait_for(&self, n: usize) {
        for _ in 0..400 {
            let distinct: BTreeSet<String> = self.acked_ids().into_iter().collect();
            if distinct.len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the receiver has {:?}, waited for {n} messages",
            self.acked_ids()
        );
    }
}

/// The sequence number in a record message's id (`msg_<seq>`).
fn seq_of(id: &str) -> u64 {
    id.strip_prefix("msg_").unwrap().parse().unwrap()
}

/// Every acknowledged message arrived in sequence order, each distinct message once acked.
fn assert_in_order(acked: &[String]) {
    let mut seen = BTreeSet::new();
    let firsts: Vec<u64> = acked
        .iter()
        .filter(|id| seen.insert((*id).clone()))
        .map(|id| seq_of(id))
        .collect();
    let mut sorted = firsts.clone();
    sorted.sort_unstable();
    assert_eq!(firsts, sorted, "messages acknowledged out of order");
}

/// A goal's whole cycle over HTTP: proposed, adopted, proposed closed, closed. With alice and
/// sam agreeing under `threshold:0.5`, that is vote-needed, proposal-decided, vote-needed,
/// proposal-decided and goal-closed.
async fn a_goal_cycle(app: &App, goal: &str) {
    let (status, body) = app
        .send(app.post("/goals", Some("alice"), goal_body(goal)))
        .await;
    assert_eq!(status, 201, "{body}");
    app.all_agree(goal, &["alice", "sam"]).await;
    let close = json!({"outcome": "achieved", "score": 0.9, "summary": "Done"});
    let (status, body) = app
        .send(app.post(&format!("/goals/{goal}/close"), Some("alice"), close))
        .await;
    assert_eq!(status, 201, "{body}");
    app.all_agree(goal, &["alice", "sam"]).await;
}

#[tokio::test]
async fn a_receiver_down_for_a_while_then_up_gets_every_event_in_order_signed_under_one_id_each() {
    // Given a receiver that is down, and a webhook registered for it
    let (receiver, url) = Receiver::start(false).await;
    let app = spawn_app().await;
    let register = json!({
        "url": url,
        "events": ["vote-needed", "proposal-decided", "goal-closed"],
        "team": "marketing",
    });
    let (status, created) = app
        .send(app.post("/webhooks", Some("admin"), register))
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = Secret::parse(created["secret"].as_str().unwrap()).unwrap();
    let hook = created["webhook"]["id"].as_str().unwrap().to_owned();

    // When a goal of marketing's goes through its cycle while the receiver is down
    a_goal_cycle(&app, "web-traffic-q3").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let refused = receiver.got();
    assert!(!refused.is_empty(), "the server tried while it was down");
    assert!(
        refused.iter().all(|g| g.id == refused[0].id),
        "in order: the first message blocks the rest"
    );
    // (which the metrics show: its backlog, and that it is retrying)
    let metrics = app
        .client
        .get(format!("{}/metrics", app.url))
        .bearer_auth(&app.tokens["reader"])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!("goal_ledger_webhook_retrying{{webhook=\"{hook}\"}} 1");
    assert!(metrics.contains(&line), "{metrics}");
    assert!(metrics.contains(&format!(
        "goal_ledger_webhook_backlog_records{{webhook=\"{hook}\"}}"
    )));
    // and the receiver comes up
    receiver.up.store(true, Ordering::SeqCst);
    receiver.wait_for(5).await;

    // Then it has all five, in sequence order, each under the id it was first tried with
    let acked = receiver.acked_ids();
    assert_in_order(&acked);
    assert_eq!(acked[0], refused[0].id, "a retry keeps its webhook-id");
    let kinds: Vec<String> = receiver
        .got()
        .iter()
        .filter(|g| g.acked)
        .map(|g| g.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "vote-needed",
            "proposal-decided",
            "vote-needed",
            "proposal-decided",
            "goal-closed"
        ]
    );
    // and every request, refused or taken, is signed by the registration's secret over
    // `id.timestamp.body`, while a changed body fails
    for g in receiver.got() {
        assert!(
            verify(&secret, &g.id, g.timestamp, &g.body, &g.signature),
            "{g:?}"
        );
        let mut forged = g.body.clone();
        forged[2] ^= 1;
        assert!(!verify(&secret, &g.id, g.timestamp, &forged, &g.signature));
    }
    let first = receiver.got()[0].json();
    assert_eq!(first["data"]["goal"], "web-traffic-q3");
    assert_eq!(first["data"]["kind"], "adoption");
    // and the deliveries page shows the failed attempts with their status and the cursor
    let (status, deliveries) = app
        .send(app.get(&format!("/webhooks/{hook}/deliveries"), Some("admin")))
        .await;
    assert_eq!(status, 200, "{deliveries}");
    let attempts = deliveries["attempts"].as_array().unwrap();
    assert!(attempts
        .iter()
        .any(|a| a["status"] == 503 && a["delivered"] == false));
    assert!(attempts
        .iter()
        .any(|a| a["status"] == 204 && a["delivered"] == true));

    // When a team's goal it does not follow changes, and the webhook is removed
    let before = receiver.got().len();
    let (status, _) = app
        .send(app.post(
            &format!("/webhooks/{hook}/remove"),
            Some("admin"),
            json!({"reason": "Channel archived"}),
        ))
        .await;
    assert_eq!(status, 201);
    a_goal_cycle(&app, "after-removal").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Then nothing more is sent
    assert_eq!(receiver.got().len(), before);
}

#[tokio::test]
async fn a_ping_is_signed_and_private_addresses_need_the_servers_permission() {
    let (receiver, url) = Receiver::start(true).await;
    let app = spawn_app().await;
    let (_, created) = app
        .send(app.post(
            "/webhooks",
            Some("admin"),
            json!({"url": url, "events": ["cycle-closed"]}),
        ))
        .await;
    let hook = created["webhook"]["id"].as_str().unwrap();
    let secret = Secret::parse(created["secret"].as_str().unwrap()).unwrap();
    let (status, attempt) = app
        .send(app.post(&format!("/webhooks/{hook}/test"), Some("admin"), json!({})))
        .await;
    assert_eq!(status, 200, "{attempt}");
    assert_eq!(attempt["delivered"], true);
    assert_eq!(attempt["status"], 204);
    let ping = &receiver.got()[0];
    assert_eq!(ping.json()["type"], "ping");
    assert!(verify(
        &secret,
        &ping.id,
        ping.timestamp,
        &ping.body,
        &ping.signature
    ));

    // A server without --allow-private-webhooks refuses loopback, naming the flag that allows
    // it, and appends nothing.
    let dir = temp_dir();
    ledger_with_tokens(dir.path()).await;
    let (child, server) = serve_binary(dir.path());
    let mut child = Running(child);
    let client = reqwest::Client::new();
    let digest = || async {
        let r = client
            .get(format!("{server}/ledger/digest"))
            .bearer_auth("test-token-sam");
        r.send().await.unwrap().text().await.unwrap()
    };
    let before = digest().await;
    for (url, says) in [
        (url.as_str(), "--allow-private-webhooks"),
        ("http://10.0.0.7/hook", "--allow-private-webhooks"),
        ("ftp://chat.example.com/hook", "must be http or https"),
    ] {
        let refused = client
            .post(format!("{server}/webhooks"))
            .bearer_auth("test-token-olivia")
            .json(&json!({"url": url, "events": ["goal-closed"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 422, "{url}");
        let problem: Value = refused.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{problem}"
        );
    }
    assert_eq!(digest().await, before);
    child.kill();
}

/// A server process, killed when the test ends, passed or not (a panicking test must not
/// leave it running).
struct Running(std::process::Child);

impl Running {
    /// `kill -9`, and wait for it.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A data directory with the departments and tokens for `olivia` (admin) and alice and sam
/// (members), as `test-token-<name>`.
async fn ledger_with_tokens(dir: &std::path::Path) {
    let ledger = Ledger::open(dir, Default::default()).unwrap();
    for (who, command) in departments() {
        run(&ledger, who, command).await.unwrap();
    }
    for (who, role) in [
        ("olivia", Role::Admin),
        ("alice", Role::Member),
        ("sam", Role::Member),
    ] {
        let command = Command::GrantToken {
            token: TokenHash::of(&format!("test-token-{who}")),
            actor: actor(who),
            role,
            expires_at: None,
        };
        run(&ledger, "olivia", command).await.unwrap();
    }
    ledger.close();
}

/// The server binary over `dir`, sending webhooks to loopback with 100 ms retries.
fn serve(dir: &std::path::Path) -> (Running, String) {
    let (child, url) = serve_binary_with(
        dir,
        &[
            "--allow-private-webhooks".as_ref(),
            "--webhook-retry-ms".as_ref(),
            "100".as_ref(),
        ],
    );
    (Running(child), url)
}

async fn post(server: &str, who: &str, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{server}{path}"))
        .bearer_auth(format!("test-token-{who}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

async fn goal_cycle_on(server: &str, goal: &str) {
    post(server, "alice", "/goals", goal_body(goal)).await;
    for who in ["alice", "sam"] {
        post(
            server,
            who,
            &format!("/goals/{goal}/votes"),
            json!({"choice": "agree"}),
        )
        .await;
    }
}

#[tokio::test]
async fn after_kill_9_the_restarted_server_sends_what_was_not_acknowledged_and_skips_nothing() {
    // Given a server with a webhook to a receiver that is up,
    let (receiver, url) = Receiver::start(true).await;
    let dir = temp_dir();
    ledger_with_tokens(dir.path()).await;
    let (mut child, server) = serve(dir.path());
    let register = json!({"url": url, "events": ["vote-needed", "proposal-decided"]});
    post(&server, "olivia", "/webhooks", register).await;
    // which takes the first goal's two messages,
    goal_cycle_on(&server, "first").await;
    receiver.wait_for(2).await;
    // then goes down while three more goals' six messages wait
    receiver.up.store(false, Ordering::SeqCst);
    for goal in ["second", "third", "fourth"] {
        goal_cycle_on(&server, goal).await;
    }
    let refused = || -> BTreeSet<String> {
        let got = receiver.got();
        got.iter()
            .filter(|g| !g.acked)
            .map(|g| g.id.clone())
            .collect()
    };
    for _ in 0..100 {
        if !refused().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tried_before_kill = refused();
    assert!(
        !tried_before_kill.is_empty(),
        "the server tried while the receiver was down"
    );

    // When the server is killed with SIGKILL and started again with the receiver up
    child.kill(); // SIGKILL
    receiver.up.store(true, Ordering::SeqCst);
    let (mut child, _server) = serve(dir.path());
    receiver.wait_for(8).await;
    child.kill();

    // Then all eight messages were acknowledged, in sequence order, none skipped,
    let acked = receiver.acked_ids();
    assert_in_order(&acked);
    let distinct: BTreeSet<u64> = acked.iter().map(|id| seq_of(id)).collect();
    assert_eq!(distinct.len(), 8, "{acked:?}");
    // and the message tried before the kill went again under the same webhook-id.
    for id in &tried_before_kill {
        assert!(
            acked.contains(id),
            "{id} was tried before the kill and never acknowledged"
        );
    }
    // Every record of those goals' proposals and decisions is there: nothing skipped.
    let ledger = Ledger::open(dir.path(), Default::default()).unwrap();
    let expected: BTreeSet<u64> = ledger
        .records_after(0, 1000)
        .unwrap()
        .into_iter()
        .filter(|(_, bytes)| {
            let text = String::from_utf8_lossy(bytes);
            text.contains("\"type\":\"GoalProposed\"")
                || text.contains("\"type\":\"ProposalDecided\"")
        })
        .map(|(seq, _)| seq)
        .collect();
    assert_eq!(distinct, expected);
}

#[tokio::test]
async fn a_due_reminder_is_sent_once_per_due_period_and_an_overdue_action_item_once() {
    // Given a goal adopted on its first day with a weekly cadence and no check-in yet, an
    // action item due on July 20, and a webhook for reminders, on a scripted clock
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    let app = spawn_app_with(clock.options()).await;
    let (receiver, url) = Receiver::start(true).await;
    a_goal_cycle_started(&app).await;
    let register =
        json!({"url": url, "events": ["check-in-due", "action-item-due"], "team": "sales"});
    let (status, _) = app
        .send(app.post("/webhooks", Some("admin"), register))
        .await;
    assert_eq!(status, 201);
    let reminders = |kind: &str| -> Vec<Got> {
        let got = receiver.got();
        got.into_iter()
            .filter(|g| g.json()["type"] == kind)
            .collect()
    };
    let settle = || tokio::time::sleep(Duration::from_millis(400));
    settle().await;
    assert!(
        reminders("check-in-due").is_empty(),
        "nothing is due on day one"
    );

    // When the cadence passes: one reminder, however many times the worker looks
    clock.set("2026-07-08T10:00:00Z");
    settle().await;
    settle().await;
    let due = reminders("check-in-due");
    assert_eq!(
        due.len(),
        1,
        "{:?}",
        due.iter().map(Got::json).collect::<Vec<_>>()
    );
    assert_eq!(due[0].json()["data"]["key_result"], "visits");
    assert_eq!(due[0].json()["data"]["state"], "due");
    // and a second period makes a second one, now overdue
    clock.set("2026-07-15T10:00:00Z");
    settle().await;
    let due = reminders("check-in-due");
    assert_eq!(due.len(), 2);
    assert_eq!(due[1].json()["data"]["state"], "overdue");
    assert_ne!(due[0].id, due[1].id);
    // A check-in resets it: nothing more until its own week has passed.
    let check_in = json!({"key_result": "visits", "value": 41000, "health": "on-track"});
    let (status, body) = app
        .send(app.post("/goals/web-traffic-q3/check-ins", Some("alice"), check_in))
        .await;
    assert_eq!(status, 201, "{body}");
    clock.set("2026-07-21T10:00:00Z");
    settle().await;
    assert_eq!(reminders("check-in-due").len(), 2);
    // The action item, past its due date, is reminded once.
    let items = reminders("action-item-due");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].json()["data"]["owner"], "sam");
    clock.set("2026-07-22T10:00:00Z");
    settle().await;
    assert_eq!(reminders("action-item-due").len(), 1);
    // The durable cursor keeps only the keys of reminders still due: past periods are gone.
    let cursors: Value =
        serde_json::from_slice(&std::fs::read(app.dir.path().join("webhooks.json")).unwrap())
            .unwrap();
    let keys: Vec<String> = cursors["webhooks"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|c| c["reminders"].as_array().unwrap().clone())
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    assert!(
        keys.contains(&"action-item-due:web-traffic-q3:1".to_owned()),
        "{keys:?}"
    );
    let first = time(due[0].json()["data"]["due_since"].as_str().unwrap()).timestamp();
    assert!(
        !keys.iter().any(|k| k.contains(&format!(":{first}:"))),
        "the first reminders' keys ({first}) are dropped: {keys:?}"
    );
    assert!(keys.len() <= 2, "{keys:?}");
}

/// The sales-and-marketing goal adopted on July 1 with an action item for sam due July 20.
async fn a_goal_cycle_started(app: &App) {
    let (status, body) = app
        .send(app.post("/goals", Some("alice"), goal_body("web-traffic-q3")))
        .await;
    assert_eq!(status, 201, "{body}");
    app.all_agree("web-traffic-q3", &["alice", "sam"]).await;
    let note = json!({"section": "action-item", "text": "Share the target accounts", "owner": "sam", "due": "2026-07-20"});
    let (status, body) = app
        .send(app.post("/goals/web-traffic-q3/notes", Some("alice"), note))
        .await;
    assert_eq!(status, 201, "{body}");
}
