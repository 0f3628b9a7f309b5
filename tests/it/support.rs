//! Helpers shared by the integration tests: temporary ledgers on real sled directories, a
//! scripted clock, short constructors for ids and commands, a given/when/then harness for
//! the pure domain, and a throwaway PostgreSQL cluster (`postgres.rs`).

#![allow(dead_code)]

pub mod postgres;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use goal_ledger::domain::*;
use goal_ledger::domain::{Role, TokenHash};
use goal_ledger::ledger::{AppendError, Appended, Ledger, Options, Request};
use goal_ledger::record::Auth;

pub fn actor(name: &str) -> Actor {
    Actor::parse(name).unwrap()
}
pub fn goal_id(id: &str) -> GoalId {
    GoalId::parse(id).unwrap()
}
pub fn team_id(id: &str) -> TeamId {
    TeamId::parse(id).unwrap()
}
pub fn kr(name: &str) -> KrName {
    KrName::parse(name).unwrap()
}
pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
pub fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn at(start: &str) -> TestClock {
        TestClock(Arc::new(Mutex::new(time(start))))
    }
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
    pub fn set(&self, at: &str) {
        *self.0.lock().unwrap() = time(at);
    }
    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    pub fn options(&self) -> Options {
        let c = self.0.clone();
        Options {
            clock: Arc::new(move || *c.lock().unwrap()),
            ..Options::default()
        }
    }
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("goal-ledger-test")
        .tempdir()
        .unwrap()
}

/// A ledger on a fresh temporary directory, with a scripted clock.
pub fn temp_ledger() -> (tempfile::TempDir, Ledger, TestClock) {
    let dir = temp_dir();
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    let ledger = Ledger::open(dir.path(), clock.options()).unwrap();
    (dir, ledger, clock)
}

/// How the tests' writes are recorded unless a test says otherwise: a local write by a fixed OS
/// user on a fixed host.
pub fn test_auth() -> Auth {
    Auth::local("tester", "test-host")
}

/// A request from `who`, recorded with `test_auth()`.
pub fn request(who: &str, command: Command) -> Request {
    Request::new(actor(who), test_auth(), command)
}

pub async fn run(ledger: &Ledger, who: &str, command: Command) -> Result<Appended, AppendError> {
    ledger.execute(request(who, command)).await
}

pub fn register(team: &str, name: &str) -> Command {
    Command::RegisterTeam {
        team: team_id(team),
        name: name.to_owned(),
    }
}
pub fn join(team: &str, member: &str) -> Command {
    Command::JoinTeam {
        team: team_id(team),
        member: actor(member),
    }
}

/// The three departments of the samples: marketing (alice, amir), sales (sam, sofia),
/// customer service (carol).
pub fn departments() -> Vec<(&'static str, Command)> {
    vec![
        ("admin", register("marketing", "Marketing")),
        ("admin", join("marketing", "alice")),
        ("admin", join("marketing", "amir")),
        ("admin", register("sales", "Sales")),
        ("admin", join("sales", "sam")),
        ("admin", join("sales", "sofia")),
        ("admin", register("customer-service", "Customer Service")),
        ("admin", join("customer-service", "carol")),
    ]
}

pub fn spec(name: &str, baseline: f64, target: f64, unit: &str) -> KeyResultSpec {
    KeyResultSpec {
        name: kr(name),
        unit: unit.to_owned(),
        baseline,
        target,
        weight: None,
    }
}

/// A joint marketing + sales goal on website visits.
pub fn propose(goal: &str, rule: &str) -> Command {
    propose_for(goal, rule, &["marketing", "sales"])
}

pub fn propose_for(goal: &str, rule: &str, teams: &[&str]) -> Command {
    Command::ProposeGoal {
        goal: goal_id(goal),
        draft: GoalDraft {
            title: "Increase website traffic".to_owned(),
            description: "SEO and content marketing".to_owned(),
            teams: teams.iter().map(|t| team_id(t)).collect(),
            parent: None,
            start: date("2026-07-01"),
            due: date("2026-09-30"),
            key_results: vec![spec("visits", 40000.0, 48000.0, "visits/month")],
            cycle: None,
            cadence: None,
        },
        rule: Rule::parse(rule).unwrap(),
        reason: "Supports customer acquisition".to_owned(),
        closes_at: None,
    }
}

pub fn vote(goal: &str, choice: Choice) -> Command {
    Command::CastVote {
        goal: goal_id(goal),
        choice,
        reason: (choice == Choice::Block).then(|| "not without budget".to_owned()),
    }
}

