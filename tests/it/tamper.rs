//! Tamper evidence: the stored data and export files are altered behind the program's back
//! (a flipped byte, a deleted record, two records swapped, a truncated tail, a consistent
//! rewrite) and `verify` names the first bad sequence; an earlier digest exposes what the
//! chain alone cannot (truncation with a rewritten head, a consistent rewrite).

use goal_ledger::domain::*;
use goal_ledger::ledger::{verify_lines, Archive, Ledger};
use goal_ledger::record::{decode, encode, ChainCheck, Digest, RecordHash, VerifyReport};
use proptest::prelude::*;

use crate::ledger::{adopt, exported, setup};
use crate::support::*;

/// A closed ledger directory with 20 records and its export lines.
async fn sample() -> (tempfile::TempDir, Vec<Vec<u8>>, Digest) {
    let (dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    for v in [41000.0, 42000.0, 43000.0, 44000.0, 45000.0, 46000.0] {
        run(&ledger, "sam", check_in("g", "visits", v))
            .await
            .unwrap();
    }
    let lines = exported(&ledger)
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let digest = ledger.digest();
    ledger.close();
    (dir, lines, digest)
}

fn verify_dir(dir: &tempfile::TempDir, against: Option<Digest>) -> VerifyReport {
    Archive::open(dir.path())
        .unwrap()
        .verify(against, &mut |_| {})
        .unwrap()
}

/// Asserts that `report` names record `seq` first, for a reason that says each of `why`: which
/// record is bad is half the answer, why it is bad (a broken link, a missing record, an altered
/// stream copy, a truncated or rewritten log) is the other half.
fn assert_bad(report: &VerifyReport, seq: u64, why: &[&str]) {
    let bad = report
        .first_bad
        .as_ref()
        .unwrap_or_else(|| panic!("verify passed: {report:?}"));
    assert_eq!(bad.seq, seq, "{report:?}");
    for part in why {
        assert!(
            bad.reason.contains(part),
            "the reason for record {seq} should say {part:?}: {:?}",
            bad.reason
        );
    }
}

/// Record `seq` of `lines` re-encoded with its `prev` pointing at record `to` instead.
fn relinked(lines: &[Vec<u8>], seq: usize, to: usize) -> Vec<u8> {
    let mut record = decode(&lines[seq - 1]).unwrap();
    record.envelope.prev = RecordHash::of(&lines[to - 1]);
    encode(&record.envelope, &record.event)
}

/// Re-encodes records from `from` on with their check-in values changed and the chain redone:
/// a rewrite that is consistent in itself.
fn rewrite_from(lines: &[Vec<u8>], from: usize) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = lines[..from - 1].to_vec();
    let mut prev = RecordHash::of(&lines[from - 2]);
    for line in &lines[from - 1..] {
        let mut record = decode(line).unwrap();
        if let Event::CheckInRecorded(c) = &mut record.event {
            c.value += 1000.0;
        }
        record.envelope.prev = prev;
        let bytes = encode(&record.envelope, &record.event);
        prev = RecordHash::of(&bytes);
        out.push(bytes);
    }
    out
}

fn file_report(lines: &[Vec<u8>], against: Option<Digest>) -> VerifyReport {
    let mut text = Vec::new();
    for l in lines {
        text.extend_from_slice(l);
        text.push(b'\n');
    }
    verify_lines(&text[..], against, &mut |_| {}).unwrap()
}

#[tokio::test]
async fn a_changed_byte_in_a_stored_payload_is_named() {
    let (dir, lines, _) = sample().await;
    let mut altered = lines[4].clone();
    let at = altered.windows(3).position(|w| w == b"sam").unwrap();
    altered[at] = b'S';
    Archive::open(dir.path())
        .unwrap()
        .tamper()
        .unwrap()
        .tamper_put(5, Some(&altered))
        .unwrap();
    let report = verify_dir(&dir, None);
    // The chain names it before its stream copy (which still holds the old bytes) would.
    assert_bad(
        &report,
        5,
        &[
            "record 5 was altered",
            "no longer matches the prev of record 6",
        ],
    );
}

