//! The log is the store: a data directory's segments, through the real binary. A sealed segment
//! is the matching slice of `export`; the segments verify as they are (here and with
//! `events/verify.py`); damage to a segment is named; a deleted index is rebuilt; a data
//! directory of the sled layout is migrated at its first open with its head unchanged.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::golden;
use crate::support::temp_dir;

/// The sample quarter's head (`events/samples/quarterly-goals.jsonl`).
const SAMPLE_HEAD: &str = "217:4585e997d2a4f3d026748ec4dd17601c6ba95bacff363573ed2c02a8207400a2";
/// The head of `tests/fixtures/sled-layout-180.tar.gz`: the sample's first quarter, as the
/// release before the segments layout wrote it.
const FIXTURE_HEAD: &str = "180:159ded6ba6ae0b20e90eb9cb8bd70eb2d58e5cbfa16e9adae30989d0b79d6ea5";

/// The binary on `data`, with 2 KiB segments.
fn gl(data: &Path) -> Command {
    let mut c = Command::cargo_bin("goal-ledger").unwrap();
    c.arg("--data-dir")
        .arg(data)
        .env("GOAL_LEDGER_SEGMENT_BYTES", "2048")
        .env_remove("GOAL_LEDGER_SERVER");
    c
}

fn stdout(c: &mut Command) -> String {
    let out = c.output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// A data directory of 40 teams, one command (one commit) each: about seven segments.
fn teams_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = temp_dir();
    let data = dir.path().join("data");
    for i in 0..40 {
        gl(&data)
            .args(["--actor", "olivia", "team", "add", &format!("team-{i:02}")])
            .args(["--name", &format!("Team {i}")])
            .assert()
            .success();
    }
    (dir, data)
}

/// A data directory holding the sample quarter (one import: one commit).
fn sample_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = temp_dir();
    let data = dir.path().join("data");
    gl(&data)
        .arg("import")
        .arg(golden::path("events/samples/quarterly-goals.jsonl"))
        .assert()
        .success();
    (dir, data)
}

/// The segments of a data directory, in order.
fn segments(data: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(data.join("log"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    all.sort();
    all
}

fn verify_fails_at(data: &Path, seq: u64, why: &str) {
    let out = gl(data).arg("verify").output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains(&format!("verification failed at record {seq}: ")) && text.contains(why),
        "{text}"
    );
}

#[test]
fn sealed_segments_are_the_export_and_verify_as_they_are_with_either_verifier() {
    let (_dir, data) = teams_dir();
    let export = gl(&data).arg("export").output().unwrap().stdout;
    let digest = stdout(gl(&data).arg("digest")).trim().to_owned();
    let all = segments(&data);
    assert!(all.len() > 4, "2 KiB segments: {all:?}");
    let mut joined = Vec::new();
    for (i, path) in all.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name.len(), "00000000000000000001.jsonl".len(), "{name}");
        let first: u64 = name[..20].parse().unwrap();
        if i + 1 < all.len() {
            assert!(!bytes.contains(&0), "{name} is sealed: cut to its records");
            assert!(
                bytes.starts_with(format!("{{\"seq\":{first},").as_bytes()),
                "{name}"
            );
        }
        let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
        joined.extend_from_slice(&bytes[..end]);
    }
    assert_eq!(joined, export, "the segments in order are the export");
    let text = stdout(gl(&data).arg("verify").arg("--file").arg(data.join("log")));
    assert!(text.contains(&format!("head {digest}")), "{text}");
    let python = std::process::Command::new("python3")
        .arg(golden::path("events/verify.py"))
        .arg(data.join("log"))
        .args(["--digest", &digest])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&python.stdout);
    assert_eq!(python.status.code(), Some(0), "{text}");
    assert!(text.contains(&format!("head {digest}")), "{text}");
}

#[test]
fn a_byte_flipped_in_a_sealed_segment_is_named() {
    let (_dir, data) = teams_dir();
    let path = &segments(&data)[2];
    let mut bytes = std::fs::read(path).unwrap();
    let first: u64 = path.file_name().unwrap().to_string_lossy()[..20]
        .parse()
        .unwrap();
    let at = bytes
        .windows(10)
        .position(|w| w == b"\"payload\":")
        .unwrap()
        + 12;
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
    verify_fails_at(&data, first, &format!("record {first} was altered"));
}

#[test]
fn a_deleted_or_truncated_segment_is_named() {
    let (_dir, data) = teams_dir();
    let all = segments(&data);
    let name = |p: &PathBuf| -> u64 {
        p.file_name().unwrap().to_string_lossy()[..20]
            .parse()
            .unwrap()
    };
    std::fs::remove_file(&all[3]).unwrap();
    verify_fails_at(
        &data,
        name(&all[3]),
        &format!("record {} is missing", name(&all[3])),
    );

    let (_dir, data) = teams_dir();
    let all = segments(&data);
    let bytes = std::fs::read(&all[4]).unwrap();
    std::fs::write(&all[4], &bytes[..bytes.len() - 40]).unwrap();
    let last = name(&all[5]) - 1;
    verify_fails_at(&data, last, &format!("record {last} is unreadable"));
}

