//! Proofs an auditor can hold the ledger to, through the real binary and the library: the RFC
//! 9162 algorithms against transparency-dev/merkle's published vectors (`tests/fixtures/
//! merkle`), inclusion proofs of every record, checkpoints refused when signed by another key
//! or edited, a ledger that refuses to sign a checkpoint inconsistent with one it signed, and
//! `import --checkpoint` refusing an export cut short or rewritten, the ledger unchanged.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use base64::Engine as _;
use serde_json::Value;

use goal_ledger::proofs::check;
use goal_ledger::record::RecordHash;

use crate::golden;
use crate::support::temp_dir;

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn hashes(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().map(|h| b64(h.as_str().unwrap())).collect())
        .unwrap_or_default()
}

fn vectors(kind: &str) -> Vec<(PathBuf, Value)> {
    let root = golden::path("tests/fixtures/merkle").join(kind);
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let v = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                out.push((path, v));
            }
        }
    }
    out
}

#[test]
fn inclusion_checks_agree_with_every_published_vector() {
    let all = vectors("inclusion");
    assert!(all.len() > 80, "{} vectors", all.len());
    for (path, v) in all {
        let got = check::inclusion(
            v["leafIdx"].as_u64().unwrap(),
            v["treeSize"].as_u64().unwrap(),
            &b64(v["leafHash"].as_str().unwrap()),
            &hashes(&v["proof"]),
            &b64(v["root"].as_str().unwrap()),
        );
        assert_eq!(
            got.is_err(),
            v["wantErr"] == true,
            "{}: {got:?}",
            path.display()
        );
    }
}

#[test]
fn consistency_checks_agree_with_every_published_vector() {
    let all = vectors("consistency");
    assert!(all.len() > 80, "{} vectors", all.len());
    for (path, v) in all {
        let got = check::consistency(
            v["size1"].as_u64().unwrap(),
            v["size2"].as_u64().unwrap(),
            &hashes(&v["proof"]),
            &b64(v["root1"].as_str().unwrap()),
            &b64(v["root2"].as_str().unwrap()),
        );
        assert_eq!(
            got.is_err(),
            v["wantErr"] == true,
            "{}: {got:?}",
            path.display()
        );
    }
}

/// The binary on `data`.
pub fn gl(data: &Path) -> Command {
    let mut c = Command::cargo_bin("goal-ledger").unwrap();
    c.arg("--data-dir")
        .arg(data)
        .env_remove("GOAL_LEDGER_SERVER")
        .env_remove("GOAL_LEDGER_SIGNING_KEY")
        .env_remove("GOAL_LEDGER_ORIGIN");
    c
}