#[tokio::test]
async fn a_stored_record_linked_to_the_wrong_predecessor_is_named_as_a_broken_link() {
    let (dir, lines, _) = sample().await;
    // Record 8 now says it follows record 6: its payload is untouched, only the link is wrong.
    Archive::open(dir.path())
        .unwrap()
        .tamper()
        .unwrap()
        .tamper_put(8, Some(&relinked(&lines, 8, 6)))
        .unwrap();
    let report = verify_dir(&dir, None);
    assert_bad(
        &report,
        8,
        &[
            "record 8 was altered",
            "links neither back to 7 nor forward to 9",
        ],
    );
}

#[tokio::test]
async fn a_deleted_stored_record_is_named() {
    let (dir, _, _) = sample().await;
    Archive::open(dir.path())
        .unwrap()
        .tamper()
        .unwrap()
        .tamper_put(9, None)
        .unwrap();
    let report = verify_dir(&dir, None);
    assert_bad(&report, 9, &["record at position 9 says it is seq 10"]);
}

#[tokio::test]
async fn two_swapped_stored_records_are_named() {
    let (dir, lines, _) = sample().await;
    let archive = Archive::open(dir.path()).unwrap();
    archive
        .tamper()
        .unwrap()
        .tamper_put(4, Some(&lines[4]))
        .unwrap();
    archive
        .tamper()
        .unwrap()
        .tamper_put(5, Some(&lines[3]))
        .unwrap();
    assert_bad(
        &archive.verify(None, &mut |_| {}).unwrap(),
        4,
        &["record at position 4 says it is seq 5"],
    );
}

#[tokio::test]
async fn a_truncated_tail_is_caught_by_the_head_and_by_an_earlier_digest() {
    let (dir, lines, digest) = sample().await;
    let archive = Archive::open(dir.path()).unwrap();
    let n = lines.len() as u64;
    for seq in [n, n - 1] {
        archive.tamper().unwrap().tamper_put(seq, None).unwrap();
        archive
            .tamper()
            .unwrap()
            .tamper_stream_copy(seq, None)
            .unwrap();
    }
    assert_bad(
        &archive.verify(None, &mut |_| {}).unwrap(),
        n - 1,
        &[
            &format!("the log ends at record {} but its head says {n}", n - 2),
            "removed from the end",
        ],
    );
    // A careful attacker also rewrites the head: the chain is fine, the digest is not.
    archive
        .tamper()
        .unwrap()
        .tamper_head(Digest {
            seq: n - 2,
            hash: RecordHash::of(&lines[n as usize - 3]),
        })
        .unwrap();
    assert!(archive.verify(None, &mut |_| {}).unwrap().ok());
    let report = archive.verify(Some(digest), &mut |_| {}).unwrap();
    assert_bad(
        &report,
        n - 1,
        &[&format!("vouches for {n} records"), "it was truncated"],
    );
}

#[tokio::test]
async fn a_consistent_rewrite_passes_the_chain_but_not_an_earlier_digest() {
    let (dir, lines, digest) = sample().await;
    let rewritten = rewrite_from(&lines, 16);
    let archive = Archive::open(dir.path()).unwrap();
    for (i, bytes) in rewritten.iter().enumerate().skip(15) {
        let store = archive.tamper().unwrap();
        store.tamper_put(i as u64 + 1, Some(bytes)).unwrap();
        store.tamper_stream_copy(i as u64 + 1, Some(bytes)).unwrap();
    }
    let last = rewritten.len() as u64;
    archive
        .tamper()
        .unwrap()
        .tamper_head(Digest {
            seq: last,
            hash: RecordHash::of(&rewritten[last as usize - 1]),
        })
        .unwrap();
    assert!(
        archive.verify(None, &mut |_| {}).unwrap().ok(),
        "the rewrite is consistent in itself"
    );
    let rewritten_at = format!("it was rewritten at or before {}", digest.seq);
    let why = [
        &format!("no longer holds the prefix of digest {digest}")[..],
        &rewritten_at,
    ];
    assert_bad(
        &archive.verify(Some(digest), &mut |_| {}).unwrap(),
        digest.seq,
        &why,
    );
    // So does the export file.
    assert_bad(&file_report(&rewritten, Some(digest)), digest.seq, &why);
}