pub fn check_in(goal: &str, key_result: &str, value: f64) -> Command {
    Command::RecordCheckIn {
        goal: goal_id(goal),
        key_result: kr(key_result),
        value,
        health: Health::OnTrack,
        confidence: Some(7),
        note: None,
        corrects: None,
        outside_period: false,
    }
}

pub fn retarget(goal: &str, key_result: &str, target: f64) -> Command {
    let mut changes = Changes::default();
    changes.targets.insert(kr(key_result), target);
    Command::ProposeAdjustment {
        goal: goal_id(goal),
        changes,
        reason: "Budget cut".to_owned(),
        closes_at: None,
    }
}

/// Given/when/then over the pure domain: the history is built by deciding and applying
/// commands, so it is always one the real writer could have produced.
pub struct Given {
    pub state: State,
    pub now: DateTime<Utc>,
}

pub fn given(history: Vec<(&str, Command)>) -> Given {
    let mut g = Given {
        state: State::default(),
        now: time("2026-07-01T09:00:00Z"),
    };
    for (who, command) in history {
        let events = g
            .decide(who, &command)
            .unwrap_or_else(|r| panic!("given {command:?} by {who} was rejected: {r}"));
        g.apply(who, events);
    }
    g
}

impl Given {
    pub fn decide(&self, who: &str, command: &Command) -> Result<Vec<Event>, Rejection> {
        decide(
            &self.state,
            command,
            &Context {
                actor: actor(who),
                now: self.now,
                corrected: None,
            },
        )
    }

    pub fn apply(&mut self, who: &str, events: Vec<Event>) {
        let who = actor(who);
        for event in events {
            let stream = event.stream();
            let version = self.state.version_of(&stream) + 1;
            let seq = self.state.seq + 1;
            apply(
                &mut self.state,
                Meta {
                    seq,
                    version,
                    at: self.now,
                    actor: &who,
                },
                &event,
            )
            .unwrap();
        }
    }

    /// Decides and applies, returning the event type names.
    pub fn when(&mut self, who: &str, command: Command) -> Result<Vec<&'static str>, Rejection> {
        let events = self.decide(who, &command)?;
        let names = events.iter().map(Event::type_name).collect();
        self.apply(who, events);
        Ok(names)
    }

    pub fn goal(&self, id: &str) -> &Goal {
        &self.state.goals[&goal_id(id)]
    }
}

/// A server on 127.0.0.1:0 over a fresh ledger with the three departments, and tokens:
/// `admin` (olivia), `alice` and `sam` (members), `reader` (auditor).
pub struct App {
    pub dir: tempfile::TempDir,
    pub ledger: Ledger,
    pub server: Option<goal_ledger::server::Server>,
    pub url: String,
    pub client: reqwest::Client,
    pub tokens: std::collections::HashMap<&'static str, String>,
}

/// Webhooks as tests send them: to loopback receivers, retried after 100 ms, looked for every
/// 50 ms.
pub fn test_notify(dir: &std::path::Path) -> goal_ledger::notify::NotifyConfig {
    goal_ledger::notify::NotifyConfig {
        allow_private: true,
        schedule: goal_ledger::notify::Schedule {
            first: std::time::Duration::from_millis(100),
            ..goal_ledger::notify::Schedule::STANDARD
        },
        poll: std::time::Duration::from_millis(50),
        ..goal_ledger::notify::NotifyConfig::new(dir.to_path_buf())
    }
}

pub async fn spawn_app() -> App {
    spawn_app_with(Options::default()).await
}

/// `spawn_app` over a ledger opened with `options` (a scripted clock, say).
pub async fn spawn_app_with(options: Options) -> App {
    let dir = temp_dir();
    let ledger = Ledger::open(dir.path(), options).unwrap();
    for (who, command) in departments() {
        run(&ledger, who, command).await.unwrap();
    }
    let mut tokens = std::collections::HashMap::new();
    for (name, who, role) in [
        ("admin", "olivia", Role::Admin),
        ("alice", "alice", Role::Member),
        ("sam", "sam", Role::Member),
        ("carol", "carol", Role::Member),
        ("reader", "auditor", Role::Reader),
    ] {
        let token = format!("test-token-{name}");
        let command = Command::GrantToken {
            token: TokenHash::of(&token),
            actor: actor(who),
            role,
            expires_at: None,
        };
        run(&ledger, "olivia", command).await.unwrap();
        tokens.insert(name, token);
    }
    let config = goal_ledger::server::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        notify: Some(test_notify(dir.path())),
        ..Default::default()
    };
    let server = goal_ledger::server::start(ledger.clone(), config)
        .await
        .unwrap();
    let url = format!("http://{}", server.addr);
    App {
        dir,
        ledger,
        server: Some(server),
        url,
        client: reqwest::Client::new(),
        tokens,
    }
}

