//! Crash safety with real `kill -9`: the server binary takes check-ins from 32 concurrent
//! clients, each with its own `Idempotency-Key`, and is killed at a seeded random moment, twenty
//! times. After every kill the ledger opens and verifies with no gaps, every acknowledged write
//! is there exactly once, and unacknowledged ones are there at most once; retrying them with the
//! same keys appends each at most once. A kill during `import` or `rebuild` leaves a ledger that
//! opens and verifies. Set `CRASH_SEED` to replay a run; `benches/soak.sh` runs hundreds of kills.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use goal_ledger::domain::{Command as Cmd, Role, TokenHash};
use goal_ledger::ledger::Ledger;
use serde_json::json;

use crate::ledger::{adopt, exported, setup};
use crate::support::*;

/// A small, seeded generator (xorshift64*), so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let seed = std::env::var("CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("crash test seed: CRASH_SEED={seed}");
        Rng(seed.max(1))
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn binary() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("goal-ledger")
}

/// How many records carry each id.
fn ids(ledger: &Ledger) -> HashMap<String, u32> {
    let mut counts = HashMap::new();
    for line in exported(ledger)
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
    {
        let record = goal_ledger::record::decode(line).unwrap();
        *counts.entry(record.envelope.id).or_default() += 1;
    }
    counts
}

/// Opens the ledger after a kill and checks it; returns the id counts.
fn check_after_kill(dir: &Path, acked: &[String], unacked: &[String]) -> HashMap<String, u32> {
    let ledger = Ledger::open(dir, Default::default()).expect("the ledger opens after kill -9");
    let report = ledger.verify(None, &mut |_| {}).unwrap();
    assert!(report.ok(), "verify after kill -9: {report:?}");
    assert_eq!(
        report.head,
        ledger.digest(),
        "no gaps: the walk reaches the head"
    );
    let counts = ids(&ledger);
    for key in acked {
        assert_eq!(
            counts.get(key),
            Some(&1),
            "acknowledged write {key} is present exactly once"
        );
    }
    for key in unacked {
        assert!(
            counts.get(key).copied().unwrap_or(0) <= 1,
            "unacknowledged {key} is present at most once"
        );
    }
    counts
}

/// Sends every key's check-in from 32 concurrent clients; each acknowledgement is also reported
/// on `acks`. Returns the acknowledged and the unacknowledged keys.
async fn clients(
    url: &str,
    token: &str,
    keys: &[String],
    acks: tokio::sync::mpsc::UnboundedSender<()>,
) -> (Vec<String>, Vec<String>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for chunk in keys.chunks(keys.len().div_ceil(32).max(1)) {
        let (client, url, token, chunk, acks) = (
            client.clone(),
            url.to_owned(),
            token.to_owned(),
            chunk.to_vec(),
            acks.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (mut acked, mut unacked) = (Vec::new(), Vec::new());
            for key in &chunk {
                // The body follows from the key, so a retry is the same command.
                let value: u32 = key.bytes().map(u32::from).sum();
                let body = json!({"key_result": "visits", "value": value, "health": "on-track"});
                let sent = client
                    .post(format!("{url}/goals/g/check-ins"))
                    .bearer_auth(&token)
                    .header("idempotency-key", key)
                    .json(&body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 201 => {
                        acked.push(key.clone());
                        let _ = acks.send(());
                    }
                    Ok(r) => panic!("{key}: unexpected {}", r.status()),
                    Err(_) => unacked.push(key.clone()),
                }
            }
            (acked, unacked)
        }));
    }
    let (mut acked, mut unacked) = (Vec::new(), Vec::new());
    for t in tasks {
        let (a, u) = t.await.unwrap();
        acked.extend(a);
        unacked.extend(u);
    }
    (acked, unacked)
}

#[test]
fn acknowledged_writes_survive_twenty_kill_9s_exactly_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = temp_dir();
    rt.block_on(async {
        let ledger = Ledger::open(dir.path(), Default::default()).unwrap();
        setup(&ledger).await;
        adopt(&ledger, "g").await;
        let grant = Cmd::GrantToken {
            token: TokenHash::of("crash-token"),
            actor: actor("alice"),
            role: Role::Member,
            expires_at: None,
        };
        run(&ledger, "olivia", grant).await.unwrap();
        ledger.close();
    });
    let mut rng = Rng::seeded();
    let mut retry: Vec<String> = Vec::new();
    let mut all_acked: Vec<String> = Vec::new();
    let mut killed_mid_load = 0;
    let rounds: u32 = std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    for round in 0..rounds {
        let (mut child, url) = serve_binary(dir.path());
        // Earlier unacknowledged keys are retried first, then fresh ones.
        let mut keys = std::mem::take(&mut retry);
        keys.extend((0..600).map(|i| format!("r{round}-k{i}")));
        // The random moment: after a random number of acknowledged writes, so the kill lands
        // while writes are in flight however fast the machine is.
        let kill_after_acks = 1 + rng.below(400);
        let (acked, unacked) = rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let work = clients(&url, "crash-token", &keys, tx);
            tokio::pin!(work);
            let mut seen = 0;
            let mut open = true;
            loop {
                tokio::select! {
                    done = &mut work => break done,
                    ack = rx.recv(), if open => match ack {
                        Some(()) => {
                            seen += 1;
                            if seen == kill_after_acks {
                                child.kill().unwrap(); // SIGKILL
                            }
                        }
                        None => open = false,
                    },
                }
            }
        });
        let _ = child.kill();
        child.wait().unwrap();
        if !acked.is_empty() && !unacked.is_empty() {
            killed_mid_load += 1;
        }
        all_acked.extend(acked);
        check_after_kill(dir.path(), &all_acked, &unacked);
        // Every unacknowledged write is retried with its key, including those that reached the
        // disk before the kill: the key makes the retry return them instead of appending again.
        retry = unacked;
    }
    assert!(
        killed_mid_load >= 10,
        "only {killed_mid_load} of 20 kills landed while writes were in flight"
    );
    // The last retries, on a server left running.
    let (mut child, url) = serve_binary(dir.path());
    let (tx, _acks) = tokio::sync::mpsc::unbounded_channel();
    let (acked, unacked) = rt.block_on(clients(&url, "crash-token", &retry, tx));
    assert!(unacked.is_empty(), "retries against a live server succeed");
    child.kill().unwrap();
    child.wait().unwrap();
    all_acked.extend(acked);
    let counts = check_after_kill(dir.path(), &all_acked, &[]);
    assert!(counts.values().all(|n| *n == 1), "every id once");
}

