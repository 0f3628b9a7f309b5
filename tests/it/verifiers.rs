//! The two verifiers agree: `goal-ledger verify` and the independent `events/verify.py` give the
//! same verdict and name the same record over a corpus of good and tampered files: exports
//! (bytes flipped anywhere, cut anywhere, a missing final newline, records removed, swapped or
//! rewritten, against a digest and a checkpoint), slices with their proofs, and proof files.

use std::path::{Path, PathBuf};

use crate::golden;
use crate::proofs::{export_slice, gl, rewritten, run, sample, signed, Signed};

/// What a verifier said: its exit code and the record it named, if any.
type Verdict = (i32, Option<u64>);

fn named(text: &str) -> Option<u64> {
    let at = ["verification failed at record ", "FAILED at record "]
        .iter()
        .find_map(|p| text.find(p).map(|i| i + p.len()))?;
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn python(args: &[&std::ffi::OsStr]) -> (Verdict, String) {
    let out = std::process::Command::new("python3")
        .arg(golden::path("events/verify.py"))
        .args(args)
        .output()
        .expect("python3 runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !text.contains("No module named"),
        "install the verifier's dependencies: pip install blake3 cryptography\n{text}"
    );
    ((out.status.code().unwrap_or(-1), named(&text)), text)
}

fn rust(s: &Signed, args: &[&std::ffi::OsStr]) -> (Verdict, String) {
    let (code, text) = run(gl(&s.data).arg("verify").args(args));
    ((code, named(&text)), text)
}

/// Both verifiers on one case; returns the common verdict.
fn agree(
    s: &Signed,
    what: &str,
    rust_args: &[&std::ffi::OsStr],
    py_args: &[&std::ffi::OsStr],
) -> Verdict {
    let (ours, ours_text) = rust(s, rust_args);
    let (theirs, theirs_text) = python(py_args);
    assert_eq!(
        ours, theirs,
        "{what}\nrust: {ours_text}\npython: {theirs_text}"
    );
    ours
}

/// A small deterministic sequence of positions (no randomness between runs).
fn positions(len: usize, n: usize) -> Vec<usize> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % len as u64) as usize
        })
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn both_verifiers_name_the_same_record_over_a_corpus_of_exports() {
    let s = signed(&sample());
    let text = std::fs::read(sample()).unwrap();
    let lines: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').collect();
    let head = run(gl(&s.data).arg("digest")).1.trim().to_owned();
    let mut cases: Vec<(String, Vec<u8>, bool)> = vec![
        ("intact".into(), text.clone(), true),
        (
            "no final newline".into(),
            text[..text.len() - 1].to_vec(),
            true,
        ),
        ("last record removed".into(), lines[..179].concat(), true),
        (
            "records 40 and 41 swapped".into(),
            [&lines[..39], &[lines[40], lines[39]], &lines[41..]]
                .concat()
                .concat(),
            false,
        ),
        (
            "record 90 removed".into(),
            [&lines[..89], &lines[90..]].concat().concat(),
            false,
        ),
        (
            "record 75 rewritten and rechained".into(),
            rewritten(75),
            true,
        ),
        (
            "record 1 rewritten and rechained".into(),
            rewritten(1),
            true,
        ),
        ("record 180 rewritten".into(), rewritten(180), true),
    ];
    for (i, at) in positions(text.len(), 40).into_iter().enumerate() {
        let mut bytes = text.clone();
        bytes[at] ^= 1 << (i % 7);
        cases.push((format!("byte {at} flipped"), bytes, false));
    }
    for at in positions(text.len(), 8) {
        cases.push((format!("cut at byte {at}"), text[..at].to_vec(), true));
    }
    let mut failures = 0;
    for (what, bytes, with_checkpoint) in cases {
        let file = write(s.dir.path(), "case.jsonl", &bytes);
        let f = file.as_os_str();
        let plain = agree(&s, &what, &["--file".as_ref(), f], &[f]);
        let digest = agree(
            &s,
            &format!("{what}, against the digest"),
            &["--file".as_ref(), f, "--digest".as_ref(), head.as_ref()],
            &[f, "--digest".as_ref(), head.as_ref()],
        );
        if with_checkpoint {
            let (cp, key) = (s.cp.as_os_str(), s.vkey.as_os_str());
            let v = agree(
                &s,
                &format!("{what}, against the checkpoint"),
                &["--file".as_ref(), f, "--checkpoint".as_ref(), cp],
                &[f, "--checkpoint".as_ref(), cp, "--key".as_ref(), key],
            );
            failures += usize::from(v.0 != 0);
        }
        failures += usize::from(plain.0 != 0) + usize::from(digest.0 != 0);
    }
    assert!(failures > 60, "the corpus must hold failures: {failures}");
}

#[test]
fn both_verifiers_agree_on_slices_and_proof_files() {
    let s = signed(&sample());
    let (slice, proof) = export_slice(&s);
    let text = std::fs::read(&slice).unwrap();
    let key = s.vkey.as_os_str();
    let mut cases = vec![("intact".to_owned(), text.clone())];
    for at in positions(text.len(), 25) {
        let mut bytes = text.clone();
        bytes[at] ^= 2;
        cases.push((format!("slice byte {at} flipped"), bytes));
    }
    cases.push((
        "slice without its final newline".into(),
        text[..text.len() - 1].to_vec(),
    ));
    let mut verdicts = Vec::new();
    for (what, bytes) in cases {
        let file = write(s.dir.path(), "slice.jsonl", &bytes);
        let (f, p) = (file.as_os_str(), proof.as_os_str());
        verdicts.push(agree(
            &s,
            &what,
            &["--file".as_ref(), f, "--proof".as_ref(), p],
            &[f, "--proof".as_ref(), p, "--key".as_ref(), key],
        ));
    }
    assert_eq!(verdicts[0], (0, None));
    assert!(verdicts.iter().filter(|v| v.0 == 3).count() > 20);
    let proof_text = std::fs::read(&proof).unwrap();
    for at in positions(proof_text.len(), 25) {
        let mut bytes = proof_text.clone();
        bytes[at] ^= 4;
        let file = write(s.dir.path(), "p.tlog-proof", &bytes);
        let p = file.as_os_str();
        let (ours, ours_text) = rust(&s, &["--proof".as_ref(), p]);
        let (theirs, theirs_text) = python(&["--proof".as_ref(), p, "--key".as_ref(), key]);
        // A damaged file may be refused before any record is named (exit 2 or 3 with a
        // message); when either names a record, both name the same one.
        assert_eq!(
            ours.1, theirs.1,
            "proof byte {at}\nrust: {ours_text}\npython: {theirs_text}"
        );
        assert_eq!(
            ours.0 == 0,
            theirs.0 == 0,
            "proof byte {at}\nrust: {ours_text}\npython: {theirs_text}"
        );
    }
}

/// `events/test_verify.py`: the Python verifier's own tests (the RFC 9162 vectors, the C2SP
/// example, the chain's blame rules on hand-built files) pass.
#[test]
fn the_python_verifiers_own_tests_pass() {
    let out = std::process::Command::new("python3")
        .args(["-B", "-m", "unittest", "events/test_verify.py"])
        .current_dir(golden::path("."))
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("OK"), "{text}");
}