#[test]
fn a_deleted_index_is_rebuilt_and_reads_answer_as_before() {
    let (_dir, data) = sample_dir();
    let history = stdout(gl(&data).args(["history", "web-traffic-q3"]));
    std::fs::remove_dir_all(data.join("index")).unwrap();
    assert_eq!(stdout(gl(&data).arg("digest")).trim(), SAMPLE_HEAD);
    assert_eq!(
        stdout(gl(&data).args(["history", "web-traffic-q3"])),
        history
    );
    let text = stdout(gl(&data).arg("verify"));
    assert!(text.contains("ok: 217 records verify"), "{text}");
}

#[test]
fn a_sled_layout_data_directory_is_migrated_once_with_its_head_unchanged() {
    // Given a data directory the previous release wrote (the sample quarter, sled layout)
    let dir = temp_dir();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let unpacked = std::process::Command::new("tar")
        .arg("xzf")
        .arg(golden::path("tests/fixtures/sled-layout-180.tar.gz"))
        .arg("-C")
        .arg(&data)
        .status()
        .unwrap();
    assert!(unpacked.success());
    assert!(data.join("db").is_file());
    // When it is opened
    assert_eq!(stdout(gl(&data).arg("digest")).trim(), FIXTURE_HEAD);
    // Then it is in segments, sled's files are gone, and it verifies and takes writes
    assert!(data.join("log").is_dir() && data.join("index").is_dir());
    for gone in ["db", "conf", "blobs"] {
        assert!(!data.join(gone).exists(), "{gone} is left");
    }
    let text = stdout(gl(&data).args(["verify", "--digest", FIXTURE_HEAD]));
    assert!(text.contains("ok: 180 records verify"), "{text}");
    gl(&data)
        .args([
            "--actor", "olivia", "team", "add", "design", "--name", "Design",
        ])
        .assert()
        .success();
    assert!(stdout(gl(&data).arg("digest")).starts_with("181:"));
}

/// A backup taken over HTTP while check-ins keep arriving restores to a ledger whose digest is
/// the head the backup recorded, and `events/verify.py` accepts the backup folder as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_to_the_head_it_recorded() {
    let app = crate::support::spawn_app().await;
    app.adopted("web-traffic-q3").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (client, url, token, stop) = (
                app.client.clone(),
                app.url.clone(),
                app.tokens["sam"].clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut acked = 0u32;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let status = client
                        .post(format!("{url}/goals/web-traffic-q3/check-ins"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"key_result": "visits", "value": 40000 + w * 1000 + acked, "health": "on-track"}))
                        .send()
                        .await
                        .unwrap()
                        .status();
                    assert_eq!(status, 201);
                    acked += 1;
                }
                acked
            })
        })
        .collect();
    // Let the load build up, then back up while it goes on.
    let mut head = app.ledger.digest();
    while app.ledger.digest().seq < head.seq + 50 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    head = app.ledger.digest();
    let dir = temp_dir();
    let backup = dir.path().join("backup");
    let (url, token, folder) = (
        app.url.clone(),
        app.tokens["reader"].clone(),
        backup.clone(),
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("goal-ledger")
            .unwrap()
            .args(["--server", &url, "--token", &token, "backup"])
            .arg(&folder)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let during = app.ledger.digest();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let acked: u32 = futures_util::future::join_all(writers)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .sum();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recorded = std::fs::read_to_string(backup.join("HEAD")).unwrap();
    let recorded = goal_ledger::record::Digest::parse(recorded.trim()).unwrap();
    assert!(
        head.seq <= recorded.seq && recorded.seq <= during.seq,
        "the backup's head {recorded} lies within the load ({head} .. {during}); {acked} check-ins acknowledged"
    );
    assert!(
        app.ledger.digest().seq > recorded.seq,
        "writes went on after the backup's head"
    );
    let restored = dir.path().join("restored");
    let text = stdout(gl(&restored).arg("restore").arg(&backup));
    assert!(text.contains(&format!("head {recorded}")), "{text}");
    assert_eq!(
        stdout(gl(&restored).arg("digest")).trim(),
        recorded.to_string()
    );
    let python = std::process::Command::new("python3")
        .arg(golden::path("events/verify.py"))
        .arg(&backup)
        .args(["--digest", &recorded.to_string()])
        .output()
        .unwrap();
    assert_eq!(
        python.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&python.stdout)
    );
}

#[test]
fn a_local_backup_restores_and_restore_refuses_a_data_directory_in_use() {
    let (dir, data) = sample_dir();
    let backup = dir.path().join("backup");
    let text = stdout(gl(&data).arg("backup").arg(&backup));
    assert!(
        text.contains(&format!(
            "backed up 217 records to {}; head {SAMPLE_HEAD}",
            backup.display()
        )),
        "{text}"
    );
    let again = gl(&data).arg("backup").arg(&backup).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not empty"));
    let refused = gl(&data).arg("restore").arg(&backup).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("restore into a new data directory"));
    let restored = dir.path().join("restored");
    let text = stdout(gl(&restored).arg("restore").arg(&backup));
    assert!(
        text.contains(&format!(
            "restored 217 records into {}; head {SAMPLE_HEAD}",
            restored.display()
        )),
        "{text}"
    );
}

/// A backup the server refuses leaves an empty folder: nothing that looks like records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_backup_keeps_nothing() {
    let app = crate::support::spawn_app().await;
    let dir = temp_dir();
    let folder = dir.path().join("backup");
    let url = app.url.clone();
    let target = folder.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("goal-ledger")
            .unwrap()
            .args(["--server", &url, "--token", "not-a-token", "backup"])
            .arg(&target)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    let left: Vec<_> = std::fs::read_dir(&folder).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}