/// Runs `c`; its exit code and everything it printed.
pub fn run(c: &mut Command) -> (i32, String) {
    let out = c.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// A data directory holding `export`, with a signed checkpoint of its head in `cp` and its
/// public key in `vkey`, both in the temp dir.
pub struct Signed {
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub cp: PathBuf,
    pub vkey: PathBuf,
}

pub fn signed(export: &Path) -> Signed {
    let dir = temp_dir();
    let data = dir.path().join("data");
    gl(&data).arg("import").arg(export).assert().success();
    let cp = dir.path().join("kept.checkpoint");
    let vkey = dir.path().join("ledger.vkey");
    std::fs::write(&cp, gl(&data).arg("checkpoint").output().unwrap().stdout).unwrap();
    let key = gl(&data)
        .args(["checkpoint", "--public-key"])
        .output()
        .unwrap();
    std::fs::write(&vkey, key.stdout).unwrap();
    Signed {
        dir,
        data,
        cp,
        vkey,
    }
}

pub fn sample() -> PathBuf {
    golden::path("events/samples/quarterly-goals.jsonl")
}

#[test]
fn every_record_of_the_sample_has_a_proof_that_verifies_and_an_altered_one_fails() {
    let s = signed(&sample());
    let key = s.vkey.to_str().unwrap().to_owned();
    let checkpoint = std::fs::read_to_string(&s.cp).unwrap();
    assert!(checkpoint.contains("\n217\n"), "{checkpoint}");
    for seq in 1..=217 {
        let file = s.dir.path().join(format!("{seq}.tlog-proof"));
        gl(&s.data)
            .args(["prove", &seq.to_string(), "--out"])
            .arg(&file)
            .assert()
            .success();
        let (code, text) = run(gl(&s.data).arg("verify").arg("--proof").arg(&file));
        assert_eq!(code, 0, "{seq}: {text}");
        assert!(text.starts_with(&format!(
            "ok: record {seq} is in the checkpoint of 217 records"
        )));
    }
    // Altered: another index, a hash dropped, a hash added, the record's bytes edited, or
    // another record in the extra line (named by its own seq).
    let proof = std::fs::read_to_string(s.dir.path().join("75.tlog-proof")).unwrap();
    let other = std::fs::read_to_string(s.dir.path().join("76.tlog-proof")).unwrap();
    let extra = |p: &str| p.lines().nth(1).unwrap().to_owned();
    let engine = base64::engine::general_purpose::STANDARD;
    let edited = String::from_utf8(b64(&extra(&proof)[6..]))
        .unwrap()
        .replace("\"actor\":\"", "\"actor\":\"x");
    let edited = format!("extra {}", engine.encode(edited));
    let first_hash = proof.lines().nth(3).unwrap().to_owned();
    for (what, bad, seq) in [
        ("index", proof.replace("index 74\n", "index 75\n"), 75),
        (
            "truncated",
            proof.replacen(&format!("{first_hash}\n"), "", 1),
            75,
        ),
        (
            "extended",
            proof.replacen("\n\n", &format!("\n{first_hash}\n\n"), 1),
            75,
        ),
        ("edited", proof.replace(&extra(&proof), &edited), 75),
        (
            "another record",
            proof.replace(&extra(&proof), &extra(&other)),
            76,
        ),
    ] {
        let file = s.dir.path().join("bad.tlog-proof");
        std::fs::write(&file, bad).unwrap();
        let (code, text) = run(gl(&s.data)
            .args(["verify", "--key", &key, "--proof"])
            .arg(&file));
        assert_eq!(code, 3, "{what}: {text}");
        assert!(
            text.contains(&format!("verification failed at record {seq}: ")),
            "{what}: {text}"
        );
    }
}

#[test]
fn a_checkpoint_signed_by_another_key_or_edited_is_refused() {
    let s = signed(&sample());
    let other = signed(&sample());
    // Another ledger's key: its signature is not ours.
    let (code, text) = run(gl(&s.data)
        .args(["verify", "--key"])
        .arg(&other.vkey)
        .arg("--checkpoint")
        .arg(&s.cp));
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("carries no signature of the key"), "{text}");
    // An edited body (another size) does not verify under our key.
    let edited = std::fs::read_to_string(&s.cp)
        .unwrap()
        .replace("\n217\n", "\n216\n");
    let file = s.dir.path().join("edited.checkpoint");
    std::fs::write(&file, edited).unwrap();
    let (code, text) = run(gl(&s.data).arg("verify").arg("--checkpoint").arg(&file));
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("does not verify"), "{text}");
    // The genuine one holds.
    let (code, text) = run(gl(&s.data).arg("verify").arg("--checkpoint").arg(&s.cp));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("it extends the checkpoint"), "{text}");
}

