//! The built `goal-ledger` on PostgreSQL (`--store`) beside the same on a data directory: an
//! export of either imports into the other with the same head; the same commands give ledgers
//! that verify alike; bad input changes nothing; `serve` takes writes that local commands on
//! the same database read at once; a backup of a database restores into a data directory;
//! the things only a data directory does are refused with what to do instead.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{json, Value};

use super::conformance::sample_path;
use super::{Backend, Place, SAMPLE_HEAD};
use crate::support::{serve_binary_with, temp_dir};
use goal_ledger::store::Location;

/// The binary on a place: `--store URL` (keys in its data directory) or `--data-dir`.
fn gl(place: &Place) -> Command {
    let mut c = Command::cargo_bin("goal-ledger").unwrap();
    c.arg("--data-dir")
        .arg(place.data())
        .env_remove("GOAL_LEDGER_SERVER")
        .env_remove("GOAL_LEDGER_STORE")
        .env_remove("GOAL_LEDGER_DATA");
    if let Location::Postgres(url) = &place.location {
        c.args(["--store", url]);
    }
    c
}

fn ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn digest(place: &Place) -> String {
    ok(gl(place).arg("digest")).trim().to_owned()
}

/// `verify --output json` of a place, which must pass.
fn verified(place: &Place) -> Value {
    let report: Value =
        serde_json::from_str(&ok(gl(place).args(["--output", "json", "verify"]))).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    report
}

fn export(place: &Place, to: &Path) {
    ok(gl(place).arg("export").arg("--out").arg(to));
}

#[test]
fn an_export_from_either_store_imports_into_the_other_with_the_same_head() {
    let files = temp_dir();
    // The sample into a data directory, exported,
    let dir = Backend::Segments.place();
    ok(gl(&dir).arg("import").arg(sample_path()));
    assert_eq!(digest(&dir), SAMPLE_HEAD);
    let from_dir = files.path().join("from-dir.jsonl");
    export(&dir, &from_dir);
    // imported into PostgreSQL: the same head, verified, and exported byte for byte;
    let pg = Backend::Postgres.place();
    ok(gl(&pg).arg("import").arg(&from_dir));
    assert_eq!(digest(&pg), SAMPLE_HEAD);
    assert_eq!(verified(&pg)["records"], 217);
    let from_pg = files.path().join("from-pg.jsonl");
    export(&pg, &from_pg);
    let sample = std::fs::read(sample_path()).unwrap();
    assert_eq!(std::fs::read(&from_pg).unwrap(), sample);
    // and that export into a new data directory: the same head again.
    let back = Backend::Segments.place();
    ok(gl(&back).arg("import").arg(&from_pg));
    assert_eq!(digest(&back), SAMPLE_HEAD);
}

/// The commands of a small quarter: teams, a joint goal adopted by vote, a check-in.
const SCRIPT: &[(&str, &[&str])] = &[
    (
        "olivia",
        &["team", "add", "marketing", "--name", "Marketing"],
    ),
    ("olivia", &["team", "join", "marketing", "alice"]),
    ("olivia", &["team", "add", "sales", "--name", "Sales"]),
    ("olivia", &["team", "join", "sales", "sam"]),
    (
        "alice",
        &[
            "propose",
            "web-traffic-q3",
            "--title",
            "Increase website traffic",
            "--team",
            "marketing",
            "--team",
            "sales",
            "--kr",
            "visits:40000:48000:visits/month",
            "--start",
            "2026-07-01",
            "--due",
            "2026-09-30",
            "--rule",
            "unanimous",
            "--reason",
            "Supports customer acquisition",
        ],
    ),
    ("alice", &["vote", "web-traffic-q3", "agree"]),
    ("sam", &["vote", "web-traffic-q3", "agree"]),
    (
        "sam",
        &[
            "check-in",
            "web-traffic-q3",
            "--kr",
            "visits",
            "--value",
            "43000",
            "--health",
            "on-track",
        ],
    ),
];

fn play(place: &Place) {
    for (who, args) in SCRIPT {
        ok(gl(place).args(["--actor", who]).args(*args));
    }
}