/// Builds a ledger of about `n` records and exports it to `file`.
fn big_export(file: &Path, n: usize) -> goal_ledger::record::Digest {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = temp_dir();
    rt.block_on(async {
        let ledger = Ledger::open(dir.path(), Default::default()).unwrap();
        setup(&ledger).await;
        adopt(&ledger, "g").await;
        let tasks: Vec<_> = (0..64)
            .map(|w| {
                let ledger = ledger.clone();
                tokio::spawn(async move {
                    for i in 0..n / 64 {
                        run(
                            &ledger,
                            "sam",
                            check_in("g", "visits", (w * 1000 + i) as f64),
                        )
                        .await
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        std::fs::write(file, exported(&ledger)).unwrap();
        ledger.digest()
    })
}

/// Where a kill landed: the last progress the child drew before it.
struct Killed {
    done: u64,
    total: u64,
}

/// Runs the binary with its stderr on a terminal, so it draws its progress bar, and kill -9s it
/// as soon as the bar shows at least `at` records done but not all of them. Asserts that the
/// child was still running when killed.
fn killed_mid_work(args: &[&str], dir: &Path, at: u64) -> Killed {
    use std::io::Read;
    let (mut terminal, child_side) = pty();
    let mut child = Command::new(binary())
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("GOAL_LEDGER_ACTOR", "olivia")
        .env("TERM", "xterm")
        .stdout(Stdio::null())
        .stderr(Stdio::from(child_side))
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // Reading fails (EIO) once the child is gone.
        while let Ok(n @ 1..) = terminal.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut drawn = Vec::new();
    let (done, total) = loop {
        let bytes = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|e| {
                panic!(
                    "{args:?} drew no progress past {at} records ({e}): {:?}",
                    String::from_utf8_lossy(&drawn)
                )
            });
        drawn.extend(bytes);
        let text = String::from_utf8_lossy(&drawn);
        if let Some(&(done, total)) = progress_counts(&text)
            .iter()
            .find(|(done, total)| *done >= at && done < total)
        {
            break (done, total);
        }
    };
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill(); // SIGKILL
    child.wait().unwrap();
    eprintln!("killed {} at {done}/{total} records", args[0]);
    assert!(
        running,
        "{args:?} had exited before the kill (progress {done}/{total})"
    );
    Killed { done, total }
}

#[test]
fn a_kill_during_import_or_rebuild_leaves_a_ledger_that_opens_verifies_and_resumes() {
    let mut rng = Rng::seeded();
    let work = temp_dir();
    let file = work.path().join("big.jsonl");
    // Import commits 2048 records at a time and rebuild reports every 8192 replayed: enough
    // records for several of each.
    let digest = big_export(&file, 12800);
    for _ in 0..3 {
        let dir = work.path().join(format!("import-{}", rng.below(1 << 30)));
        // Killed once the bar shows one to four durable chunks imported.
        let at = 2048 * (1 + rng.below(4));
        let killed = killed_mid_work(&["import", file.to_str().unwrap()], &dir, at);
        assert_eq!(
            killed.total, digest.seq,
            "the bar counts the file's records"
        );
        let ledger = Ledger::open(&dir, Default::default()).expect("opens after a killed import");
        assert!(ledger.verify(None, &mut |_| {}).unwrap().ok());
        // The chunks the bar reported are durable, and the kill cut the import short.
        let head = ledger.digest().seq;
        assert!(
            head >= killed.done && head < digest.seq,
            "killed at {}/{}, the ledger holds {head} records",
            killed.done,
            killed.total
        );
        ledger.close();
        // Running the import again resumes where the durable prefix ends.
        Command::new(binary())
            .args(["import", file.to_str().unwrap(), "--data-dir"])
            .arg(&dir)
            .assert_ok();
        let ledger = Ledger::open(&dir, Default::default()).unwrap();
        assert_eq!(ledger.digest(), digest);
        ledger.close();

        let killed = killed_mid_work(&["rebuild"], &dir, 8192);
        assert_eq!(killed.total, digest.seq);
        let ledger = Ledger::open(&dir, Default::default()).expect("opens after a killed rebuild");
        assert!(ledger.verify(None, &mut |_| {}).unwrap().ok());
        assert_eq!(ledger.digest(), digest);
        assert_eq!(ledger.goal(&goal_id("g")).unwrap().check_ins, 12800);
        ledger.close();
    }
}

trait AssertOk {
    fn assert_ok(&mut self);
}

impl AssertOk for Command {
    fn assert_ok(&mut self) {
        let out = self.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
