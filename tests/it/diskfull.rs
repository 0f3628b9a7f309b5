//! A full disk: on a small tmpfs (mounted by the test; CI runs as root), writes fail with a
//! clear "disk is full" error (503 over HTTP), nothing half-written is visible, the ledger still
//! verifies, and once space returns the same ledger takes writes again without a restart.

use std::process::Command;

use goal_ledger::ledger::{AppendError, Ledger};

use crate::ledger::{adopt, exported, setup};
use crate::support::*;

struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Tmpfs {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .expect("mount runs");
        assert!(
            ok.success(),
            "this test mounts a small tmpfs and needs root"
        );
        Tmpfs(dir.to_owned())
    }

    fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_clearly_and_the_ledger_recovers_when_space_returns() {
    let dir = temp_dir();
    let fs = Tmpfs::mount(dir.path(), "12m");
    let data = dir.path().join("data");
    let ledger = Ledger::open(&data, Default::default()).unwrap();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    let grant = goal_ledger::domain::Command::GrantToken {
        token: goal_ledger::domain::TokenHash::of("full-disk-token"),
        actor: actor("sam"),
        role: goal_ledger::domain::Role::Member,
        expires_at: None,
    };
    run(&ledger, "olivia", grant).await.unwrap();
    let config = goal_ledger::server::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    let server = goal_ledger::server::start(ledger.clone(), config)
        .await
        .unwrap();
    // Every check-in carries a note that names it, so the export shows which writes it holds.
    let padding = "n".repeat(1500);
    let noted = |value: f64, mark: &str| {
        let mut cmd = check_in("g", "visits", value);
        if let goal_ledger::domain::Command::RecordCheckIn { note, .. } = &mut cmd {
            *note = Some(format!("{mark}:{padding}"));
        }
        cmd
    };
    let mut acked = 0u64;
    let error = loop {
        match run(&ledger, "sam", noted(acked as f64, &write_mark(acked))).await {
            Ok(_) => acked += 1,
            Err(e) => break e,
        }
        assert!(acked < 100_000, "the disk never filled");
    };
    assert!(matches!(error, AppendError::Unavailable(_)), "{error}");
    assert!(error.to_string().contains("is full"), "{error}");
    // Only acknowledged writes are visible; the in-memory views keep answering.
    assert_eq!(ledger.goal(&goal_id("g")).unwrap().check_ins, acked);
    // Two more writes while the disk stays full: before each, whatever room is left goes to a
    // filler file. Each is refused clearly and changes nothing, or, when reopening the index
    // gave some of its space back (sled does) and the log's allocated room holds it, it is
    // acknowledged; either way it must be in the ledger exactly when it was acknowledged.
    let filler = dir.path().join("filler");
    let mut refused_marks = vec![write_mark(acked)];
    let mut acked_marks = Vec::new();
    fill(&filler);
    let head = ledger.digest();
    match run(&ledger, "sam", noted(1.0, "during-full")).await {
        Err(e) => {
            assert!(matches!(e, AppendError::Unavailable(_)), "{e}");
            assert!(e.to_string().contains("is full"), "{e}");
            assert_eq!(ledger.digest(), head);
            refused_marks.push("during-full".to_owned());
        }
        Ok(_) => acked_marks.push("during-full"),
    }
    fill(&filler);
    let head = ledger.digest();
    let response = reqwest::Client::new()
        .post(format!("http://{}/goals/g/check-ins", server.addr))
        .bearer_auth("full-disk-token")
        .json(&serde_json::json!({
            "key_result": "visits", "value": 3, "health": "on-track", "note": "over-http-during-full"
        }))
        .send()
        .await
        .unwrap();
    match response.status().as_u16() {
        503 => {
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
            assert!(response.text().await.unwrap().contains("is full"));
            assert_eq!(ledger.digest(), head);
            refused_marks.push("over-http-during-full".to_owned());
        }
        201 => acked_marks.push("over-http-during-full"),
        other => panic!("a write while the disk is full answered {other}"),
    }
    let head = ledger.digest();

    fs.resize("64m");
    // The server's timer ticks every second; a tick (or any write) reopens the store.
    ledger
        .tick()
        .await
        .expect("the store reopens once space returns");
    let appended = run(&ledger, "sam", noted(2.0, "after-recovery"))
        .await
        .expect("writes work again");
    assert!(ledger.verify(None, &mut |_| {}).unwrap().ok());
    let export = exported(&ledger);
    let lines: Vec<&[u8]> = export
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    // How many records carry each note mark (the text before the padding).
    let mut marks: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let needle = b"\"note\":\"";
    for l in &lines {
        if let Some(at) = l.windows(needle.len()).position(|w| w == needle) {
            let rest = &l[at + needle.len()..];
            let end = rest
                .iter()
                .position(|b| *b == b':' || *b == b'"')
                .unwrap_or(0);
            let mark = String::from_utf8_lossy(&rest[..end]).into_owned();
            *marks.entry(mark).or_default() += 1;
        }
    }
    let holding = |mark: &str| marks.get(mark).copied().unwrap_or(0);
    for i in 0..acked {
        assert_eq!(holding(&write_mark(i)), 1, "acknowledged write {i}");
    }
    for mark in &refused_marks {
        assert_eq!(
            holding(mark),
            0,
            "the refused write {mark} is in the ledger"
        );
    }
    for mark in acked_marks {
        assert_eq!(holding(mark), 1, "the acknowledged write {mark}");
    }
    // A refused write changes nothing: none came back once space returned, so the next write
    // follows the last acknowledged one directly.
    assert_eq!(holding("after-recovery"), 1);
    assert_eq!(appended.seqs, vec![head.seq + 1], "after {head:?}");
    assert_eq!(lines.len() as u64, head.seq + 1);
    server.shutdown().await.unwrap();
    let digest = ledger.digest();
    ledger.close();
    let reopened = Ledger::open(&data, Default::default()).unwrap();
    assert_eq!(reopened.digest(), digest);
    assert!(reopened.verify(None, &mut |_| {}).unwrap().ok());
    reopened.close();
}

/// Appends zeros to `path` until the disk has no room left.
fn fill(path: &std::path::Path) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let block = vec![0u8; 4096];
    while file
        .write_all(&block)
        .and_then(|()| file.sync_data())
        .is_ok()
    {}
}

/// The note mark of the `i`th check-in written until the disk fills.
fn write_mark(i: u64) -> String {
    format!("write-{i:06}")
}