#[test]
fn the_same_commands_on_postgres_and_on_a_data_directory_give_ledgers_that_agree() {
    // Given the same commands run on a data directory and on PostgreSQL,
    let dir = Backend::Segments.place();
    let pg = Backend::Postgres.place();
    play(&dir);
    play(&pg);
    // then both verify, with as many records, and the goal stands alike on both;
    let (on_dir, on_pg) = (verified(&dir), verified(&pg));
    assert_eq!(on_dir["records"], on_pg["records"]);
    let show = |place: &Place| -> Value {
        let text = ok(gl(place).args(["--output", "json", "show", "web-traffic-q3"]));
        serde_json::from_str(&text).unwrap()
    };
    let (goal_dir, goal_pg) = (show(&dir), show(&pg));
    for field in ["status", "version", "teams", "last_seq", "check_ins"] {
        assert_eq!(goal_dir[field], goal_pg[field], "{field}: {goal_pg}");
    }
    for field in ["current", "target", "progress", "health"] {
        let kr = |goal: &Value| goal["key_results"][0][field].clone();
        assert_eq!(kr(&goal_dir), kr(&goal_pg), "{field}: {goal_pg}");
    }
    // and the database's `digest` is the head its `verify` reached, which its export gives
    // again in a data directory.
    let head = digest(&pg);
    assert_eq!(
        head,
        format!("{}:{}", on_pg["seq"], on_pg["hash"].as_str().unwrap())
    );
    let file = temp_dir();
    let exported = file.path().join("pg.jsonl");
    export(&pg, &exported);
    let copy = Backend::Segments.place();
    ok(gl(&copy).arg("import").arg(&exported));
    assert_eq!(digest(&copy), head);
}

#[test]
fn bad_input_through_the_binary_changes_nothing_on_postgres() {
    let pg = Backend::Postgres.place();
    play(&pg);
    let head = digest(&pg);
    // A vote from outside the electorate, a goal due before it starts, an unknown goal, and an
    // import file with one byte changed: each refused with its exit code;
    let refused = [
        (
            vec!["--actor", "mallory", "vote", "web-traffic-q3", "agree"],
            1,
        ),
        (
            vec![
                "--actor",
                "alice",
                "propose",
                "late",
                "--title",
                "Late",
                "--team",
                "sales",
                "--kr",
                "calls:1:2:calls",
                "--start",
                "2026-07-01",
                "--due",
                "2026-06-01",
                "--rule",
                "unanimous",
                "--reason",
                "Backwards",
            ],
            2,
        ),
        (
            vec!["--actor", "sam", "withdraw", "nowhere", "--reason", "x"],
            1,
        ),
    ];
    for (args, code) in refused {
        gl(&pg).args(&args).assert().code(code);
    }
    let files = temp_dir();
    let altered = files.path().join("altered.jsonl");
    let mut text = std::fs::read(sample_path()).unwrap();
    let at = text.windows(3).position(|w| w == b"sam").unwrap();
    text[at] = b'S';
    std::fs::write(&altered, text).unwrap();
    gl(&pg).arg("import").arg(&altered).assert().failure();
    // and the database's head is what it was.
    assert_eq!(digest(&pg), head);
    verified(&pg);
}

#[test]
fn serve_on_postgres_takes_writes_that_local_commands_on_the_database_read_at_once() {
    // Given an admin token made locally on the database, and a server on it,
    let pg = Backend::Postgres.place();
    let created: Value = serde_json::from_str(&ok(gl(&pg).args([
        "--actor", "olivia", "--output", "json", "token", "create", "--for", "olivia", "--role",
        "admin",
    ])))
    .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let Location::Postgres(url) = &pg.location else {
        unreachable!("a PostgreSQL place")
    };
    let (mut child, base) = serve_binary_with(&pg.data(), &["--store".as_ref(), url.as_ref()]);
    // when a team is registered through it,
    let client = reqwest::blocking::Client::new();
    let answer = client
        .post(format!("{base}/teams"))
        .bearer_auth(&token)
        .json(&json!({"id": "marketing", "name": "Marketing"}))
        .send()
        .unwrap();
    assert_eq!(answer.status(), 201, "{}", answer.text().unwrap());
    let served: Value = client
        .get(format!("{base}/ledger/digest"))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    // then a local command on the same database, while the server runs, sees it;
    let listed = ok(gl(&pg).args(["--output", "json", "team", "list"]));
    assert!(listed.contains("marketing"), "{listed}");
    assert_eq!(
        digest(&pg),
        format!("{}:{}", served["seq"], served["hash"].as_str().unwrap())
    );
    // and the server stops cleanly, leaving a ledger that verifies.
    // SAFETY: a signal to the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
    assert_eq!(verified(&pg)["records"], 2);
}

#[test]
fn a_backup_of_a_database_restores_into_a_data_directory_and_restore_into_one_is_refused() {
    let pg = Backend::Postgres.place();
    ok(gl(&pg).arg("import").arg(sample_path()));
    let folder = temp_dir();
    let backup = folder.path().join("backup");
    ok(gl(&pg).arg("backup").arg(&backup));
    // The backup restores into a new data directory with the database's head;
    let dir = Backend::Segments.place();
    ok(gl(&dir).arg("restore").arg(&backup));
    assert_eq!(digest(&dir), SAMPLE_HEAD);
    // restoring into a database is refused with what to do instead, and changes nothing.
    let empty = Backend::Postgres.place();
    let out = gl(&empty).arg("restore").arg(&backup).assert().code(2);
    let said = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(said.contains("`import` its records file"), "{said}");
    gl(&empty).arg("digest").assert().code(1);
}