/// The sample with record `seq`'s actor changed and every later record chained again: a
/// consistent rewrite that verifies on its own.
pub fn rewritten(seq: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(sample()).unwrap();
    let mut prev: Option<String> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut line = line.to_owned();
        if i + 1 == seq {
            let before = line.clone();
            line = line.replacen("\"actor\":\"", "\"actor\":\"x", 1);
            assert_ne!(before, line);
        }
        if let Some(p) = &prev {
            line = format!("{}{p}\"}}", &line[..line.len() - 66]);
        }
        if i + 1 >= seq {
            prev = Some(RecordHash::of(line.as_bytes()).to_string());
        }
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

#[test]
fn import_with_a_checkpoint_refuses_an_export_cut_short_or_rewritten_and_appends_nothing() {
    let s = signed(&sample());
    let text = std::fs::read(sample()).unwrap();
    let cut: Vec<u8> = text
        .split_inclusive(|b| *b == b'\n')
        .take(142)
        .flatten()
        .copied()
        .collect();
    let rewritten = rewritten(75);
    for (what, bytes, seq, why) in [
        (
            "cut short",
            cut,
            143,
            "vouches for 217 records: it was truncated",
        ),
        (
            "rewritten",
            rewritten,
            217,
            "do not have the root of the checkpoint",
        ),
    ] {
        let file = s.dir.path().join("export.jsonl");
        std::fs::write(&file, bytes).unwrap();
        // On its own the file verifies: only the checkpoint tells.
        gl(&s.data)
            .arg("verify")
            .arg("--file")
            .arg(&file)
            .assert()
            .success();
        let fresh = s.dir.path().join(format!("fresh-{seq}"));
        let (code, out) = run(gl(&fresh)
            .arg("import")
            .arg(&file)
            .arg("--checkpoint")
            .arg(&s.cp)
            .arg("--key")
            .arg(&s.vkey));
        assert_eq!(code, 3, "{what}: {out}");
        assert!(
            out.contains(&format!("record {seq}: ")) && out.contains(why),
            "{what}: {out}"
        );
        assert!(out.contains("nothing was imported"), "{what}: {out}");
        let (_, head) = run(gl(&fresh).arg("digest"));
        assert!(head.starts_with("0:"), "{what}: {head}");
        let (code, out) = run(gl(&s.data)
            .args(["verify", "--file"])
            .arg(&file)
            .arg("--checkpoint")
            .arg(&s.cp));
        assert_eq!(code, 3, "{what}: {out}");
        assert!(
            out.contains(&format!("verification failed at record {seq}: ")),
            "{out}"
        );
    }
    let fresh = s.dir.path().join("fresh-intact");
    gl(&fresh)
        .arg("import")
        .arg(sample())
        .arg("--checkpoint")
        .arg(&s.cp)
        .arg("--key")
        .arg(&s.vkey)
        .assert()
        .success();
}

#[test]
fn the_ledger_refuses_to_sign_a_checkpoint_inconsistent_with_one_it_signed() {
    let s = signed(&sample());
    for (what, bytes, why) in [
        ("rewritten", rewritten(75), "no longer have the root"),
        (
            "shorter",
            std::fs::read(sample()).unwrap()[..1000].to_vec(),
            "records were lost",
        ),
    ] {
        // Another ledger's records under this ledger's key and kept checkpoints.
        let other = s.dir.path().join(what);
        let file = s.dir.path().join(format!("{what}.jsonl"));
        let bytes = match what {
            "shorter" => {
                let end = bytes.iter().rposition(|b| *b == b'\n').unwrap() + 1;
                bytes[..end].to_vec()
            }
            _ => bytes,
        };
        std::fs::write(&file, bytes).unwrap();
        gl(&other).arg("import").arg(&file).assert().success();
        for name in ["signing-key", "checkpoints"] {
            std::fs::copy(s.data.join(name), other.join(name)).unwrap();
        }
        let kept = std::fs::read(other.join("checkpoints")).unwrap();
        let (code, text) = run(gl(&other).arg("checkpoint"));
        assert_eq!(code, 3, "{what}: {text}");
        assert!(
            text.contains("refusing to sign") && text.contains(why),
            "{what}: {text}"
        );
        assert_eq!(
            std::fs::read(other.join("checkpoints")).unwrap(),
            kept,
            "{what}"
        );
        // And verify names it.
        let (code, text) = run(gl(&other).arg("verify"));
        assert_eq!(code, 3, "{what}: {text}");
    }
}

/// `export --from 75 --to 142` of `s`: the slice's file and its proof's.
pub fn export_slice(s: &Signed) -> (PathBuf, PathBuf) {
    let slice = s.dir.path().join("q3.jsonl");
    gl(&s.data)
        .args(["export", "--from", "75", "--to", "142", "--out"])
        .arg(&slice)
        .assert()
        .success();
    (slice, s.dir.path().join("q3.jsonl.tlog-proof"))
}

#[test]
fn a_slice_verifies_against_its_checkpoint_and_an_altered_slice_is_named() {
    let s = signed(&sample());
    let (slice, proof) = export_slice(&s);
    let (code, text) = run(gl(&s.data)
        .args(["verify", "--file"])
        .arg(&slice)
        .arg("--proof")
        .arg(&proof));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("records 75–142 (68 records) are in the checkpoint of"),
        "{text}"
    );
    let lines: Vec<String> = std::fs::read_to_string(&slice)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let altered = |i: usize| {
        let mut l = lines.clone();
        l[i] = l[i].replacen("\"actor\":\"", "\"actor\":\"x", 1);
        l.join("\n") + "\n"
    };
    for (what, bytes, seq) in [
        ("record 100 altered", altered(25), 100),
        ("record 142 altered", altered(67), 142),
        ("cut before 142", lines[..67].join("\n") + "\n", 141),
    ] {
        std::fs::write(&slice, bytes).unwrap();
        let (code, text) = run(gl(&s.data)
            .args(["verify", "--file"])
            .arg(&slice)
            .arg("--proof")
            .arg(&proof));
        assert_eq!(code, 3, "{what}: {text}");
        assert!(
            text.contains(&format!("verification failed at record {seq}: ")),
            "{what}: {text}"
        );
    }
}

