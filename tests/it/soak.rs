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

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

#[test]
fn mixed_load_gets_no_server_errors_keeps_memory_flat_and_leaves_a_valid_ledger() {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let dir = temp_dir();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ledger = Ledger::open(dir.path(), Default::default()).unwrap();
        setup(&ledger).await;
        adopt(&ledger, "g").await;
        adopt(&ledger, "quiet").await;
        let grant = Cmd::GrantToken {
            token: TokenHash::of("soak-token"),
            actor: actor("alice"),
            role: Role::Member,
        };
        run(&ledger, "olivia", grant).await.unwrap();
        ledger.close();
    });
    let (mut child, url) = serve_binary(dir.path());
    let pid = child.id();

    let server_errors = Arc::new(AtomicU64::new(0));
    let (reads, writes) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let samples = rt.block_on(async {
        let client = reqwest::Client::new();
        let mut tasks = Vec::new();
        for c in 0..64u64 {
            let (client, url) = (client.clone(), url.clone());
            let (server_errors, reads, writes) = (server_errors.clone(), reads.clone(), writes.clone());
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
                    let write = matches!((c + i) % 10, 0..=2 | 9);
                    let status = request.send().await.map(|r| r.status().as_u16()).unwrap_or(599);
                    if status >= 500 {
                        server_errors.fetch_add(1, Ordering::Relaxed);
                    }
                    if write { &writes } else { &reads }.fetch_add(1, Ordering::Relaxed);
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

    let (r, w) = (
        reads.load(Ordering::Relaxed),
        writes.load(Ordering::Relaxed),
    );
    eprintln!("soak: {seconds} s, {r} reads, {w} writes, RSS samples (KiB): {samples:?}");
    assert_eq!(
        server_errors.load(Ordering::Relaxed),
        0,
        "no 5xx (or dropped connection) under load"
    );
    assert!(w > 1000 && r > 1000, "the load ran: {r} reads, {w} writes");
    let early = samples[samples.len() / 4].max(1);
    let late = *samples.iter().max().unwrap();
    assert!(
        late <= early * 3 / 2 + 32 * 1024,
        "memory kept growing: {early} KiB at a quarter, {late} KiB at most"
    );
    assert_eq!(verify["ok"], true, "{verify}");
}