#[tokio::test]
async fn a_damaged_ledger_still_opens_for_auditing_but_not_for_writing() {
    let (dir, _, _) = sample().await;
    Archive::open(dir.path())
        .unwrap()
        .tamper()
        .unwrap()
        .tamper_put(20, None)
        .unwrap();
    let message = Ledger::open(dir.path(), Default::default())
        .err()
        .unwrap()
        .to_string();
    assert!(message.contains("run `goal-ledger verify`"), "{message}");
    assert_bad(
        &verify_dir(&dir, None),
        20,
        &["the log ends at record 19 but its head says 20"],
    );
}

#[tokio::test]
async fn export_files_name_the_first_bad_line() {
    let (_dir, lines, digest) = sample().await;
    assert!(file_report(&lines, Some(digest)).ok());

    let mut deleted = lines.clone();
    deleted.remove(11);
    assert_bad(
        &file_report(&deleted, None),
        12,
        &["record at position 12 says it is seq 13"],
    );

    let mut swapped = lines.clone();
    swapped.swap(2, 3);
    assert_bad(
        &file_report(&swapped, None),
        3,
        &["record at position 3 says it is seq 4"],
    );

    // A file has no stream copies and no head: only the chain tells an altered line.
    let mut altered = lines.clone();
    let at = altered[6].windows(5).position(|w| w == b"actor").unwrap();
    altered[6][at] = b'A';
    assert_bad(
        &file_report(&altered, None),
        7,
        &[
            "record 7 was altered",
            "no longer matches the prev of record 8",
        ],
    );

    let mut relinked_file = lines.clone();
    relinked_file[6] = relinked(&lines, 7, 5);
    assert_bad(
        &file_report(&relinked_file, None),
        7,
        &[
            "record 7 was altered",
            "links neither back to 6 nor forward to 8",
        ],
    );

    let truncated = &lines[..lines.len() - 3];
    assert!(
        file_report(truncated, None).ok(),
        "a shorter chain is a valid chain"
    );
    assert_bad(
        &file_report(truncated, Some(digest)),
        truncated.len() as u64 + 1,
        &["it was truncated"],
    );
}

fn lines_for_property() -> (Vec<Vec<u8>>, Digest) {
    static CELL: std::sync::OnceLock<(Vec<Vec<u8>>, Digest)> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (_dir, lines, digest) = rt.block_on(sample());
        (lines, digest)
    })
    .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Flipping any bits of any byte of any record makes verification name that record.
    #[test]
    fn flipping_any_byte_of_any_record_names_that_record(index in 0usize..20, position in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let (mut lines, digest) = lines_for_property();
        let line = &mut lines[index];
        let at = position.index(line.len());
        // Between `{"seq":N,` and `,"prev":"<64 hex>"}` lies what only the hash covers.
        let hashed_only = at > line.iter().position(|b| *b == b',').unwrap()
            && at < line.len() - ",\"prev\":\"\"}".len() - 64;
        line[at] ^= mask;
        // `\n` would split the record in two; an export is read line by line.
        prop_assume!(!line.contains(&b'\n'));
        let mut check = ChainCheck::new(None);
        for l in &lines {
            check.push(None, l);
        }
        let report = check.finish(Some(digest));
        let seq = index as u64 + 1;
        let bad = report.first_bad.clone();
        prop_assert_eq!(bad.as_ref().map(|b| b.seq), Some(seq), "{:?}", report);
        if hashed_only {
            // Only the link from the next record (or the head, for the last) can tell.
            let reason = bad.map(|b| b.reason).unwrap_or_default();
            let why = match index {
                19 => "record 20 was altered: it does not match the head digest".to_owned(),
                18 => "record 19 does not match the prev of record 20".to_owned(),
                _ => format!("record {seq} was altered: its hash no longer matches the prev of record {}", seq + 1),
            };
            prop_assert!(reason.contains(&why), "expected {:?} in {:?}", why, reason);
        }
    }
}