/// The root of the sample's tree, as the data directory's ledger gives it.
fn root_of_dir(data: &Path) -> String {
    let (code, text) = run(gl(data).arg("verify"));
    assert_eq!(code, 0, "{text}");
    text.split("root ").nth(1).unwrap().trim().to_owned()
}

#[test]
fn the_tree_is_kept_across_opens_and_rebuilt_when_its_file_is_lost_or_torn() {
    let s = signed(&sample());
    let tree = s.data.join("index/tree");
    // 217 records: three complete chunks of 64 are kept.
    assert_eq!(std::fs::metadata(&tree).unwrap().len(), 96);
    let root = root_of_dir(&s.data);
    let signed_root = std::fs::read_to_string(&s.cp).unwrap();
    assert!(signed_root.contains(&root), "{root} not in {signed_root}");
    for (what, damage) in [
        ("deleted", None),
        ("zeroed tail", Some(vec![0u8; 32])),
        ("torn", Some(vec![7u8; 45])),
    ] {
        let kept = std::fs::read(&tree).unwrap();
        match &damage {
            None => std::fs::remove_file(&tree).unwrap(),
            Some(bytes) => {
                let mut b = kept[..32].to_vec();
                b.extend_from_slice(bytes);
                std::fs::write(&tree, b).unwrap();
            }
        }
        // Opening hashes again what it cannot trust; proofs and signing go on.
        gl(&s.data).arg("checkpoint").assert().success();
        let file = s.dir.path().join("p.tlog-proof");
        gl(&s.data)
            .args(["prove", "100", "--out"])
            .arg(&file)
            .assert()
            .success();
        gl(&s.data)
            .arg("verify")
            .arg("--proof")
            .arg(&file)
            .assert()
            .success();
        assert_eq!(std::fs::read(&tree).unwrap(), kept, "{what}");
        assert_eq!(root_of_dir(&s.data), root, "{what}");
    }
}

#[test]
fn verify_names_the_records_whose_kept_tree_chunk_was_altered() {
    let s = signed(&sample());
    let tree = s.data.join("index/tree");
    let mut bytes = std::fs::read(&tree).unwrap();
    bytes[40] ^= 1;
    std::fs::write(&tree, bytes).unwrap();
    let (code, text) = run(gl(&s.data).arg("verify"));
    assert_eq!(code, 3, "{text}");
    assert!(
        text.contains("verification failed at record 65: the Merkle tree kept in the index does not match records 65–128"),
        "{text}"
    );
}

