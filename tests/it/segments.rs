//! The log is the store: a data directory's segments, through the real binary. A sealed segment
//! is the matching slice of `export`; the segments verify as they are (here and with
//! `events/verify.py`); damage to a segment is named; a deleted index is rebuilt; a data
//! directory of the sled layout is migrated at its first open with its head unchanged.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::golden;
use crate::support::temp_dir;

/// The sample quarter's head (`events/samples/quarterly-goals.jsonl`).
const SAMPLE_HEAD: &str = "180:159ded6ba6ae0b20e90eb9cb8bd70eb2d58e5cbfa16e9adae30989d0b79d6ea5";

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
    assert!(text.contains("ok: 180 records verify"), "{text}");
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
    assert_eq!(stdout(gl(&data).arg("digest")).trim(), SAMPLE_HEAD);
    // Then it is in segments, sled's files are gone, and it verifies and takes writes
    assert!(data.join("log").is_dir() && data.join("index").is_dir());
    for gone in ["db", "conf", "blobs"] {
        assert!(!data.join(gone).exists(), "{gone} is left");
    }
    let text = stdout(gl(&data).args(["verify", "--digest", SAMPLE_HEAD]));
    assert!(text.contains("ok: 180 records verify"), "{text}");
    gl(&data)
        .args([
            "--actor", "olivia", "team", "add", "design", "--name", "Design",
        ])
        .assert()
        .success();
    assert!(stdout(gl(&data).arg("digest")).starts_with("181:"));
}