impl App {
    /// Each of `voters` agrees to the goal's open proposal; every vote must be accepted.
    pub async fn all_agree(&self, goal: &str, voters: &[&str]) {
        for who in voters {
            let (status, body) = self
                .send(self.post(
                    &format!("/goals/{goal}/votes"),
                    Some(who),
                    serde_json::json!({"choice": "agree"}),
                ))
                .await;
            assert_eq!(status, 201, "{who}'s vote: {body}");
        }
    }

    /// The goal proposed by alice (`goal_body`) and adopted by alice's and sam's agrees.
    pub async fn adopted(&self, goal: &str) {
        let (status, body) = self
            .send(self.post("/goals", Some("alice"), goal_body(goal)))
            .await;
        assert_eq!(status, 201, "{body}");
        self.all_agree(goal, &["alice", "sam"]).await;
    }

    pub fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> reqwest::RequestBuilder {
        let mut r = self.client.post(format!("{}{path}", self.url)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(&self.tokens[t]);
        }
        r
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let mut r = self.client.get(format!("{}{path}", self.url));
        if let Some(t) = token {
            r = r.bearer_auth(&self.tokens[t]);
        }
        r
    }

    /// Sends and returns status and JSON body.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    pub async fn shutdown(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await.unwrap();
        }
    }
}

/// The JSON body proposing the joint web-traffic goal.
pub fn goal_body(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "title": "Increase website traffic",
        "teams": ["marketing", "sales"],
        "start": "2026-07-01",
        "due": "2026-09-30",
        "key_results": [{"name": "visits", "unit": "visits/month", "baseline": 40000, "target": 48000}],
        // Two agrees of four settle it: the tests hold tokens for alice and sam.
        "rule": "threshold:0.5",
        "reason": "Supports customer acquisition"
    })
}

/// Starts the built `goal-ledger serve` on a free port over `dir`; returns the child and its URL.
pub fn serve_binary(dir: &std::path::Path) -> (std::process::Child, String) {
    serve_binary_with(dir, &[])
}

/// `serve_binary` with more arguments for `serve`.
pub fn serve_binary_with(
    dir: &std::path::Path,
    extra: &[&std::ffi::OsStr],
) -> (std::process::Child, String) {
    use std::io::BufRead;
    // What the server says on stderr, shown if it does not start.
    let errors = tempfile::NamedTempFile::new().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("goal-ledger"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .args(extra)
        .env("GOAL_LEDGER_LOG", "error")
        // Small log files, so kills and load cross log rotations and their checkpoints.
        .env("GOAL_LEDGER_WAL_FILE_BYTES", "262144")
        .stdout(std::process::Stdio::piped())
        .stderr(errors.reopen().unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(
        url.starts_with("http"),
        "the server said {line:?}; on stderr: {}",
        std::fs::read_to_string(errors.path()).unwrap_or_default()
    );
    (child, url)
}

/// A pseudo-terminal: the master end to read, and the slave end to hand to a child as its
/// stderr, so the child draws what it draws only on a terminal (its progress bars).
pub fn pty() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (-1, -1);
    // Wide enough that a progress bar's counts are never cut.
    let size = libc::winsize {
        ws_row: 24,
        ws_col: 200,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors it opened, which are then owned here.
    let status = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(status, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and nothing else owns them.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::os::fd::OwnedFd::from_raw_fd(slave),
        )
    }
}

/// Every `DONE/TOTAL records` a progress bar drew in `text`, in order.
pub fn progress_counts(text: &str) -> Vec<(u64, u64)> {
    let mut parts: Vec<&str> = text.split(" records").collect();
    // What follows the last " records" may be a count still being written.
    parts.pop();
    parts
        .into_iter()
        .filter_map(|before| {
            let counts = before.rsplit([' ', '\r', '\n', ']']).next()?;
            let (done, total) = counts.split_once('/')?;
            Some((done.parse().ok()?, total.parse().ok()?))
        })
        .collect()
}