/// `events/samples`: the sample quarter's checkpoint, public key, a record's proof and a slice
/// with its proof are exactly what the ledger writes when it signs with the sample key (public,
/// for examples only). Ed25519 signatures are deterministic, so these are golden files.
#[test]
fn the_sample_checkpoint_key_proof_and_slice_are_what_the_ledger_writes() {
    let dir = temp_dir();
    let data = dir.path().join("data");
    let key = golden::path("events/samples/sample.signing-key");
    let gk = || {
        let mut c = gl(&data);
        c.arg("--signing-key").arg(&key);
        c
    };
    gk().arg("import").arg(sample()).assert().success();
    let out = |c: &mut Command| String::from_utf8(c.output().unwrap().stdout).unwrap();
    golden::check(
        "events/samples/quarterly-goals.checkpoint",
        &out(gk().arg("checkpoint")),
    );
    golden::check(
        "events/samples/quarterly-goals.vkey",
        &out(gk().args(["checkpoint", "--public-key"])),
    );
    golden::check(
        "events/samples/record-75.tlog-proof",
        &out(gk().args(["prove", "75"])),
    );
    let slice = dir.path().join("slice.jsonl");
    gk().args(["export", "--from", "75", "--to", "142", "--out"])
        .arg(&slice)
        .assert()
        .success();
    for (file, name) in [
        ("slice.jsonl", "slice-75-142.jsonl"),
        ("slice.jsonl.tlog-proof", "slice-75-142.jsonl.tlog-proof"),
    ] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        golden::check(&format!("events/samples/{name}"), &text);
    }
    // And they verify, with the pinned key, by both verifiers.
    let vkey = golden::path("events/samples/quarterly-goals.vkey");
    let samples = golden::path("events/samples");
    for args in [
        vec!["--proof", "record-75.tlog-proof"],
        vec![
            "--file",
            "slice-75-142.jsonl",
            "--proof",
            "slice-75-142.jsonl.tlog-proof",
        ],
        vec![
            "--file",
            "quarterly-goals.jsonl",
            "--checkpoint",
            "quarterly-goals.checkpoint",
        ],
    ] {
        let (code, text) = run(gl(&data)
            .current_dir(&samples)
            .arg("verify")
            .args(&args)
            .arg("--key")
            .arg(&vkey));
        assert_eq!(code, 0, "{args:?}: {text}");
    }
}

#[test]
fn a_new_ledgers_key_is_private_and_named_by_origin_which_cannot_change_later() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = temp_dir();
    let data = dir.path().join("data");
    gl(&data)
        .args(["--origin", "example.com/goals-q3", "import"])
        .arg(sample())
        .assert()
        .success();
    let mode = std::fs::metadata(data.join("signing-key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let (code, note) = run(gl(&data).arg("checkpoint"));
    assert_eq!(code, 0, "{note}");
    assert!(note.starts_with("example.com/goals-q3\n217\n"), "{note}");
    assert!(note.contains("\n\u{2014} example.com/goals-q3 "), "{note}");
    // Without --origin the ledger keeps its name; another one is refused, nothing signed.
    let kept = std::fs::read(data.join("checkpoints")).unwrap();
    let (code, text) = run(gl(&data).args(["--origin", "example.com/other", "checkpoint"]));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("can only name a new key"), "{text}");
    assert_eq!(std::fs::read(data.join("checkpoints")).unwrap(), kept);
    // A default name is goal-ledger/ and 16 hex digits.
    let other = dir.path().join("other");
    gl(&other).arg("import").arg(sample()).assert().success();
    let (_, note) = run(gl(&other).arg("checkpoint"));
    let origin = note.lines().next().unwrap();
    let suffix = origin
        .strip_prefix("goal-ledger/")
        .unwrap_or_else(|| panic!("{origin}"));
    assert!(
        suffix.len() == 16 && suffix.chars().all(|c| c.is_ascii_hexdigit()),
        "{origin}"
    );
}
