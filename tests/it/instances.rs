//! Several servers on one PostgreSQL database, as an operator runs them: the real binary, two
//! instances with data directories of their own and one signing key. A write on one is read on
//! the other and reaches the other's live feed; a token made or revoked on one holds on the
//! other; under load from 16 writers with one instance killed (`kill -9`) and restarted, every
//! acknowledged write is on the log once, retries append nothing and the surviving feed saw
//! everything; with the database stopped under load, writes answer 503, reads of projections
//! still answer, and the service comes back by itself with no acknowledged write lost.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::postgres::{self, psql, OwnCluster};
use crate::support::{serve_binary_with, temp_dir};

/// Polls `ok` until it holds, for at most 60 s.
fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ok() {
        assert!(Instant::now() < deadline, "{what}: not within 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A database with an admin token made on it locally, and two instances' data directories.
struct Deployment {
    url: String,
    dirs: [tempfile::TempDir; 2],
    key: PathBuf,
    token: String,
}

impl Deployment {
    fn new(url: String) -> Deployment {
        let dirs = [temp_dir(), temp_dir()];
        let mut deployment = Deployment {
            key: dirs[0].path().join("signing-key"),
            url,
            dirs,
            token: String::new(),
        };
        let created: Value = serde_json::from_str(&deployment.gl(&[
            "--actor", "olivia", "--output", "json", "token", "create", "--for", "olivia",
            "--role", "admin",
        ]))
        .unwrap();
        deployment.token = created["token"].as_str().unwrap().to_owned();
        deployment
    }

    /// A local command on the database; its output, which must be a success.
    fn gl(&self, args: &[&str]) -> String {
        let out = Command::new(assert_cmd::cargo::cargo_bin("goal-ledger"))
            .arg("--data-dir")
            .arg(self.dirs[0].path())
            .args(["--store", &self.url])
            .env_remove("GOAL_LEDGER_SERVER")
            .env_remove("GOAL_LEDGER_STORE")
            .env_remove("GOAL_LEDGER_DATA")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Starts instance `i` (0 or 1) on the database, with the one signing key.
    fn serve(&self, i: usize) -> Server {
        let (child, base) = serve_binary_with(
            self.dirs[i].path(),
            &[
                "--store".as_ref(),
                self.url.as_ref(),
                "--signing-key".as_ref(),
                self.key.as_os_str(),
            ],
        );
        Server { child, base }
    }

    /// `verify` of the database, which must pass; the records it checked.
    fn verified(&self) -> u64 {
        let report: Value =
            serde_json::from_str(&self.gl(&["--output", "json", "verify"])).unwrap();
        assert_eq!(report["ok"], true, "{report}");
        report["records"].as_u64().unwrap()
    }

    fn records(&self) -> u64 {
        psql(&self.url, "SELECT count(*) FROM records")
            .parse()
            .unwrap()
    }
}

/// A running `goal-ledger serve`.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn signal(&mut self, signal: i32) {
        // SAFETY: a signal to the child this test started.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    fn kill_9(&mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }

    fn stop(mut self) {
        self.signal(libc::SIGTERM);
        assert!(self.child.wait().unwrap().success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill_9();
        }
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The records a server's live feed (`/events/stream` from the start) has delivered.
struct Feed {
    seen: Arc<Mutex<BTreeSet<u64>>>,
}

impl Feed {
    fn open(base: &str, token: &str) -> Feed {
        let response = reqwest::blocking::Client::builder()
            .timeout(None)
            .build()
            .unwrap()
            .get(format!("{base}/events/stream?after=0"))
            .bearer_auth(token)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        let seen = Arc::new(Mutex::new(BTreeSet::new()));
        let into = seen.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(response).lines() {
                let Ok(line) = line else { break };
                if let Some(id) = line.strip_prefix("id:") {
                    into.lock()
                        .unwrap()
                        .insert(id.trim().parse::<u64>().unwrap());
                }
            }
        });
        Feed { seen }
    }

    fn has_all(&self, seqs: &BTreeSet<u64>) -> bool {
        self.seen.lock().unwrap().is_superset(seqs)
    }
}

/// A keyed `POST /teams/sales/members`: the status and the answer's body.
fn add_member(base: &str, token: &str, key: &str, member: &str) -> Result<(u16, Value), String> {
    let answer = client()
        .post(format!("{base}/teams/sales/members"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({ "member": member }))
        .send()
        .map_err(|e| e.to_string())?;
    let status = answer.status().as_u16();
    let body = answer.json().unwrap_or(Value::Null);
    Ok((status, body))
}

#[test]
fn a_write_token_and_revocation_on_one_server_hold_on_the_other_and_reach_its_feed() {
    // Given two servers on one database, and a client following the second's live feed,
    let d = Deployment::new(postgres::database());
    let (a, b) = (d.serve(0), d.serve(1));
    let feed = Feed::open(&b.base, &d.token);
    let http = client();
    // when a team is registered on the first,
    let made = http
        .post(format!("{}/teams", a.base))
        .bearer_auth(&d.token)
        .json(&json!({"id": "marketing", "name": "Marketing"}))
        .send()
        .unwrap();
    assert_eq!(made.status(), 201);
    let made: Value = made.json().unwrap();
    let seq = made["appended"]["seqs"][0].as_u64().unwrap();
    // then the second shows it, and its feed delivers it;
    eventually("the team on the second server", || {
        let got = http
            .get(format!("{}/teams/marketing", b.base))
            .bearer_auth(&d.token)
            .send()
            .unwrap();
        got.status() == 200
    });
    eventually("the record in the second's feed", || {
        feed.has_all(&BTreeSet::from([seq]))
    });
    // a token made on the first works on the second,
    let created: Value = http
        .post(format!("{}/tokens", a.base))
        .bearer_auth(&d.token)
        .json(&json!({"actor": "sam", "role": "member"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let sams = created["token"].as_str().unwrap().to_owned();
    let me = |base: &str| {
        http.get(format!("{base}/tokens/me"))
            .bearer_auth(&sams)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    eventually("the new token on the second server", || me(&b.base) == 200);
    // and once revoked on the first, it is refused by the second.
    let fingerprint = created["fingerprint"].as_str().unwrap();
    let revoked = http
        .post(format!("{}/tokens/{fingerprint}/revoke", a.base))
        .bearer_auth(&d.token)
        .json(&json!({"reason": "left the team"}))
        .send()
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.text().unwrap());
    eventually("the revocation on the second server", || me(&b.base) == 401);
    a.stop();
    b.stop();
    assert_eq!(d.verified(), d.records());
}

/// Keyed writes from many threads over the servers in `urls`, each retried with its key (on
/// the next server) until it is acknowledged: what each key appended, and how often a write
/// was refused with 503.
struct Load {
    urls: RwLock<Vec<String>>,
    token: String,
    acked: Mutex<BTreeMap<String, Vec<u64>>>,
    refused: AtomicUsize,
}

impl Load {
    fn new(urls: Vec<String>, token: &str) -> Arc<Load> {
        Arc::new(Load {
            urls: RwLock::new(urls),
            token: token.to_owned(),
            acked: Mutex::new(BTreeMap::new()),
            refused: AtomicUsize::new(0),
        })
    }

    fn acked(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    /// `writers` threads writing `each` keyed members, writer `w` starting on server `w % n`.
    fn start(self: &Arc<Load>, writers: usize, each: usize) -> Vec<std::thread::JoinHandle<()>> {
        (0..writers)
            .map(|w| {
                let load = self.clone();
                std::thread::spawn(move || {
                    for i in 0..each {
                        let key = format!("k-{w:02}-{i:03}");
                        let seqs = load.until_acknowledged(w, &key, &format!("m-{w:02}-{i:03}"));
                        load.acked.lock().unwrap().insert(key, seqs);
                    }
                })
            })
            .collect()
    }

    /// Writes one member with its key, retrying with the same key (on the next server, after a
    /// client's backoff of 10 ms) until it is acknowledged, for at most 120 s.
    fn until_acknowledged(&self, mut target: usize, key: &str, member: &str) -> Vec<u64> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let url = {
                let urls = self.urls.read().unwrap();
                urls[target % urls.len()].clone()
            };
            match add_member(&url, &self.token, key, member) {
                Ok((status, body)) if (200..300).contains(&status) => {
                    let seqs = body["appended"]["seqs"].as_array().unwrap();
                    return seqs.iter().map(|s| s.as_u64().unwrap()).collect();
                }
                Ok((503, _)) => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                }
                Ok((status, body)) => panic!("{key}: {status} {body}"),
                Err(_) => {} // the server is down: the next one
            }
            assert!(Instant::now() < deadline, "{key} not acknowledged in 120 s");
            target += 1;
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Registers the `sales` team the load adds members to.
fn sales_team(d: &Deployment) {
    d.gl(&[
        "--actor", "olivia", "team", "add", "sales", "--name", "Sales",
    ]);
}

#[test]
fn sixteen_writers_on_two_servers_with_one_killed_and_restarted_lose_nothing_and_repeat_nothing() {
    // Given two servers on one database, and a client following the second's live feed,
    let d = Deployment::new(postgres::database());
    sales_team(&d);
    let before = d.records();
    let (mut a, b) = (d.serve(0), d.serve(1));
    let feed = Feed::open(&b.base, &d.token);
    // when 16 writers spread over both add 25 members each, with keys,
    let load = Load::new(vec![a.base.clone(), b.base.clone()], &d.token);
    let writers = load.start(16, 25);
    // and the first server is killed mid-load and started again,
    eventually("a quarter of the writes", || load.acked() >= 100);
    a.kill_9();
    let killed_at = load.acked();
    let a = d.serve(0);
    load.urls.write().unwrap()[0] = a.base.clone();
    for w in writers {
        w.join().unwrap();
    }
    // then every acknowledged write is on the log once, with its own records,
    let acked = load.acked.lock().unwrap().clone();
    assert!(killed_at < 400, "the kill came after the load");
    eprintln!(
        "killed at {killed_at} acknowledged; refused with 503: {}",
        load.refused.load(Ordering::Relaxed)
    );
    assert_eq!(acked.len(), 400);
    let seqs: BTreeSet<u64> = acked.values().flatten().copied().collect();
    assert_eq!(seqs.len(), 400, "two keys answered with the same records");
    assert_eq!(d.records(), before + 400);
    let keys = psql(&d.url, "SELECT count(*) FROM ids WHERE id LIKE 'k-%'");
    assert_eq!(keys, "400");
    // the surviving server's feed delivered every write, the other server's included,
    eventually("every write in the surviving feed", || feed.has_all(&seqs));
    // retrying every key on either server appends nothing and answers the first records,
    for (i, (key, first)) in acked.iter().enumerate() {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let member = format!("m-{}", &key[2..]);
        let (status, body) = add_member(base, &d.token, key, &member).unwrap();
        assert!((200..300).contains(&status), "{key}: {status} {body}");
        assert_eq!(body["appended"]["replayed"], true, "{key}: {body}");
        let again: Vec<u64> = body["appended"]["seqs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_u64().unwrap())
            .collect();
        assert_eq!(&again, first, "{key}");
    }
    assert_eq!(d.records(), before + 400);
    // and the chain verifies.
    a.stop();
    b.stop();
    assert_eq!(d.verified(), before + 400);
}

#[test]
fn with_the_database_stopped_under_load_writes_answer_503_reads_answer_and_service_resumes() {
    // Given a server on a cluster of its own, under load from 4 writers,
    let cluster = OwnCluster::start();
    let d = Deployment::new(cluster.database());
    sales_team(&d);
    let before = d.records();
    let server = d.serve(0);
    let load = Load::new(vec![server.base.clone()], &d.token);
    let writers = load.start(4, 60);
    let listening = || {
        psql(
            &d.url,
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN goal_ledger_head'",
        ) == "1"
    };
    eventually("the server listening for other instances", listening);
    // when the database is stopped mid-load,
    eventually("a sixth of the writes", || load.acked() >= 40);
    cluster.stop_fast();
    // then writes are refused with 503 (retryable), while reads of projections still answer;
    eventually("a write refused with 503", || {
        load.refused.load(Ordering::Relaxed) > 0
    });
    let team = client()
        .get(format!("{}/teams/sales", server.base))
        .bearer_auth(&d.token)
        .send()
        .unwrap();
    assert_eq!(team.status(), 200, "{}", team.text().unwrap());
    // and once it is started again the writes go on by themselves, none lost or repeated.
    let acked_while_down = load.acked();
    cluster.start_again();
    for w in writers {
        w.join().unwrap();
    }
    eventually("the server listening again", listening);
    let acked = load.acked.lock().unwrap().clone();
    assert_eq!(acked.len(), 240);
    assert!(
        acked_while_down < 240,
        "the database came back after the load"
    );
    eprintln!(
        "refused while the database was down: {}; acknowledged then: {acked_while_down}",
        load.refused.load(Ordering::Relaxed)
    );
    let seqs: BTreeSet<u64> = acked.values().flatten().copied().collect();
    assert_eq!(seqs.len(), 240);
    assert_eq!(d.records(), before + 240);
    let keys = psql(&d.url, "SELECT count(*) FROM ids WHERE id LIKE 'k-%'");
    assert_eq!(keys, "240");
    server.stop();
    assert_eq!(d.verified(), before + 240);
}
