//! A bounded soak of the real server binary: 64 clients mixing reads and durable writes for
//! `SOAK_SECONDS` (30 by default; `benches/soak.sh` runs longer). No answer may be a 5xx, the
//! server's resident memory must level off, and the ledger must verify at the end.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use goal_ledger::domain::{Command as Cmd, Role, TokenHash};
use goal_ledger::ledger::Ledger;
use serde_json::{json, Value};

use crate::ledger::{adopt, setup};
use crate::support::*;

/// The server's resident memory; a sample that cannot be read fails the test rather than
/// passing the memory check as 0.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("cannot read the server's memory: /proc/{pid}/status: {e}"));
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status: {status}"))
}

/// What the load got back, by kind of request.
#[derive(Default)]
struct Tally {
    /// Reads answered 200.
    reads_ok: AtomicU64,
    reads: AtomicU64,
    /// Check-ins answered 201: acknowledged, durable writes.
    check_ins_created: AtomicU64,
    check_ins: AtomicU64,
    /// Votes on a goal already adopted, answered 422 (a rejected command appends nothing).
    votes_rejected: AtomicU64,
    votes: AtomicU64,
    server_errors: AtomicU64,
}

#[test]
fn mixed_load_gets_no_server_errors_keeps_memory_flat_and_leaves_a_valid_ledger() {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let dir = temp_dir();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let records_before = rt.block_on(async {
        let ledger = Ledger::open(dir.path(), Default::default()).unwrap();
        setup(&ledger).await;
        adopt(&ledger, "g").await;
        adopt(&ledger, "quiet").await;
        let grant = Cmd::GrantToken {
            token: TokenHash::of("soak-token"),
            actor: actor("alice"),
            role: Role::Member,
            expires_at: None,
        };
        run(&ledger, "olivia", grant).await.unwrap();
        let before = ledger.digest().seq;
        ledger.close();
        before
    });
    let (mut child, url) = serve_binary(dir.path());
    let pid = child.id();

    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let samples = rt.block_on(async {
        let client = reqwest::Client::new();
        let mut tasks = Vec::new();
        for c in 0..64u64 {
            let (client, url) = (client.clone(), url.clone());
            let tally = tally.clone();
            tasks.push(tokio::spawn(async move {
                let mut i = 0u64;
                while Instant::now() < deadline {
                    i += 1;
                    let request = match (c + i) % 10 {
                        0..=2 => client
                            .post(format!("{url}/goals/g/check-ins"))
                            .bearer_auth("soak-token")
                            .json(&json!({"key_result": "visits", "value": c * 1000 + i, "health": "on-track"})),
                        3 | 4 => client.get(format!("{url}/goals/g")).bearer_auth("soak-token"),
                        5 => client.get(format!("{url}/goals/quiet/history")).bearer_auth("soak-token"),
                        6 => client.get(format!("{url}/events?after={}&limit=50", i * 7)).bearer_auth("soak-token"),
                        7 => client.get(format!("{url}/goals?team=sales")).bearer_auth("soak-token"),
                        8 => client.get(format!("{url}/goals/quiet/timeline")).bearer_auth("soak-token"),
                        _ => client
                            .post(format!("{url}/goals/quiet/votes"))
                            .bearer_auth("soak-token")
                            .json(&json!({"choice": "agree"})),
                    };
                    let status = request.send().await.map(|r| r.status().as_u16()).unwrap_or(599);
                    if status >= 500 {
                        tally.server_errors.fetch_add(1, Ordering::Relaxed);
                    }
                    let (sent, expected, answered) = match (c + i) % 10 {
                        0..=2 => (&tally.check_ins, 201, &tally.check_ins_created),
                        9 => (&tally.votes, 422, &tally.votes_rejected),
                        _ => (&tally.reads, 200, &tally.reads_ok),
                    };
                    sent.fetch_add(1, Ordering::Relaxed);
                    if status == expected {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        let mut samples = Vec::new();
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(1)).await;
            samples.push(rss_kib(pid));
        }
        for t in tasks {
            t.await.unwrap();
        }
        samples
    });
    let verify: Value = rt.block_on(async {
        let request = reqwest::Client::new()
            .get(format!("{url}/ledger/verify"))
            .bearer_auth("soak-token");
        request.send().await.unwrap().json().await.unwrap()
    });
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());

    let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
    let (reads, created, votes) = (
        load(&tally.reads_ok),
        load(&tally.check_ins_created),
        load(&tally.votes_rejected),
    );
    eprintln!(
        "soak: {seconds} s, {reads} reads, {created} check-ins written, {votes} votes rejected, RSS samples (KiB): {samples:?}"
    );
    assert_eq!(
        load(&tally.server_errors),
        0,
        "no 5xx (or dropped connection) under load"
    );
    // Every request got the answer its kind must get; what counts as load is what succeeded.
    assert_eq!(reads, load(&tally.reads), "every read answered 200");
    assert_eq!(
        created,
        load(&tally.check_ins),
        "every check-in answered 201"
    );
    assert_eq!(
        votes,
        load(&tally.votes),
        "every vote on an adopted goal answered 422"
    );
    assert!(
        created > 1000 && reads > 1000,
        "the load ran: {reads} reads, {created} check-ins written"
    );
    // Three writes in four are check-ins (the fourth is the rejected vote), give or take the
    // clients' last round.
    let share = created as f64 / (created + votes) as f64;
    assert!(
        (0.7..=0.8).contains(&share),
        "{created} of {} writes were check-ins",
        created + votes
    );
    let early = samples[samples.len() / 4].max(1);
    let late = *samples.iter().max().unwrap();
    assert!(
        late <= early * 3 / 2 + 32 * 1024,
        "memory kept growing: {early} KiB at a quarter, {late} KiB at most"
    );
    assert_eq!(verify["ok"], true, "{verify}");
    // The ledger holds exactly the acknowledged check-ins on top of what it held before.
    assert_eq!(
        verify["records"].as_u64(),
        Some(records_before + created),
        "{verify}"
    );
}