#[tokio::test]
async fn an_altered_or_missing_index_entry_is_named_though_the_chain_is_intact() {
    // Given a ledger whose check-in of 45000 was changed only in the copy its goal's reads use
    let (dir, lines, _) = sample().await;
    let i = lines
        .iter()
        .position(|l| l.windows(5).any(|w| w == b"45000"))
        .unwrap();
    let seq = i as u64 + 1;
    let mut altered = lines[i].clone();
    let at = altered.windows(5).position(|w| w == b"45000").unwrap();
    altered[at] = b'9';
    let archive = Archive::open(dir.path()).unwrap();
    archive
        .tamper()
        .unwrap()
        .tamper_stream_copy(seq, Some(&altered))
        .unwrap();
    // When the ledger is verified
    let report = archive.verify(None, &mut |_| {}).unwrap();
    // Then that record is named, as a copy that differs from the intact chain
    assert_bad(
        &report,
        seq,
        &[
            &format!("the index entry of record {seq}"),
            "finds something else than the record; the chain itself is intact",
        ],
    );
    // And a removed copy is named too
    archive
        .tamper()
        .unwrap()
        .tamper_stream_copy(seq, None)
        .unwrap();
    let report = archive.verify(None, &mut |_| {}).unwrap();
    assert_bad(
        &report,
        seq,
        &[&format!(
            "record {seq} has no index entry for its stream's reads"
        )],
    );
    // And so is the first record once every copy is gone
    for seq in (1..=lines.len() as u64).filter(|s| *s != seq) {
        archive
            .tamper()
            .unwrap()
            .tamper_stream_copy(seq, None)
            .unwrap();
    }
    let report = archive.verify(None, &mut |_| {}).unwrap();
    assert_bad(
        &report,
        1,
        &["record 1 has no index entry for its stream's reads"],
    );
}

/// `auth` is part of the record format: a record without it, or with a shape the format does not
/// have, is refused wherever the program reads records (decoding, import), with a message that
/// names `auth`, even when the chain around it was recomputed so that only the format is wrong.
#[tokio::test]
async fn a_record_with_a_missing_or_malformed_auth_is_refused_with_a_message_naming_auth() {
    let (_dir, lines, _) = sample().await;
    let first = String::from_utf8(lines[0].clone()).unwrap();
    let good = r#""auth":{"via":"local","user":"tester","host":"test-host"},"#;
    assert!(first.contains(good), "{first}");
    for (auth, says) in [
        ("", "missing field `auth`"),
        (r#"{"via":"password"}"#, r#"unknown via "password""#),
        (
            r#"{"via":"system","user":"root"}"#,
            "via system has no other member",
        ),
        (
            r#"{"via":"token","token":"not-hex"}"#,
            "12 lowercase hex digits",
        ),
        (r#"{"via":"local","user":"root"}"#, "user and host"),
        (r#""local""#, "auth"),
    ] {
        let replaced = match auth {
            "" => String::new(),
            shape => format!(r#""auth":{shape},"#),
        };
        let changed = first.replacen(good, &replaced, 1).into_bytes();
        let e = decode(&changed).unwrap_err().to_string();
        assert!(e.contains("auth"), "{auth}: {e}");
        assert!(e.contains(says), "{auth}: {e}");

        let mut file = vec![changed];
        let mut prev = RecordHash::of(&file[0]);
        for line in &lines[1..] {
            let mut record = decode(line).unwrap();
            record.envelope.prev = prev;
            let bytes = encode(&record.envelope, &record.event);
            prev = RecordHash::of(&bytes);
            file.push(bytes);
        }
        let (dir, ledger, _) = temp_ledger();
        let path = dir.path().join("export.jsonl");
        let mut text = file.join(&b'\n');
        text.push(b'\n');
        std::fs::write(&path, text).unwrap();
        let err = ledger.import(&path, &mut |_| {}).await.unwrap_err();
        assert!(err.to_string().contains("auth"), "{auth}: {err}");
        assert_eq!(ledger.digest().seq, 0, "nothing was imported");
    }
}
